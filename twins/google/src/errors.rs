//! Google's error dialects. Drive answers the "apiary" envelope
//! `{"error": {"code", "message", "errors": [{"domain", "reason", "message",
//! "location", "locationType"}]}}` (no `status`, but front-end auth errors add
//! one); the token endpoint answers OAuth 2.0's `{"error", "error_description"}`.
//! `message` and `errors[0].message` are always the same text, as Google sends them:
//! the Python client reads the first, gaxios the second.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GoogleError {
    /// An API error in the apiary envelope.
    #[error("{status} {reason}: {message}")]
    Api {
        status: u16,
        domain: &'static str,
        reason: &'static str,
        message: String,
        location: Option<String>,
        location_type: Option<&'static str>,
        /// The canonical `status` (`UNAUTHENTICATED`), which only front-end errors carry.
        canonical: Option<&'static str>,
    },
    /// An OAuth 2.0 token endpoint error.
    #[error("{status} {error}: {description}")]
    OAuth { status: u16, error: &'static str, description: String },
}

pub type Result<T, E = GoogleError> = std::result::Result<T, E>;

impl GoogleError {
    fn api(status: u16, reason: &'static str, message: impl Into<String>) -> Self {
        GoogleError::Api {
            status,
            domain: "global",
            reason,
            message: message.into(),
            location: None,
            location_type: None,
            canonical: None,
        }
    }

    /// Sets `location` and `locationType: parameter`.
    pub fn at(mut self, param: &str) -> Self {
        if let GoogleError::Api { location, location_type, .. } = &mut self {
            *location = Some(param.to_string());
            *location_type = Some("parameter");
        }
        self
    }

    pub fn status(&self) -> u16 {
        match self {
            GoogleError::Api { status, .. } | GoogleError::OAuth { status, .. } => *status,
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            GoogleError::Api { reason, .. } => reason,
            GoogleError::OAuth { error, .. } => error,
        }
    }

    /// 401: no credential, or one this universe never minted (the clients then refresh).
    pub fn unauthenticated() -> Self {
        GoogleError::Api {
            status: 401,
            domain: "global",
            reason: "authError",
            message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.".into(),
            location: Some("Authorization".into()),
            location_type: Some("header"),
            canonical: Some("UNAUTHENTICATED"),
        }
    }

    /// 404 as Drive answers both a missing file and one the caller cannot see.
    pub fn file_not_found(id: &str) -> Self {
        Self::api(404, "notFound", format!("File not found: {id}.")).at("fileId")
    }

    pub fn not_found(kind: &str, id: &str, param: &str) -> Self {
        Self::api(404, "notFound", format!("{kind} not found: {id}.")).at(param)
    }

    pub fn drive_not_found(id: &str) -> Self {
        Self::api(404, "notFound", format!("Shared drive not found: {id}")).at("driveId")
    }

    /// 403: the caller sees the file but may not do this to it.
    pub fn insufficient(id: &str) -> Self {
        Self::api(
            403,
            "insufficientFilePermissions",
            format!("The user does not have sufficient permissions for file {id}."),
        )
    }

    pub fn forbidden(reason: &'static str, message: impl Into<String>) -> Self {
        Self::api(403, reason, message)
    }

    /// 400 `invalid` "Invalid Value" on a parameter (a bad `q`, `pageToken`, `orderBy`).
    pub fn invalid_value(param: &str) -> Self {
        Self::api(400, "invalid", "Invalid Value").at(param)
    }

    pub fn invalid(message: impl Into<String>, param: &str) -> Self {
        Self::api(400, "invalid", message).at(param)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::api(400, "badRequest", message)
    }

    pub fn invalid_fields(selection: &str) -> Self {
        Self::api(400, "invalidParameter", format!("Invalid field selection {selection}")).at("fields")
    }

    pub fn fields_required() -> Self {
        Self::api(400, "required", "The 'fields' parameter is required for this method.").at("fields")
    }

    pub fn required(param: &str) -> Self {
        Self::api(400, "required", format!("Required parameter: {param}")).at(param)
    }

    pub fn parse_error(message: impl Into<String>) -> Self {
        Self::api(400, "parseError", message)
    }

    pub fn storage_quota() -> Self {
        Self::api(403, "storageQuotaExceeded", "The user's Drive storage quota has been exceeded.")
    }

