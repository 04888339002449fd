//! The Authentication API's self-service recovery: forgot password and unlock.
//!
//! `/api/v1/authn/recovery/password` and `/unlock` start a transaction for a
//! username. `factorType` EMAIL answers RECOVERY_CHALLENGE without a state token (the
//! recovery token goes to the user's mailbox: the universe state, `session_tokens`
//! keyed `rtoken:{PASSWORD|UNLOCK}:{token}`); SMS and CALL send a code to the user's
//! active factor of that type and answer RECOVERY_CHALLENGE with a state token, redeemed
//! at `/api/v1/authn/recovery/factors/{type}/verify`. A trusted application (a request
//! with an API token) and no `factorType` gets the recovery token in the answer
//! (RECOVERY). A recovery token (also the one in `forgot_password` and `reset_password`
//! links) is redeemed at `/api/v1/authn/recovery/token`. Either way the transaction then
//! asks the user's recovery question (RECOVERY, `/api/v1/authn/recovery/answer`); a
//! password recovery goes on to PASSWORD_RESET and `/api/v1/authn/credentials/reset_password`
//! (the password policy holds) → SUCCESS with a session token; an unlock ends in SUCCESS
//! with the user unlocked. A user without a recovery question skips the question.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use twin_core::ids::IdGen;

use super::authn::{actor_for, embedded_user, invalid_state_token, password_policy, post_link, success};
use super::routes::{route, Cov, Route};
use super::Call;
use crate::errors::OktaError;
use crate::ids::alnum;
use crate::model::{Event, Lifecycle, OktaState, SessionToken, Target, User, UserStatus};
use crate::wire::{self, body_object, ts};

pub const ROUTES: &[Route] = &[
    route("POST", "/api/v1/authn/recovery/password", "okta.authn.recovery_password", Cov::Extra),
    route("POST", "/api/v1/authn/recovery/unlock", "okta.authn.recovery_unlock", Cov::Extra),
    route("POST", "/api/v1/authn/recovery/token", "okta.authn.recovery_token", Cov::Extra),
    route("POST", "/api/v1/authn/recovery/factors/{factorType}/verify", "okta.authn.recovery_verify", Cov::Extra),
    route("POST", "/api/v1/authn/recovery/factors/{factorType}/resend", "okta.authn.recovery_resend", Cov::Extra),
    route("POST", "/api/v1/authn/recovery/answer", "okta.authn.recovery_answer", Cov::Extra),
    route("POST", "/api/v1/authn/credentials/reset_password", "okta.authn.reset_password", Cov::Extra),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/authn/recovery/password", post(recover_password))
        .route("/api/v1/authn/recovery/unlock", post(recover_unlock))
        .route("/api/v1/authn/recovery/token", post(verify_token))
        .route("/api/v1/authn/recovery/factors/{factorType}/verify", post(verify_factor))
        .route("/api/v1/authn/recovery/factors/{factorType}/resend", post(resend_factor))
        .route("/api/v1/authn/recovery/answer", post(answer))
        .route("/api/v1/authn/credentials/reset_password", post(reset_password))
}

/// How long a recovery token lasts (a new org's password policy: 60 minutes).
const TOKEN_MINUTES: i64 = 60;
/// How long a recovery transaction's state token lasts.
const STATE_MINUTES: i64 = 5;

/// What is being recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Password,
    Unlock,
}

impl Kind {
    const ALL: [Kind; 2] = [Kind::Password, Kind::Unlock];

    fn name(self) -> &'static str {
        match self {
            Kind::Password => "PASSWORD",
            Kind::Unlock => "UNLOCK",
        }
    }

    /// May this user start this recovery?
    fn allows(self, status: UserStatus) -> bool {
        match self {
            Kind::Password => super::users::can_recover(status),
            Kind::Unlock => status == UserStatus::LockedOut,
        }
    }

    fn refusal(self) -> OktaError {
        match self {
            Kind::Password => OktaError::Other {
                status: 403,
                code: "E0000034".into(),
                summary: "Forgot password not allowed on specified user.".into(),
            },
            Kind::Unlock => OktaError::UnlockNotAllowed,
        }
    }
}

/// The factors a recovery challenge goes through.
const MESSAGE_FACTORS: [&str; 2] = ["SMS", "CALL"];

fn token_key(kind: Kind, token: &str) -> String {
    format!("rtoken:{}:{token}", kind.name())
}

fn challenge_key(kind: Kind, factor: &str, state: &str) -> String {
    format!("rchallenge:{}:{factor}:{state}", kind.name())
}

