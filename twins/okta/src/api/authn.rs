//! `/api/v1/authn`: the Classic Authentication API, primary authentication only.
//! A right password gives SUCCESS and a one-time `sessionToken` (redeemable at
//! `/authorize`); wrong ones count toward the password policy's lockout
//! (`lockout.maxAttempts` of the user's password policy, 10 by default), after
//! which the user is LOCKED_OUT; a password older than its `maxAgeDays` has expired.
//! PASSWORD_EXPIRED users get a state token and change their password through
//! `/api/v1/authn/credentials/change_password`.

use axum::response::Response;
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use twin_core::ids::IdGen;

use super::routes::{route, Cov, Route};
use super::Call;
use crate::errors::OktaError;
use crate::ids::alnum;
use crate::model::{Actor, Event, Lifecycle, OktaState, SessionToken, Target, User, UserStatus};
use crate::wire::{self, body_object, ts};

pub const ROUTES: &[Route] = &[
    route("POST", "/api/v1/authn", "okta.authn", Cov::Extra),
    route("POST", "/api/v1/authn/credentials/change_password", "okta.authn.change_password", Cov::Extra),
    route("POST", "/api/v1/authn/cancel", "okta.authn.cancel", Cov::Extra),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/authn", post(authn))
        .route("/api/v1/authn/credentials/change_password", post(change_password))
        .route("/api/v1/authn/cancel", post(cancel))
}

/// What a password check concluded.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Success(String),
    /// Right password, but it has expired (user id).
    Expired(String),
    /// The account is locked (user id).
    LockedOut(String),
    Failed,
}

/// The System Log actor of a sign-in by `username` (an unknown one when no user matched).
pub fn actor_for(user: Option<&User>, username: &str) -> Actor {
    match user {
        Some(u) => Actor {
            id: u.id.clone(),
            kind: "User".into(),
            alternate_id: u.login().into(),
            display_name: u.display_name(),
        },
        None => Actor {
            id: "unknown".into(),
            kind: "User".into(),
            alternate_id: username.into(),
            display_name: "unknown".into(),
        },
    }
}

