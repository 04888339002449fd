//! Google sign-in: the OAuth 2.0 token endpoint (a service account's JWT-bearer
//! assertion, with `sub` acting as any person of the domain; a refresh token of the
//! domain's OAuth client), `tokeninfo` and `userinfo`. Tokens are minted at run
//! time in the universe, so they route to it and die with it.

use axum::response::Response;
use chrono::Duration;
use serde_json::{json, Value};
use twin_core::Principal;

use super::{ok, Call};
use crate::errors::{json_response, GoogleError, Result};
use crate::keys;
use crate::model::{AccessGrant, GoogleState};

pub const TOKEN_PREFIX: &str = "ya29.";
pub const LIFETIME_S: i64 = 3599;
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

fn form(call: &Call) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(&call.body).into_owned().collect();
    if call.content_type().starts_with("application/json") {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&call.body) {
            pairs = map.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))).collect();
        }
    }
    pairs
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Mints an access token for `user` and records its grant.
fn mint(call: &Call, user: &str, client_id: &str, scopes: Vec<String>) -> Result<Value> {
    let principal = Principal { service: "google".into(), kind: "access_token".into(), subject: user.to_string() };
    let token = call.ctx.core.mint_credential(&call.ctx.universe, TOKEN_PREFIX, principal);
    let expires_at = call.now() + Duration::seconds(LIFETIME_S);
    let scope = scopes.join(" ");
    let grant = AccessGrant {
        token: token.clone(),
        user: user.to_string(),
        client_id: client_id.to_string(),
        scopes,
        expires_at,
    };
    call.write(|s, _| {
        s.grants.insert(token.clone(), grant);
        Ok(())
    })?;
    Ok(json!({"access_token": token, "expires_in": LIFETIME_S, "token_type": "Bearer", "scope": scope}))
}

pub fn token(call: &Call) -> Result<Response> {
    let pairs = form(call);
    let grant_type = get(&pairs, "grant_type").unwrap_or("");
    let result = match grant_type {
        JWT_BEARER => jwt_bearer(call, &pairs),
        "refresh_token" => refresh(call, &pairs),
        "" => Err(GoogleError::oauth("invalid_request", "Missing required parameter: grant_type")),
        _ => Err(GoogleError::oauth("unsupported_grant_type", format!("Invalid grant_type: {grant_type}"))),
    };
    match result {
        Ok(body) => Ok(ok(&body)),
        Err(e) => Ok(json_response(e.status(), &e.body())),
    }
}

fn jwt_bearer(call: &Call, pairs: &[(String, String)]) -> Result<Value> {
    let assertion = get(pairs, "assertion")
        .ok_or_else(|| GoogleError::oauth("invalid_request", "Missing required parameter: assertion"))?;
    let claims = keys::verify_assertion(assertion).map_err(|e| GoogleError::oauth("invalid_grant", e.to_string()))?;
    let (sa, domain_users) = call.read(|s| {
        (s.service_account.clone(), s.users.values().map(|u| (u.email.clone(), u.active)).collect::<Vec<_>>())
    })?;
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    if !iss.eq_ignore_ascii_case(&sa.email) {
        return Err(GoogleError::oauth("invalid_grant", "Invalid JWT Signature."));
    }
    let scopes: Vec<String> =
        claims.get("scope").and_then(Value::as_str).unwrap_or("").split_whitespace().map(str::to_string).collect();
    if scopes.is_empty() {
        return Err(GoogleError::oauth("invalid_scope", "Invalid OAuth scope or ID token audience provided."));
    }
    let user = match claims.get("sub").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        None => sa.email.clone(),
        Some(sub) => {
            let sub = sub.to_ascii_lowercase();
            match domain_users.iter().find(|(e, _)| *e == sub) {
                Some((e, true)) => e.clone(),
                _ => return Err(GoogleError::oauth("invalid_grant", "Invalid email or User ID")),
            }
        }
    };
    mint(call, &user, &sa.client_id, scopes)
}

fn refresh(call: &Call, pairs: &[(String, String)]) -> Result<Value> {
    let token = get(pairs, "refresh_token")
        .ok_or_else(|| GoogleError::oauth("invalid_request", "Missing required parameter: refresh_token"))?;
    let client_id = get(pairs, "client_id").unwrap_or("");
    let secret = get(pairs, "client_secret").unwrap_or("");
    let (client, record, active) = call.read(|s| {
        let record = s.refresh_tokens.get(token).cloned();
        let active = record.as_ref().and_then(|r| s.user(&r.user)).is_some_and(|u| u.active);
        (s.client.clone(), record, active)
    })?;
    if client_id != client.client_id || secret != client.client_secret {
        return Err(GoogleError::OAuth {
            status: 401,
            error: "invalid_client",
            description: "The OAuth client was not found.".into(),
        });
    }
    let record = record.filter(|r| r.client_id == client_id && active);
    let record = record.ok_or_else(|| GoogleError::oauth("invalid_grant", "Token has been expired or revoked."))?;
    let mut scopes = record.scopes.clone();
    if let Some(asked) = get(pairs, "scope") {
        let asked: Vec<String> = asked.split_whitespace().map(str::to_string).collect();
        if asked.iter().any(|a| !record.scopes.contains(a)) {
            return Err(GoogleError::oauth(
                "invalid_scope",
                "The requested scope exceeds the scope granted by the resource owner.",
            ));
        }
        scopes = asked;
    }
    mint(call, &record.user, &record.client_id, scopes)
}

fn grant_of(call: &Call) -> Option<(AccessGrant, crate::model::User)> {
    let principal = call.ctx.principal.as_ref().filter(|p| p.service == "google")?;
    let token = call.ctx.credential.clone()?;
    call.read(|s: &GoogleState| {
        let user = s.user(&principal.subject)?.clone();
        let grant = s.grants.get(&token).cloned().unwrap_or(AccessGrant {
            token: token.clone(),
            user: user.email.clone(),
            client_id: s.client.client_id.clone(),
            scopes: vec!["https://www.googleapis.com/auth/drive".into()],
            expires_at: call.now() + Duration::seconds(LIFETIME_S),
        });
        Some((grant, user))
    })
    .ok()
    .flatten()
}

pub fn tokeninfo(call: &Call) -> Result<Response> {
    let Some((grant, user)) = grant_of(call) else {
        return Ok(json_response(400, &json!({"error": "invalid_token", "error_description": "Invalid Value"})));
    };
    let left = (grant.expires_at - call.now()).num_seconds().max(0);
    Ok(ok(&json!({
        "azp": grant.client_id,
        "aud": grant.client_id,
        "sub": user.sub,
        "scope": grant.scopes.join(" "),
        "exp": grant.expires_at.timestamp().to_string(),
        "expires_in": left.to_string(),
        "email": user.email,
        "email_verified": "true",
        "access_type": "online",
    })))
}

pub fn userinfo(call: &Call) -> Result<Response> {
    let Some((_, user)) = grant_of(call) else { return Err(GoogleError::unauthenticated()) };
    Ok(ok(&json!({
        "sub": user.sub,
        "name": user.display_name(),
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        "email_verified": true,
        "hd": GoogleState::domain_of(&user.email),
    })))
}
