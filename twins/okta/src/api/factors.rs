//! `/api/v1/users/{userId}/factors`: enrol, list, catalog, activate, verify and
//! delete factors: `token:software:totp` (real RFC 6238 codes), `sms`, `call`,
//! `email` (their one-time codes are in the universe state, as a phone would
//! have them), `question` and `push` (which the twin's "device" approves at once).

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use super::routes::{route, Cov, Route};
use super::Call;
use crate::errors::OktaError;
use crate::ids::{alnum, okta_id};
use crate::model::{Event, Factor, OktaState, Target, UserStatus};
use crate::wire::{self, body_object, ts};

pub const ROUTES: &[Route] = &[
    route("GET", "/api/v1/users/{userId}/factors", "okta.factors.list", Cov::Implemented),
    route(
        "POST",
        "/api/v1/users/{userId}/factors",
        "okta.factors.enroll",
        Cov::Partial("sms, call, email, question, push and token:software:totp only"),
    ),
    route("GET", "/api/v1/users/{userId}/factors/catalog", "okta.factors.list_supported", Cov::Implemented),
    route("GET", "/api/v1/users/{userId}/factors/questions", "okta.factors.list_questions", Cov::Implemented),
    route("GET", "/api/v1/users/{userId}/factors/{factorId}", "okta.factors.get", Cov::Implemented),
    route("DELETE", "/api/v1/users/{userId}/factors/{factorId}", "okta.factors.unenroll", Cov::Implemented),
    route(
        "POST",
        "/api/v1/users/{userId}/factors/{factorId}/lifecycle/activate",
        "okta.factors.activate",
        Cov::Partial("push activation completes at once (no device polling)"),
    ),
    route("POST", "/api/v1/users/{userId}/factors/{factorId}/resend", "okta.factors.resend", Cov::Implemented),
    route(
        "POST",
        "/api/v1/users/{userId}/factors/{factorId}/verify",
        "okta.factors.verify",
        Cov::Partial("push challenges are approved at once"),
    ),
    route(
        "GET",
        "/api/v1/users/{userId}/factors/{factorId}/transactions/{transactionId}",
        "okta.factors.get_transaction",
        Cov::Implemented,
    ),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/users/{userId}/factors", get(list).post(enroll))
        .route("/api/v1/users/{userId}/factors/catalog", get(catalog))
        .route("/api/v1/users/{userId}/factors/questions", get(questions))
        .route("/api/v1/users/{userId}/factors/{factorId}", get(get_factor).delete(unenroll))
        .route("/api/v1/users/{userId}/factors/{factorId}/lifecycle/activate", post(activate))
        .route("/api/v1/users/{userId}/factors/{factorId}/resend", post(resend))
        .route("/api/v1/users/{userId}/factors/{factorId}/verify", post(verify))
        .route("/api/v1/users/{userId}/factors/{factorId}/transactions/{transactionId}", get(transaction))
}

/// (factorType, provider, vendorName, id prefix)
pub(crate) const SUPPORTED: [(&str, &str, &str, &str); 7] = [
    ("question", "OKTA", "OKTA", "ufs"),
    ("sms", "OKTA", "OKTA", "sms"),
    ("call", "OKTA", "OKTA", "clf"),
    ("email", "OKTA", "OKTA", "emf"),
    ("token:software:totp", "OKTA", "OKTA", "ostf"),
    ("token:software:totp", "GOOGLE", "GOOGLE", "uft"),
    ("push", "OKTA", "OKTA", "opf"),
];

const QUESTIONS: [(&str, &str); 4] = [
    ("disliked_food", "What is the food you least liked as a child?"),
    ("name_of_first_plush_toy", "What is the name of your first stuffed animal?"),
    ("first_award", "What did you earn your first medal or award for?"),
    ("favorite_security_question", "What is your favorite security question?"),
];

