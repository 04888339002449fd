//! `/api/v1/sessions`: a session made from the one-time `sessionToken` that primary
//! authentication (`/api/v1/authn`) hands out, read, refreshed and revoked by id. A
//! session lasts two hours from its creation or last refresh (the default global
//! session policy's lifetime); an expired or revoked one is not found.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::routes::{route, Cov, Route};
use super::Call;
use crate::errors::OktaError;
use crate::ids::alnum;
use crate::model::{Event, OktaState, Session, Target, UserStatus};
use crate::wire::{self, body_object, ts};

/// How long a session lives without a refresh.
pub const LIFETIME_MINUTES: i64 = 120;

pub const ROUTES: &[Route] = &[
    route("POST", "/api/v1/sessions", "okta.sessions.create", Cov::Implemented),
    route("GET", "/api/v1/sessions/{sessionId}", "okta.sessions.get", Cov::Implemented),
    route("DELETE", "/api/v1/sessions/{sessionId}", "okta.sessions.revoke", Cov::Implemented),
    route("POST", "/api/v1/sessions/{sessionId}/lifecycle/refresh", "okta.sessions.refresh", Cov::Implemented),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/sessions", post(create))
        .route("/api/v1/sessions/{sessionId}", get(get_session).delete(revoke))
        .route("/api/v1/sessions/{sessionId}/lifecycle/refresh", post(refresh))
}

fn render(base: &str, org_id: &str, s: &Session) -> Value {
    let href = format!("{base}/api/v1/sessions/{}", s.id);
    json!({
        "id": s.id,
        "userId": s.user_id,
        "login": s.login,
        "createdAt": ts(s.created_at),
        "expiresAt": ts(s.expires_at),
        "status": "ACTIVE",
        "lastPasswordVerification": ts(s.last_password_verification),
        // No factor was verified: the key is left out (the vendor schema has it as a
        // string, never null).
        "amr": ["pwd"],
        "idp": {"id": org_id, "type": "OKTA"},
        "mfaActive": false,
        "_links": {
            "self": {"href": href, "hints": {"allow": ["GET", "DELETE"]}},
            "refresh": {"href": format!("{href}/lifecycle/refresh"), "hints": {"allow": ["POST"]}},
            "user": {"name": s.login, "href": format!("{base}/api/v1/users/{}", s.user_id), "hints": {"allow": ["GET"]}},
        },
    })
}

/// A live session by id: an unknown, revoked or expired one is not found.
fn live<'a>(s: &'a OktaState, id: &str, now: DateTime<Utc>) -> Result<&'a Session, OktaError> {
    s.sessions.get(id).filter(|x| x.expires_at > now).ok_or_else(|| OktaError::not_found(id, "Session"))
}

async fn create(call: Call) -> Result<Response, OktaError> {
    call.caller()?;
    let body = body_object(&call.body)?;
    let token = match body.get("sessionToken") {
        Some(Value::String(t)) if !t.is_empty() => t.clone(),
        // A scalar reads as its text (and is no session token); a list or an object
        // does not fit the request at all.
        Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
        Some(Value::Array(_) | Value::Object(_)) => return Err(OktaError::MalformedBody),
        _ => return Err(OktaError::validation("sessionToken", "sessionToken: The field cannot be left blank")),
    };
    let now = call.now();
    let base = call.base().to_string();
    let facts = call.facts();
    let session = call.write(|s, ids| {
        // The token is spent whether or not it was still good.
        let redeemed = s.session_tokens.remove(&token).filter(|t| t.expires_at > now);
        let user = redeemed
            .and_then(|t| s.users.get(&t.user_id).cloned())
            .filter(|u| u.status == UserStatus::Active)
            .ok_or(OktaError::AuthenticationFailed)?;
        let session = Session {
            id: format!("102{}", alnum(ids, 22)),
            user_id: user.id.clone(),
            login: user.login().to_string(),
            created_at: now,
            expires_at: now + Duration::minutes(LIFETIME_MINUTES),
            last_password_verification: now,
        };
        s.sessions.insert(session.id.clone(), session.clone());
        let actor = super::authn::actor_for(Some(&user), user.login());
        let e = Event::new("user.session.start", "User login to Okta", vec![Target::user(&user)]);
        s.log(ids, now, &actor, &facts, e);
        Ok(render(&base, &s.org_id, &session))
    })?;
    Ok(wire::ok(&session))
}

async fn get_session(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    call.caller()?.require_scope("okta.sessions.read")?;
    let now = call.now();
    let base = call.base().to_string();
    let v = call.read(|s| live(s, &id, now).map(|x| render(&base, &s.org_id, x)))??;
    Ok(wire::ok(&v))
}

async fn refresh(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    call.caller()?.require_scope("okta.sessions.manage")?;
    let now = call.now();
    let base = call.base().to_string();
    let v = call.write(|s, _| {
        let mut session = live(s, &id, now)?.clone();
        session.expires_at = now + Duration::minutes(LIFETIME_MINUTES);
        s.sessions.insert(session.id.clone(), session.clone());
        Ok(render(&base, &s.org_id, &session))
    })?;
    Ok(wire::ok(&v))
}

async fn revoke(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.sessions.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let session = live(s, &id, now)?.clone();
        s.sessions.remove(&session.id);
        if let Some(user) = s.users.get(&session.user_id).cloned() {
            caller.log(s, ids, now, Event::new("user.session.end", "User logout from Okta", vec![Target::user(&user)]));
        }
        Ok(())
    })?;
    Ok(wire::no_content())
}
