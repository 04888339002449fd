//! `/api/v1/authn`: the Classic Authentication API. A right password gives SUCCESS
//! and a one-time `sessionToken` (redeemable at `/authorize`); wrong ones count toward
//! the password policy's lockout (`lockout.maxAttempts` of the user's password policy,
//! 10 by default), after which the user is LOCKED_OUT; a password older than its
//! `maxAgeDays` has expired. PASSWORD_EXPIRED users get a state token and change their
//! password through `/api/v1/authn/credentials/change_password`. When the user's
//! OKTA_SIGN_ON rule requires a factor and the user has active ones, the transaction
//! stops at MFA_REQUIRED and goes on through `/api/v1/authn/factors/{id}/verify`
//! (MFA_CHALLENGE for codes sent by message). A user who lacks a factor the MFA_ENROLL
//! policy requires (or any factor, when the sign-on rule requires one) stops at
//! MFA_ENROLL, enrols through `/api/v1/authn/factors` (MFA_ENROLL_ACTIVATE) and
//! activates with a code. Every state links its next steps (`_links`), as Okta's does.

use axum::extract::Path;
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
use crate::model::{Actor, Event, Factor, Lifecycle, OktaState, SessionToken, Target, User, UserStatus};
use crate::policy::Enrollable;
use crate::wire::{self, body_object, ts};