/// Checks `username`/`password` the way primary authentication does, counting
/// failures and locking the account at the policy's limit. Shared by `/authn`
/// and the OAuth password grant.
pub fn check_password(
    s: &mut OktaState,
    ids: &mut IdGen,
    facts: &crate::model::RequestFacts,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Verdict {
    let Some(user) = s
        .find_user(username)
        .filter(|u| u.login().eq_ignore_ascii_case(username) || u.short_name().eq_ignore_ascii_case(username))
        .cloned()
    else {
        let mut e = Event::new("user.session.start", "User login to Okta", vec![]);
        e.outcome = "FAILURE";
        e.reason = Some("VERIFICATION_ERROR");
        s.log(ids, now, &actor_for(None, username), facts, e);
        return Verdict::Failed;
    };
    let actor = actor_for(Some(&user), username);
    if user.status == UserStatus::LockedOut {
        let mut e = Event::new("user.session.start", "User login to Okta", vec![]);
        e.outcome = "FAILURE";
        e.reason = Some("LOCKED_OUT");
        s.log(ids, now, &actor, facts, e);
        return Verdict::LockedOut(user.id);
    }
    let signs_in = matches!(user.status, UserStatus::Active | UserStatus::PasswordExpired);
    let right = user.password.as_deref().is_some_and(|p| !p.is_empty() && p == password);
    if signs_in && right {
        // A password older than the policy's maxAgeDays has expired (on the universe clock).
        let expired = user.status == UserStatus::PasswordExpired || crate::policy::password_expired(s, &user.id, now);
        if expired && user.status == UserStatus::Active {
            // ACTIVE → PASSWORD_EXPIRED holds for every user with a password.
            if let Err(e) = s.apply_lifecycle(&user.id, Lifecycle::ExpirePassword, now) {
                tracing::warn!(user = %user.id, "an aged password did not expire: {e}");
            }
        }
        if let Some(u) = s.users.get_mut(&user.id) {
            u.failed_logins = 0;
            if user.status == UserStatus::Active {
                u.last_login = Some(now);
            }
        }
        let e = Event::new("user.session.start", "User login to Okta", vec![]);
        s.log(ids, now, &actor, facts, e);
        return if expired { Verdict::Expired(user.id) } else { Verdict::Success(user.id) };
    }
    let mut e = Event::new("user.session.start", "User login to Okta", vec![]);
    e.outcome = "FAILURE";
    e.reason = Some("INVALID_CREDENTIALS");
    s.log(ids, now, &actor, facts, e);
    if signs_in && !right {
        let failed = user.failed_logins + 1;
        if let Some(u) = s.users.get_mut(&user.id) {
            u.failed_logins = failed;
        }
        let max_attempts = crate::policy::max_attempts(s, &user.id);
        if max_attempts > 0 && failed >= max_attempts && s.apply_lifecycle(&user.id, Lifecycle::Lock, now).is_ok() {
            let op = Lifecycle::Lock;
            let mut e = Event::new(op.event_type(), op.display_message(), vec![Target::user(&user)]);
            e.severity = "WARN";
            s.log(ids, now, &actor, facts, e);
        }
    }
    Verdict::Failed
}

/// Mints a one-time session token for a user.
pub fn new_session_token(s: &mut OktaState, ids: &mut IdGen, user_id: &str, now: DateTime<Utc>) -> String {
    let token = format!("20111{}", alnum(ids, 55));
    s.session_tokens
        .insert(token.clone(), SessionToken { user_id: user_id.to_string(), expires_at: now + Duration::minutes(5) });
    token
}

fn embedded_user(u: &User) -> Value {
    let p = |k: &str| u.profile.get(k).cloned().unwrap_or(Value::Null);
    // The user's own locale and time zone; an org's defaults where the profile has none.
    let or = |k: &str, default: &str| u.profile.get(k).filter(|v| !v.is_null()).cloned().unwrap_or(json!(default));
    json!({"user": {
        "id": u.id,
        "passwordChanged": u.password_changed.map(ts),
        "profile": {"login": p("login"), "firstName": p("firstName"), "lastName": p("lastName"),
                    "locale": or("locale", "en"), "timeZone": or("timezone", "America/Los_Angeles")}
    }})
}

fn success(s: &mut OktaState, ids: &mut IdGen, user_id: &str, now: DateTime<Utc>) -> Value {
    let token = new_session_token(s, ids, user_id, now);
    let user = s.users.get(user_id).map(embedded_user).unwrap_or(json!({}));
    json!({"expiresAt": ts(now + Duration::minutes(5)), "status": "SUCCESS", "sessionToken": token, "_embedded": user})
}

async fn authn(call: Call) -> Result<Response, OktaError> {
    let body = body_object(&call.body)?;
    let username = body.get("username").and_then(Value::as_str).unwrap_or("").trim().to_string();
    let password = body.get("password").and_then(Value::as_str).unwrap_or("").to_string();
    if username.is_empty() {
        return Err(OktaError::validation("username", "username: The field cannot be left blank"));
    }
    if password.is_empty() {
        return Err(OktaError::validation("password", "password: The field cannot be left blank"));
    }
    let now = call.now();
    let facts = call.facts();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        s.sweep(now);
        Ok(match check_password(s, ids, &facts, &username, &password, now) {
            Verdict::Success(uid) => Ok(success(s, ids, &uid, now)),
            Verdict::Expired(uid) => {
                let state_token = format!("00{}", alnum(ids, 40));
                s.session_tokens.insert(
                    format!("state:{state_token}"),
                    SessionToken { user_id: uid.clone(), expires_at: now + Duration::minutes(5) },
                );
                let mut embedded = s.users.get(&uid).map(embedded_user).unwrap_or(json!({}));
                // The rules the new password must meet, from the policy that governs the user.
                let rules = crate::policy::rules_for_user(s, &uid);
                embedded["policy"] = json!({
                    "complexity": {
                        "minLength": rules.min_length, "minLowerCase": rules.min_lower, "minUpperCase": rules.min_upper,
                        "minNumber": rules.min_number, "minSymbol": rules.min_symbol,
                        "excludeUsername": rules.exclude_username,
                    },
                    "age": {"minAgeMinutes": rules.min_age_minutes, "historyCount": rules.history_count},
                });
                Ok(json!({
                    "stateToken": state_token,
                    "expiresAt": ts(now + Duration::minutes(5)),
                    "status": "PASSWORD_EXPIRED",
                    "_embedded": embedded,
                    "_links": {
                        "next": {"name": "changePassword", "href": format!("{base}/api/v1/authn/credentials/change_password"),
                                 "hints": {"allow": ["POST"]}},
                        "cancel": {"href": format!("{base}/api/v1/authn/cancel"), "hints": {"allow": ["POST"]}}
                    }
                }))
            }
            Verdict::LockedOut(_) => Ok(json!({
                "status": "LOCKED_OUT",
                "_links": {"next": {"name": "unlock", "href": format!("{base}/api/v1/authn/recovery/unlock"), "hints": {"allow": ["POST"]}}}
            })),
            Verdict::Failed => Err(OktaError::AuthenticationFailed),
        })
    })?;
    // Failures are committed (they count toward the lockout) before the error goes out.
    Ok(wire::ok(&out?))
}

