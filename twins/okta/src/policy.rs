//! Policies as the org enforces them: the records of `/api/v1/policies` (and their
//! rules), the ordering Okta keeps among them, and the password policy that applies
//! to a user (complexity, history, age, lockout). No HTTP here: `api::policies`
//! serves the records, and the users, credentials and sign-in handlers ask this
//! module whether a password is acceptable.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use twin_core::ids::IdGen;

use crate::errors::OktaError;
use crate::ids::okta_id;
use crate::model::OktaState;

/// A policy of any type; the type-specific parts (`conditions`, `settings`) are kept
/// as the vendor's JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub id: String,
    /// `PASSWORD`, `OKTA_SIGN_ON`, `MFA_ENROLL`, `ACCESS_POLICY`, `PROFILE_ENROLLMENT`, `IDP_DISCOVERY`.
    pub kind: String,
    pub name: String,
    pub description: Option<String>,
    /// 1-based among the policies of its type.
    pub priority: i64,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// The org's default policy of its type: always last, never deleted.
    pub system: bool,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub conditions: Value,
    pub settings: Value,
}

/// A rule of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRule {
    pub id: String,
    pub policy_id: String,
    /// `PASSWORD`, `SIGN_ON`, `MFA_ENROLL`, `ACCESS_POLICY`, `PROFILE_ENROLLMENT`, `IDP_DISCOVERY`.
    pub kind: String,
    pub name: String,
    /// 1-based among the rules of its policy.
    pub priority: i64,
    pub status: String,
    /// The policy's Default Rule: always last, never deleted.
    pub system: bool,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub conditions: Value,
    pub actions: Value,
}

/// An app mapped to a policy (`/api/v1/policies/{id}/mappings`): an app follows one
/// ACCESS_POLICY and one PROFILE_ENROLLMENT policy, the default one unless mapped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyMapping {
    pub id: String,
    pub policy_id: String,
    pub app_id: String,
}

/// The policy types an app can be mapped to.
pub fn maps_apps(policy_type: &str) -> bool {
    matches!(policy_type, "ACCESS_POLICY" | "PROFILE_ENROLLMENT")
}

/// The policy types this twin serves, each with the type of its rules.
pub const POLICY_TYPES: [(&str, &str); 6] = [
    ("OKTA_SIGN_ON", "SIGN_ON"),
    ("PASSWORD", "PASSWORD"),
    ("MFA_ENROLL", "MFA_ENROLL"),
    ("ACCESS_POLICY", "ACCESS_POLICY"),
    ("PROFILE_ENROLLMENT", "PROFILE_ENROLLMENT"),
    ("IDP_DISCOVERY", "IDP_DISCOVERY"),
];

/// The rule type of a policy type.
pub fn rule_type(policy_type: &str) -> Option<&'static str> {
    POLICY_TYPES.iter().find(|(p, _)| *p == policy_type).map(|(_, r)| *r)
}

/// Renumbers a set of siblings (policies of one type, rules of one policy) after
/// `moved` asks for `wanted` priority: the others shift to make room, system
/// records stay last, and priorities run 1..n with no gaps, as at Okta.
/// `siblings` is (id, priority, system) of every sibling, `moved` included.
pub fn reorder(siblings: &[(String, i64, bool)], moved: Option<(&str, Option<i64>)>) -> Vec<(String, i64)> {
    let mut ordered: Vec<&(String, i64, bool)> = siblings.iter().collect();
    ordered.sort_by(|a, b| (a.2, a.1, &a.0).cmp(&(b.2, b.1, &b.0)));
    let mut ids: Vec<&str> = ordered.iter().filter(|s| !s.2).map(|s| s.0.as_str()).collect();
    if let Some((id, wanted)) = moved {
        if let Some(pos) = ids.iter().position(|x| *x == id) {
            ids.remove(pos);
            let at = match wanted {
                Some(p) => usize::try_from(p.max(1) - 1).unwrap_or(0).min(ids.len()),
                // Without a priority a new record goes last among the non-system ones.
                None => ids.len(),
            };
            ids.insert(at, id);
        }
    }
    ids.extend(ordered.iter().filter(|s| s.2).map(|s| s.0.as_str()));
    ids.into_iter().enumerate().map(|(i, id)| (id.to_string(), i as i64 + 1)).collect()
}