pub const ROUTES: &[Route] = &[
    route("POST", "/api/v1/authn", "okta.authn", Cov::Extra),
    route("POST", "/api/v1/authn/credentials/change_password", "okta.authn.change_password", Cov::Extra),
    route("POST", "/api/v1/authn/cancel", "okta.authn.cancel", Cov::Extra),
    route("POST", "/api/v1/authn/previous", "okta.authn.previous", Cov::Extra),
    route("POST", "/api/v1/authn/factors/{factorId}/verify", "okta.authn.verify_factor", Cov::Extra),
    route("POST", "/api/v1/authn/factors/{factorId}/verify/resend", "okta.authn.resend_factor", Cov::Extra),
    route("POST", "/api/v1/authn/factors", "okta.authn.enroll_factor", Cov::Extra),
    route("POST", "/api/v1/authn/factors/{factorId}/lifecycle/activate", "okta.authn.activate_factor", Cov::Extra),
    route("POST", "/api/v1/authn/factors/{factorId}/lifecycle/resend", "okta.authn.resend_activation", Cov::Extra),
    route("POST", "/api/v1/authn/skip", "okta.authn.skip", Cov::Extra),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/authn", post(authn))
        .route("/api/v1/authn/credentials/change_password", post(change_password))
        .route("/api/v1/authn/cancel", post(cancel))
        .route("/api/v1/authn/previous", post(previous))
        .route("/api/v1/authn/factors/{factorId}/verify", post(verify_factor))
        .route("/api/v1/authn/factors/{factorId}/verify/resend", post(resend_factor))
        .route("/api/v1/authn/factors", post(enroll_factor))
        .route("/api/v1/authn/factors/{factorId}/lifecycle/activate", post(activate_factor))
        .route("/api/v1/authn/factors/{factorId}/lifecycle/resend", post(resend_activation))
        .route("/api/v1/authn/skip", post(skip))
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
        if let Some(mut u) = s.users.get_mut(&user.id) {
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
        if let Some(mut u) = s.users.get_mut(&user.id) {
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

pub(super) fn embedded_user(u: &User) -> Value {
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

/// The rules a new password must meet, from the policy that governs the user, as a
/// transaction that asks for one embeds them.
pub(super) fn password_policy(s: &OktaState, uid: &str) -> Value {
    let rules = crate::policy::rules_for_user(s, uid);
    json!({
        "complexity": {
            "minLength": rules.min_length, "minLowerCase": rules.min_lower, "minUpperCase": rules.min_upper,
            "minNumber": rules.min_number, "minSymbol": rules.min_symbol,
            "excludeUsername": rules.exclude_username,
        },
        "age": {"minAgeMinutes": rules.min_age_minutes, "historyCount": rules.history_count},
    })
}

pub(super) fn success(s: &mut OktaState, ids: &mut IdGen, user_id: &str, now: DateTime<Utc>) -> Value {
    let token = new_session_token(s, ids, user_id, now);
    let user = s.users.get(user_id).map(|u| embedded_user(u)).unwrap_or(json!({}));
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
            Verdict::Success(uid) => {
                // A factor the enrollment policy requires and the user lacks, or a
                // sign-on rule that requires a factor of a user without any, stops at
                // MFA_ENROLL; a sign-on rule that requires a factor stops at
                // MFA_REQUIRED for a user with active factors.
                if must_enroll(s, &uid) {
                    let state_token = format!("00{}", alnum(ids, 40));
                    s.session_tokens.insert(
                        format!("{ENROLL}{state_token}"),
                        SessionToken { user_id: uid.clone(), expires_at: now + Duration::minutes(5) },
                    );
                    Ok(mfa_enroll(s, &uid, &state_token, &base, now + Duration::minutes(5)))
                } else if crate::policy::sign_on_requires_factor(s, &uid) && !active_factors(s, &uid).is_empty() {
                    let state_token = format!("00{}", alnum(ids, 40));
                    s.session_tokens.insert(
                        format!("{MFA}{state_token}"),
                        SessionToken { user_id: uid.clone(), expires_at: now + Duration::minutes(5) },
                    );
                    Ok(mfa_required(s, &uid, &state_token, &base, now + Duration::minutes(5)))
                } else {
                    Ok(success(s, ids, &uid, now))
                }
            }
            Verdict::Expired(uid) => {
                let state_token = format!("00{}", alnum(ids, 40));
                s.session_tokens.insert(
                    format!("state:{state_token}"),
                    SessionToken { user_id: uid.clone(), expires_at: now + Duration::minutes(5) },
                );
                let mut embedded = s.users.get(&uid).map(|u| embedded_user(u)).unwrap_or(json!({}));
                embedded["policy"] = password_policy(s, &uid);
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
            // As okta-auth-js records it: no user, `next` to unlock, `cancel`.
            Verdict::LockedOut(_) => Ok(json!({
                "status": "LOCKED_OUT",
                "_embedded": {},
                "_links": {
                    "next": {"name": "unlock", "href": format!("{base}/api/v1/authn/recovery/unlock"), "hints": {"allow": ["POST"]}},
                    "cancel": post_link(format!("{base}/api/v1/authn/cancel")),
                }
            })),
            Verdict::Failed => Err(OktaError::AuthenticationFailed),
        })
    })?;
    // Failures are committed (they count toward the lockout) before the error goes out.
    let mut out = out?;
    // The caller's relayState comes back with the transaction, as Okta echoes it.
    if let (Some(relay), Some(o)) = (body.get("relayState").and_then(Value::as_str), out.as_object_mut()) {
        o.insert("relayState".into(), json!(relay));
    }
    Ok(wire::ok(&out))
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
        if let Some(mut u) = s.users.get_mut(&user.id) {
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
        let live = [format!("state:{state_token}"), format!("{MFA}{state_token}"), format!("{ENROLL}{state_token}")]
            .into_iter()
            .chain(super::recovery::state_keys(&state_token))
            .find(|k| s.session_tokens.get(k).is_some_and(|t| t.expires_at > now))
            .ok_or_else(invalid_state_token)?;
        s.session_tokens.remove(&live);
        Ok(())
    })?;
    Ok(wire::ok(&json!({})))
}

pub(super) fn invalid_state_token() -> OktaError {
    OktaError::Other { status: 403, code: "E0000011".into(), summary: "Invalid token provided".into() }
}

// --- multifactor -------------------------------------------------------------------

/// The session-token key prefix of an MFA transaction's state token (apart from a
/// PASSWORD_EXPIRED one, so neither opens the other's steps).
const MFA: &str = "mfa:";

fn active_factors<'a>(s: &'a OktaState, user_id: &str) -> Vec<&'a Factor> {
    s.factors.values().filter(|f| f.user_id == user_id && f.status == "ACTIVE").collect()
}

pub(super) fn post_link(href: String) -> Value {
    json!({"href": href, "hints": {"allow": ["POST"]}})
}

