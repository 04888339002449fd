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
