//! Jira's error dialect: `{"errorMessages": [...], "errors": {"field": "message"}}`
//! under `application/json;charset=UTF-8`, with Jira's status for each case. Both
//! members are always present, because every client reads both.

use std::collections::BTreeMap;

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::wire::JSON;

/// Everything a Jira call can answer with instead of success.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{status}: {messages:?} {errors:?}")]
pub struct JiraError {
    pub status: u16,
    pub messages: Vec<String>,
    pub errors: BTreeMap<String, String>,
    /// Seconds, for 429 and 503.
    pub retry_after_s: Option<u64>,
    /// A 429 of the per-issue write limit rather than the burst limit.
    pub per_issue_limit: bool,
}

/// `RateLimit-Reason` of the per-issue write limit (the burst limit's is
/// `jira-burst-based`).
pub const PER_ISSUE_REASON: &str = "jira-per-issue-on-write";

pub const ISSUE_NOT_FOUND: &str = "Issue does not exist or you do not have permission to see it.";

impl JiraError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            messages: vec![message.into()],
            errors: BTreeMap::new(),
            retry_after_s: None,
            per_issue_limit: false,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// A 400 naming the field at fault (`errors.{field}`), `errorMessages` empty.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = BTreeMap::new();
        errors.insert(field.into(), message.into());
        Self { status: 400, messages: vec![], errors, retry_after_s: None, per_issue_limit: false }
    }

    /// Several field errors at once.
    pub fn fields(errors: BTreeMap<String, String>) -> Self {
        Self { status: 400, messages: vec![], errors, retry_after_s: None, per_issue_limit: false }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    pub fn issue_not_found() -> Self {
        Self::not_found(ISSUE_NOT_FOUND)
    }

    pub fn project_not_found(key: &str) -> Self {
        Self::not_found(format!("No project could be found with key '{key}'."))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Client must be authenticated to access this resource.")
    }

    pub fn malformed() -> Self {
        Self::bad_request("Unexpected character in the request body: the body is not valid JSON.")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(405, "Method Not Allowed")
    }

    pub fn internal() -> Self {
        Self::new(500, "Internal server error")
    }

    pub fn rate_limited(retry_after_s: u64) -> Self {
        Self { retry_after_s: Some(retry_after_s.max(1)), ..Self::new(429, "Rate limit exceeded.") }
    }

    pub fn per_issue(self, per_issue_limit: bool) -> Self {
        Self { per_issue_limit, ..self }
    }

    /// The answer for an injected status (chaos `error` rules).
    pub fn for_status(status: u16, message: Option<&str>) -> Self {
        let default = match status {
            400 => "Bad Request",
            401 => "Client must be authenticated to access this resource.",
            403 => "You do not have permission to perform this operation.",
            404 => "Not Found",
            409 => "Conflict",
            413 => "The request payload is too large.",
            429 => "Rate limit exceeded.",
            500 => "Internal server error",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            _ => "Error",
        };
        let mut e = Self::new(status, message.unwrap_or(default));
        if status == 429 || status == 503 {
            e.retry_after_s = Some(1);
        }
        e
    }

    pub fn body(&self) -> serde_json::Value {
        json!({"errorMessages": self.messages, "errors": self.errors})
    }
}

/// `X-RateLimit-*` and `RateLimit-Reason`, as Jira sends them with a 429.
pub fn rate_limit_headers(retry_after_s: u64, per_issue: bool) -> Vec<(HeaderName, HeaderValue)> {
    let reset = chrono::Utc::now() + chrono::Duration::seconds(i64::try_from(retry_after_s).unwrap_or(60));
    let mut out = Vec::new();
    for (name, value) in [
        ("retry-after", retry_after_s.to_string()),
        ("x-ratelimit-limit", if per_issue { "20" } else { "100" }.to_string()),
        ("x-ratelimit-remaining", "0".to_string()),
        ("x-ratelimit-reset", reset.format("%Y-%m-%dT%H:%MZ").to_string()),
        ("ratelimit-reason", if per_issue { PER_ISSUE_REASON } else { "jira-burst-based" }.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            out.push((HeaderName::from_static(name), v));
        }
    }
    out
}

impl IntoResponse for JiraError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, [(CONTENT_TYPE, JSON)], self.body().to_string()).into_response();
        let headers = response.headers_mut();
        if self.status == 429 {
            for (name, value) in rate_limit_headers(self.retry_after_s.unwrap_or(1), self.per_issue_limit) {
                headers.insert(name, value);
            }
        } else if let Some(s) = self.retry_after_s {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                headers.insert(RETRY_AFTER, v);
            }
        }
        if self.status == 401 {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"protected-area\""));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_members_always_present() {
        let body = JiraError::issue_not_found().body();
        assert_eq!(body["errorMessages"][0], ISSUE_NOT_FOUND);
        assert!(body["errors"].as_object().is_some_and(|o| o.is_empty()));
        let body = JiraError::field("summary", "You must specify a summary of the issue.").body();
        assert!(body["errorMessages"].as_array().is_some_and(|a| a.is_empty()));
        assert_eq!(body["errors"]["summary"], "You must specify a summary of the issue.");
    }

    #[test]
    fn rate_limits_carry_integer_retry_after() {
        let r = JiraError::rate_limited(2).into_response();
        assert_eq!(r.status().as_u16(), 429);
        assert_eq!(r.headers()["retry-after"], "2");
        assert_eq!(r.headers()["ratelimit-reason"], "jira-burst-based");
        assert!(r.headers().contains_key("x-ratelimit-reset"));
    }
}