/// `+1 XXX-XXX-6688` for a North American number; elsewhere every digit but the
/// last four becomes `X`.
fn mask_phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return number.to_string();
    }
    let last: String = digits[digits.len() - 4..].iter().collect();
    if number.starts_with("+1") && digits.len() == 11 {
        return format!("+1 XXX-XXX-{last}");
    }
    let hidden = digits.len() - 4;
    let mut seen = 0;
    number
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen <= hidden {
                    return 'X';
                }
            }
            c
        })
        .collect()
}

/// `a...1@example.com`: the first and last characters of the mailbox name.
fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) if local.chars().count() >= 2 => {
            let first = local.chars().next().unwrap_or_default();
            let last = local.chars().last().unwrap_or_default();
            format!("{first}...{last}@{domain}")
        }
        _ => email.to_string(),
    }
}

/// A factor as a transaction embeds it: no secrets, a `verify` link into /authn.
fn authn_factor(f: &Factor, base: &str) -> Value {
    let mut profile = f.profile.clone();
    if let Some(p) = profile.as_object_mut() {
        p.remove("answer");
        // A transaction shows the phone and the mailbox masked, as Okta's recorded ones do.
        if let Some(n) = p.get("phoneNumber").and_then(Value::as_str).map(mask_phone) {
            p.insert("phoneNumber".into(), json!(n));
        }
        if let Some(e) = p.get("email").and_then(Value::as_str).map(mask_email) {
            p.insert("email".into(), json!(e));
        }
    }
    json!({
        "id": f.id, "factorType": f.factor_type, "provider": f.provider, "vendorName": f.vendor_name,
        "profile": profile,
        "_links": {"verify": post_link(format!("{base}/api/v1/authn/factors/{}/verify", f.id))}
    })
}

fn mfa_policy() -> Value {
    json!({"allowRememberDevice": false, "rememberDeviceLifetimeInMinutes": 0, "rememberDeviceByDefault": false,
           "factorsPolicyInfo": {}})
}

/// MFA_REQUIRED: the user's active factors, each to verify; `cancel` ends it.
fn mfa_required(s: &OktaState, uid: &str, state_token: &str, base: &str, expires: DateTime<Utc>) -> Value {
    let mut embedded = s.users.get(uid).map(|u| embedded_user(u)).unwrap_or(json!({}));
    embedded["factors"] = Value::Array(active_factors(s, uid).into_iter().map(|f| authn_factor(f, base)).collect());
    embedded["policy"] = mfa_policy();
    json!({
        "stateToken": state_token, "expiresAt": ts(expires), "status": "MFA_REQUIRED",
        "_embedded": embedded,
        "_links": {"cancel": post_link(format!("{base}/api/v1/authn/cancel"))}
    })
}

/// MFA_CHALLENGE: a code went to the factor's phone or mailbox; `next` verifies it,
/// `prev` goes back to the factor list, `resend` sends another.
fn mfa_challenge(s: &OktaState, f: &Factor, state_token: &str, base: &str, expires: DateTime<Utc>) -> Value {
    let mut embedded = s.users.get(&f.user_id).map(|u| embedded_user(u)).unwrap_or(json!({}));
    embedded["factor"] = authn_factor(f, base);
    embedded["policy"] = mfa_policy();
    let verify = format!("{base}/api/v1/authn/factors/{}/verify", f.id);
    json!({
        "stateToken": state_token, "expiresAt": ts(expires), "status": "MFA_CHALLENGE",
        "_embedded": embedded,
        "_links": {
            "next": {"name": "verify", "href": verify, "hints": {"allow": ["POST"]}},
            "prev": post_link(format!("{base}/api/v1/authn/previous")),
            "resend": [{"name": f.factor_type, "href": format!("{verify}/resend"), "hints": {"allow": ["POST"]}}],
            "cancel": post_link(format!("{base}/api/v1/authn/cancel")),
        }
    })
}

/// The live MFA transaction a state token names.
fn mfa_session(s: &OktaState, state_token: &str, now: DateTime<Utc>) -> Result<SessionToken, OktaError> {
    s.session_tokens
        .get(&format!("{MFA}{state_token}"))
        .filter(|t| t.expires_at > now)
        .cloned()
        .ok_or_else(invalid_state_token)
}