// --- one-time codes ----------------------------------------------------------

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(BASE32[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn unbase32(text: &str) -> Option<Vec<u8>> {
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = BASE32.iter().position(|x| *x == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push(((buffer >> (bits - 8)) & 0xff) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// The RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) of a base32 secret at `time`.
pub fn totp(secret: &str, time: DateTime<Utc>) -> Option<String> {
    let key = unbase32(secret)?;
    let counter = (time.timestamp().max(0) as u64) / 30;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).ok()?;
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let code = u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    Some(format!("{:06}", code % 1_000_000))
}

/// Does `pass_code` match the factor now (TOTP allows one step of drift)?
pub(crate) fn code_matches(f: &Factor, pass_code: &str, now: DateTime<Utc>) -> bool {
    let pass_code = pass_code.trim();
    if pass_code.is_empty() {
        return false;
    }
    match f.factor_type.as_str() {
        "token:software:totp" => {
            [-30i64, 0, 30].iter().any(|d| totp(&f.secret, now + Duration::seconds(*d)).as_deref() == Some(pass_code))
        }
        "question" => f.secret.to_lowercase() == pass_code.to_lowercase(),
        _ => f.secret == pass_code,
    }
}

pub(crate) fn new_code(ids: &mut twin_core::ids::IdGen) -> String {
    format!("{:06}", ids.next_u64() % 1_000_000)
}

pub(crate) fn bad_passcode() -> OktaError {
    OktaError::Other { status: 403, code: "E0000068".into(), summary: "Invalid Passcode/Answer".into() }
}

// --- rendering -----------------------------------------------------------------

fn render(f: &Factor, base: &str) -> Value {
    let me = format!("{base}/api/v1/users/{}/factors/{}", f.user_id, f.id);
    let mut links = json!({
        "self": {"href": me, "hints": {"allow": ["GET", "DELETE"]}},
        "user": {"href": format!("{base}/api/v1/users/{}", f.user_id), "hints": {"allow": ["GET"]}},
    });
    if f.status == "PENDING_ACTIVATION" {
        links["activate"] = json!({"href": format!("{me}/lifecycle/activate"), "hints": {"allow": ["POST"]}});
        // A code sent during enrolment can be sent again, by the same channel. One
        // link object, as the SDKs' UserFactorLinks model it (an array breaks them).
        if is_otp_by_message(&f.factor_type) {
            links["resend"] =
                json!({"name": f.factor_type, "href": format!("{me}/resend"), "hints": {"allow": ["POST"]}});
        }
    } else {
        links["verify"] = json!({"href": format!("{me}/verify"), "hints": {"allow": ["POST"]}});
    }
    let mut profile = f.profile.clone();
    if f.factor_type == "question" {
        if let Some(p) = profile.as_object_mut() {
            p.remove("answer");
        }
    }
    let mut out = json!({
        "id": f.id,
        "factorType": f.factor_type,
        "provider": f.provider,
        "vendorName": f.vendor_name,
        "status": f.status,
        "created": ts(f.created),
        "lastUpdated": ts(f.last_updated),
        "profile": profile,
        "_links": links,
    });
    if f.status == "PENDING_ACTIVATION" {
        match f.factor_type.as_str() {
            "token:software:totp" => {
                out["_embedded"] = json!({"activation": {
                    "timeStep": 30, "sharedSecret": f.secret, "encoding": "base32", "keyLength": 6,
                    "_links": {"qrcode": {"href": format!("{me}/qr/{}", f.id), "type": "image/png"}}
                }});
            }
            "push" => {
                out["_embedded"] = json!({"activation": {
                    "expiresAt": ts(f.created + Duration::minutes(5)), "factorResult": "WAITING",
                    "_links": {
                        "qrcode": {"href": format!("{me}/qr/{}", f.id), "type": "image/png"},
                        "send": [{"name": "email", "href": format!("{me}/lifecycle/activate/email"), "hints": {"allow": ["POST"]}}]
                    }
                }});
            }
            _ => {}
        }
    }
    out
}

/// Factors whose one-time code reaches the user in a message (SMS, voice call, email).
pub(crate) fn is_otp_by_message(factor_type: &str) -> bool {
    matches!(factor_type, "sms" | "call" | "email")
}

fn user_id_of(s: &OktaState, key: &str) -> Result<String, OktaError> {
    Ok(s.user(key)?.id.clone())
}

fn factor_of<'a>(s: &'a OktaState, user_id: &str, factor_id: &str) -> Result<&'a Factor, OktaError> {
    s.factors
        .get(factor_id)
        .filter(|f| f.user_id == user_id)
        .ok_or_else(|| OktaError::not_found(factor_id, "UserFactor"))
}

// --- handlers --------------------------------------------------------------------

async fn list(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    let base = call.base().to_string();
    let items = call.read(|s| -> Result<Vec<Value>, OktaError> {
        let uid = user_id_of(s, &key)?;
        Ok(s.factors.values().filter(|f| f.user_id == uid).map(|f| render(f, &base)).collect())
    })??;
    Ok(wire::ok(&Value::Array(items)))
}

async fn catalog(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    let base = call.base().to_string();
    let items = call.read(|s| -> Result<Vec<Value>, OktaError> {
        let uid = user_id_of(s, &key)?;
        // REQUIRED where the enrollment policy that governs the user requires it.
        let offer = crate::policy::enrollment_for_user(s, &uid).offer;
        Ok(SUPPORTED
            .iter()
            .map(|(t, p, v, _)| {
                let enrolled = s.factors.values().find(|f| f.user_id == uid && f.factor_type == *t && f.provider == *p);
                let required = offer.iter().any(|e| e.required && e.factor_type == *t && e.provider == *p);
                json!({
                    "factorType": t, "provider": p, "vendorName": v,
                    "status": enrolled.map_or("NOT_SETUP", |f| f.status.as_str()),
                    "enrollment": if required { "REQUIRED" } else { "OPTIONAL" },
                    "_links": {"enroll": {"href": format!("{base}/api/v1/users/{uid}/factors"), "hints": {"allow": ["POST"]}}}
                })
            })
            .collect())
    })??;
    Ok(wire::ok(&Value::Array(items)))
}

async fn questions(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    call.read(|s| s.user(&key).map(|_| ()))??;
    let items: Vec<Value> = QUESTIONS.iter().map(|(q, t)| json!({"question": q, "questionText": t})).collect();
    Ok(wire::ok(&Value::Array(items)))
}

async fn get_factor(Path((key, factor_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        let uid = user_id_of(s, &key)?;
        Ok(render(factor_of(s, &uid, &factor_id)?, &base))
    })??;
    Ok(wire::ok(&out))
}

/// E.164: `+`, a non-zero digit, at most 15 digits in all.
fn is_phone(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else { return false };
    (2..=15).contains(&digits.len()) && !digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A new enrolment of `factor_type` from `provider` for `user`, checked against the
/// supported factors and the profile they need: PENDING_ACTIVATION with its code or
/// secret, or ACTIVE for a security question (which needs no activation).
pub(crate) fn build_factor(
    ids: &mut twin_core::ids::IdGen,
    user: &crate::model::User,
    factor_type: &str,
    provider: &str,
    given: &Value,
    now: DateTime<Utc>,
) -> Result<Factor, OktaError> {
    let &(_, _, vendor, prefix) =
        SUPPORTED.iter().find(|(t, p, _, _)| *t == factor_type && *p == provider).ok_or_else(|| {
            OktaError::validation(
                "factorType",
                format!("factorType: The factor type '{factor_type}' with provider '{provider}' is not supported"),
            )
        })?;
    let text =
        |k: &str| given.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let (profile, secret, status) = match factor_type {
        "sms" | "call" => {
            let phone = text("phoneNumber")
                .filter(|p| is_phone(p))
                .ok_or_else(|| OktaError::validation("phoneNumber", "phoneNumber: Invalid Phone Number."))?;
            (json!({"phoneNumber": phone}), new_code(ids), "PENDING_ACTIVATION")
        }
        "email" => {
            let email = text("email").or_else(|| user.profile.get("email").and_then(Value::as_str).map(str::to_string));
            (json!({"email": email}), new_code(ids), "PENDING_ACTIVATION")
        }
        "question" => {
            let question = text("question")
                .ok_or_else(|| OktaError::validation("question", "question: The field cannot be left blank"))?;
            let answer = text("answer").filter(|a| a.chars().count() >= 4).ok_or_else(|| {
                OktaError::validation(
                    "answer",
                    "answer: The security question answer must be at least 4 characters in length",
                )
            })?;
            let question_text =
                QUESTIONS.iter().find(|(q, _)| *q == question).map_or(question.clone(), |(_, t)| t.to_string());
            (json!({"question": question, "questionText": question_text}), answer, "ACTIVE")
        }
        "token:software:totp" => {
            let bytes: Vec<u8> = (0..20).map(|_| (ids.next_u64() & 0xff) as u8).collect();
            (json!({"credentialId": user.login()}), base32(&bytes), "PENDING_ACTIVATION")
        }
        _ => (
            json!({"credentialId": user.login(), "deviceType": "SmartPhone_IPhone", "name": "DTU Phone", "platform": "IOS", "version": "17.0"}),
            alnum(ids, 20),
            "PENDING_ACTIVATION",
        ),
    };
    Ok(Factor {
        id: okta_id(ids, prefix),
        user_id: user.id.clone(),
        factor_type: factor_type.to_string(),
        provider: provider.to_string(),
        vendor_name: vendor.to_string(),
        status: status.to_string(),
        created: now,
        last_updated: now,
        profile,
        secret,
    })
}

async fn enroll(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let body = body_object(&call.body)?;
    let activate = call.query.bool("activate", false)?;
    let factor_type = body
        .get("factorType")
        .and_then(Value::as_str)
        .ok_or_else(|| OktaError::validation("factorType", "factorType: The field cannot be left blank"))?
        .to_string();
    let provider = body.get("provider").and_then(Value::as_str).unwrap_or("OKTA").to_ascii_uppercase();
    let given = body.get("profile").cloned().unwrap_or(json!({}));
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let user = s.user(&key)?.clone();
        if matches!(user.status, UserStatus::Staged | UserStatus::Deprovisioned | UserStatus::Suspended) {
            return Err(OktaError::WrongStatus);
        }
        if s.factors.values().any(|f| f.user_id == user.id && f.factor_type == factor_type && f.provider == provider) {
            return Err(OktaError::validation("factor", "factor: A factor of this type is already set up."));
        }
        let mut factor = build_factor(ids, &user, &factor_type, &provider, &given, now)?;
        if activate && is_otp_by_message(&factor_type) {
            factor.status = "ACTIVE".into();
        }
        let status = factor.status.clone();
        s.factors.insert(factor.id.clone(), factor.clone());
        let event = if status == "ACTIVE" { "user.mfa.factor.activate" } else { "user.mfa.factor.update" };
        caller.log(s, ids, now, Event::new(event, "Enroll factor for user", vec![Target::user(&user)]));
        Ok(render(&factor, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn activate(Path((key, factor_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let body = body_object(&call.body)?;
    let pass_code = body.get("passCode").and_then(Value::as_str).unwrap_or("").to_string();
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let uid = user_id_of(s, &key)?;
        let mut factor = factor_of(s, &uid, &factor_id)?.clone();
        if factor.status == "ACTIVE" {
            return Err(OktaError::validation("factor", "factor: The factor is already active."));
        }
        if factor.factor_type != "push" && !code_matches(&factor, &pass_code, now) {
            return Err(bad_passcode());
        }
        factor.status = "ACTIVE".into();
        factor.last_updated = now;
        if matches!(factor.factor_type.as_str(), "sms" | "call" | "email") {
            factor.secret = new_code(ids);
        }
        s.factors.insert(factor.id.clone(), factor.clone());
        if let Some(u) = s.users.get(&uid).cloned() {
            caller.log(
                s,
                ids,
                now,
                Event::new("user.mfa.factor.activate", "Activate factor for user", vec![Target::user(&u)]),
            );
        }
        Ok(render(&factor, &base))
    })?;
    Ok(wire::ok(&out))
}

/// Sends an enrolment's code again: a new code replaces the old one (in the
/// universe state, where a phone or mailbox would have it).
async fn resend(Path((key, factor_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    // The body names the factor again (factorType, provider, profile); the twin
    // sends to the enrolment's own number or address.
    body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let uid = user_id_of(s, &key)?;
        let mut factor = factor_of(s, &uid, &factor_id)?.clone();
        if !is_otp_by_message(&factor.factor_type) {
            return Err(OktaError::validation(
                "factorType",
                format!("factorType: The factor type '{}' does not support resending a code", factor.factor_type),
            ));
        }
        if factor.status != "PENDING_ACTIVATION" {
            return Err(OktaError::validation("factor", "factor: The factor is already active."));
        }
        factor.secret = new_code(ids);
        factor.last_updated = now;
        s.factors.insert(factor.id.clone(), factor.clone());
        Ok(render(&factor, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn verify(Path((key, factor_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let body = body_object(&call.body)?;
    let pass_code =
        body.get("passCode").or_else(|| body.get("answer")).and_then(Value::as_str).unwrap_or("").to_string();
    let now = call.now();
    let base = call.base().to_string();
    let (status, out) = call.write(|s, ids| {
        let uid = user_id_of(s, &key)?;
        let factor = factor_of(s, &uid, &factor_id)?.clone();
        if factor.status != "ACTIVE" {
            return Err(OktaError::validation("factor", "factor: The factor is not active."));
        }
        let user = s.users.get(&uid).cloned().ok_or(OktaError::Internal)?;
        let me = format!("{base}/api/v1/users/{uid}/factors/{}", factor.id);
        if factor.factor_type == "push" {
            let tx = okta_id(ids, "v2m");
            return Ok((
                axum::http::StatusCode::CREATED,
                json!({
                    "factorResult": "WAITING",
                    "expiresAt": ts(now + Duration::minutes(5)),
                    "_links": {
                        "poll": {"href": format!("{me}/transactions/{tx}"), "hints": {"allow": ["GET"]}},
                        "cancel": {"href": format!("{me}/transactions/{tx}"), "hints": {"allow": ["DELETE"]}}
                    }
                }),
            ));
        }
        if pass_code.is_empty() && matches!(factor.factor_type.as_str(), "sms" | "call" | "email") {
            // A challenge: a new code goes to the phone (into the state).
            let mut f = factor.clone();
            f.secret = new_code(ids);
            f.last_updated = now;
            s.factors.insert(f.id.clone(), f);
            return Ok((
                axum::http::StatusCode::OK,
                json!({"factorResult": "CHALLENGE", "expiresAt": ts(now + Duration::minutes(5)),
                       "_links": {"verify": {"href": format!("{me}/verify"), "hints": {"allow": ["POST"]}}}}),
            ));
        }
        let ok = code_matches(&factor, &pass_code, now);
        let mut event =
            Event::new("user.authentication.auth_via_mfa", "Authentication of user via MFA", vec![Target::user(&user)]);
        if !ok {
            event.outcome = "FAILURE";
            event.reason = Some("INVALID_CREDENTIALS");
        }
        caller.log(s, ids, now, event);
        if ok {
            Ok((axum::http::StatusCode::OK, json!({"factorResult": "SUCCESS"})))
        } else {
            // The failure is logged; the answer is an error.
            Ok((axum::http::StatusCode::FORBIDDEN, Value::Null))
        }
    })?;
    if status == axum::http::StatusCode::FORBIDDEN {
        return Err(bad_passcode());
    }
    Ok(wire::json(status, &out))
}

async fn transaction(
    Path((key, factor_id, _tx)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        let uid = user_id_of(s, &key)?;
        let f = factor_of(s, &uid, &factor_id)?;
        Ok(json!({
            "factorResult": "SUCCESS",
            "_links": {"factor": {"href": format!("{base}/api/v1/users/{uid}/factors/{}", f.id), "hints": {"allow": ["GET", "DELETE"]}}}
        }))
    })??;
    Ok(wire::ok(&out))
}

async fn unenroll(Path((key, factor_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let uid = user_id_of(s, &key)?;
        factor_of(s, &uid, &factor_id)?;
        s.factors.remove(&factor_id);
        if let Some(u) = s.users.get(&uid).cloned() {
            caller.log(
                s,
                ids,
                now,
                Event::new("user.mfa.factor.deactivate", "Reset factor for user", vec![Target::user(&u)]),
            );
        }
        Ok(())
    })?;
    Ok(wire::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_round_trips() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(unbase32("MZXW6YTBOI").unwrap(), b"foobar");
    }

    #[test]
    fn totp_matches_rfc_6238() {
        // RFC 6238 appendix B, SHA-1, secret "12345678901234567890", 8 digits there; 6 here.
        let secret = base32(b"12345678901234567890");
        let at = |t: i64| DateTime::from_timestamp(t, 0).unwrap();
        assert_eq!(totp(&secret, at(59)).unwrap(), "287082");
        assert_eq!(totp(&secret, at(1_111_111_109)).unwrap(), "081804");
        assert_eq!(totp(&secret, at(2_000_000_000)).unwrap(), "279037");
    }
}
