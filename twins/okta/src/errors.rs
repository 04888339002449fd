//! Okta's error dialect: `{"errorCode","errorSummary","errorLink","errorId","errorCauses"}`
//! with the vendor's status for each code, and the OAuth 2.0 dialect
//! (`{"error","error_description"}`) for the authorization servers.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::wire::{rate_limit_headers, JSON};

/// Everything an Okta API call can answer with instead of success.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OktaError {
    /// E0000001: a request failed validation; `field` names what, `causes` say why.
    #[error("Api validation failed: {field}")]
    Validation { field: String, causes: Vec<String> },
    /// E0000003
    #[error("The request body was not well-formed.")]
    MalformedBody,
    /// E0000004 (the Authentication API's bad-credentials answer).
    #[error("Authentication failed")]
    AuthenticationFailed,
    /// E0000005: no recognised `Authorization` scheme.
    #[error("Invalid session")]
    InvalidSession,
    /// E0000006
    #[error("You do not have permission to perform the requested action")]
    Forbidden,
    /// E0000007
    #[error("Not found: Resource not found: {id} ({kind})")]
    NotFound { id: String, kind: &'static str },
    /// E0000011
    #[error("Invalid token provided")]
    InvalidToken,
    /// E0000014
    #[error("Update of credentials failed")]
    CredentialsFailed { cause: String },
    /// E0000016
    #[error("Activation failed because the user is already active")]
    AlreadyActive,
    /// E0000022
    #[error("The endpoint does not support the provided HTTP method")]
    MethodNotAllowed,
    /// E0000028
    #[error("The request is missing a required parameter.")]
    MissingParameter { name: String },
    /// E0000029
    #[error("Invalid paging request.")]
    InvalidPaging,
    /// E0000031
    #[error("Invalid search criteria.")]
    InvalidSearch { cause: String },
    /// E0000032
    #[error("Unlock is not allowed for this user.")]
    UnlockNotAllowed,
    /// E0000038
    #[error("This operation is not allowed in the user's current status.")]
    WrongStatus,
    /// E0000047
    #[error("API call exceeded rate limit due to too many requests.")]
    RateLimited { retry_after_s: u64 },
    /// E0000056
    #[error("Delete application forbidden.")]
    AppDeleteForbidden,
    /// E0000124
    #[error(
        "Could not create user. To create a user and expire their password immediately, a password must be specified"
    )]
    NextLoginNeedsPassword,
    /// E0000125
    #[error("Could not create user. To create a user and expire their password immediately, `activate` must be true")]
    NextLoginNeedsActivate,
    /// E0000009
    #[error("Internal Server Error")]
    Internal,
    /// Any other code (chaos `error` rules).
    #[error("{summary}")]
    Other { status: u16, code: String, summary: String },
}

impl OktaError {
    pub fn not_found(id: impl Into<String>, kind: &'static str) -> Self {
        Self::NotFound { id: id.into(), kind }
    }

    pub fn validation(field: impl Into<String>, cause: impl Into<String>) -> Self {
        Self::Validation { field: field.into(), causes: vec![cause.into()] }
    }

    pub fn search(cause: impl Into<String>) -> Self {
        Self::InvalidSearch { cause: cause.into() }
    }

    pub fn code(&self) -> &str {
        match self {
            Self::Validation { .. } => "E0000001",
            Self::MalformedBody => "E0000003",
            Self::AuthenticationFailed => "E0000004",
            Self::InvalidSession => "E0000005",
            Self::Forbidden => "E0000006",
            Self::NotFound { .. } => "E0000007",
            Self::InvalidToken => "E0000011",
            Self::CredentialsFailed { .. } => "E0000014",
            Self::AlreadyActive => "E0000016",
            Self::MethodNotAllowed => "E0000022",
            Self::MissingParameter { .. } => "E0000028",
            Self::InvalidPaging => "E0000029",
            Self::InvalidSearch { .. } => "E0000031",
            Self::UnlockNotAllowed => "E0000032",
            Self::WrongStatus => "E0000038",
            Self::RateLimited { .. } => "E0000047",
            Self::AppDeleteForbidden => "E0000056",
            Self::NextLoginNeedsPassword => "E0000124",
            Self::NextLoginNeedsActivate => "E0000125",
            Self::Internal => "E0000009",
            Self::Other { code, .. } => code,
        }
    }