fn state_token_of(call: &Call) -> Result<(serde_json::Map<String, Value>, String), OktaError> {
    let body = body_object(&call.body)?;
    let token = body.get("stateToken").and_then(Value::as_str).unwrap_or("").to_string();
    Ok((body, token))
}

/// The transaction's factor `factor_id`, active and the user's own.
fn mfa_factor(s: &OktaState, user_id: &str, factor_id: &str) -> Result<Factor, OktaError> {
    s.factors
        .get(factor_id)
        .filter(|f| f.user_id == user_id && f.status == "ACTIVE")
        .cloned()
        .ok_or_else(|| OktaError::not_found(factor_id, "UserFactor"))
}

async fn verify_factor(Path(factor_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let (body, state_token) = state_token_of(&call)?;
    let code = ["passCode", "answer"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    let now = call.now();
    let facts = call.facts();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let session = mfa_session(s, &state_token, now)?;
        let mut factor = mfa_factor(s, &session.user_id, &factor_id)?;
        let by_message = matches!(factor.factor_type.as_str(), "sms" | "call" | "email");
        match code {
            // The first verify of a message factor sends the code (into the state).
            None if by_message => {
                factor.secret = super::factors::new_code(ids);
                s.factors.insert(factor.id.clone(), factor.clone());
                return Ok(Ok(mfa_challenge(s, &factor, &state_token, &base, session.expires_at)));
            }
            // The twin approves push challenges at once.
            None if factor.factor_type == "push" => {}
            None => return Ok(Err(super::factors::bad_passcode())),
            Some(c) if !super::factors::code_matches(&factor, &c, now) => {
                return Ok(Err(super::factors::bad_passcode()));
            }
            Some(_) => {}
        }
        if by_message {
            // A message code is good once.
            factor.secret = super::factors::new_code(ids);
            s.factors.insert(factor.id.clone(), factor.clone());
        }
        s.session_tokens.remove(&format!("{MFA}{state_token}"));
        if let Some(u) = s.users.get(&session.user_id).cloned() {
            let e = Event::new("user.authentication.auth_via_mfa", "Authentication of user via MFA", vec![]);
            s.log(ids, now, &actor_for(Some(&u), u.login()), &facts, e);
        }
        Ok(Ok(success(s, ids, &session.user_id, now)))
    })?;
    Ok(wire::ok(&out?))
}

async fn resend_factor(Path(factor_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let (_, state_token) = state_token_of(&call)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let session = mfa_session(s, &state_token, now)?;
        let mut factor = mfa_factor(s, &session.user_id, &factor_id)?;
        if !matches!(factor.factor_type.as_str(), "sms" | "call" | "email") {
            return Err(OktaError::validation(
                "factorType",
                format!("factorType: The factor type '{}' does not support resending a code", factor.factor_type),
            ));
        }
        factor.secret = super::factors::new_code(ids);
        s.factors.insert(factor.id.clone(), factor.clone());
        Ok(mfa_challenge(s, &factor, &state_token, &base, session.expires_at))
    })?;
    Ok(wire::ok(&out))
}

/// Back from a challenge to the list of factors (MFA_REQUIRED).
async fn previous(call: Call) -> Result<Response, OktaError> {
    let (_, state_token) = state_token_of(&call)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        // From enrolling a factor, back to the factors to enrol.
        if let Ok(session) = enroll_session(s, &state_token, now) {
            return Ok(mfa_enroll(s, &session.user_id, &state_token, &base, session.expires_at));
        }
        let session = mfa_session(s, &state_token, now)?;
        Ok(mfa_required(s, &session.user_id, &state_token, &base, session.expires_at))
    })??;
    Ok(wire::ok(&out))
}

// --- enrolment ---------------------------------------------------------------------

/// The session-token key prefix of an MFA_ENROLL transaction's state token.
const ENROLL: &str = "enroll:";

/// What the transaction offers a user to enrol: the governing enrollment policy's
/// factors or, when only the sign-on rule asks for a factor and that policy offers
/// none, every factor the twin supports, optionally.
fn offer_for(s: &OktaState, uid: &str) -> Vec<Enrollable> {
    let offer = crate::policy::enrollment_for_user(s, uid).offer;
    if !offer.is_empty() {
        return offer;
    }
    if !crate::policy::sign_on_requires_factor(s, uid) {
        return vec![];
    }
    let mut all: Vec<Enrollable> = Vec::new();
    for (factor_type, provider, _, _) in super::factors::SUPPORTED {
        all.push(Enrollable { factor_type, provider, required: false });
    }
    all
}

