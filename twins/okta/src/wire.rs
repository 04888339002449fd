//! Okta's wire conventions: JSON bodies, millisecond timestamps, `limit`/`after`
//! cursors, `Link` headers (`rel="self"` then `rel="next"`, absolute on the
//! request's own host), rate-limit headers, and the `search`/`filter` grammar.

pub mod search;

use axum::http::header::{HeaderName, CONTENT_TYPE, DATE, LINK};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::errors::OktaError;

pub const JSON: &str = "application/json";

/// Okta's timestamp format: `2026-11-21T03:30:00.000Z`.
pub fn ts(dt: DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn ts_opt(dt: Option<DateTime<Utc>>) -> Value {
    dt.map_or(Value::Null, |d| Value::String(ts(d)))
}

/// RFC 7231 date, as the `Date` header carries it.
pub fn http_date(dt: DateTime<Utc>) -> String {
    dt.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining`, a single `X-Rate-Limit-Reset`
/// (epoch seconds, `reset_in_s` from now) and `Date`, on the real clock: the SDKs
/// compute their back-off as reset minus Date.
pub fn rate_limit_headers(limit: u32, remaining: u32, reset_in_s: u64) -> Vec<(HeaderName, HeaderValue)> {
    let now = Utc::now();
    let reset = now.timestamp().saturating_add(i64::try_from(reset_in_s).unwrap_or(i64::MAX / 2));
    let mut out = Vec::with_capacity(4);
    for (name, value) in [
        ("x-rate-limit-limit", limit.to_string()),
        ("x-rate-limit-remaining", remaining.to_string()),
        ("x-rate-limit-reset", reset.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            out.push((HeaderName::from_static(name), v));
        }
    }
    if let Ok(v) = HeaderValue::from_str(&http_date(now)) {
        out.push((DATE, v));
    }
    out
}

/// A JSON response with Okta's content type.
pub fn json(status: StatusCode, value: &Value) -> Response {
    (status, [(CONTENT_TYPE, JSON)], twin_core::wire::json_body(value)).into_response()
}

pub fn ok(value: &Value) -> Response {
    json(StatusCode::OK, value)
}

/// `204 No Content`.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// A page of a collection with its `Link` headers.
pub fn page(items: Vec<Value>, links: Vec<HeaderValue>) -> Response {
    page_text(twin_core::wire::json_body(&Value::Array(items)), links)
}

/// `200` with JSON already rendered.
pub fn ok_text(body: impl Into<axum::body::Body>) -> Response {
    (StatusCode::OK, [(CONTENT_TYPE, JSON)], body.into()).into_response()
}

/// A page already rendered as a JSON array, with its `Link` headers.
pub fn page_text(body: impl Into<axum::body::Body>, links: Vec<HeaderValue>) -> Response {
    let mut response = ok_text(body);
    let headers: &mut HeaderMap = response.headers_mut();
    for link in links {
        headers.append(LINK, link);
    }
    response
}

/// The query string, decoded (`+` and `%20` are both spaces, as Okta reads them).
#[derive(Debug, Clone, Default)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        Self(raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A non-empty value.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    pub fn bool(&self, key: &str, default: bool) -> Result<bool, OktaError> {
        match self.get(key).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if v.is_empty() => Ok(default),
            Some(v) if v == "true" => Ok(true),
            Some(v) if v == "false" => Ok(false),
            Some(_) => Err(OktaError::validation(key, format!("{key}: must be true or false"))),
        }
    }

    /// The comma-separated values of `expand`, each one `known` accepts; any other
    /// value is refused as Okta refuses it (400 E0000001).
    pub fn expand(&self, known: impl Fn(&str) -> bool) -> Result<Vec<String>, OktaError> {
        let asked: Vec<String> = self
            .text("expand")
            .map(|e| e.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect())
            .unwrap_or_default();
        match asked.iter().find(|e| !known(e)) {
            Some(bad) => Err(OktaError::validation("expand", format!("expand: Invalid expand value: {bad}"))),
            None => Ok(asked),
        }
    }

    /// `limit`, clamped to `max`; a value that is not a number is a validation error.
    pub fn limit(&self, default: usize, max: usize) -> Result<usize, OktaError> {
        match self.text("limit") {
            None => Ok(default),
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if n <= 0 => Ok(default),
                Ok(n) => Ok(usize::try_from(n).unwrap_or(max).min(max)),
                Err(_) => Err(OktaError::validation("limit", "limit: The value must be a number")),
            },
        }
    }

    /// The `after` cursor, refused when it is not shaped like one of ours.
    pub fn after(&self) -> Result<Option<&str>, OktaError> {
        match self.text("after") {
            None => Ok(None),
            Some(c) if crate::ids::is_cursor(c) => Ok(Some(c)),
            Some(_) => Err(OktaError::InvalidPaging),
        }
    }

    /// The query again, encoded, with `after` replaced by `next` (when given).
    fn encode(&self, next: Option<&str>) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .0
            .iter()
            .filter(|(k, _)| next.is_none() || k != "after")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if let Some(next) = next {
            pairs.insert(0, ("after", next));
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes a query component, spaces as `%20`.
pub fn encode_component(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

/// The `Link` headers of a page: `self` first, then `next` when there is one.
pub fn link_headers(base_url: &str, path: &str, query: &Query, next: Option<&str>) -> Vec<HeaderValue> {
    let url = |q: String| if q.is_empty() { format!("{base_url}{path}") } else { format!("{base_url}{path}?{q}") };
    let mut out = Vec::with_capacity(2);
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>; rel=\"self\"", url(query.encode(None)))) {
        out.push(v);
    }
    if let Some(next) = next {
        if let Ok(v) = HeaderValue::from_str(&format!("<{}>; rel=\"next\"", url(query.encode(Some(next))))) {
            out.push(v);
        }
    }
    out
}

/// How a listing orders its items, which decides how a cursor is found again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Ascending by key: a cursor whose item is gone still resumes at the next key.
    KeyAscending,
    /// Descending by key.
    KeyDescending,
    /// Any other order: the cursor's item must still be in the listing.
    Other,
}

/// Whether `cursor` has the shape of `key`: the same length and the same
/// three-character prefix (an id's object type, `00u`, `00g`, `0oa`…).
pub fn same_shape(key: &str, cursor: &str) -> bool {
    key.len() == cursor.len() && key.get(..3) == cursor.get(..3)
}

/// One page of `items` (already filtered and ordered, each with its cursor key)
/// after `after`, at most `limit` long, and the cursor of the next page if any.
pub fn paginate<T>(
    items: Vec<(String, T)>,
    after: Option<&str>,
    limit: usize,
    order: Order,
) -> Result<(Vec<T>, Option<String>), OktaError> {
    let start = match after {
        None => 0,
        Some(cursor) => match items.iter().position(|(k, _)| k == cursor) {
            Some(i) => i + 1,
            // A cursor we could never have handed out for this listing (not shaped like
            // its keys) is refused, as Okta refuses a tampered one, rather than
            // silently answering an empty or shifted page.
            None if !items.is_empty() && !items.iter().any(|(k, _)| same_shape(k, cursor)) => {
                return Err(OktaError::InvalidPaging)
            }
            None => match order {
                Order::KeyAscending => items.partition_point(|(k, _)| k.as_str() <= cursor),
                Order::KeyDescending => items.partition_point(|(k, _)| k.as_str() >= cursor),
                Order::Other => return Err(OktaError::InvalidPaging),
            },
        },
    };
    let total = items.len();
    let mut page: Vec<(String, T)> = items.into_iter().skip(start).take(limit.max(1)).collect();
    let next = if start + page.len() < total { page.last().map(|(k, _)| k.clone()) } else { None };
    Ok((page.drain(..).map(|(_, v)| v).collect(), next))
}

/// Parses a JSON request body into an object; an empty body is an empty object.
pub fn body_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, OktaError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) | Err(_) => Err(OktaError::MalformedBody),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyed(keys: &[&str]) -> Vec<(String, String)> {
        keys.iter().map(|k| (k.to_string(), k.to_string())).collect()
    }

    #[test]
    fn pages_walk_to_the_end_and_stop() {
        let items = keyed(&["a", "b", "c", "d", "e"]);
        let (p1, n1) = paginate(items.clone(), None, 2, Order::KeyAscending).unwrap();
        assert_eq!((p1, n1.as_deref()), (vec!["a".to_string(), "b".into()], Some("b")));
        let (p2, n2) = paginate(items.clone(), n1.as_deref(), 2, Order::KeyAscending).unwrap();
        assert_eq!((p2, n2.as_deref()), (vec!["c".to_string(), "d".into()], Some("d")));
        let (p3, n3) = paginate(items.clone(), n2.as_deref(), 2, Order::KeyAscending).unwrap();
        assert_eq!((p3, n3), (vec!["e".to_string()], None));
        // An exact fit has no next page.
        let (_, n) = paginate(items, None, 5, Order::KeyAscending).unwrap();
        assert_eq!(n, None);
    }

    #[test]
    fn a_vanished_cursor_resumes_by_key_or_is_refused() {
        let items = keyed(&["a", "c", "e"]);
        let (p, _) = paginate(items.clone(), Some("b"), 10, Order::KeyAscending).unwrap();
        assert_eq!(p, vec!["c".to_string(), "e".into()]);
        let desc = keyed(&["e", "c", "a"]);
        let (p, _) = paginate(desc, Some("d"), 10, Order::KeyDescending).unwrap();
        assert_eq!(p, vec!["c".to_string(), "a".into()]);
        assert_eq!(paginate(items, Some("zz"), 10, Order::Other).unwrap_err(), OktaError::InvalidPaging);
    }

    #[test]
    fn a_cursor_not_shaped_like_the_keys_is_refused() {
        let items = keyed(&["00g1aaaaaaaaaaaaaaaa", "00g1bbbbbbbbbbbbbbbb"]);
        for bogus in ["bogus", "00u1aaaaaaaaaaaaaaaa", "00g1a"] {
            assert_eq!(
                paginate(items.clone(), Some(bogus), 10, Order::KeyAscending).unwrap_err(),
                OktaError::InvalidPaging
            );
        }
        // A well-formed cursor whose item is gone still resumes by key.
        let (p, _) = paginate(items, Some("00g1abbbbbbbbbbbbbbb"), 10, Order::KeyAscending).unwrap();
        assert_eq!(p, vec!["00g1bbbbbbbbbbbbbbbb".to_string()]);
    }

    #[test]
    fn link_headers_are_absolute_self_then_next() {
        let q = Query::parse(Some("search=profile.lastName%20eq%20%22O%27Neil+Jr%22&limit=2&after=00u1"));
        let links = link_headers("http://127.0.0.1:9/u/x", "/api/v1/users", &q, Some("00u9"));
        assert_eq!(links.len(), 2);
        let selfl = links[0].to_str().unwrap();
        let next = links[1].to_str().unwrap();
        assert!(selfl.starts_with("<http://127.0.0.1:9/u/x/api/v1/users?search=profile.lastName%20eq%20%22O%27Neil%20Jr%22&limit=2&after=00u1>; rel=\"self\""), "{selfl}");
        assert_eq!(next, "<http://127.0.0.1:9/u/x/api/v1/users?after=00u9&search=profile.lastName%20eq%20%22O%27Neil%20Jr%22&limit=2>; rel=\"next\"");
        assert_eq!(link_headers("http://h", "/p", &Query::default(), None).len(), 1);
    }

    #[test]
    fn query_values_decode_and_validate() {
        let q = Query::parse(Some("limit=abc&activate=FALSE&after=%3Cscript%3E"));
        assert!(q.limit(10, 200).is_err());
        assert_eq!(q.bool("activate", true), Ok(false));
        assert_eq!(q.after(), Err(OktaError::InvalidPaging));
        assert_eq!(Query::parse(Some("limit=5000")).limit(10, 200), Ok(200));
        assert_eq!(Query::parse(None).limit(10, 200), Ok(10));
    }

    #[test]
    fn timestamps_have_milliseconds() {
        let dt = DateTime::parse_from_rfc3339("2026-11-21T03:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(ts(dt), "2026-11-21T03:30:00.000Z");
        assert_eq!(http_date(dt), "Sat, 21 Nov 2026 03:30:00 GMT");
    }
}
