//! The control plane's error dialect: `{"error": {"code", "message"}}` with a 4xx status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Everything the control plane can refuse, each with its HTTP status and code.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{0}")]
    BadRequest(String),
    #[error("request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("no universe with id '{0}'")]
    UnknownUniverse(String),
    #[error("universe has no snapshot named '{0}'")]
    UnknownSnapshot(String),
    #[error("no chaos rule with id '{0}'")]
    UnknownRule(String),
    #[error("invalid chaos rule: {0}")]
    InvalidRule(String),
    #[error("invalid fixture: {0}")]
    InvalidFixture(#[from] crate::fixture::FixtureError),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    LimitReached(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("method not allowed on this endpoint")]
    MethodNotAllowed,
    /// No admin credential, or a wrong one (twin credentials never count).
    #[error("{0}")]
    Unauthorized(String),
    /// A browser's cross-site request.
    #[error("{0}")]
    Forbidden(String),
}

impl ControlError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::InvalidJson(_) | Self::InvalidRule(_) | Self::InvalidFixture(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::UnknownUniverse(_) | Self::UnknownSnapshot(_) | Self::UnknownRule(_) | Self::NotFound(_) => {
                StatusCode::NOT_FOUND
            }
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::LimitReached(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::InvalidJson(_) => "invalid_json",
            Self::UnknownUniverse(_) => "unknown_universe",
            Self::UnknownSnapshot(_) => "unknown_snapshot",
            Self::UnknownRule(_) => "unknown_rule",
            Self::InvalidRule(_) => "invalid_rule",
            Self::InvalidFixture(_) => "invalid_fixture",
            Self::Conflict(_) => "conflict",
            Self::LimitReached(_) => "limit_reached",
            Self::NotFound(_) => "not_found",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
        }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code(), "message": self.to_string()}});
        let mut response = (self.status(), Json(body)).into_response();
        if matches!(self, Self::Unauthorized(_)) {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"dtu-control\""),
            );
        }
        response
    }
}