fn has_active(s: &OktaState, uid: &str, factor_type: &str, provider: &str) -> bool {
    active_factors(s, uid).iter().any(|f| f.factor_type == factor_type && f.provider == provider)
}

/// Must the user enrol a factor before signing in? When a required factor is
/// missing, or the sign-on rule requires a factor and the user has none.
fn must_enroll(s: &OktaState, uid: &str) -> bool {
    let missing_required = crate::policy::enrollment_for_user(s, uid)
        .required
        .iter()
        .any(|any_of| !any_of.iter().any(|(factor_type, provider)| has_active(s, uid, factor_type, provider)));
    missing_required || (crate::policy::sign_on_requires_factor(s, uid) && active_factors(s, uid).is_empty())
}

/// MFA_ENROLL: the factors the user may enrol, each with its enrolment status and an
/// `enroll` link; `cancel` ends it.
fn mfa_enroll(s: &OktaState, uid: &str, state_token: &str, base: &str, expires: DateTime<Utc>) -> Value {
    let mut embedded = s.users.get(uid).map(|u| embedded_user(u)).unwrap_or(json!({}));
    let factors: Vec<Value> = offer_for(s, uid)
        .into_iter()
        .map(|e| {
            let vendor = super::factors::SUPPORTED
                .iter()
                .find(|(t, p, _, _)| *t == e.factor_type && *p == e.provider)
                .map_or(e.provider, |(_, _, v, _)| v);
            let mut links = json!({"enroll": post_link(format!("{base}/api/v1/authn/factors"))});
            if e.factor_type == "question" {
                links["questions"] =
                    json!({"href": format!("{base}/api/v1/users/{uid}/factors/questions"), "hints": {"allow": ["GET"]}});
            }
            json!({
                "factorType": e.factor_type, "provider": e.provider, "vendorName": vendor,
                "status": if has_active(s, uid, e.factor_type, e.provider) { "ACTIVE" } else { "NOT_SETUP" },
                "enrollment": if e.required { "REQUIRED" } else { "OPTIONAL" },
                "_links": links,
            })
        })
        .collect();
    embedded["factors"] = Value::Array(factors);
    let mut links = json!({"cancel": post_link(format!("{base}/api/v1/authn/cancel"))});
    // With every required factor enrolled, the optional ones left may be skipped.
    if !must_enroll(s, uid) {
        links["skip"] = post_link(format!("{base}/api/v1/authn/skip"));
    }
    json!({
        "stateToken": state_token, "expiresAt": ts(expires), "status": "MFA_ENROLL",
        "_embedded": embedded,
        "_links": links
    })
}

/// Factors the governing enrollment policy offers as optional that the user has not
/// enrolled (offered, with `skip`, once the required ones are enrolled).
fn optional_left(s: &OktaState, uid: &str) -> bool {
    crate::policy::enrollment_for_user(s, uid)
        .offer
        .iter()
        .any(|e| !e.required && !has_active(s, uid, e.factor_type, e.provider))
}