    pub fn status(&self) -> StatusCode {
        let code = match self {
            Self::Validation { .. }
            | Self::MalformedBody
            | Self::MissingParameter { .. }
            | Self::InvalidPaging
            | Self::InvalidSearch { .. }
            | Self::NextLoginNeedsPassword
            | Self::NextLoginNeedsActivate => 400,
            Self::AuthenticationFailed | Self::InvalidToken => 401,
            Self::InvalidSession
            | Self::Forbidden
            | Self::AlreadyActive
            | Self::CredentialsFailed { .. }
            | Self::UnlockNotAllowed
            | Self::WrongStatus
            | Self::AppDeleteForbidden => 403,
            Self::NotFound { .. } => 404,
            Self::MethodNotAllowed => 405,
            Self::RateLimited { .. } => 429,
            Self::Internal => 500,
            Self::Other { status, .. } => *status,
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn causes(&self) -> Vec<String> {
        match self {
            Self::Validation { causes, .. } => causes.clone(),
            Self::MissingParameter { name } => vec![format!("{name}: The field cannot be left blank")],
            Self::InvalidPaging => vec!["Invalid cursor.".into()],
            Self::InvalidSearch { cause } if !cause.is_empty() => vec![cause.clone()],
            Self::UnlockNotAllowed => vec!["The user is not locked out.".into()],
            Self::CredentialsFailed { cause } => vec![cause.clone()],
            Self::AppDeleteForbidden => vec!["The application must be deactivated before deletion.".into()],
            _ => vec![],
        }
    }

    /// The error for an injected fault of `status`, optionally naming the vendor code.
    pub fn for_status(status: u16, code: Option<&str>) -> Self {
        let known = |code: &str| -> Option<Self> {
            Some(match code {
                "E0000001" => Self::Validation { field: "request".into(), causes: vec![] },
                "E0000006" => Self::Forbidden,
                "E0000007" => Self::NotFound { id: "resource".into(), kind: "Resource" },
                "E0000011" => Self::InvalidToken,
                "E0000047" => Self::RateLimited { retry_after_s: 1 },
                "E0000009" => Self::Internal,
                _ => return None,
            })
        };
        if let Some(e) = code.and_then(known).filter(|e| e.status().as_u16() == status) {
            return e;
        }
        let (default_code, summary) = match status {
            400 => ("E0000001", "Api validation failed"),
            401 => ("E0000011", "Invalid token provided"),
            403 => ("E0000006", "You do not have permission to perform the requested action"),
            404 => ("E0000007", "Not found: Resource not found"),
            405 => ("E0000022", "The endpoint does not support the provided HTTP method"),
            // A request body that stalled (the server's own refusal, never an Okta 408).
            408 => ("E0000003", "The request body was not well-formed."),
            409 => ("E0000195", "Conflict"),
            413 => ("E0000001", "Api validation failed: request entity too large"),
            429 => ("E0000047", "API call exceeded rate limit due to too many requests."),
            503 => ("E0000010", "Service is in read only mode"),
            _ => ("E0000009", "Internal Server Error"),
        };
        let code = code.filter(|c| is_error_code(c)).unwrap_or(default_code);
        Self::Other { status, code: code.to_string(), summary: summary.to_string() }
    }
}

/// `E` and seven digits.
fn is_error_code(code: &str) -> bool {
    code.len() == 8 && code.starts_with('E') && code[1..].bytes().all(|b| b.is_ascii_digit())
}

static ERROR_IDS: AtomicU64 = AtomicU64::new(0);

/// `oae` plus 22 characters, as Okta's error ids look.
pub fn error_id() -> String {
    let n = ERROR_IDS.fetch_add(1, Ordering::Relaxed);
    let mut out = String::from("oae");
    out.push_str(&crate::ids::alnum_from(n ^ 0x0ae0_0ae0, 22));
    out
}

impl IntoResponse for OktaError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(code = self.code(), "okta answered {status}: {self}");
        } else {
            tracing::debug!(code = self.code(), "okta answered {status}: {self}");
        }
        let body = json!({
            "errorCode": self.code(),
            "errorSummary": self.to_string(),
            "errorLink": self.code(),
            "errorId": error_id(),
            "errorCauses": self.causes().into_iter().map(|c| json!({"errorSummary": c})).collect::<Vec<_>>(),
        });
        let mut response = (status, [(CONTENT_TYPE, JSON)], body.to_string()).into_response();
        if let Self::RateLimited { retry_after_s } = self {
            let headers = response.headers_mut();
            for (name, value) in rate_limit_headers(600, 0, retry_after_s) {
                headers.insert(name, value);
            }
            if let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string()) {
                headers.insert(RETRY_AFTER, v);
            }
        }
        response
    }
}