    pub fn not_implemented(what: &str) -> Self {
        Self::api(501, "notImplemented", format!("{what} is not implemented by this twin."))
    }

    pub fn method_not_found(path: &str) -> Self {
        Self::api(404, "notFound", format!("Method not found: {path}"))
    }

    pub fn internal() -> Self {
        Self::api(500, "internalError", "Internal Error")
    }

    /// The chaos dialect: rate limits as Drive sends them (403 `userRateLimitExceeded`
    /// in `usageLimits`, or 429 `rateLimitExceeded`) and 5xx backend errors.
    pub fn for_status(status: u16, name: Option<&str>) -> Self {
        let (status, domain, reason, message): (u16, &'static str, &'static str, &str) = match (status, name) {
            (403, Some("rateLimitExceeded")) => (403, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
            (403, Some("sharingRateLimitExceeded")) => (
                403,
                "global",
                "sharingRateLimitExceeded",
                "Rate limit exceeded. User message: \"Sorry, you have exceeded your sharing quota.\"",
            ),
            (403, Some("dailyLimitExceeded")) => (403, "usageLimits", "dailyLimitExceeded", "Daily Limit Exceeded"),
            (403, Some("storageQuotaExceeded")) => return Self::storage_quota(),
            (403, _) => (403, "usageLimits", "userRateLimitExceeded", "User Rate Limit Exceeded"),
            (429, _) => (429, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
            (401, _) => return Self::unauthenticated(),
            (404, _) => (404, "global", "notFound", "Not Found"),
            (400, _) => (400, "global", "badRequest", "Bad Request"),
            (413, _) => (413, "global", "uploadTooLarge", "The request is too large."),
            (503, _) => (503, "global", "backendError", "Backend Error"),
            (s, _) if s >= 500 => (s, "global", "backendError", "Backend Error"),
            (s, _) => (s, "global", "badRequest", "Bad Request"),
        };
        GoogleError::Api {
            status,
            domain,
            reason,
            message: message.to_string(),
            location: None,
            location_type: None,
            canonical: None,
        }
    }

    pub fn oauth(error: &'static str, description: impl Into<String>) -> Self {
        GoogleError::OAuth { status: 400, error, description: description.into() }
    }

    pub fn body(&self) -> Value {
        match self {
            GoogleError::Api { status, domain, reason, message, location, location_type, canonical } => {
                let mut item = json!({"message": message, "domain": domain, "reason": reason});
                if let Some(l) = location {
                    item["location"] = json!(l);
                }
                if let Some(t) = location_type {
                    item["locationType"] = json!(t);
                }
                let mut error = json!({"code": status, "message": message, "errors": [item]});
                if let Some(c) = canonical {
                    error["status"] = json!(c);
                }
                json!({ "error": error })
            }
            GoogleError::OAuth { error, description, .. } => json!({"error": error, "error_description": description}),
        }
    }
}

pub fn json_response(status: u16, body: &Value) -> Response {
    json_bytes_response(status, twin_core::wire::json_body(body))
}

/// A JSON answer from bytes already serialized.
pub fn json_bytes_response(status: u16, body: impl Into<bytes::Bytes>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body.into()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=UTF-8"));
    response
}

impl IntoResponse for GoogleError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.status(), &self.body());
        if self.status() == 401 {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"https://accounts.google.com/\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_is_repeated_in_errors() {
        let body = GoogleError::file_not_found("abc").body();
        assert_eq!(body["error"]["code"], 404);
        assert_eq!(body["error"]["message"], "File not found: abc.");
        assert_eq!(body["error"]["errors"][0]["message"], "File not found: abc.");
        assert_eq!(body["error"]["errors"][0]["reason"], "notFound");
        assert_eq!(body["error"]["errors"][0]["location"], "fileId");
        assert_eq!(body["error"]["errors"][0]["locationType"], "parameter");
        assert!(body["error"].get("status").is_none());
        assert_eq!(GoogleError::unauthenticated().body()["error"]["status"], "UNAUTHENTICATED");
    }

    #[test]
    fn rate_limits_are_retryable_reasons() {
        assert_eq!(GoogleError::for_status(403, None).reason(), "userRateLimitExceeded");
        assert_eq!(GoogleError::for_status(429, None).reason(), "rateLimitExceeded");
        assert_eq!(GoogleError::for_status(503, None).status(), 503);
    }
}