/// MFA_ENROLL_ACTIVATE: the new enrolment waits for its code (`next` activates it;
/// `resend` sends a message code again; `prev` goes back to the list).
fn mfa_enroll_activate(s: &OktaState, f: &Factor, state_token: &str, base: &str, expires: DateTime<Utc>) -> Value {
    let mut embedded = s.users.get(&f.user_id).map(|u| embedded_user(u)).unwrap_or(json!({}));
    let mut factor = authn_factor(f, base);
    if let Some(links) = factor.as_object_mut() {
        links.remove("_links");
    }
    let qrcode = json!({"qrcode": {"href": format!("{base}/api/v1/users/{}/factors/{}/qr/{}", f.user_id, f.id, f.id), "type": "image/png"}});
    match f.factor_type.as_str() {
        "token:software:totp" => {
            factor["_embedded"] = json!({"activation": {
                "timeStep": 30, "sharedSecret": f.secret, "encoding": "base32", "keyLength": 6, "_links": qrcode
            }});
        }
        "push" => {
            factor["_embedded"] = json!({"activation": {
                "expiresAt": ts(expires), "factorResult": "WAITING", "_links": qrcode
            }});
        }
        _ => {}
    }
    embedded["factor"] = factor;
    let me = format!("{base}/api/v1/authn/factors/{}/lifecycle", f.id);
    let mut links = json!({
        "next": {"name": "activate", "href": format!("{me}/activate"), "hints": {"allow": ["POST"]}},
        "prev": post_link(format!("{base}/api/v1/authn/previous")),
        "cancel": post_link(format!("{base}/api/v1/authn/cancel")),
    });
    if super::factors::is_otp_by_message(&f.factor_type) {
        links["resend"] =
            json!([{"name": f.factor_type, "href": format!("{me}/resend"), "hints": {"allow": ["POST"]}}]);
    }
    let mut out = json!({
        "stateToken": state_token, "expiresAt": ts(expires), "status": "MFA_ENROLL_ACTIVATE",
        "_embedded": embedded, "_links": links,
    });
    if f.factor_type == "push" {
        out["factorResult"] = json!("WAITING");
    }
    out
}

/// The live MFA_ENROLL transaction a state token names.
fn enroll_session(s: &OktaState, state_token: &str, now: DateTime<Utc>) -> Result<SessionToken, OktaError> {
    s.session_tokens
        .get(&format!("{ENROLL}{state_token}"))
        .filter(|t| t.expires_at > now)
        .cloned()
        .ok_or_else(invalid_state_token)
}

/// After an enrolment completes: MFA_ENROLL again while a required factor is still
/// missing, else SUCCESS (and the transaction is over).
fn after_enrolment(
    s: &mut OktaState,
    ids: &mut IdGen,
    session: &SessionToken,
    state_token: &str,
    base: &str,
    now: DateTime<Utc>,
) -> Value {
    if must_enroll(s, &session.user_id) || optional_left(s, &session.user_id) {
        return mfa_enroll(s, &session.user_id, state_token, base, session.expires_at);
    }
    s.session_tokens.remove(&format!("{ENROLL}{state_token}"));
    success(s, ids, &session.user_id, now)
}

/// Skips the optional factors of an MFA_ENROLL that offered `skip`: SUCCESS. While a
/// required factor is missing there is nothing to skip to (403 E0000079).
async fn skip(call: Call) -> Result<Response, OktaError> {
    let (_, state_token) = state_token_of(&call)?;
    let now = call.now();
    let out = call.write(|s, ids| {
        let session = enroll_session(s, &state_token, now)?;
        if must_enroll(s, &session.user_id) {
            return Err(OktaError::Other {
                status: 403,
                code: "E0000079".into(),
                summary: "This operation is not allowed in the current authentication state.".into(),
            });
        }
        s.session_tokens.remove(&format!("{ENROLL}{state_token}"));
        Ok(success(s, ids, &session.user_id, now))
    })?;
    Ok(wire::ok(&out))
}

fn log_factor(
    s: &mut OktaState,
    ids: &mut IdGen,
    facts: &crate::model::RequestFacts,
    user: &User,
    what: (&str, &str),
    now: DateTime<Utc>,
) {
    let e = Event::new(what.0, what.1, vec![Target::user(user)]);
    s.log(ids, now, &actor_for(Some(user), user.login()), facts, e);
}

