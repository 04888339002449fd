//! The org's authenticators (Identity Engine): the ones a new org has, the keys an
//! admin may add, their methods, and the rules Okta keeps about switching them off.
//! No HTTP here: `api::authenticators` serves the records.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use twin_core::ids::IdGen;

use crate::ids::okta_id;
use crate::model::OktaState;

/// One way an authenticator verifies (`sms`, `totp`, `push`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthMethod {
    /// The method type, one of the vendor's `AuthenticatorMethodType`.
    pub kind: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Type-specific settings (`Value::Null` when the method has none).
    pub settings: Value,
}

/// An authenticator of the org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authenticator {
    pub id: String,
    /// `okta_password`, `okta_email`, `phone_number`, `okta_verify`, …
    pub key: String,
    /// The vendor's `AuthenticatorType`: `password`, `email`, `phone`, `app`, …
    pub kind: String,
    pub name: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    /// `Value::Null` when the authenticator has none (password, webauthn).
    pub settings: Value,
    pub methods: Vec<AuthMethod>,
}

impl Authenticator {
    pub fn method(&self, kind: &str) -> Option<&AuthMethod> {
        self.methods.iter().find(|m| m.kind == kind)
    }
}

/// What a key is: its type, its default name and settings, its methods with theirs.
pub struct KeySpec {
    pub key: &'static str,
    pub kind: &'static str,
    pub name: &'static str,
    /// Part of every new org (else an admin adds it with `POST /api/v1/authenticators`).
    pub seeded: bool,
    /// Status in a new org.
    pub active: bool,
    pub settings: fn() -> Value,
    pub methods: fn() -> Vec<AuthMethod>,
}

fn method(kind: &str, status: &str, settings: Value) -> AuthMethod {
    AuthMethod { kind: kind.into(), status: status.into(), settings }
}

fn none() -> Value {
    Value::Null
}

/// Every key the twin knows, seeded ones first in the order a new org lists them.
pub const KEYS: &[KeySpec] = &[
    KeySpec {
        key: "okta_email",
        kind: "email",
        name: "Email",
        seeded: true,
        active: true,
        settings: || json!({"allowedFor": "any", "tokenLifetimeInMinutes": 5}),
        methods: || vec![method("email", "ACTIVE", Value::Null)],
    },
    KeySpec {
        key: "okta_password",
        kind: "password",
        name: "Password",
        seeded: true,
        active: true,
        settings: none,
        methods: || vec![method("password", "ACTIVE", Value::Null)],
    },
    KeySpec {
        key: "okta_verify",
        kind: "app",
        name: "Okta Verify",
        seeded: true,
        active: true,
        settings: || {
            json!({"channelBinding": {"style": "NUMBER_CHALLENGE", "required": "HIGH_RISK_ONLY"},
                   "compliance": {"fips": "OPTIONAL"}, "userVerification": "PREFERRED"})
        },
        methods: || {
            vec![
                method(
                    "push",
                    "ACTIVE",
                    json!({"keyProtection": "ANY", "algorithms": ["RS256", "ES256"], "transactionTypes": ["LOGIN"]}),
                ),
                method("signed_nonce", "ACTIVE", json!({"keyProtection": "ANY", "algorithms": ["RS256", "ES256"]})),
                method(
                    "totp",
                    "ACTIVE",
                    json!({"timeIntervalInSeconds": 30, "encoding": "base32", "algorithm": "HMACSHA1", "passCodeLength": 6}),
                ),
            ]
        },
    },
    KeySpec {
        key: "phone_number",
        kind: "phone",
        name: "Phone",
        seeded: true,
        active: false,
        settings: || json!({"allowedFor": "none"}),
        methods: || vec![method("sms", "ACTIVE", Value::Null), method("voice", "INACTIVE", Value::Null)],
    },
    KeySpec {
        key: "security_question",
        kind: "security_question",
        name: "Security Question",
        seeded: true,
        active: false,
        settings: || json!({"allowedFor": "recovery"}),
        methods: || vec![method("security_question", "ACTIVE", Value::Null)],
    },
    KeySpec {
        key: "webauthn",
        kind: "security_key",
        name: "Security Key or Biometric",
        seeded: true,
        active: false,
        settings: none,
        methods: || vec![method("webauthn", "ACTIVE", json!({"userVerification": "DISCOURAGED", "attachment": "ANY"}))],
    },
    KeySpec {
        key: "google_otp",
        kind: "app",
        name: "Google Authenticator",
        seeded: false,
        active: false,
        settings: none,
        methods: || vec![method("otp", "ACTIVE", Value::Null)],
    },
    KeySpec {
        key: "yubikey_token",
        kind: "security_key",
        name: "YubiKey Authenticator",
        seeded: false,
        active: false,
        settings: none,
        methods: || vec![method("otp", "ACTIVE", Value::Null)],
    },
];

