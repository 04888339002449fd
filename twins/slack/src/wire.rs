//! How Slack clients send arguments: query string, form body, multipart or JSON body, on
//! any verb, merged into one set of parameters (research §1.4). Values stay JSON values
//! so structured arguments (`blocks`) work whether sent as JSON or as JSON strings.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use serde_json::Value;
use twin_core::wire::{authorization, form_pairs, media_type};

use crate::errors::SlackError;

/// The merged arguments of one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(BTreeMap<String, Value>, BTreeMap<String, Vec<u8>>);

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.0.insert(key.to_string(), value.into());
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// The arguments as sent (for `api.test`), without the token.
    pub fn all(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().filter(|(k, _)| k.as_str() != "token")
    }

    /// A file sent as a multipart part (`users.setPhoto`'s `image`).
    pub fn file(&self, key: &str) -> Option<&[u8]> {
        self.1.get(key).map(Vec::as_slice)
    }

    pub fn set_file(&mut self, key: &str, data: Vec<u8>) {
        self.1.insert(key.to_string(), data);
    }

    /// The argument as text: strings as they are, numbers and booleans printed,
    /// arrays and objects as JSON.
    pub fn str(&self, key: &str) -> Option<String> {
        self.get(key).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// The argument when present and not empty.
    pub fn nonempty(&self, key: &str) -> Option<String> {
        self.str(key).filter(|s| !s.trim().is_empty())
    }

    /// A required argument: `invalid_arguments` when missing or empty.
    pub fn required(&self, key: &str) -> Result<String, SlackError> {
        self.nonempty(key).ok_or_else(|| SlackError::missing(key))
    }

    /// Booleans in every spelling clients use: `true`/`false`, `"true"`/`"false"`, `"1"`/`"0"`.
    pub fn flag(&self, key: &str) -> bool {
        match self.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
            Some(Value::String(s)) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"),
            _ => false,
        }
    }

    /// An integer argument (sent as a number or a string). Malformed → `Err`.
    pub fn int(&self, key: &str) -> Result<Option<i64>, SlackError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)).map(Some).ok_or_else(|| SlackError::invalid(key))
            }
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                s.parse::<i64>()
                    .ok()
                    .or_else(|| s.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f as i64))
                    .map(Some)
                    .ok_or_else(|| SlackError::invalid(key))
            }
            Some(_) => Err(SlackError::invalid(key)),
        }
    }

    /// A list of ids: a JSON array, a JSON-array string (`'["U1","U2"]'`) or CSV (`"U1,U2"`).
    pub fn list(&self, key: &str) -> Vec<String> {
        let items: Vec<String> = match self.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items.iter().map(value_text).collect(),
            Some(Value::String(s)) => {
                let s = s.trim();
                match s.starts_with('[').then(|| serde_json::from_str::<Vec<Value>>(s).ok()).flatten() {
                    Some(items) => items.iter().map(value_text).collect(),
                    None => s.split(',').map(str::to_string).collect(),
                }
            }
            Some(other) => vec![value_text(other)],
        };
        items.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
    }

    /// A structured argument: a JSON value, or a string holding JSON.
    /// `Ok(None)` when absent; `Err(NotJson)` when a string is not JSON.
    pub fn json(&self, key: &str) -> Result<Option<Value>, NotJson> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s).map(Some).map_err(|_| NotJson),
            Some(other) => Ok(Some(other.clone())),
        }
    }
}

/// A structured argument that is not JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotJson;

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..].windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

/// The `boundary` parameter of a multipart content type.
pub fn boundary(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(axum::http::header::CONTENT_TYPE)?.to_str().ok()?;
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Splits a multipart body into its parts; malformed parts are skipped.
pub fn multipart(body: &[u8], boundary: &str) -> Vec<Part> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let Some(mut pos) = find(body, &delimiter, 0) else {
        return parts;
    };
    loop {
        let start = pos + delimiter.len();
        if body.get(start..start + 2) == Some(b"--") {
            break;
        }
        let Some(next) = find(body, &delimiter, start) else { break };
        let mut chunk = &body[start..next];
        chunk = chunk.strip_prefix(b"\r\n").unwrap_or(chunk);
        chunk = chunk.strip_suffix(b"\r\n").unwrap_or(chunk);
        if let Some(split) = find(chunk, b"\r\n\r\n", 0) {
            let head = String::from_utf8_lossy(&chunk[..split]);
            let data = chunk[split + 4..].to_vec();
            let mut name = None;
            let mut filename = None;
            for line in head.lines() {
                let Some((key, value)) = line.split_once(':') else { continue };
                if !key.trim().eq_ignore_ascii_case("content-disposition") {
                    continue;
                }
                for attr in value.split(';').skip(1) {
                    if let Some((k, v)) = attr.trim().split_once('=') {
                        let v = v.trim().trim_matches('"').to_string();
                        match k.trim() {
                            "name" => name = Some(v),
                            "filename" => filename = Some(v),
                            _ => {}
                        }
                    }
                }
            }
            if let Some(name) = name {
                parts.push(Part { name, filename, data });
            }
        }
        pos = next;
    }
    parts
}