/// The OAuth 2.0 error dialect of the authorization servers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error}: {description}")]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        Self { status, error, description: description.into() }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(401, "invalid_client", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_grant", description)
    }

    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_scope", description)
    }

    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self::new(401, "invalid_token", description)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let body = json!({"error": self.error, "error_description": self.description});
        let mut response = (status, [(CONTENT_TYPE, JSON)], body.to_string()).into_response();
        if status == StatusCode::UNAUTHORIZED {
            let challenge = format!(
                "Bearer authorization_uri=\"\", realm=\"Okta\", error=\"{}\", error_description=\"{}\"",
                self.error,
                self.description.replace('"', "'")
            );
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert(WWW_AUTHENTICATE, v);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_the_vendor_table() {
        let table: Vec<(OktaError, &str, u16)> = vec![
            (OktaError::validation("login", "x"), "E0000001", 400),
            (OktaError::not_found("00u1", "User"), "E0000007", 404),
            (OktaError::InvalidToken, "E0000011", 401),
            (OktaError::InvalidSession, "E0000005", 403),
            (OktaError::AlreadyActive, "E0000016", 403),
            (OktaError::search("bad"), "E0000031", 400),
            (OktaError::UnlockNotAllowed, "E0000032", 403),
            (OktaError::WrongStatus, "E0000038", 403),
            (OktaError::RateLimited { retry_after_s: 1 }, "E0000047", 429),
            (OktaError::AppDeleteForbidden, "E0000056", 403),
        ];
        for (err, code, status) in table {
            assert_eq!(err.code(), code, "{err:?}");
            assert_eq!(err.status().as_u16(), status, "{err:?}");
        }
        assert_eq!(OktaError::not_found("00uX", "User").to_string(), "Not found: Resource not found: 00uX (User)");
    }

    #[test]
    fn injected_errors_keep_a_named_code_only_when_it_fits() {
        assert_eq!(OktaError::for_status(404, Some("E0000007")).code(), "E0000007");
        assert_eq!(OktaError::for_status(500, None).code(), "E0000009");
        assert_eq!(OktaError::for_status(408, None).code(), "E0000003");
        assert_eq!(OktaError::for_status(503, Some("not_a_code")).code(), "E0000010");
        assert_eq!(OktaError::for_status(418, Some("E0000099")).code(), "E0000099");
        assert_eq!(OktaError::for_status(418, Some("E0000099")).status().as_u16(), 418);
    }

    #[test]
    fn error_ids_look_like_oktas() {
        let a = error_id();
        assert!(a.starts_with("oae") && a.len() == 25, "{a}");
        assert_ne!(a, error_id());
    }
}
