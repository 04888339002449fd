//! Jira's wire conventions: timestamps with milliseconds and a colon-less offset,
//! query strings whose list parameters come as repeated keys or comma lists,
//! booleans in any case, JSON under `application/json;charset=UTF-8`.

use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::errors::JiraError;

pub const JSON: &str = "application/json;charset=UTF-8";

/// Jira's timestamp: `2025-01-15T10:30:00.000+0000`.
pub fn ts(dt: DateTime<Utc>) -> String {
    dt.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

pub fn ts_opt(dt: Option<DateTime<Utc>>) -> Value {
    dt.map_or(Value::Null, |d| Value::String(ts(d)))
}

/// Parses the timestamps clients send (`started` of a worklog, sprint dates):
/// RFC 3339, or Jira's own form with a colon-less offset.
pub fn parse_ts(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(d) = DateTime::parse_from_str(text, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    None
}

pub fn json(status: StatusCode, value: &Value) -> Response {
    (status, [(CONTENT_TYPE, JSON)], twin_core::wire::json_body(value)).into_response()
}

pub fn ok(value: &Value) -> Response {
    json(StatusCode::OK, value)
}

pub fn created(value: &Value) -> Response {
    json(StatusCode::CREATED, value)
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// A JSON object body; an empty body is an empty object.
pub fn body_object(body: &[u8]) -> Result<Map<String, Value>, JiraError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(JiraError::bad_request("The request body must be a JSON object.")),
        Err(_) => Err(JiraError::malformed()),
    }
}

/// Any JSON body (watchers take a bare string); an empty body is null.
pub fn body_value(body: &[u8]) -> Result<Value, JiraError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice::<Value>(body).map_err(|_| JiraError::malformed())
}

/// The query string, decoded (`+` is a space).
#[derive(Debug, Clone, Default)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        Self(raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Every value of a list parameter: repeated keys and comma lists alike.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// A boolean, read case-insensitively (`True`, `false`).
    pub fn bool(&self, key: &str, default: bool) -> Result<bool, JiraError> {
        match self.text(key).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(_) => Err(JiraError::bad_request(format!("The value of '{key}' must be true or false."))),
        }
    }

    /// A non-negative integer parameter (`startAt`, `maxResults`).
    pub fn int(&self, key: &str, default: i64) -> Result<i64, JiraError> {
        match self.text(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .map_err(|_| JiraError::bad_request(format!("The value '{v}' of '{key}' is not a valid number."))),
        }
    }

    /// `startAt` and `maxResults`, clamped as Jira clamps them.
    pub fn paging(&self, default_max: usize, cap: usize) -> Result<(usize, usize), JiraError> {
        let start = usize::try_from(self.int("startAt", 0)?.max(0)).unwrap_or(0);
        let max = self.int("maxResults", default_max as i64)?;
        let max = if max < 0 { default_max } else { usize::try_from(max).unwrap_or(cap).min(cap) };
        Ok((start, max))
    }
}

/// Percent-encodes a query component.
pub fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A platform page envelope (`project/search`, changelog): `{self, nextPage?, maxResults,
/// startAt, total, isLast, values}`.
pub fn page_envelope(
    self_url: &str,
    next_url: Option<String>,
    start: usize,
    max: usize,
    total: usize,
    values: Vec<Value>,
) -> Value {
    let mut out = Map::new();
    out.insert("self".into(), Value::String(self_url.to_string()));
    let is_last = start + values.len() >= total;
    if !is_last {
        if let Some(n) = next_url {
            out.insert("nextPage".into(), Value::String(n));
        }
    }
    out.insert("maxResults".into(), max.into());
    out.insert("startAt".into(), start.into());
    out.insert("total".into(), total.into());
    out.insert("isLast".into(), is_last.into());
    out.insert("values".into(), Value::Array(values));
    Value::Object(out)
}

/// The items of one page.
pub fn slice<T: Clone>(items: &[T], start: usize, max: usize) -> Vec<T> {
    items.iter().skip(start).take(max).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_have_millis_and_colonless_offset() {
        let t = Utc.with_ymd_and_hms(2025, 1, 15, 10, 30, 0).unwrap();
        assert_eq!(ts(t), "2025-01-15T10:30:00.000+0000");
        assert_eq!(parse_ts("2025-01-15T10:30:00.000+0000"), Some(t));
        assert_eq!(parse_ts("2025-01-15T10:30:00Z"), Some(t));
        assert_eq!(parse_ts("yesterday"), None);
    }

    #[test]
    fn lists_from_repeated_keys_and_commas() {
        let q = Query::parse(Some("fields=summary&fields=status,assignee&expand=names&flag=True"));
        assert_eq!(q.list("fields"), vec!["summary", "status", "assignee"]);
        assert!(q.bool("flag", false).unwrap());
        assert!(Query::parse(Some("flag=maybe")).bool("flag", false).is_err());
        assert_eq!(Query::parse(Some("jql=a+b")).get("jql"), Some("a b"));
    }
}