/// Does a `people.groups` condition (include / exclude of group ids) hold for a
/// user in `group_ids`? No include list means everyone.
pub fn people_match(conditions: &Value, group_ids: &[String]) -> bool {
    let list = |p: &str| -> Vec<&str> {
        conditions
            .pointer(p)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    let include = list("/people/groups/include");
    let exclude = list("/people/groups/exclude");
    if exclude.iter().any(|g| group_ids.iter().any(|x| x == g)) {
        return false;
    }
    include.is_empty() || include.iter().any(|g| group_ids.iter().any(|x| x == g))
}

/// Does the OKTA_SIGN_ON policy that governs a user ask for a second factor at
/// sign-in? The first active policy by priority whose people condition holds, then
/// its first active rule by priority whose people condition holds (and that does not
/// exclude the user): its `actions.signon.requireFactor`. The seeded Default Rule
/// does not, so an org asks for factors only once an admin says so.
pub fn sign_on_requires_factor(s: &OktaState, user_id: &str) -> bool {
    let groups = s.user_group_ids(user_id);
    let mut policies: Vec<&Policy> =
        s.policies.values().filter(|p| p.kind == "OKTA_SIGN_ON" && p.status == "ACTIVE").collect();
    policies.sort_by_key(|p| (p.system, p.priority));
    let Some(policy) = policies.into_iter().find(|p| people_match(&p.conditions, &groups)) else {
        return false;
    };
    let mut rules: Vec<&PolicyRule> =
        s.policy_rules.values().filter(|r| r.policy_id == policy.id && r.status == "ACTIVE").collect();
    rules.sort_by_key(|r| (r.system, r.priority));
    let excluded = |r: &PolicyRule| {
        r.conditions
            .pointer("/people/users/exclude")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|u| u.as_str() == Some(user_id)))
    };
    rules
        .into_iter()
        .find(|r| people_match(&r.conditions, &groups) && !excluded(r))
        .and_then(|r| r.actions.pointer("/signon/requireFactor").and_then(Value::as_bool))
        .unwrap_or(false)
}

/// A factor an enrollment policy lets a user enrol: (factorType, provider), and
/// whether it is `REQUIRED` or `OPTIONAL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollable {
    pub factor_type: &'static str,
    pub provider: &'static str,
    pub required: bool,
}

/// What an enrollment policy asks of a user: the factors it offers, and the
/// requirements, each met by an active enrolment of any one of its factors (a phone
/// by SMS or by voice call).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enrollment {
    pub offer: Vec<Enrollable>,
    pub required: Vec<&'static [(&'static str, &'static str)]>,
}

/// The factors of a Classic `settings.factors` key or an Identity Engine
/// `settings.authenticators` key (the password and email authenticators are met by
/// the user's password and primary email, so they ask for no factor).
fn factors_of_key(key: &str) -> &'static [(&'static str, &'static str)] {
    match key {
        "okta_otp" => &[("token:software:totp", "OKTA")],
        "google_otp" => &[("token:software:totp", "GOOGLE")],
        "okta_sms" => &[("sms", "OKTA")],
        "okta_call" => &[("call", "OKTA")],
        "okta_email" => &[("email", "OKTA")],
        "okta_question" | "security_question" => &[("question", "OKTA")],
        "okta_push" => &[("push", "OKTA")],
        "okta_verify" => &[("push", "OKTA"), ("token:software:totp", "OKTA")],
        "phone_number" => &[("sms", "OKTA"), ("call", "OKTA")],
        _ => &[],
    }
}