async fn enroll_factor(call: Call) -> Result<Response, OktaError> {
    let (body, state_token) = state_token_of(&call)?;
    let factor_type = body
        .get("factorType")
        .and_then(Value::as_str)
        .ok_or_else(|| OktaError::validation("factorType", "factorType: The field cannot be left blank"))?
        .to_string();
    let provider = body.get("provider").and_then(Value::as_str).unwrap_or("OKTA").to_ascii_uppercase();
    let given = body.get("profile").cloned().unwrap_or(json!({}));
    let now = call.now();
    let facts = call.facts();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let session = enroll_session(s, &state_token, now)?;
        let user = s.users.get(&session.user_id).cloned().ok_or_else(invalid_state_token)?;
        if !offer_for(s, &user.id).iter().any(|e| e.factor_type == factor_type && e.provider == provider) {
            return Err(OktaError::validation(
                "factorType",
                format!("factorType: The factor type '{factor_type}' with provider '{provider}' is not enabled by the enrollment policy"),
            ));
        }
        if has_active(s, &user.id, &factor_type, &provider) {
            return Err(OktaError::validation("factor", "factor: A factor of this type is already set up."));
        }
        // An enrolment left pending (a step back, a new try) is replaced.
        let pending: Vec<String> = s
            .factors
            .values()
            .filter(|f| f.user_id == user.id && f.factor_type == factor_type && f.provider == provider)
            .map(|f| f.id.clone())
            .collect();
        for id in pending {
            s.factors.remove(&id);
        }
        let factor = super::factors::build_factor(ids, &user, &factor_type, &provider, &given, now)?;
        s.factors.insert(factor.id.clone(), factor.clone());
        if factor.status == "ACTIVE" {
            log_factor(s, ids, &facts, &user, ("user.mfa.factor.activate", "Enroll factor for user"), now);
            return Ok(after_enrolment(s, ids, &session, &state_token, &base, now));
        }
        log_factor(s, ids, &facts, &user, ("user.mfa.factor.update", "Enroll factor for user"), now);
        Ok(mfa_enroll_activate(s, &factor, &state_token, &base, session.expires_at))
    })?;
    Ok(wire::ok(&out))
}

/// The transaction user's enrolment `factor_id`, still waiting for activation.
fn pending_factor(s: &OktaState, user_id: &str, factor_id: &str) -> Result<Factor, OktaError> {
    s.factors
        .get(factor_id)
        .filter(|f| f.user_id == user_id && f.status == "PENDING_ACTIVATION")
        .cloned()
        .ok_or_else(|| OktaError::not_found(factor_id, "UserFactor"))
}

async fn activate_factor(Path(factor_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let (body, state_token) = state_token_of(&call)?;
    let pass_code = body.get("passCode").and_then(Value::as_str).unwrap_or("").to_string();
    let now = call.now();
    let facts = call.facts();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let session = enroll_session(s, &state_token, now)?;
        let mut factor = pending_factor(s, &session.user_id, &factor_id)?;
        // The twin's device approves a push activation at once.
        if factor.factor_type != "push" && !super::factors::code_matches(&factor, &pass_code, now) {
            return Ok(Err(super::factors::bad_passcode()));
        }
        factor.status = "ACTIVE".into();
        factor.last_updated = now;
        if super::factors::is_otp_by_message(&factor.factor_type) {
            factor.secret = super::factors::new_code(ids);
        }
        s.factors.insert(factor.id.clone(), factor);
        if let Some(user) = s.users.get(&session.user_id).cloned() {
            log_factor(s, ids, &facts, &user, ("user.mfa.factor.activate", "Activate factor for user"), now);
        }
        Ok(Ok(after_enrolment(s, ids, &session, &state_token, &base, now)))
    })?;
    Ok(wire::ok(&out?))
}

async fn resend_activation(Path(factor_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let (_, state_token) = state_token_of(&call)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let session = enroll_session(s, &state_token, now)?;
        let mut factor = pending_factor(s, &session.user_id, &factor_id)?;
        if !super::factors::is_otp_by_message(&factor.factor_type) {
            return Err(OktaError::validation(
                "factorType",
                format!("factorType: The factor type '{}' does not support resending a code", factor.factor_type),
            ));
        }
        factor.secret = super::factors::new_code(ids);
        factor.last_updated = now;
        s.factors.insert(factor.id.clone(), factor.clone());
        Ok(mfa_enroll_activate(s, &factor, &state_token, &base, session.expires_at))
    })?;
    Ok(wire::ok(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_mailboxes_are_masked_as_okta_masks_them() {
        assert_eq!(mask_phone("+15555550142"), "+1 XXX-XXX-0142");
        assert_eq!(mask_phone("+44 7700 900123"), "+XX XXXX XX0123");
        assert_eq!(mask_phone("12"), "12");
        assert_eq!(mask_email("administrator1@clouditude.net"), "a...1@clouditude.net");
        assert_eq!(mask_email("a@b.c"), "a@b.c");
    }
}