fn question_key(kind: Kind, state: &str) -> String {
    format!("recovery:{}:{state}", kind.name())
}

fn reset_key(state: &str) -> String {
    format!("reset:{state}")
}

/// Every key a recovery transaction's state token can live under (for `/authn/cancel`).
pub(super) fn state_keys(state: &str) -> Vec<String> {
    let mut keys = vec![reset_key(state)];
    for kind in Kind::ALL {
        keys.push(question_key(kind, state));
        keys.extend(MESSAGE_FACTORS.iter().map(|f| challenge_key(kind, f, state)));
    }
    keys
}

/// A password recovery token for `user_id` (the token in a reset-password link), good
/// at `/api/v1/authn/recovery/token` for an hour.
pub(crate) fn mint_password_token(s: &mut OktaState, ids: &mut IdGen, user_id: &str, now: DateTime<Utc>) -> String {
    mint_token(s, ids, Kind::Password, user_id, now)
}

fn mint_token(s: &mut OktaState, ids: &mut IdGen, kind: Kind, user_id: &str, now: DateTime<Utc>) -> String {
    let token = alnum(ids, 20);
    s.session_tokens.insert(
        token_key(kind, &token),
        SessionToken { user_id: user_id.to_string(), expires_at: now + Duration::minutes(TOKEN_MINUTES) },
    );
    token
}

fn new_state(
    s: &mut OktaState,
    ids: &mut IdGen,
    key: impl Fn(&str) -> String,
    user_id: &str,
    now: DateTime<Utc>,
) -> String {
    let state = format!("00{}", alnum(ids, 40));
    s.session_tokens.insert(
        key(&state),
        SessionToken { user_id: user_id.to_string(), expires_at: now + Duration::minutes(STATE_MINUTES) },
    );
    state
}

/// The live entry under `key`, taken out of the state (each step is good once).
fn take(s: &mut OktaState, key: &str, now: DateTime<Utc>) -> Option<SessionToken> {
    let live = s.session_tokens.get(key).filter(|t| t.expires_at > now).cloned()?;
    s.session_tokens.remove(key);
    Some(live)
}

fn cancel_link(base: &str) -> Value {
    post_link(format!("{base}/api/v1/authn/cancel"))
}

fn next_link(name: &str, href: String) -> Value {
    json!({"name": name, "href": href, "hints": {"allow": ["POST"]}})
}

fn text(body: &serde_json::Map<String, Value>, key: &str) -> String {
    body.get(key).and_then(Value::as_str).unwrap_or("").trim().to_string()
}

async fn recover_password(call: Call) -> Result<Response, OktaError> {
    start(call, Kind::Password).await
}

async fn recover_unlock(call: Call) -> Result<Response, OktaError> {
    start(call, Kind::Unlock).await
}

/// Starts a recovery for `username`: a challenge by EMAIL, SMS or CALL, or (for a
/// trusted application) the recovery token itself.
async fn start(call: Call, kind: Kind) -> Result<Response, OktaError> {
    let body = body_object(&call.body)?;
    let username = text(&body, "username");
    if username.is_empty() {
        return Err(OktaError::validation("username", "username: The field cannot be left blank"));
    }
    let factor_type = text(&body, "factorType").to_ascii_uppercase();
    let relay_state = body.get("relayState").and_then(Value::as_str).map(str::to_string);
    // A trusted application authenticates with an API token and gets the token itself.
    let trusted = call.ctx.credential.is_some() && call.caller().is_ok();
    if factor_type.is_empty() && !trusted {
        return Err(OktaError::validation("factorType", "factorType: The field cannot be left blank"));
    }
    if !factor_type.is_empty() && factor_type != "EMAIL" && !MESSAGE_FACTORS.contains(&factor_type.as_str()) {
        return Err(OktaError::validation(
            "factorType",
            format!("factorType: '{factor_type}' is not one of EMAIL, SMS, CALL"),
        ));
    }
    let now = call.now();
    let facts = call.facts();
    let base = call.base().to_string();
    let mut out = call.write(|s, ids| {
        s.sweep(now);
        let user = s
            .find_user(&username)
            .filter(|u| u.login().eq_ignore_ascii_case(&username) || u.short_name().eq_ignore_ascii_case(&username))
            .cloned();
        let eligible = user.filter(|u| kind.allows(u.status));
        if factor_type == "EMAIL" {
            // The same answer whoever asked (Okta does not tell who has an account); the
            // token goes to the mailbox of a user who may recover.
            if let Some(u) = &eligible {
                mint_token(s, ids, kind, &u.id, now);
                log_start(s, ids, &facts, u, kind, now);
            }
            return Ok(json!({"status": "RECOVERY_CHALLENGE", "factorResult": "WAITING", "factorType": "EMAIL",
                             "recoveryType": kind.name()}));
        }
        let user = eligible.ok_or_else(|| kind.refusal())?;
        if factor_type.is_empty() {
            let token = mint_token(s, ids, kind, &user.id, now);
            log_start(s, ids, &facts, &user, kind, now);
            return Ok(json!({
                "expiresAt": ts(now + Duration::minutes(TOKEN_MINUTES)),
                "status": "RECOVERY", "recoveryToken": token, "recoveryType": kind.name(),
                "_embedded": embedded_user(&user),
                "_links": {"next": next_link("recovery", format!("{base}/api/v1/authn/recovery/token")),
                           "cancel": cancel_link(&base)},
            }));
        }
        send_code(s, ids, &user.id, &factor_type)?;
        let state = new_state(s, ids, |st| challenge_key(kind, &factor_type, st), &user.id, now);
        log_start(s, ids, &facts, &user, kind, now);
        Ok(challenge(&state, kind, &factor_type, &base, now + Duration::minutes(STATE_MINUTES)))
    })?;
    if let (Some(relay), Some(o)) = (relay_state, out.as_object_mut()) {
        o.insert("relayState".into(), json!(relay));
    }
    Ok(wire::ok(&out))
}

