//! Slack's error dialect: every API outcome is HTTP 200 with `{"ok":false,"error":"<code>"}`;
//! only injected faults use other statuses.

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use twin_core::Fault;

/// A Slack error code, with the extra fields a few of them carry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SlackError {
    #[error("not_authed")]
    NotAuthed,
    #[error("invalid_auth")]
    InvalidAuth,
    #[error("token_revoked")]
    TokenRevoked,
    #[error("not_allowed_token_type")]
    NotAllowedTokenType,
    #[error("missing_scope")]
    MissingScope { needed: String, provided: String },
    #[error("unknown_method")]
    UnknownMethod(String),
    /// A required argument is missing or malformed; the message says which.
    #[error("invalid_arguments")]
    InvalidArguments(String),
    #[error("invalid_json")]
    InvalidJson,
    #[error("json_not_object")]
    JsonNotObject,
    #[error("invalid_cursor")]
    InvalidCursor,
    #[error("channel_not_found")]
    ChannelNotFound,
    #[error("not_in_channel")]
    NotInChannel,
    #[error("is_archived")]
    IsArchived,
    #[error("message_not_found")]
    MessageNotFound,
    #[error("user_not_found")]
    UserNotFound,
    /// An error with extra top-level fields (`errors` of conversations.invite).
    #[error("{error}")]
    Detailed { error: &'static str, extra: Map<String, Value> },
    /// Any other documented error code.
    #[error("{0}")]
    Code(&'static str),
    /// An error the caller named (`api.test`'s `error`), with the arguments echoed.
    #[error("{error}")]
    Echo { error: String, args: Value },
    #[error("internal_error")]
    Internal,
}

impl SlackError {
    /// The `error` field.
    pub fn code(&self) -> String {
        self.to_string()
    }

    /// The whole `{"ok":false,…}` body.
    pub fn body(&self) -> Value {
        let mut body = json!({"ok": false, "error": self.code()});
        match self {
            SlackError::MissingScope { needed, provided } => {
                body["needed"] = json!(needed);
                body["provided"] = json!(provided);
            }
            SlackError::UnknownMethod(method) => body["req_method"] = json!(method),
            SlackError::InvalidArguments(message) => {
                body["response_metadata"] = json!({"messages": [format!("[ERROR] {message}")]});
            }
            SlackError::Echo { args, .. } => body["args"] = args.clone(),
            SlackError::Detailed { extra, .. } => {
                if let Value::Object(map) = &mut body {
                    for (k, v) in extra {
                        map.insert(k.clone(), v.clone());
                    }
                }
            }
            _ => {}
        }
        body
    }

    pub fn missing(field: &str) -> Self {
        SlackError::InvalidArguments(format!("missing required field: {field}"))
    }

    pub fn invalid(field: &str) -> Self {
        SlackError::InvalidArguments(format!("invalid value for field: {field}"))
    }
}

/// A JSON response with the given status.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    json_text_response(status, body.to_string())
}

/// A JSON body already rendered.
pub fn json_text_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}

impl IntoResponse for SlackError {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, &self.body())
    }
}

/// An injected fault as Slack shows it.
pub fn render_fault(fault: &Fault) -> Response {
    match fault {
        Fault::RateLimited { retry_after_s, .. } => {
            let mut response =
                json_response(StatusCode::TOO_MANY_REQUESTS, &json!({"ok": false, "error": "ratelimited"}));
            if let Ok(value) = HeaderValue::from_str(&retry_after_s.to_string()) {
                response.headers_mut().insert(RETRY_AFTER, value);
            }
            response
        }
        Fault::Error { status, error } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            // The core names no error for the requests it refuses itself: a body cut
            // short, malformed or stalled is Slack's `request_timeout` ("the POST data
            // was either missing or truncated"); one over the size cap `request_too_large`.
            let unnamed = match status.as_u16() {
                400 | 408 => "request_timeout",
                413 => "request_too_large",
                _ => "internal_error",
            };
            let error = error.clone().unwrap_or_else(|| unnamed.to_string());
            json_response(status, &json!({"ok": false, "error": error}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_their_extra_fields() {
        let e = SlackError::MissingScope { needed: "chat:write".into(), provided: "users:read".into() };
        assert_eq!(
            e.body(),
            json!({"ok": false, "error": "missing_scope", "needed": "chat:write", "provided": "users:read"})
        );
        assert_eq!(SlackError::UnknownMethod("x.y".into()).body()["req_method"], "x.y");
        assert_eq!(
            SlackError::missing("channel").body()["response_metadata"]["messages"][0],
            "[ERROR] missing required field: channel"
        );
        assert_eq!(SlackError::Code("no_text").body(), json!({"ok": false, "error": "no_text"}));
    }

    #[test]
    fn faults_render_as_slack_does() {
        let r = render_fault(&Fault::RateLimited { retry_after_s: 3, class: String::new() });
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[RETRY_AFTER], "3");
        let r = render_fault(&Fault::Error { status: 503, error: None });
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