/// What the MFA_ENROLL policy that governs a user lets them enrol (the first active
/// policy by priority whose people condition holds, unless its first matching active
/// rule says `enroll.self: NEVER`). Classic policies list `settings.factors`; Identity
/// Engine ones `settings.authenticators`, of which only authenticators the org has
/// active count. `NOT_ALLOWED` entries are left out.
pub fn enrollment_for_user(s: &OktaState, user_id: &str) -> Enrollment {
    let groups = s.user_group_ids(user_id);
    let mut policies: Vec<&Policy> =
        s.policies.values().filter(|p| p.kind == "MFA_ENROLL" && p.status == "ACTIVE").collect();
    policies.sort_by_key(|p| (p.system, p.priority));
    let Some(policy) = policies.into_iter().find(|p| people_match(&p.conditions, &groups)) else {
        return Enrollment::default();
    };
    let mut rules: Vec<&PolicyRule> =
        s.policy_rules.values().filter(|r| r.policy_id == policy.id && r.status == "ACTIVE").collect();
    rules.sort_by_key(|r| (r.system, r.priority));
    let never = rules
        .into_iter()
        .find(|r| people_match(&r.conditions, &groups))
        .and_then(|r| r.actions.pointer("/enroll/self").and_then(Value::as_str))
        .is_some_and(|e| e.eq_ignore_ascii_case("NEVER"));
    if never {
        return Enrollment::default();
    }
    let mut entries: Vec<(String, String)> = Vec::new();
    if let Some(factors) = policy.settings.get("factors").and_then(Value::as_object) {
        for (key, v) in factors {
            let self_ = v.pointer("/enroll/self").and_then(Value::as_str).unwrap_or("NOT_ALLOWED");
            entries.push((key.clone(), self_.to_string()));
        }
    }
    for a in policy.settings.get("authenticators").and_then(Value::as_array).into_iter().flatten() {
        let key = a.get("key").and_then(Value::as_str).unwrap_or("");
        if key == "okta_email" || key == "okta_password" || !crate::authenticators::is_active(s, key) {
            continue;
        }
        let self_ = a.pointer("/enroll/self").and_then(Value::as_str).unwrap_or("NOT_ALLOWED");
        entries.push((key.to_string(), self_.to_string()));
    }
    let mut out = Enrollment::default();
    for (key, self_) in entries {
        let required = match self_.as_str() {
            "REQUIRED" => true,
            "OPTIONAL" => false,
            _ => continue,
        };
        let factors = factors_of_key(&key);
        if required && !factors.is_empty() {
            out.required.push(factors);
        }
        for &(factor_type, provider) in factors {
            match out.offer.iter_mut().find(|e| e.factor_type == factor_type && e.provider == provider) {
                Some(e) => e.required |= required,
                None => out.offer.push(Enrollable { factor_type, provider, required }),
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Password policies

/// The password settings of a PASSWORD policy, with Okta's defaults for what it omits.
#[derive(Debug, Clone, PartialEq)]
pub struct PasswordRules {
    pub min_length: u32,
    pub min_lower: u32,
    pub min_upper: u32,
    pub min_number: u32,
    pub min_symbol: u32,
    pub exclude_username: bool,
    pub exclude_attributes: Vec<String>,
    pub history_count: u32,
    pub min_age_minutes: i64,
    pub max_age_days: i64,
    /// Failed sign-ins before LOCKED_OUT; 0 never locks.
    pub max_attempts: u32,
}

impl Default for PasswordRules {
    /// A new org's Default Policy.
    fn default() -> Self {
        Self {
            min_length: 8,
            min_lower: 1,
            min_upper: 1,
            min_number: 1,
            min_symbol: 0,
            exclude_username: true,
            exclude_attributes: vec![],
            history_count: 4,
            min_age_minutes: 0,
            max_age_days: 0,
            max_attempts: 10,
        }
    }
}

impl PasswordRules {
    pub fn from_settings(settings: &Value) -> Self {
        let d = Self::default();
        let num = |p: &str, default: i64| settings.pointer(p).and_then(Value::as_i64).unwrap_or(default);
        let count = |p: &str, default: u32| u32::try_from(num(p, i64::from(default)).max(0)).unwrap_or(default);
        Self {
            min_length: count("/password/complexity/minLength", d.min_length),
            min_lower: count("/password/complexity/minLowerCase", d.min_lower),
            min_upper: count("/password/complexity/minUpperCase", d.min_upper),
            min_number: count("/password/complexity/minNumber", d.min_number),
            min_symbol: count("/password/complexity/minSymbol", d.min_symbol),
            exclude_username: settings
                .pointer("/password/complexity/excludeUsername")
                .and_then(Value::as_bool)
                .unwrap_or(d.exclude_username),
            exclude_attributes: settings
                .pointer("/password/complexity/excludeAttributes")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default(),
            history_count: count("/password/age/historyCount", d.history_count),
            min_age_minutes: num("/password/age/minAgeMinutes", d.min_age_minutes).max(0),
            max_age_days: num("/password/age/maxAgeDays", d.max_age_days).max(0),
            max_attempts: count("/password/lockout/maxAttempts", d.max_attempts),
        }
    }

    /// The settings object a policy answers with for these rules.
    pub fn to_settings(&self) -> Value {
        json!({
            "password": {
                "complexity": {
                    "minLength": self.min_length, "minLowerCase": self.min_lower, "minUpperCase": self.min_upper,
                    "minNumber": self.min_number, "minSymbol": self.min_symbol,
                    "excludeUsername": self.exclude_username, "excludeAttributes": self.exclude_attributes,
                    "dictionary": {"common": {"exclude": false}}
                },
                "age": {
                    "maxAgeDays": self.max_age_days, "expireWarnDays": 0,
                    "minAgeMinutes": self.min_age_minutes, "historyCount": self.history_count
                },
                "lockout": {
                    "maxAttempts": self.max_attempts, "autoUnlockMinutes": 0,
                    "userLockoutNotificationChannels": [], "showLockoutFailures": false
                }
            },
            "recovery": {"factors": {
                "recovery_question": {"status": "ACTIVE", "properties": {"complexity": {"minLength": 4}}},
                "okta_email": {"status": "ACTIVE", "properties": {"recoveryToken": {"tokenLifetimeMinutes": 60}}},
                "okta_sms": {"status": "INACTIVE"},
                "okta_call": {"status": "INACTIVE"}
            }},
            "delegation": {"options": {"skipUnlock": false}}
        })
    }

    /// Okta's sentence of requirements: "at least 8 characters, a lowercase letter, …".
    pub fn requirements(&self) -> String {
        let mut parts = vec![format!("at least {} characters", self.min_length)];
        let mut need = |n: u32, one: &str, many: &str| match n {
            0 => {}
            1 => parts.push(one.to_string()),
            n => parts.push(format!("at least {n} {many}")),
        };
        need(self.min_lower, "a lowercase letter", "lowercase letters");
        need(self.min_upper, "an uppercase letter", "uppercase letters");
        need(self.min_number, "a number", "numbers");
        need(self.min_symbol, "a symbol", "symbols");
        if self.exclude_username {
            parts.push("no parts of your username".into());
        }
        for attr in &self.exclude_attributes {
            let name = match attr.as_str() {
                "firstName" => "first name",
                "lastName" => "last name",
                other => other,
            };
            parts.push(format!("does not include your {name}"));
        }
        let mut text = format!("Password requirements: {}.", parts.join(", "));
        if self.min_age_minutes > 0 {
            let m = self.min_age_minutes;
            let span = if m % 1440 == 0 {
                format!("{} day(s)", m / 1440)
            } else if m % 60 == 0 {
                format!("{} hour(s)", m / 60)
            } else {
                format!("{m} minute(s)")
            };
            text.push_str(&format!(" At least {span} must have elapsed since you last changed your password."));
        }
        text
    }

    fn not_met(&self) -> OktaError {
        OktaError::validation(
            "password",
            format!("password: Password requirements were not met. {}", self.requirements()),
        )
    }

    /// Does `password` meet the complexity rules for a user with this profile?
    pub fn check_complexity(&self, password: &str, profile: &serde_json::Map<String, Value>) -> Result<(), OktaError> {
        let count = |f: fn(&char) -> bool| password.chars().filter(f).count() as u32;
        let symbols = count(|c| !c.is_alphanumeric() && !c.is_whitespace());
        let mut ok = password.chars().count() as u32 >= self.min_length
            && count(|c| c.is_lowercase()) >= self.min_lower
            && count(|c| c.is_uppercase()) >= self.min_upper
            && count(char::is_ascii_digit) >= self.min_number
            && symbols >= self.min_symbol;
        let lower = password.to_lowercase();
        if self.exclude_username {
            let login = profile.get("login").and_then(Value::as_str).unwrap_or("");
            // Okta looks for the login's parts (split at `@` and `.`) of three or more characters.
            let local = login.split('@').next().unwrap_or("").to_lowercase();
            if local.len() >= 3 && lower.contains(&local) {
                ok = false;
            }
        }
        for attr in &self.exclude_attributes {
            let value = profile.get(attr).and_then(Value::as_str).unwrap_or("").to_lowercase();
            if value.chars().count() >= 3 && lower.contains(&value) {
                ok = false;
            }
        }
        if ok {
            Ok(())
        } else {
            Err(self.not_met())
        }
    }
}

/// The PASSWORD policy that governs a user in `group_ids`: the first active one by
/// priority whose people condition holds (the Default Policy holds for everyone).
pub fn password_policy_for<'a>(s: &'a OktaState, group_ids: &[String]) -> Option<&'a Policy> {
    let mut policies: Vec<&Policy> = s
        .policies
        .values()
        .filter(|p| p.kind == "PASSWORD" && p.status == "ACTIVE")
        .filter(|p| p.conditions.pointer("/authProvider/provider").and_then(Value::as_str).is_none_or(|v| v == "OKTA"))
        .collect();
    policies.sort_by_key(|p| (p.system, p.priority));
    policies.into_iter().find(|p| people_match(&p.conditions, group_ids))
}

/// The password rules for an existing user.
pub fn rules_for_user(s: &OktaState, user_id: &str) -> PasswordRules {
    rules_for_groups(s, &s.user_group_ids(user_id))
}

/// The password rules for a user in `group_ids` (a user being created has only those).
pub fn rules_for_groups(s: &OktaState, group_ids: &[String]) -> PasswordRules {
    password_policy_for(s, group_ids).map(|p| PasswordRules::from_settings(&p.settings)).unwrap_or_default()
}

/// How a new password is being set, which decides which checks apply: an admin's
/// set skips history and age unless `strict`, a user's own change checks them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    /// Create with a password, or an admin set (`strict=false`).
    Set,
    /// The user changes their own password, or an admin set with `strict=true`.
    Change,
    /// The Management API's change of a password (old and new) without `strict`:
    /// history holds, the minimum age does not (`strict=true` asks for it).
    ChangeAnyAge,
}

/// Checks a new password for an existing user against the policy that governs them.
pub fn check_new_password(
    s: &OktaState,
    user_id: &str,
    password: &str,
    how: PasswordChange,
    now: DateTime<Utc>,
) -> Result<(), OktaError> {
    let user = s.users.get(user_id).ok_or_else(|| OktaError::not_found(user_id, "User"))?;
    let rules = rules_for_user(s, user_id);
    rules.check_complexity(password, &user.profile)?;
    if how != PasswordChange::Set {
        if how == PasswordChange::Change && rules.min_age_minutes > 0 {
            if let Some(changed) = user.password_changed {
                // Checked arithmetic: an imported state may hold any number.
                let allowed_from =
                    Duration::try_minutes(rules.min_age_minutes).and_then(|d| changed.checked_add_signed(d));
                if allowed_from.is_none_or(|t| t > now) {
                    return Err(OktaError::CredentialsFailed {
                        cause: format!("password: Password requirements were not met. {}", rules.requirements()),
                    });
                }
            }
        }
        if rules.history_count > 0 {
            let recent = s.password_history.get(user_id).map(|h| h.as_slice()).unwrap_or_default();
            // The count includes the password the user has now.
            let current = user.password.as_deref().into_iter();
            let earlier = recent.iter().rev().take(rules.history_count as usize - 1).map(String::as_str);
            let used = current.chain(earlier).any(|p| p == password);
            if used {
                return Err(OktaError::CredentialsFailed {
                    cause: "password: Password has been used too recently".into(),
                });
            }
        }
    }
    Ok(())
}

/// Remembers a password a user had, for the history check (bounded: Okta keeps at most 24).
pub fn remember_password(s: &mut OktaState, user_id: &str, password: &str) {
    if password.is_empty() {
        return;
    }
    let mut history = s.password_history.get(user_id).cloned().unwrap_or_default();
    history.push(password.to_string());
    let excess = history.len().saturating_sub(24);
    history.drain(..excess);
    s.password_history.insert(user_id.to_string(), history);
}

/// Has the user's password outlived the policy's `maxAgeDays`?
pub fn password_expired(s: &OktaState, user_id: &str, now: DateTime<Utc>) -> bool {
    let Some(user) = s.users.get(user_id) else { return false };
    let rules = rules_for_user(s, user_id);
    match (rules.max_age_days, user.password_changed) {
        (days, Some(changed)) if days > 0 => {
            Duration::try_days(days).and_then(|d| changed.checked_add_signed(d)).is_some_and(|t| t <= now)
        }
        _ => false,
    }
}

/// Failed sign-ins before the user is locked out (0: never).
pub fn max_attempts(s: &OktaState, user_id: &str) -> u32 {
    rules_for_user(s, user_id).max_attempts
}

// ---------------------------------------------------------------------------
// A new org's policies

const DEFAULT_DESCRIPTION: &str = "The default policy applies in all situations if no other policy applies.";

/// The Default Policy of each type a new org has, each with its default rule; the
/// PASSWORD one locks users out after `max_attempts` failed sign-ins.
pub fn seed_defaults(s: &mut OktaState, ids: &mut IdGen, now: DateTime<Utc>, max_attempts: u32) {
    let everyone: Vec<String> = s.everyone_group().map(|g| vec![g.id.clone()]).unwrap_or_default();
    let people = json!({"people": {"groups": {"include": everyone}}});
    let anywhere = json!({"people": {"users": {"exclude": []}}, "network": {"connection": "ANYWHERE"}});
    let rules = PasswordRules { max_attempts, ..PasswordRules::default() };
    let mut password_conditions = people.clone();
    password_conditions["authProvider"] = json!({"provider": "OKTA"});
    let defaults: [(&str, &str, Value, Value, &str, Value, Value); 6] = [
        (
            "OKTA_SIGN_ON",
            "Default Policy",
            people.clone(),
            Value::Null,
            "Default Rule",
            json!({"people": {"users": {"exclude": []}}, "network": {"connection": "ANYWHERE"}, "authContext": {"authType": "ANY"}}),
            json!({"signon": {"access": "ALLOW", "requireFactor": false, "rememberDeviceByDefault": false,
                "session": {"usePersistentCookie": false, "maxSessionIdleMinutes": 120, "maxSessionLifetimeMinutes": 0}}}),
        ),
        (
            "PASSWORD",
            "Default Policy",
            password_conditions,
            rules.to_settings(),
            "Default Rule",
            anywhere.clone(),
            json!({"passwordChange": {"access": "ALLOW"}, "selfServicePasswordReset": {"access": "ALLOW"},
                "selfServiceUnlock": {"access": "DENY"}}),
        ),
        (
            "MFA_ENROLL",
            "Default Policy",
            people,
            json!({"type": "AUTHENTICATORS", "authenticators": [
                {"key": "okta_password", "enroll": {"self": "REQUIRED"}},
                {"key": "okta_email", "enroll": {"self": "REQUIRED"}}]}),
            "Default Rule",
            anywhere,
            json!({"enroll": {"self": "CHALLENGE"}}),
        ),
        (
            "ACCESS_POLICY",
            "Default Policy",
            Value::Null,
            Value::Null,
            "Catch-all Rule",
            Value::Null,
            json!({"appSignOn": {"access": "ALLOW", "verificationMethod": {"factorMode": "2FA", "type": "ASSURANCE", "reauthenticateIn": "PT12H"}}}),
        ),
        (
            "PROFILE_ENROLLMENT",
            "Default Policy",
            Value::Null,
            Value::Null,
            "Catch-all Rule",
            Value::Null,
            json!({"profileEnrollment": {"access": "ALLOW", "targetGroupIds": [], "unknownUserAction": "DENY",
                "activationRequirements": {"emailVerification": true}, "preRegistrationInlineHooks": [],
                "profileAttributes": [{"name": "email", "label": "Email", "required": true}]}}),
        ),
        (
            "IDP_DISCOVERY",
            "Idp Discovery Policy",
            Value::Null,
            Value::Null,
            "Default Rule",
            json!({"network": {"connection": "ANYWHERE"}}),
            json!({"idp": {"providers": [{"type": "OKTA"}]}}),
        ),
    ];
    for (kind, name, conditions, settings, rule_name, rule_conditions, actions) in defaults {
        let policy_id = okta_id(ids, "00p");
        let description = (kind != "IDP_DISCOVERY").then(|| DEFAULT_DESCRIPTION.to_string());
        s.policies.insert(
            policy_id.clone(),
            Policy {
                id: policy_id.clone(),
                kind: kind.into(),
                name: name.into(),
                description,
                priority: 1,
                status: "ACTIVE".into(),
                system: true,
                created: now,
                last_updated: now,
                conditions,
                settings,
            },
        );
        let rule_id = okta_id(ids, "0pr");
        s.policy_rules.insert(
            rule_id.clone(),
            PolicyRule {
                id: rule_id,
                policy_id,
                kind: rule_type(kind).unwrap_or(kind).into(),
                name: rule_name.into(),
                priority: 1,
                status: "ACTIVE".into(),
                system: true,
                created: now,
                last_updated: now,
                conditions: rule_conditions,
                actions,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(login: &str) -> serde_json::Map<String, Value> {
        let mut p = serde_json::Map::new();
        p.insert("login".into(), json!(login));
        p.insert("firstName".into(), json!("Annabel"));
        p
    }

    #[test]
    fn the_default_rules_read_as_okta_writes_them() {
        let d = PasswordRules::default();
        assert_eq!(
            d.requirements(),
            "Password requirements: at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts of your username."
        );
        assert_eq!(PasswordRules::from_settings(&d.to_settings()), d);
        assert!(d.check_complexity("Tw1n-Passw0rd!", &profile("ann@acme.test")).is_ok());
        assert!(d.check_complexity("abcdefg1", &profile("ann@acme.test")).is_err());
        assert!(d.check_complexity("Xannabc12", &profile("ann@acme.test")).is_err());
    }

    #[test]
    fn stricter_rules_name_every_requirement() {
        let settings = json!({"password": {"complexity": {"minLength": 12, "minSymbol": 1, "minNumber": 2,
            "excludeAttributes": ["firstName"]}, "age": {"minAgeMinutes": 1440}}});
        let r = PasswordRules::from_settings(&settings);
        assert_eq!(
            r.requirements(),
            "Password requirements: at least 12 characters, a lowercase letter, an uppercase letter, at least 2 numbers, a symbol, no parts of your username, does not include your first name. At least 1 day(s) must have elapsed since you last changed your password."
        );
        assert!(r.check_complexity("Long-Passw0rd1", &profile("z@acme.test")).is_ok());
        assert!(r.check_complexity("Long-Passw0rd", &profile("z@acme.test")).is_err(), "one number");
        assert!(r.check_complexity("Annabel-Pw012", &profile("z@acme.test")).is_err(), "first name");
    }

    #[test]
    fn reorder_shifts_others_and_keeps_system_last() {
        let sib = |v: &[(&str, i64, bool)]| v.iter().map(|(a, b, c)| (a.to_string(), *b, *c)).collect::<Vec<_>>();
        let s = sib(&[("a", 1, false), ("b", 2, false), ("def", 3, true), ("new", 0, false)]);
        let got = reorder(&s, Some(("new", Some(1))));
        assert_eq!(got, vec![("new".into(), 1), ("a".into(), 2), ("b".into(), 3), ("def".into(), 4)]);
        let got = reorder(&s, Some(("new", Some(99))));
        assert_eq!(got.last(), Some(&("def".to_string(), 4)));
        assert_eq!(got[2], ("new".to_string(), 3));
        let got = reorder(&s, Some(("new", None)));
        assert_eq!(got[2], ("new".to_string(), 3));
    }

    fn org_with_user(settings: Value, changed: DateTime<Utc>) -> OktaState {
        let mut ids = IdGen::new(7);
        let mut s = OktaState::new("Acme", &mut ids);
        let user = crate::model::User {
            id: "00u1".into(),
            status: crate::model::UserStatus::Active,
            created: changed,
            activated: Some(changed),
            status_changed: None,
            last_login: None,
            last_updated: changed,
            password_changed: Some(changed),
            profile: profile("ann@acme.test"),
            password: Some("Current-Pw1".into()),
            recovery_question: None,
            provider: "OKTA".into(),
            type_id: "oty1".into(),
            failed_logins: 0,
            rendered: Default::default(),
        };
        s.users.insert("00u1".into(), user);
        s.policies.insert(
            "00p1".into(),
            Policy {
                id: "00p1".into(),
                kind: "PASSWORD".into(),
                name: "Default Policy".into(),
                description: None,
                priority: 1,
                status: "ACTIVE".into(),
                system: true,
                created: changed,
                last_updated: changed,
                conditions: Value::Null,
                settings,
            },
        );
        s
    }

    #[test]
    fn history_counts_the_current_password() {
        let now = Utc::now();
        let mut s = org_with_user(json!({"password": {"age": {"historyCount": 2}}}), now);
        remember_password(&mut s, "00u1", "Older-Pw1");
        remember_password(&mut s, "00u1", "Previous-Pw1");
        let change = |s: &OktaState, pw: &str| check_new_password(s, "00u1", pw, PasswordChange::Change, now);
        assert_eq!(change(&s, "Current-Pw1").unwrap_err().code(), "E0000014");
        assert_eq!(change(&s, "Previous-Pw1").unwrap_err().code(), "E0000014");
        assert!(change(&s, "Older-Pw1").is_ok(), "two back is past a count of 2");
        assert!(check_new_password(&s, "00u1", "Current-Pw1", PasswordChange::Set, now).is_ok(), "a set skips history");
        let lenient = check_new_password(&s, "00u1", "Previous-Pw1", PasswordChange::ChangeAnyAge, now);
        assert_eq!(lenient.unwrap_err().code(), "E0000014", "a change without strict still checks history");
    }

    #[test]
    fn ages_out_of_range_neither_panic_nor_pass() {
        let now = Utc::now();
        let huge = json!({"password": {"age": {"minAgeMinutes": i64::MAX, "maxAgeDays": i64::MAX, "historyCount": 0}}});
        let s = org_with_user(huge, now - Duration::days(10_000));
        assert!(check_new_password(&s, "00u1", "Another-Pw1", PasswordChange::Change, now).is_err());
        assert!(check_new_password(&s, "00u1", "Another-Pw1", PasswordChange::ChangeAnyAge, now).is_ok());
        assert!(!password_expired(&s, "00u1", now));
        let s = org_with_user(json!({"password": {"age": {"maxAgeDays": 30}}}), now - Duration::days(31));
        assert!(password_expired(&s, "00u1", now));
        assert_eq!(max_attempts(&s, "00u1"), 10);
    }

    #[test]
    fn sign_on_asks_for_a_factor_only_when_the_governing_rule_says_so() {
        let now = Utc::now();
        let mut s = org_with_user(json!({}), now);
        let mut ids = IdGen::new(9);
        seed_defaults(&mut s, &mut ids, now, 10);
        assert!(!sign_on_requires_factor(&s, "00u1"), "the Default Rule does not");
        let rule_id = s.policy_rules.values().find(|r| r.kind == "SIGN_ON").map(|r| r.id.clone()).unwrap();
        let mut rule = s.policy_rules[&rule_id].clone();
        rule.actions["signon"]["requireFactor"] = json!(true);
        s.policy_rules.insert(rule_id.clone(), rule.clone());
        assert!(sign_on_requires_factor(&s, "00u1"));
        rule.conditions["people"]["users"]["exclude"] = json!(["00u1"]);
        s.policy_rules.insert(rule_id, rule);
        assert!(!sign_on_requires_factor(&s, "00u1"), "a rule that excludes the user does not govern them");
    }

    #[test]
    fn enrollment_counts_active_authenticators_and_classic_factors() {
        let now = Utc::now();
        let mut s = org_with_user(json!({}), now);
        let mut ids = IdGen::new(11);
        seed_defaults(&mut s, &mut ids, now, 10);
        crate::authenticators::seed(&mut s, &mut ids, now);
        assert_eq!(enrollment_for_user(&s, "00u1"), Enrollment::default(), "password and email ask for no factor");
        let policy_id = s.policies.values().find(|p| p.kind == "MFA_ENROLL").map(|p| p.id.clone()).unwrap();
        let mut policy = s.policies[&policy_id].clone();
        policy.settings["authenticators"] = json!([{"key": "phone_number", "enroll": {"self": "REQUIRED"}},
            {"key": "okta_verify", "enroll": {"self": "OPTIONAL"}}]);
        s.policies.insert(policy_id.clone(), policy.clone());
        let e = enrollment_for_user(&s, "00u1");
        assert!(e.required.is_empty(), "the phone authenticator is inactive");
        assert_eq!(e.offer.len(), 2, "push and totp of Okta Verify: {e:?}");
        assert!(e.offer.iter().all(|f| !f.required));
        let phone = s.authenticators.values().find(|a| a.key == "phone_number").map(|a| a.id.clone()).unwrap();
        s.authenticators.get_mut(&phone).unwrap().status = "ACTIVE".into();
        let e = enrollment_for_user(&s, "00u1");
        assert_eq!(e.required, vec![&[("sms", "OKTA"), ("call", "OKTA")][..]]);
        policy.settings = json!({"type": "FACTORS", "factors": {"okta_otp": {"enroll": {"self": "REQUIRED"}},
            "okta_sms": {"enroll": {"self": "NOT_ALLOWED"}}}});
        s.policies.insert(policy_id, policy);
        let e = enrollment_for_user(&s, "00u1");
        assert_eq!(e.offer, vec![Enrollable { factor_type: "token:software:totp", provider: "OKTA", required: true }]);
        let rule_id = s.policy_rules.values().find(|r| r.kind == "MFA_ENROLL").map(|r| r.id.clone()).unwrap();
        s.policy_rules.get_mut(&rule_id).unwrap().actions = json!({"enroll": {"self": "NEVER"}});
        assert_eq!(enrollment_for_user(&s, "00u1"), Enrollment::default(), "a rule that never enrols");
    }

    #[test]
    fn people_conditions_include_and_exclude() {
        let c = json!({"people": {"groups": {"include": ["g1"], "exclude": ["g2"]}}});
        assert!(people_match(&c, &["g1".into()]));
        assert!(!people_match(&c, &["g1".into(), "g2".into()]));
        assert!(!people_match(&c, &["g3".into()]));
        assert!(people_match(&json!({}), &[]));
    }
}