fn log_start(
    s: &mut OktaState,
    ids: &mut IdGen,
    facts: &crate::model::RequestFacts,
    user: &User,
    kind: Kind,
    now: DateTime<Utc>,
) {
    let (event_type, message) = match kind {
        Kind::Password => ("user.account.reset_password", "Fire user reset password event"),
        Kind::Unlock => ("user.account.unlock_token", "Unlock user account request"),
    };
    let e = Event::new(event_type, message, vec![Target::user(user)]);
    s.log(ids, now, &actor_for(Some(user), user.login()), facts, e);
}

/// A new code on the user's active factor of `factor_type` (SMS or CALL), into the
/// state as an enrolment's code is.
fn send_code(s: &mut OktaState, ids: &mut IdGen, user_id: &str, factor_type: &str) -> Result<(), OktaError> {
    let wanted = factor_type.to_ascii_lowercase();
    let mut factor = s
        .factors
        .values()
        .find(|f| f.user_id == user_id && f.status == "ACTIVE" && f.factor_type == wanted)
        .cloned()
        .ok_or_else(|| {
            OktaError::validation("factorType", format!("factorType: The user has no active {wanted} factor"))
        })?;
    factor.secret = super::factors::new_code(ids);
    s.factors.insert(factor.id.clone(), factor);
    Ok(())
}

/// RECOVERY_CHALLENGE: a code went to the user's phone; `next` verifies it.
fn challenge(state: &str, kind: Kind, factor_type: &str, base: &str, expires: DateTime<Utc>) -> Value {
    let me = format!("{base}/api/v1/authn/recovery/factors/{factor_type}");
    json!({
        "stateToken": state, "expiresAt": ts(expires), "status": "RECOVERY_CHALLENGE",
        "factorType": factor_type, "recoveryType": kind.name(),
        "_links": {
            "next": next_link("verify", format!("{me}/verify")),
            "cancel": cancel_link(base),
            "resend": next_link(&factor_type.to_ascii_lowercase(), format!("{me}/resend")),
        }
    })
}

/// After the user proved who they are (a code or a recovery token): their recovery
/// question (RECOVERY), or the step after it when they have none.
fn recovered(
    s: &mut OktaState,
    ids: &mut IdGen,
    facts: &crate::model::RequestFacts,
    kind: Kind,
    user: &User,
    base: &str,
    now: DateTime<Utc>,
) -> Result<Value, OktaError> {
    let Some(q) = &user.recovery_question else {
        return answered(s, ids, facts, kind, user, base, now);
    };
    let state = new_state(s, ids, |st| question_key(kind, st), &user.id, now);
    let mut embedded = embedded_user(user);
    embedded["user"]["recovery_question"] = json!({"question": q.question});
    Ok(json!({
        "stateToken": state, "expiresAt": ts(now + Duration::minutes(STATE_MINUTES)),
        "status": "RECOVERY", "recoveryType": kind.name(),
        "_embedded": embedded,
        "_links": {"next": next_link("answer", format!("{base}/api/v1/authn/recovery/answer")),
                   "cancel": cancel_link(base)},
    }))
}

