//! The Okta twin's own control endpoints (`/_dtu/universes/{u}/okta/…`): minting an
//! API token for another admin, as an admin would in the Admin Console (Security →
//! API → Tokens), so tests can act with that admin's roles.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;
use twin_core::control::{json_body, ControlBody};
use twin_core::{ControlCtx, ControlError, Principal};

use crate::admin::ApiTokenRecord;
use crate::ids::okta_id;
use crate::model::{OktaState, UserStatus};
use crate::seed::API_TOKEN_PREFIX;

/// API tokens an org may hold (Okta's own limit per org is 100).
pub const MAX_API_TOKENS: usize = 100;

pub fn router() -> Router {
    Router::new()
        .route("/api-tokens", post(mint_api_token))
        .fallback(|| async { ControlError::NotFound("no such Okta control endpoint".into()) })
        .method_not_allowed_fallback(|| async { ControlError::MethodNotAllowed })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MintRequest {
    /// The user the token acts as: id, login or login short name.
    user: String,
    #[serde(default)]
    name: Option<String>,
}

/// `POST /api-tokens {"user", "name"?}` → `{"token", "id", "userId", "name"}`.
async fn mint_api_token(
    ext: Option<Extension<ControlCtx>>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response, ControlError> {
    let ctx = ext
        .map(|Extension(c)| c)
        .ok_or_else(|| ControlError::NotFound("the Okta control endpoints need a universe".into()))?;
    let req: MintRequest = json_body(&headers, &body)?;
    let now = ctx.universe.now();
    let user_id = ctx
        .universe
        .read::<OktaState, _>(|s| -> Result<String, ControlError> {
            let u = s
                .find_user(&req.user)
                .ok_or_else(|| ControlError::BadRequest(format!("no Okta user '{}'", req.user)))?;
            if matches!(u.status, UserStatus::Deprovisioned | UserStatus::Suspended) {
                return Err(ControlError::BadRequest(format!("user '{}' is not active", req.user)));
            }
            if s.api_tokens.len() >= MAX_API_TOKENS {
                return Err(ControlError::BadRequest(format!("an org holds at most {MAX_API_TOKENS} API tokens")));
            }
            Ok(u.id.clone())
        })
        .map_err(|e| ControlError::BadRequest(e.to_string()))??;
    let principal = Principal { service: "okta".into(), kind: "api_token".into(), subject: user_id.clone() };
    let token = ctx.core.mint_credential(&ctx.universe, API_TOKEN_PREFIX, principal);
    let name = req.name.unwrap_or_else(|| "dtu".into());
    let record = ctx
        .universe
        .write::<OktaState, _>(|s, ids| {
            let record = ApiTokenRecord {
                id: okta_id(ids, "00T"),
                name: name.clone(),
                user_id: user_id.clone(),
                client_name: "Okta API".into(),
                created: now,
                token: token.clone(),
            };
            s.api_tokens.insert(record.id.clone(), record.clone());
            record
        })
        .map_err(|e| ControlError::BadRequest(e.to_string()))?;
    let out = json!({"token": token, "id": record.id, "userId": record.user_id, "name": record.name});
    Ok((StatusCode::CREATED, Json(out)).into_response())
}