async fn change_password(call: Call) -> Result<Response, OktaError> {
    let body = body_object(&call.body)?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let (state_token, old, new) = (text("stateToken"), text("oldPassword"), text("newPassword"));
    let now = call.now();
    let facts = call.facts();
    let out = call.write(|s, ids| {
        let key = format!("state:{state_token}");
        let session =
            s.session_tokens.get(&key).filter(|t| t.expires_at > now).cloned().ok_or_else(invalid_state_token)?;
        let user = s.users.get(&session.user_id).cloned().ok_or(OktaError::AuthenticationFailed)?;
        if user.password.as_deref() != Some(old.as_str()) {
            return Err(OktaError::CredentialsFailed {
                cause: "oldPassword: The credentials provided were incorrect.".into(),
            });
        }
        crate::policy::check_new_password(s, &user.id, &new, crate::policy::PasswordChange::Change, now)?;
        s.apply_lifecycle(&user.id, Lifecycle::SetPassword, now)?;
        crate::policy::remember_password(s, &user.id, &old);
        if let Some(u) = s.users.get_mut(&user.id) {
            u.password = Some(new.clone());
            u.last_login = Some(now);
        }
        s.session_tokens.remove(&key);
        let actor = actor_for(Some(&user), user.login());
        s.log(
            ids,
            now,
            &actor,
            &facts,
            Event::new("user.account.update_password", "Update password for user", vec![Target::user(&user)]),
        );
        Ok(success(s, ids, &user.id, now))
    })?;
    Ok(wire::ok(&out))
}

/// Ends a transaction: its state token stops working. Okta answers an empty object.
async fn cancel(call: Call) -> Result<Response, OktaError> {
    let body = body_object(&call.body)?;
    let state_token = body.get("stateToken").and_then(Value::as_str).unwrap_or("").to_string();
    let now = call.now();
    call.write(|s, _| {
        let key = format!("state:{state_token}");
        if s.session_tokens.get(&key).is_none_or(|t| t.expires_at <= now) {
            return Err(invalid_state_token());
        }
        s.session_tokens.remove(&key);
        Ok(())
    })?;
    Ok(wire::ok(&json!({})))
}

fn invalid_state_token() -> OktaError {
    OktaError::Other { status: 403, code: "E0000011".into(), summary: "Invalid token provided".into() }
}