/// The question is answered (or there was none): a password recovery asks for the new
/// password (PASSWORD_RESET); an unlock unlocks the user and is over (SUCCESS).
fn answered(
    s: &mut OktaState,
    ids: &mut IdGen,
    facts: &crate::model::RequestFacts,
    kind: Kind,
    user: &User,
    base: &str,
    now: DateTime<Utc>,
) -> Result<Value, OktaError> {
    match kind {
        Kind::Password => {
            let state = new_state(s, ids, reset_key, &user.id, now);
            let mut embedded = embedded_user(user);
            embedded["policy"] = password_policy(s, &user.id);
            Ok(json!({
                "stateToken": state, "expiresAt": ts(now + Duration::minutes(STATE_MINUTES)),
                "status": "PASSWORD_RESET", "recoveryType": "PASSWORD",
                "_embedded": embedded,
                "_links": {"next": next_link("resetPassword", format!("{base}/api/v1/authn/credentials/reset_password")),
                           "cancel": cancel_link(base)},
            }))
        }
        Kind::Unlock => {
            if s.users.get(&user.id).is_some_and(|u| u.status == UserStatus::LockedOut) {
                s.apply_lifecycle(&user.id, Lifecycle::Unlock, now)?;
                let op = Lifecycle::Unlock;
                let e = Event::new(op.event_type(), op.display_message(), vec![Target::user(user)]);
                s.log(ids, now, &actor_for(Some(user), user.login()), facts, e);
            }
            if let Some(mut u) = s.users.get_mut(&user.id) {
                u.failed_logins = 0;
            }
            let current = s.users.get(&user.id).map(|u| User::clone(u)).unwrap_or_else(|| user.clone());
            Ok(json!({
                "expiresAt": ts(now + Duration::minutes(STATE_MINUTES)),
                "status": "SUCCESS", "recoveryType": "UNLOCK",
                "_embedded": embedded_user(&current),
            }))
        }
    }
}

fn user_of(s: &OktaState, entry: &SessionToken) -> Result<User, OktaError> {
    s.users.get(&entry.user_id).map(|u| User::clone(u)).ok_or_else(invalid_state_token)
}

/// Redeems a recovery token (from a reset link, the mailbox or a trusted application).
async fn verify_token(call: Call) -> Result<Response, OktaError> {
    let body = body_object(&call.body)?;
    let token = text(&body, "recoveryToken");
    if token.is_empty() {
        return Err(OktaError::validation("recoveryToken", "recoveryToken: The field cannot be left blank"));
    }
    let now = call.now();
    let facts = call.facts();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let (kind, entry) = Kind::ALL
            .into_iter()
            .find_map(|k| take(s, &token_key(k, &token), now).map(|e| (k, e)))
            .ok_or(OktaError::InvalidToken)?;
        let user = user_of(s, &entry)?;
        if !kind.allows(user.status) {
            return Err(kind.refusal());
        }
        recovered(s, ids, &facts, kind, &user, &base, now)
    })?;
    Ok(wire::ok(&out))
}

/// The live challenge of `factor_type` a state token names.
fn find_challenge(s: &OktaState, factor_type: &str, state: &str, now: DateTime<Utc>) -> Option<(Kind, String)> {
    Kind::ALL.into_iter().find_map(|k| {
        let key = challenge_key(k, factor_type, state);
        s.session_tokens.get(&key).filter(|t| t.expires_at > now).map(|_| (k, key))
    })
}

fn checked_factor_type(raw: &str) -> Result<String, OktaError> {
    let factor_type = raw.to_ascii_uppercase();
    if MESSAGE_FACTORS.contains(&factor_type.as_str()) {
        Ok(factor_type)
    } else {
        Err(OktaError::not_found(raw, "RecoveryFactor"))
    }
}