/// Every argument of a request: query, then the body (form, multipart or JSON).
/// An empty body is no arguments whatever its content type.
pub fn parse_params(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Result<Params, SlackError> {
    let mut params = Params::new();
    if let Some(q) = query {
        for (k, v) in form_pairs(q.as_bytes()) {
            params.set(&k, v);
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(params);
    }
    let media = media_type(headers).unwrap_or_default();
    let looks_json = body.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b == b'{' || *b == b'[');
    if media == "application/json" || media.ends_with("+json") || (media.is_empty() && looks_json) {
        let value: Value = serde_json::from_slice(body).map_err(|_| SlackError::InvalidJson)?;
        let Value::Object(map) = value else { return Err(SlackError::JsonNotObject) };
        // A null is an argument left out: it does not hide one given in the query string
        // (slack_sdk sends `"cursor": null` in the body and the cursor in the query).
        for (k, v) in map.into_iter().filter(|(_, v)| !v.is_null()) {
            params.set(&k, v);
        }
    } else if media == "multipart/form-data" {
        let boundary = boundary(headers).ok_or(SlackError::Code("invalid_form_data"))?;
        for part in multipart(body, &boundary) {
            if part.filename.is_none() {
                params.set(&part.name, String::from_utf8_lossy(&part.data).into_owned());
            } else {
                params.set_file(&part.name, part.data);
            }
        }
    } else {
        for (k, v) in form_pairs(body) {
            params.set(&k, v);
        }
    }
    Ok(params)
}

/// The token of a request: `Authorization: Bearer`, else a `token` argument.
pub fn token(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Option<String> {
    if let Some(token) = authorization(headers, "Bearer") {
        return Some(token.to_string());
    }
    parse_params(headers, query, body).ok()?.nonempty("token")
}

/// The OAuth client id of a request: HTTP Basic, else a `client_id` argument.
pub fn client_id(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Option<String> {
    if let Some((client_id, _)) = twin_core::wire::basic_credentials(headers) {
        return Some(client_id);
    }
    parse_params(headers, query, body).ok()?.nonempty("client_id")
}

/// The credential that routes a request: its token; else, for the OAuth endpoints,
/// which carry none, their client id.
pub fn credential(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Option<String> {
    token(headers, query, body).or_else(|| client_id(headers, query, body))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (Slack's cursors look like `dXNlcjpVMDYxTkZUVDI=`).
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
    use serde_json::json;

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, ct.parse().unwrap());
        h
    }

    #[test]
    fn merges_query_form_and_json() {
        let p = parse_params(&headers("application/x-www-form-urlencoded"), Some("a=1&b=2"), b"b=3&c=x%20y").unwrap();
        assert_eq!(p.str("a").as_deref(), Some("1"));
        assert_eq!(p.str("b").as_deref(), Some("3"));
        assert_eq!(p.str("c").as_deref(), Some("x y"));
        let p =
            parse_params(&headers("application/json;charset=utf-8"), None, br#"{"blocks":[{"type":"divider"}],"n":5}"#)
                .unwrap();
        assert_eq!(p.json("blocks").unwrap(), Some(json!([{"type": "divider"}])));
        assert_eq!(p.int("n").unwrap(), Some(5));
        let p =
            parse_params(&headers("application/json"), Some("cursor=abc"), br#"{"cursor":null,"limit":2}"#).unwrap();
        assert_eq!(p.str("cursor").as_deref(), Some("abc"));
    }

    #[test]
    fn empty_json_body_is_no_params_and_bad_json_is_an_error() {
        let p = parse_params(&headers("application/json;charset=utf-8"), None, b"").unwrap();
        assert_eq!(p, Params::new());
        assert_eq!(parse_params(&headers("application/json"), None, b"{nope"), Err(SlackError::InvalidJson));
        assert_eq!(parse_params(&headers("application/json"), None, b"[1]"), Err(SlackError::JsonNotObject));
    }

    #[test]
    fn booleans_lists_and_json_strings() {
        let mut p = Params::new();
        for (k, v) in
            [("a", json!("true")), ("b", json!("1")), ("c", json!(true)), ("d", json!("0")), ("e", json!("false"))]
        {
            p.set(k, v);
        }
        assert!(p.flag("a") && p.flag("b") && p.flag("c"));
        assert!(!p.flag("d") && !p.flag("e") && !p.flag("missing"));
        p.set("csv", "U1, U2,,U3");
        p.set("arr", r#"["U1","U2"]"#);
        p.set("native", json!(["U9"]));
        assert_eq!(p.list("csv"), vec!["U1", "U2", "U3"]);
        assert_eq!(p.list("arr"), vec!["U1", "U2"]);
        assert_eq!(p.list("native"), vec!["U9"]);
        p.set("blocks", r#"[{"type":"divider"}]"#);
        assert_eq!(p.json("blocks").unwrap(), Some(json!([{"type": "divider"}])));
        p.set("bad", "[{");
        assert!(p.json("bad").is_err());
        p.set("n", "abc");
        assert!(p.int("n").is_err());
    }

    #[test]
    fn multipart_parts_and_token_sources() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nxoxb-1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"body\"; filename=\"Untitled\"\r\nContent-Type: application/octet-stream\r\n\r\nhello\r\nworld\r\n--XyZ--\r\n";
        let parts = multipart(body, "XyZ");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].name, "body");
        assert_eq!(parts[1].data, b"hello\r\nworld");
        let h = headers("multipart/form-data; boundary=XyZ");
        assert_eq!(credential(&h, None, body).as_deref(), Some("xoxb-1"));
        let mut h = headers("application/x-www-form-urlencoded");
        assert_eq!(credential(&h, None, b"token=xoxp-2").as_deref(), Some("xoxp-2"));
        h.insert(AUTHORIZATION, "Bearer xoxb-3".parse().unwrap());
        assert_eq!(credential(&h, None, b"token=xoxp-2").as_deref(), Some("xoxb-3"));
    }

    #[test]
    fn base64_round_trips() {
        for s in ["", "a", "ab", "abc", "user:U061NFTT2", "next_ts:1512085861000543"] {
            assert_eq!(base64_decode(&base64_encode(s.as_bytes())).unwrap(), s.as_bytes());
        }
        assert_eq!(base64_encode(b"user:U061NFTT2"), "dXNlcjpVMDYxTkZUVDI=");
        assert!(base64_decode("!!").is_none());
    }
}