pub fn spec(key: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|k| k.key == key)
}

/// Builds an authenticator of `spec` (inactive unless `active`).
pub fn build(spec: &KeySpec, id: String, name: Option<String>, active: bool, now: DateTime<Utc>) -> Authenticator {
    Authenticator {
        id,
        key: spec.key.into(),
        kind: spec.kind.into(),
        name: name.unwrap_or_else(|| spec.name.to_string()),
        status: if active { "ACTIVE" } else { "INACTIVE" }.into(),
        created: now,
        last_updated: now,
        settings: (spec.settings)(),
        methods: (spec.methods)(),
    }
}

/// The authenticators a new org has.
pub fn seed(s: &mut OktaState, ids: &mut IdGen, now: DateTime<Utc>) {
    for spec in KEYS.iter().filter(|k| k.seeded) {
        let id = okta_id(ids, "aut");
        s.authenticators.insert(id.clone(), build(spec, id, None, spec.active, now));
    }
}

/// Why `key` cannot be switched off, if it cannot: the password is how every user
/// signs in, and an authenticator an active enrollment policy asks users to enrol
/// (REQUIRED or OPTIONAL) stays on while that policy names it.
pub fn deactivation_blocker(s: &OktaState, key: &str) -> Option<String> {
    if key == "okta_password" {
        return Some("The password authenticator cannot be deactivated.".into());
    }
    let in_use = s.policies.values().filter(|p| p.kind == "MFA_ENROLL" && p.status == "ACTIVE").find(|p| {
        p.settings.get("authenticators").and_then(Value::as_array).is_some_and(|list| {
            list.iter().any(|a| {
                a.get("key").and_then(Value::as_str) == Some(key)
                    && a.pointer("/enroll/self").and_then(Value::as_str).unwrap_or("NOT_ALLOWED") != "NOT_ALLOWED"
            })
        })
    });
    in_use.map(|p| format!("The authenticator is used by the enrollment policy '{}'.", p.name))
}

/// The key of an active authenticator of the org, if one has it.
pub fn is_active(s: &OktaState, key: &str) -> bool {
    s.authenticators.values().any(|a| a.key == key && a.status == "ACTIVE")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_org_has_six_with_password_and_email_active() {
        let mut ids = IdGen::new(5);
        let mut s = OktaState::new("Acme", &mut ids);
        let now = Utc::now();
        seed(&mut s, &mut ids, now);
        assert_eq!(s.authenticators.len(), 6);
        assert!(s.authenticators.values().all(|a| a.id.starts_with("aut") && a.id.len() == 20));
        assert!(is_active(&s, "okta_password") && is_active(&s, "okta_email") && !is_active(&s, "phone_number"));
        assert!(deactivation_blocker(&s, "okta_password").is_some());
        assert!(deactivation_blocker(&s, "okta_email").is_none(), "no enrollment policy names it yet");
        crate::policy::seed_defaults(&mut s, &mut ids, now, 10);
        assert!(deactivation_blocker(&s, "okta_email").is_some(), "the default enrollment policy requires it");
        assert!(deactivation_blocker(&s, "okta_verify").is_none());
    }
}