async fn verify_factor(Path(factor_type): Path<String>, call: Call) -> Result<Response, OktaError> {
    let factor_type = checked_factor_type(&factor_type)?;
    let body = body_object(&call.body)?;
    let state = text(&body, "stateToken");
    let pass_code = text(&body, "passCode");
    let now = call.now();
    let facts = call.facts();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let (kind, key) = find_challenge(s, &factor_type, &state, now).ok_or_else(invalid_state_token)?;
        let entry = s.session_tokens.get(&key).cloned().ok_or_else(invalid_state_token)?;
        let wanted = factor_type.to_ascii_lowercase();
        let mut factor = s
            .factors
            .values()
            .find(|f| f.user_id == entry.user_id && f.status == "ACTIVE" && f.factor_type == wanted)
            .cloned()
            .ok_or_else(invalid_state_token)?;
        if !super::factors::code_matches(&factor, &pass_code, now) {
            // A wrong code leaves the challenge open for another try.
            return Ok(Err(super::factors::bad_passcode()));
        }
        // A message code is good once.
        factor.secret = super::factors::new_code(ids);
        s.factors.insert(factor.id.clone(), factor);
        s.session_tokens.remove(&key);
        let user = user_of(s, &entry)?;
        if !kind.allows(user.status) {
            return Err(kind.refusal());
        }
        recovered(s, ids, &facts, kind, &user, &base, now).map(Ok)
    })?;
    Ok(wire::ok(&out?))
}

async fn resend_factor(Path(factor_type): Path<String>, call: Call) -> Result<Response, OktaError> {
    let factor_type = checked_factor_type(&factor_type)?;
    let body = body_object(&call.body)?;
    let state = text(&body, "stateToken");
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let (kind, key) = find_challenge(s, &factor_type, &state, now).ok_or_else(invalid_state_token)?;
        let entry = s.session_tokens.get(&key).cloned().ok_or_else(invalid_state_token)?;
        send_code(s, ids, &entry.user_id, &factor_type)?;
        Ok(challenge(&state, kind, &factor_type, &base, entry.expires_at))
    })?;
    Ok(wire::ok(&out))
}

async fn answer(call: Call) -> Result<Response, OktaError> {
    let body = body_object(&call.body)?;
    let state = text(&body, "stateToken");
    let given = text(&body, "answer");
    let now = call.now();
    let facts = call.facts();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let (kind, key) = Kind::ALL
            .into_iter()
            .map(|k| (k, question_key(k, &state)))
            .find(|(_, key)| s.session_tokens.get(key).is_some_and(|t| t.expires_at > now))
            .ok_or_else(invalid_state_token)?;
        let entry = s.session_tokens.get(&key).cloned().ok_or_else(invalid_state_token)?;
        let user = user_of(s, &entry)?;
        let right = user.recovery_question.as_ref().is_some_and(|q| q.answer.trim().eq_ignore_ascii_case(&given));
        if !right {
            return Ok(Err(OktaError::Other {
                status: 403,
                code: "E0000087".into(),
                summary: "The recovery question answer did not match our records.".into(),
            }));
        }
        s.session_tokens.remove(&key);
        answered(s, ids, &facts, kind, &user, &base, now).map(Ok)
    })?;
    Ok(wire::ok(&out?))
}

/// Sets the new password of a PASSWORD_RESET transaction (the policy that governs the
/// user holds, history and minimum age included) and signs the user in.
async fn reset_password(call: Call) -> Result<Response, OktaError> {
    let body = body_object(&call.body)?;
    let state = text(&body, "stateToken");
    let new = body.get("newPassword").and_then(Value::as_str).unwrap_or("").to_string();
    let now = call.now();
    let facts = call.facts();
    let out = call.write(|s, ids| {
        let key = reset_key(&state);
        let entry =
            s.session_tokens.get(&key).filter(|t| t.expires_at > now).cloned().ok_or_else(invalid_state_token)?;
        let user = user_of(s, &entry)?;
        if new.is_empty() {
            return Err(OktaError::validation("newPassword", "newPassword: The field cannot be left blank"));
        }
        crate::policy::check_new_password(s, &user.id, &new, crate::policy::PasswordChange::Change, now)?;
        // A self-service reset also ends a lockout.
        if user.status == UserStatus::LockedOut {
            s.apply_lifecycle(&user.id, Lifecycle::Unlock, now)?;
        }
        s.apply_lifecycle(&user.id, Lifecycle::SetPassword, now)?;
        if let Some(old) = user.password.as_deref() {
            crate::policy::remember_password(s, &user.id, old);
        }
        if let Some(mut u) = s.users.get_mut(&user.id) {
            u.password = Some(new.clone());
            u.failed_logins = 0;
            u.last_login = Some(now);
        }
        s.session_tokens.remove(&key);
        let e = Event::new("user.account.update_password", "Update password for user", vec![Target::user(&user)]);
        s.log(ids, now, &actor_for(Some(&user), user.login()), &facts, e);
        Ok(success(s, ids, &user.id, now))
    })?;
    Ok(wire::ok(&out))
}
