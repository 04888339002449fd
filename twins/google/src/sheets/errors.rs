//! The error envelope of Sheets and Docs (Google's newer APIs):
//! `{"error": {"code", "message", "status"}}`, without Drive's `errors` list.

use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::errors::{json_response, GoogleError};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code} {status}: {message}")]
pub struct ApiError {
    pub code: u16,
    pub status: &'static str,
    pub message: String,
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        ApiError { code, status: canonical(code), message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// An unknown id, or a file the caller cannot see.
    pub fn not_found() -> Self {
        Self::new(404, "Requested entity was not found.")
    }

    pub fn denied() -> Self {
        Self::new(403, "The caller does not have permission")
    }

    /// An injected status, with the message Google's newer APIs give it.
    pub fn for_status(code: u16) -> Self {
        let message = match code {
            400 => "Request contains an invalid argument.",
            401 => "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            403 => "The caller does not have permission",
            404 => "Requested entity was not found.",
            409 => "The operation was aborted.",
            413 => "Request payload size exceeds the limit.",
            429 => "Resource has been exhausted (e.g. check quota).",
            503 => "The service is currently unavailable.",
            504 => "The request timed out. Please try again.",
            c if c >= 500 => "Internal error encountered.",
            _ => "Precondition check failed.",
        };
        Self::new(code, message)
    }

    pub fn bad_range(range: &str) -> Self {
        Self::invalid(format!("Unable to parse range: {range}"))
    }

    /// `Invalid requests[3].addSheet: …`.
    pub fn request(index: usize, kind: &str, message: impl std::fmt::Display) -> Self {
        Self::invalid(format!("Invalid requests[{index}].{kind}: {message}"))
    }

    pub fn body(&self) -> serde_json::Value {
        json!({"error": {"code": self.code, "message": self.message, "status": self.status}})
    }
}

/// A per-minute quota of Sheets or Docs, as `rate_limit` names it: (class, service,
/// quota metric, per-user limit a minute). Google documents 60 reads and 60 writes a
/// minute per user for Sheets, 300 reads and 60 writes for Docs.
pub const QUOTAS: [(&str, &str, &str, u32); 4] = [
    ("sheets-read", "sheets.googleapis.com", "Read requests", 60),
    ("sheets-write", "sheets.googleapis.com", "Write requests", 60),
    ("docs-read", "docs.googleapis.com", "Read requests", 300),
    ("docs-write", "docs.googleapis.com", "Write requests", 60),
];

/// The 429 of a spent Sheets or Docs quota, as Google sends it: RESOURCE_EXHAUSTED,
/// the metric and limit named in the message, and an `ErrorInfo` detail that
/// clients read the reason from. None for a class that is not one of these quotas.
pub fn quota_exceeded(class: &str, retry_after_s: u64) -> Option<Response> {
    let (_, service, metric, limit) = QUOTAS.iter().find(|(c, ..)| *c == class)?;
    let quota_limit = format!("{}PerMinutePerProjectPerUser", metric.replace(' ', ""));
    let consumer = "projects/dtu";
    let message = format!(
        "Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' of service '{service}' for consumer '{consumer}'."
    );
    let body = json!({"error": {
        "code": 429,
        "message": message,
        "status": "RESOURCE_EXHAUSTED",
        "details": [{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {
                "service": service,
                "consumer": consumer,
                "quota_metric": format!("{service}/{}", metric.to_lowercase().replace(' ', "_")),
                "quota_limit": quota_limit,
                "quota_limit_value": limit.to_string(),
            }
        }]
    }});
    let mut response = json_response(429, &body);
    if let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_s.max(1).to_string()) {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    Some(response)
}

/// A camelCase field or request name as these APIs' messages spell it
/// (`addSheet` → `add_sheet`).
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn canonical(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ if code >= 500 => "INTERNAL",
        _ => "FAILED_PRECONDITION",
    }
}

/// Drive's errors (sign-in, access) in this envelope.
impl From<GoogleError> for ApiError {
    fn from(e: GoogleError) -> Self {
        let message = match &e {
            GoogleError::Api { message, .. } => message.clone(),
            GoogleError::OAuth { description, .. } => description.clone(),
        };
        match e.status() {
            404 => ApiError::not_found(),
            code => ApiError::new(code, message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.code, &self.body());
        if self.code == 401 {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"https://accounts.google.com/\""),
            );
        }
        response
    }
}

/// Runs a handler body in this envelope (the route table wants Drive's error type).
pub fn respond(out: Result<Response>) -> crate::errors::Result<Response> {
    Ok(out.unwrap_or_else(IntoResponse::into_response))
}
