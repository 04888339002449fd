//! The Okta org's state and its rules: users and their lifecycle state machine,
//! groups and memberships, applications and their assignments, factors, the
//! System Log, and the short-lived things of sign-in (sessions, codes, tokens).
//! No HTTP here: handlers in `api` call these and render the results.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use twin_core::ids::IdGen;
use twin_core::store::Memo;
use twin_core::{AnyCollection, Collection, Store};

use crate::errors::OktaError;
use crate::ids::{okta_id, uuid};

// ---------------------------------------------------------------------------
// Users

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Staged,
    Provisioned,
    Active,
    Recovery,
    PasswordExpired,
    LockedOut,
    Suspended,
    Deprovisioned,
}

impl UserStatus {
    pub const ALL: [UserStatus; 8] = [
        Self::Staged,
        Self::Provisioned,
        Self::Active,
        Self::Recovery,
        Self::PasswordExpired,
        Self::LockedOut,
        Self::Suspended,
        Self::Deprovisioned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staged => "STAGED",
            Self::Provisioned => "PROVISIONED",
            Self::Active => "ACTIVE",
            Self::Recovery => "RECOVERY",
            Self::PasswordExpired => "PASSWORD_EXPIRED",
            Self::LockedOut => "LOCKED_OUT",
            Self::Suspended => "SUSPENDED",
            Self::Deprovisioned => "DEPROVISIONED",
        }
    }
}

/// The user lifecycle operations of the Users API (and the transitions sign-in causes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Activate,
    Reactivate,
    Deactivate,
    Suspend,
    Unsuspend,
    Unlock,
    ResetPassword,
    ExpirePassword,
    ResetFactors,
    /// Too many failed sign-ins.
    Lock,
    /// A new password set by the user (recovery or expired-password flows).
    SetPassword,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 11] = [
        Self::Activate,
        Self::Reactivate,
        Self::Deactivate,
        Self::Suspend,
        Self::Unsuspend,
        Self::Unlock,
        Self::ResetPassword,
        Self::ExpirePassword,
        Self::ResetFactors,
        Self::Lock,
        Self::SetPassword,
    ];

    /// The System Log event type the operation writes.
    pub fn event_type(self) -> &'static str {
        match self {
            Self::Activate => "user.lifecycle.activate",
            Self::Reactivate => "user.lifecycle.reactivate",
            Self::Deactivate => "user.lifecycle.deactivate",
            Self::Suspend => "user.lifecycle.suspend",
            Self::Unsuspend => "user.lifecycle.unsuspend",
            Self::Unlock => "user.account.unlock",
            Self::ResetPassword => "user.account.reset_password",
            Self::ExpirePassword => "user.account.expire_password",
            Self::ResetFactors => "user.mfa.factor.reset_all",
            Self::Lock => "user.account.lock",
            Self::SetPassword => "user.account.update_password",
        }
    }

    pub fn display_message(self) -> &'static str {
        match self {
            Self::Activate => "Activate Okta user",
            Self::Reactivate => "Reactivate Okta user",
            Self::Deactivate => "Deactivate Okta user",
            Self::Suspend => "Suspend Okta user",
            Self::Unsuspend => "Unsuspend Okta user",
            Self::Unlock => "Unlock Okta user",
            Self::ResetPassword => "Reset Okta user password",
            Self::ExpirePassword => "Expire Okta user password",
            Self::ResetFactors => "Reset all factors for user",
            Self::Lock => "Max sign in attempts exceeded",
            Self::SetPassword => "Update Okta user password",
        }
    }
}

/// The vendor's state machine: the status `op` leads to from `from`, or the error
/// Okta answers when the operation is not allowed there.
pub fn transition(from: UserStatus, op: Lifecycle, has_password: bool) -> Result<UserStatus, OktaError> {
    use UserStatus as S;
    match op {
        Lifecycle::Activate => match from {
            S::Staged | S::Deprovisioned => Ok(if has_password { S::Active } else { S::Provisioned }),
            _ => Err(OktaError::AlreadyActive),
        },
        Lifecycle::Reactivate => match from {
            S::Provisioned => Ok(S::Provisioned),
            _ => Err(OktaError::WrongStatus),
        },
        Lifecycle::Deactivate => match from {
            S::Deprovisioned => Err(OktaError::WrongStatus),
            _ => Ok(S::Deprovisioned),
        },
        Lifecycle::Suspend => match from {
            S::Active => Ok(S::Suspended),
            _ => Err(OktaError::validation("suspendUser", "Cannot suspend a user that is not active")),
        },
        Lifecycle::Unsuspend => match from {
            S::Suspended => Ok(S::Active),
            _ => Err(OktaError::validation("unsuspendUser", "Cannot unsuspend a user that is not suspended")),
        },
        Lifecycle::Unlock => match from {
            S::LockedOut => Ok(S::Active),
            _ => Err(OktaError::UnlockNotAllowed),
        },
        Lifecycle::ResetPassword => match from {
            S::Active | S::PasswordExpired | S::LockedOut | S::Recovery | S::Provisioned => Ok(S::Recovery),
            _ => Err(OktaError::WrongStatus),
        },
        Lifecycle::ExpirePassword => match from {
            S::Active | S::PasswordExpired | S::Recovery if has_password => Ok(S::PasswordExpired),
            _ => Err(OktaError::WrongStatus),
        },
        Lifecycle::ResetFactors => match from {
            S::Staged | S::Deprovisioned => Err(OktaError::WrongStatus),
            other => Ok(other),
        },
        Lifecycle::Lock => match from {
            S::Active | S::PasswordExpired | S::Recovery => Ok(S::LockedOut),
            _ => Err(OktaError::WrongStatus),
        },
        Lifecycle::SetPassword => match from {
            S::Active | S::Recovery | S::PasswordExpired => Ok(S::Active),
            S::Provisioned => Ok(S::Active),
            _ => Err(OktaError::WrongStatus),
        },
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryQuestion {
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub status: UserStatus,
    pub created: DateTime<Utc>,
    pub activated: Option<DateTime<Utc>>,
    pub status_changed: Option<DateTime<Utc>>,
    pub last_login: Option<DateTime<Utc>>,
    pub last_updated: DateTime<Utc>,
    pub password_changed: Option<DateTime<Utc>>,
    pub profile: Map<String, Value>,
    /// The password in the clear: this is a twin, and the state is the test's to read.
    pub password: Option<String>,
    pub recovery_question: Option<RecoveryQuestion>,
    /// `OKTA`, `FEDERATION`, `SOCIAL`, `IMPORT`, …
    pub provider: String,
    pub type_id: String,
    #[serde(default)]
    pub failed_logins: u32,
    /// The user's JSON as a listing last rendered it (see [`Users`]).
    #[serde(skip)]
    pub rendered: Memo<RenderedUser>,
}

/// A user's JSON text for one base URL and profile schema.
#[derive(Debug)]
pub struct RenderedUser {
    pub base: Box<str>,
    pub schema_id: Box<str>,
    pub json: bytes::Bytes,
}

/// The org's users. Reads go through the collection; changes only through `insert`,
/// `remove` and `get_mut`, which keeps three things derived from the users true:
/// - the logins, lowercased, a persistent set kept in step with every change (a
///   `get_mut` guard files the user again when dropped), so finding a user by login and
///   checking a new login is free are lookups, not scans of the org;
/// - each user's rendered JSON (`get_mut` drops it): a listing of 200 users copies text
///   instead of rendering each;
/// - the attribute indexes a users search narrows its scan with: any change drops them
///   all, and the next search that needs one builds it again.
#[derive(Debug, Clone, Default)]
pub struct Users {
    all: Collection<Arc<User>>,
    /// `(lowercased login, id)`, shared strings so that a write's copy of a node copies
    /// pointers.
    logins: imbl::OrdSet<(Arc<str>, Arc<str>)>,
    indexes: UserIndexes,
}

impl PartialEq for Users {
    fn eq(&self, other: &Self) -> bool {
        self.all == other.all
    }
}

impl Serialize for Users {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        self.all.serialize(ser)
    }
}

impl<'de> Deserialize<'de> for Users {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let all = Collection::<Arc<User>>::deserialize(de)?;
        let logins = all.iter().map(|(id, u)| (Arc::from(u.login().to_lowercase()), Arc::from(id.as_str()))).collect();
        Ok(Users { all, logins, indexes: UserIndexes::default() })
    }
}

impl std::ops::Deref for Users {
    type Target = Collection<Arc<User>>;
    fn deref(&self) -> &Collection<Arc<User>> {
        &self.all
    }
}

/// A user being changed in place; files the user under its login again when dropped.
pub struct UserMut<'a> {
    user: &'a mut User,
    logins: &'a mut imbl::OrdSet<(Arc<str>, Arc<str>)>,
    login_before: String,
}

impl std::ops::Deref for UserMut<'_> {
    type Target = User;
    fn deref(&self) -> &User {
        self.user
    }
}

impl std::ops::DerefMut for UserMut<'_> {
    fn deref_mut(&mut self) -> &mut User {
        self.user
    }
}

impl Drop for UserMut<'_> {
    fn drop(&mut self) {
        let login = self.user.login().to_lowercase();
        if login != self.login_before {
            let id: Arc<str> = Arc::from(self.user.id.as_str());
            self.logins.remove(&(Arc::from(self.login_before.as_str()), id.clone()));
            self.logins.insert((Arc::from(login), id));
        }
    }
}

impl Users {
    pub fn insert(&mut self, id: String, user: User) -> Option<Arc<User>> {
        self.indexes = UserIndexes::default();
        let key: Arc<str> = Arc::from(id.as_str());
        self.logins.insert((Arc::from(user.login().to_lowercase()), key.clone()));
        let replaced = self.all.insert(id.clone(), Arc::new(user));
        if let Some(old) = &replaced {
            let old_login = old.login().to_lowercase();
            if self.all.get(&id).is_some_and(|u| u.login().to_lowercase() != old_login) {
                self.logins.remove(&(Arc::from(old_login), key));
            }
        }
        replaced
    }

    pub fn remove(&mut self, id: &str) -> Option<Arc<User>> {
        self.indexes = UserIndexes::default();
        let removed = self.all.remove(id)?;
        self.logins.remove(&(Arc::from(removed.login().to_lowercase()), Arc::from(id)));
        Some(removed)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<UserMut<'_>> {
        // Users sit behind `Arc`, so a write's copy of a B-tree node copies pointers;
        // the user changed is copied here, once, when another state still shares it.
        let user = Arc::make_mut(self.all.get_mut(id)?);
        user.rendered.clear();
        self.indexes = UserIndexes::default();
        let login_before = user.login().to_lowercase();
        Some(UserMut { user, logins: &mut self.logins, login_before })
    }

    pub fn collection(&self) -> &Collection<Arc<User>> {
        &self.all
    }

    /// The ids of the users whose login is `login` (ignoring case), in id order.
    pub fn with_login(&self, login: &str) -> impl Iterator<Item = &str> {
        let lower: Arc<str> = Arc::from(login.to_lowercase());
        self.logins.range((lower.clone(), Arc::from(""))..).take_while(move |(l, _)| *l == lower).map(|(_, id)| &**id)
    }

    /// The index of one attribute path, built by `build` over every user if this
    /// state has none for it yet.
    pub fn index(
        &self,
        attr: &str,
        build: impl FnOnce(&Collection<Arc<User>>) -> AttributeIndex,
    ) -> Arc<AttributeIndex> {
        let mut indexes = self.indexes.0.lock();
        if let Some(index) = indexes.get(attr) {
            return index.clone();
        }
        // Bounded: a client searching on ever new attributes rebuilds, never grows.
        if indexes.len() >= MAX_USER_INDEXES {
            indexes.clear();
        }
        let index = Arc::new(build(&self.all));
        indexes.insert(attr.to_string(), index.clone());
        index
    }
}

const MAX_USER_INDEXES: usize = 16;

/// Attribute indexes of one version of the users: a copy of the state shares them
/// until either side changes a user.
#[derive(Clone, Default)]
struct UserIndexes(Arc<parking_lot::Mutex<HashMap<String, Arc<AttributeIndex>>>>);

impl PartialEq for UserIndexes {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for UserIndexes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserIndexes")
    }
}

/// The ids of the users whose value at one attribute path is each text (filed by
/// `search::index_key`), and of those with a value there that is not text (a number
/// or a boolean may still equal a text literal): together, a superset of the users an
/// `eq` on that path matches, in id order.
#[derive(Debug, Default)]
pub struct AttributeIndex {
    pub by_text: HashMap<String, Vec<String>>,
    pub other: Vec<String>,
}

impl AttributeIndex {
    /// The users worth evaluating for `eq text`, in id order.
    pub fn candidates(&self, text: &str) -> Vec<&str> {
        let filed = self.by_text.get(&crate::wire::search::index_key(text));
        let mut ids: Vec<&str> = filed.into_iter().flatten().chain(&self.other).map(String::as_str).collect();
        if !self.other.is_empty() {
            ids.sort_unstable();
            ids.dedup();
        }
        ids
    }
}

#[cfg(test)]
impl User {
    /// An active user with this profile, for unit tests.
    pub fn sample(id: &str, profile: Value) -> User {
        let now = Utc::now();
        User {
            id: id.into(),
            status: UserStatus::Active,
            created: now,
            activated: Some(now),
            status_changed: Some(now),
            last_login: None,
            last_updated: now,
            password_changed: None,
            profile: profile.as_object().cloned().unwrap_or_default(),
            password: None,
            recovery_question: None,
            provider: "OKTA".into(),
            type_id: "oty1".into(),
            failed_logins: 0,
            rendered: Default::default(),
        }
    }
}

impl User {
    pub fn login(&self) -> &str {
        self.profile.get("login").and_then(Value::as_str).unwrap_or("")
    }

    pub fn display_name(&self) -> String {
        let s = |k: &str| self.profile.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        format!("{} {}", s("firstName"), s("lastName")).trim().to_string()
    }

    /// The short name: the login before `@`.
    pub fn short_name(&self) -> &str {
        self.login().split('@').next().unwrap_or("")
    }
}

/// The standard profile attributes every user shows, `null` when unset.
pub const STANDARD_PROFILE: [&str; 6] = ["firstName", "lastName", "mobilePhone", "secondEmail", "login", "email"];

fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && domain.contains('.')
                && !s.chars().any(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

/// Checks a user profile against the default user schema; every problem becomes a cause.
pub fn validate_profile(profile: &Map<String, Value>) -> Result<(), OktaError> {
    let mut field = None;
    let mut causes = Vec::new();
    let mut fail = |name: &str, cause: String| {
        field.get_or_insert_with(|| name.to_string());
        causes.push(format!("{name}: {cause}"));
    };
    let text = |k: &str| profile.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    for (name, min, max) in [("login", 5, 100), ("email", 5, 100), ("firstName", 1, 50), ("lastName", 1, 50)] {
        match profile.get(name) {
            None | Some(Value::Null) => fail(name, "The field cannot be left blank".into()),
            Some(Value::String(s)) if s.trim().is_empty() => fail(name, "The field cannot be left blank".into()),
            Some(Value::String(s)) => {
                let n = s.chars().count();
                if n > max {
                    fail(name, format!("The field is too long (maximum {max} characters)"));
                } else if n < min {
                    fail(name, format!("The field is too short (minimum {min} characters)"));
                }
            }
            Some(_) => fail(name, "Does not match required type: string".into()),
        }
    }
    // The other base attributes are strings too (null clears one).
    for (name, ..) in crate::schema::USER_BASE {
        let checked_above = matches!(*name, "login" | "email" | "firstName" | "lastName");
        if !checked_above && profile.get(*name).is_some_and(|v| !v.is_string() && !v.is_null()) {
            fail(name, "Does not match required type: string".into());
        }
    }
    if let Some(login) = text("login") {
        if !is_email(login) {
            fail("login", "Username must be in the form of an email address".into());
        }
    }
    for name in ["email", "secondEmail"] {
        if let Some(value) = text(name) {
            if !is_email(value) {
                fail(name, "Does not match required pattern".into());
            }
        }
    }
    if let Some(code) = text("countryCode") {
        if code.chars().count() > 2 {
            fail("countryCode", "The field is too long (maximum 2 characters)".into());
        }
    }
    match field {
        None => Ok(()),
        Some(field) => Err(OktaError::Validation { field, causes }),
    }
}

/// Checks a password against a new org's Default Policy (`crate::policy` checks
/// it against the policy that governs a given user).
pub fn validate_password(password: &str, login: &str) -> Result<(), OktaError> {
    let mut profile = Map::new();
    profile.insert("login".into(), Value::String(login.to_string()));
    crate::policy::PasswordRules::default().check_complexity(password, &profile)
}

// ---------------------------------------------------------------------------
// Groups

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GroupType {
    OktaGroup,
    AppGroup,
    BuiltIn,
}

impl GroupType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OktaGroup => "OKTA_GROUP",
            Self::AppGroup => "APP_GROUP",
            Self::BuiltIn => "BUILT_IN",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub last_membership_updated: DateTime<Utc>,
    #[serde(rename = "type")]
    pub kind: GroupType,
    pub profile: Map<String, Value>,
}

impl Group {
    pub fn name(&self) -> &str {
        self.profile.get("name").and_then(Value::as_str).unwrap_or("")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub group_id: String,
    pub user_id: String,
    pub created: DateTime<Utc>,
    /// The group rule that added it, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_rule: Option<String>,
}

pub fn pair_key(a: &str, b: &str) -> String {
    format!("{a}:{b}")
}

// ---------------------------------------------------------------------------
// Applications

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AppStatus {
    Active,
    Inactive,
}

impl AppStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct App {
    pub id: String,
    /// The app's template key: `bookmark`, `template_basic_auth`, `oidc_client`.
    pub name: String,
    pub label: String,
    pub status: AppStatus,
    pub sign_on_mode: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub accessibility: Value,
    pub visibility: Value,
    pub features: Vec<String>,
    pub settings: Value,
    pub credentials: Value,
    #[serde(default)]
    pub profile: Option<Value>,
}

impl App {
    /// The OAuth client id of an OIDC app.
    pub fn client_id(&self) -> Option<&str> {
        self.credentials.pointer("/oauthClient/client_id").and_then(Value::as_str)
    }

    pub fn client_secret(&self) -> Option<&str> {
        self.credentials.pointer("/oauthClient/client_secret").and_then(Value::as_str)
    }

    pub fn token_auth_method(&self) -> &str {
        self.credentials
            .pointer("/oauthClient/token_endpoint_auth_method")
            .and_then(Value::as_str)
            .unwrap_or("client_secret_basic")
    }

    pub fn grant_types(&self) -> Vec<String> {
        self.settings
            .pointer("/oauthClient/grant_types")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|g| g.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }

    pub fn redirect_uris(&self) -> Vec<String> {
        self.settings
            .pointer("/oauthClient/redirect_uris")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|g| g.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppUser {
    pub app_id: String,
    pub user_id: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub credentials: Value,
    pub profile: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppGroup {
    pub app_id: String,
    pub group_id: String,
    pub priority: i64,
    pub last_updated: DateTime<Utc>,
    pub profile: Value,
}

// ---------------------------------------------------------------------------
// Factors

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    pub id: String,
    pub user_id: String,
    pub factor_type: String,
    pub provider: String,
    pub vendor_name: String,
    /// `PENDING_ACTIVATION` or `ACTIVE`.
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub profile: Value,
    /// The code that activates or verifies it (TOTP secret seed, SMS code).
    pub secret: String,
}

// ---------------------------------------------------------------------------
// Group rules

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRule {
    pub id: String,
    pub name: String,
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub expression: String,
    pub group_ids: Vec<String>,
    #[serde(default)]
    pub exclude_user_ids: Vec<String>,
}

// ---------------------------------------------------------------------------
// Sign-in artefacts

/// A one-time session token from `/api/v1/authn`, redeemed at `/authorize`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionToken {
    pub user_id: String,
    pub expires_at: DateTime<Utc>,
}

/// A session made from a session token (`POST /api/v1/sessions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub login: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_password_verification: DateTime<Utc>,
}

/// An authorization code waiting to be exchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthCode {
    pub client_id: String,
    pub user_id: String,
    pub auth_server: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub auth_time: DateTime<Utc>,
}

/// A refresh token, or a revocable record of an issued access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub kind: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub auth_server: String,
    pub scopes: Vec<String>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

/// An admin's consent for a client to request an `okta.*` scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeGrant {
    pub id: String,
    pub app_id: String,
    pub scope_id: String,
    pub issuer: String,
    pub created: DateTime<Utc>,
    pub created_by: String,
}

/// A user's consent for a client to a scope of a custom authorization server, given
/// at `/authorize` when the app asks for consent and the scope requires it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserGrant {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    /// The custom authorization server's id.
    pub auth_server: String,
    /// The scope's id and name.
    pub scope_id: String,
    pub scope: String,
    pub created: DateTime<Utc>,
}

// ---------------------------------------------------------------------------
// The org

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OktaState {
    pub org_id: String,
    pub org_name: String,
    pub user_type_id: String,
    pub user_schema_id: String,
    /// The user the seeded API token acts as.
    pub admin_user_id: String,
    pub log_seq: u64,
    pub users: Users,
    pub groups: Collection<Group>,
    /// `{groupId}:{userId}`
    pub memberships: Collection<Membership>,
    pub apps: Collection<App>,
    /// `{appId}:{userId}`: direct assignments.
    pub app_users: Collection<AppUser>,
    /// `{appId}:{groupId}`
    pub app_groups: Collection<AppGroup>,
    pub factors: Collection<Factor>,
    pub group_rules: Collection<GroupRule>,
    /// Keyed by a zero-padded sequence number, so key order is time order.
    pub log_events: Collection<Arc<Value>, Arc<str>>,
    pub session_tokens: Collection<SessionToken>,
    #[serde(default)]
    pub sessions: Collection<Session>,
    pub auth_codes: Collection<AuthCode>,
    pub tokens: Collection<IssuedToken>,
    #[serde(default)]
    pub grants: Collection<ScopeGrant>,
    // Custom authorization servers and what they hold (`crate::authz`).
    #[serde(default)]
    pub auth_servers: Collection<crate::authz::AuthServerRecord>,
    #[serde(default)]
    pub auth_scopes: Collection<crate::authz::OAuthScope>,
    #[serde(default)]
    pub auth_claims: Collection<crate::authz::OAuthClaim>,
    #[serde(default)]
    pub auth_policies: Collection<crate::authz::ServerPolicy>,
    #[serde(default)]
    pub auth_rules: Collection<crate::authz::ServerRule>,
    // Hooks (`crate::hooks`).
    #[serde(default)]
    pub event_hooks: Collection<crate::hooks::EventHook>,
    #[serde(default)]
    pub inline_hooks: Collection<crate::hooks::InlineHook>,
    /// Policies of every type, and their rules (`crate::policy`).
    #[serde(default)]
    pub policies: Collection<crate::policy::Policy>,
    #[serde(default)]
    pub policy_rules: Collection<crate::policy::PolicyRule>,
    /// Apps mapped to ACCESS_POLICY and PROFILE_ENROLLMENT policies, by mapping id.
    #[serde(default)]
    pub policy_mappings: Collection<crate::policy::PolicyMapping>,
    /// A user's earlier passwords, oldest first, for the password policy's history.
    #[serde(default)]
    pub password_history: Collection<Vec<String>>,
    #[serde(default)]
    pub zones: Collection<crate::security::NetworkZone>,
    #[serde(default)]
    pub trusted_origins: Collection<crate::security::TrustedOrigin>,
    #[serde(default)]
    pub idps: Collection<crate::security::IdentityProvider>,
    /// `{idpId}:{userId}`
    #[serde(default)]
    pub idp_links: Collection<crate::security::IdpLink>,
    #[serde(default)]
    pub idp_keys: Collection<crate::security::IdpKey>,
    /// Admin role assignments, by id (see `admin`).
    #[serde(default)]
    pub role_assignments: Collection<crate::admin::RoleAssignment>,
    #[serde(default)]
    pub custom_roles: Collection<crate::admin::CustomRole>,
    #[serde(default)]
    pub resource_sets: Collection<crate::admin::ResourceSet>,
    #[serde(default)]
    pub api_tokens: Collection<crate::admin::ApiTokenRecord>,
    /// Custom profile attributes: user schemas by id, `group`, `app:{appId}` (see `schema`).
    #[serde(default)]
    pub profile_schemas: Collection<crate::schema::ProfileSchema>,
    /// User types besides the default one (`user_type_id`).
    #[serde(default)]
    pub user_types: Collection<crate::schema::UserType>,
    /// Linked-object definitions, by primary name.
    #[serde(default)]
    pub linked_objects: Collection<crate::schema::LinkedObject>,
    /// `{primaryName}:{associatedUserId}`
    #[serde(default)]
    pub user_links: Collection<crate::schema::UserLink>,
    /// `{groupId}:{ownerId}`
    #[serde(default)]
    pub group_owners: Collection<crate::schema::GroupOwner>,
    /// The org's authenticators, by id (`crate::authenticators`).
    #[serde(default)]
    pub authenticators: Collection<crate::authenticators::Authenticator>,
    /// Profile mappings' property expressions, by mapping id (`api::mappings`).
    #[serde(default)]
    pub profile_mappings: Collection<Map<String, Value>>,
    /// End users' consent grants, by id.
    #[serde(default)]
    pub user_grants: Collection<UserGrant>,
    /// API tokens act with their user's admin roles (false in state exported before
    /// roles existed, whose tokens keep every right).
    #[serde(default)]
    pub admin_roles: bool,
    /// When expired artefacts were last dropped (`sweep`).
    #[serde(default)]
    pub swept_at: Option<DateTime<Utc>>,
}

impl Store for OktaState {
    const SERVICE: &'static str = "okta";

    fn collections(&self) -> Vec<(&'static str, &dyn AnyCollection)> {
        vec![
            ("users", self.users.collection()),
            ("groups", &self.groups),
            ("memberships", &self.memberships),
            ("apps", &self.apps),
            ("app_users", &self.app_users),
            ("app_groups", &self.app_groups),
            ("factors", &self.factors),
            ("group_rules", &self.group_rules),
            ("log_events", &self.log_events),
            ("session_tokens", &self.session_tokens),
            ("sessions", &self.sessions),
            ("auth_codes", &self.auth_codes),
            ("tokens", &self.tokens),
            ("grants", &self.grants),
            ("auth_servers", &self.auth_servers),
            ("auth_scopes", &self.auth_scopes),
            ("auth_claims", &self.auth_claims),
            ("auth_policies", &self.auth_policies),
            ("auth_rules", &self.auth_rules),
            ("event_hooks", &self.event_hooks),
            ("inline_hooks", &self.inline_hooks),
            ("policies", &self.policies),
            ("policy_rules", &self.policy_rules),
            ("policy_mappings", &self.policy_mappings),
            ("password_history", &self.password_history),
            ("zones", &self.zones),
            ("trusted_origins", &self.trusted_origins),
            ("idps", &self.idps),
            ("idp_links", &self.idp_links),
            ("idp_keys", &self.idp_keys),
            ("role_assignments", &self.role_assignments),
            ("custom_roles", &self.custom_roles),
            ("resource_sets", &self.resource_sets),
            ("api_tokens", &self.api_tokens),
            ("profile_schemas", &self.profile_schemas),
            ("user_types", &self.user_types),
            ("linked_objects", &self.linked_objects),
            ("user_links", &self.user_links),
            ("group_owners", &self.group_owners),
            ("authenticators", &self.authenticators),
            ("profile_mappings", &self.profile_mappings),
            ("user_grants", &self.user_grants),
        ]
    }
}

/// Who did something, for the System Log.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub id: String,
    pub kind: String,
    pub alternate_id: String,
    pub display_name: String,
}

/// Facts about the request that caused an event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestFacts {
    pub user_agent: String,
    pub ip: String,
    pub request_id: String,
    pub request_uri: String,
}

/// Something an event is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: String,
    pub kind: String,
    pub alternate_id: String,
    pub display_name: String,
}

impl Target {
    pub fn user(u: &User) -> Self {
        Self { id: u.id.clone(), kind: "User".into(), alternate_id: u.login().into(), display_name: u.display_name() }
    }

    pub fn group(g: &Group) -> Self {
        Self {
            id: g.id.clone(),
            kind: "UserGroup".into(),
            alternate_id: "unknown".into(),
            display_name: g.name().into(),
        }
    }

    pub fn app(a: &App) -> Self {
        Self {
            id: a.id.clone(),
            kind: "AppInstance".into(),
            alternate_id: a.label.clone(),
            display_name: a.label.clone(),
        }
    }
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub event_type: &'a str,
    pub display_message: &'a str,
    pub outcome: &'a str,
    pub reason: Option<&'a str>,
    pub severity: &'a str,
    pub targets: Vec<Target>,
}

impl<'a> Event<'a> {
    pub fn new(event_type: &'a str, display_message: &'a str, targets: Vec<Target>) -> Self {
        Self { event_type, display_message, outcome: "SUCCESS", reason: None, severity: "INFO", targets }
    }
}

impl OktaState {
    pub fn new(org_name: &str, ids: &mut IdGen) -> Self {
        Self {
            org_id: okta_id(ids, "00o"),
            org_name: org_name.to_string(),
            user_type_id: okta_id(ids, "oty"),
            user_schema_id: okta_id(ids, "osc"),
            admin_user_id: String::new(),
            log_seq: 0,
            users: Users::default(),
            groups: Collection::default(),
            memberships: Collection::default(),
            apps: Collection::default(),
            app_users: Collection::default(),
            app_groups: Collection::default(),
            factors: Collection::default(),
            group_rules: Collection::default(),
            log_events: Collection::default(),
            session_tokens: Collection::default(),
            sessions: Collection::default(),
            auth_codes: Collection::default(),
            tokens: Collection::default(),
            grants: Collection::default(),
            auth_servers: Collection::default(),
            auth_scopes: Collection::default(),
            auth_claims: Collection::default(),
            auth_policies: Collection::default(),
            auth_rules: Collection::default(),
            event_hooks: Collection::default(),
            inline_hooks: Collection::default(),
            policies: Collection::default(),
            policy_rules: Collection::default(),
            policy_mappings: Collection::default(),
            password_history: Collection::default(),
            zones: Collection::default(),
            trusted_origins: Collection::default(),
            idps: Collection::default(),
            idp_links: Collection::default(),
            idp_keys: Collection::default(),
            role_assignments: Collection::default(),
            custom_roles: Collection::default(),
            resource_sets: Collection::default(),
            api_tokens: Collection::default(),
            profile_schemas: Collection::default(),
            user_types: Collection::default(),
            linked_objects: Collection::default(),
            user_links: Collection::default(),
            group_owners: Collection::default(),
            authenticators: Collection::default(),
            profile_mappings: Collection::default(),
            user_grants: Collection::default(),
            admin_roles: true,
            swept_at: None,
        }
    }

    // --- users -------------------------------------------------------------

    /// A user by id, login (case-insensitive) or login short name.
    pub fn find_user(&self, key: &str) -> Option<&User> {
        if let Some(u) = self.users.get(key) {
            return Some(u);
        }
        if let Some(u) = self.users.with_login(key).next().and_then(|id| self.users.get(id)) {
            return Some(u);
        }
        let lower = key.to_lowercase();
        if key.contains('@') {
            return None;
        }
        let mut short = self.users.values().filter(|u| u.short_name().to_lowercase() == lower);
        match (short.next(), short.next()) {
            (Some(u), None) => Some(u),
            _ => None,
        }
    }

    pub fn user(&self, key: &str) -> Result<&User, OktaError> {
        self.find_user(key).ok_or_else(|| OktaError::not_found(key, "User"))
    }

    /// Is `login` held by a user other than `except`?
    pub fn login_taken(&self, login: &str, except: Option<&str>) -> bool {
        self.users.with_login(login).any(|id| Some(id) != except)
    }

    pub fn everyone_group(&self) -> Option<&Group> {
        self.groups.values().find(|g| g.kind == GroupType::BuiltIn)
    }

    /// The ids of a group's members (every user, for the built-in Everyone group).
    pub fn group_member_ids(&self, group: &Group) -> Vec<String> {
        if group.kind == GroupType::BuiltIn {
            return self.users.keys().cloned().collect();
        }
        let from = format!("{}:", group.id);
        self.memberships
            .range(from.clone()..)
            .take_while(|(k, _)| k.starts_with(&from))
            .map(|(_, m)| m.user_id.clone())
            .collect()
    }

    pub fn is_member(&self, group: &Group, user_id: &str) -> bool {
        group.kind == GroupType::BuiltIn || self.memberships.contains_key(&pair_key(&group.id, user_id))
    }

    /// The ids of the groups a user belongs to.
    pub fn user_group_ids(&self, user_id: &str) -> Vec<String> {
        let mut ids: Vec<String> = self.everyone_group().map(|g| vec![g.id.clone()]).unwrap_or_default();
        ids.extend(self.memberships.values().filter(|m| m.user_id == user_id).map(|m| m.group_id.clone()));
        ids.sort();
        ids.dedup();
        ids
    }

    pub fn add_member(&mut self, group_id: &str, user_id: &str, now: DateTime<Utc>) -> bool {
        let key = pair_key(group_id, user_id);
        if self.memberships.contains_key(&key) {
            return false;
        }
        self.memberships.insert(
            key,
            Membership { group_id: group_id.into(), user_id: user_id.into(), created: now, via_rule: None },
        );
        if let Some(g) = self.groups.get_mut(group_id) {
            g.last_membership_updated = now;
        }
        true
    }

    pub fn remove_member(&mut self, group_id: &str, user_id: &str, now: DateTime<Utc>) -> bool {
        let removed = self.memberships.remove(&pair_key(group_id, user_id)).is_some();
        if removed {
            if let Some(g) = self.groups.get_mut(group_id) {
                g.last_membership_updated = now;
            }
        }
        removed
    }

    /// Applies a lifecycle operation, with its side effects; returns the new status.
    pub fn apply_lifecycle(
        &mut self,
        user_id: &str,
        op: Lifecycle,
        now: DateTime<Utc>,
    ) -> Result<UserStatus, OktaError> {
        let user = self.users.get(user_id).ok_or_else(|| OktaError::not_found(user_id, "User"))?;
        let next = transition(user.status, op, user.password.is_some())?;
        let mut user = User::clone(user);
        if next != user.status {
            user.status = next;
            user.status_changed = Some(now);
        }
        match op {
            Lifecycle::Activate if next == UserStatus::Active => user.activated = Some(now),
            Lifecycle::Deactivate => {
                user.activated = None;
                // Deactivation removes the user's direct app assignments; memberships stay.
                let keys: Vec<String> =
                    self.app_users.iter().filter(|(_, a)| a.user_id == user_id).map(|(k, _)| k.clone()).collect();
                for k in keys {
                    self.app_users.remove(&k);
                }
            }
            Lifecycle::Unlock | Lifecycle::Unsuspend => user.failed_logins = 0,
            Lifecycle::ResetFactors => {
                let keys: Vec<String> =
                    self.factors.iter().filter(|(_, f)| f.user_id == user_id).map(|(k, _)| k.clone()).collect();
                for k in keys {
                    self.factors.remove(&k);
                }
            }
            Lifecycle::SetPassword => {
                user.password_changed = Some(now);
                user.failed_logins = 0;
                if user.activated.is_none() {
                    user.activated = Some(now);
                }
            }
            _ => {}
        }
        user.last_updated = now;
        self.users.insert(user_id.to_string(), user);
        Ok(next)
    }

    /// Removes a deprovisioned user and everything that points at it.
    pub fn purge_user(&mut self, user_id: &str) {
        self.users.remove(user_id);
        crate::api::roles::forget_principal(self, user_id);
        let memberships: Vec<String> =
            self.memberships.iter().filter(|(_, m)| m.user_id == user_id).map(|(k, _)| k.clone()).collect();
        for k in memberships {
            self.memberships.remove(&k);
        }
        let assignments: Vec<String> =
            self.app_users.iter().filter(|(_, a)| a.user_id == user_id).map(|(k, _)| k.clone()).collect();
        for k in assignments {
            self.app_users.remove(&k);
        }
        let factors: Vec<String> =
            self.factors.iter().filter(|(_, f)| f.user_id == user_id).map(|(k, _)| k.clone()).collect();
        for k in factors {
            self.factors.remove(&k);
        }
        self.password_history.remove(user_id);
        let links: Vec<String> =
            self.idp_links.iter().filter(|(_, l)| l.user_id == user_id).map(|(k, _)| k.clone()).collect();
        for k in links {
            self.idp_links.remove(&k);
        }
    }

    /// Removes a group, its memberships and its app assignments.
    pub fn purge_group(&mut self, group_id: &str) {
        self.groups.remove(group_id);
        crate::api::roles::forget_principal(self, group_id);
        let prefix = format!("{group_id}:");
        let memberships: Vec<String> = self.memberships.keys().filter(|k| k.starts_with(&prefix)).cloned().collect();
        for k in memberships {
            self.memberships.remove(&k);
        }
        let assignments: Vec<String> =
            self.app_groups.iter().filter(|(_, a)| a.group_id == group_id).map(|(k, _)| k.clone()).collect();
        for k in assignments {
            self.app_groups.remove(&k);
        }
    }

    /// Applies the ACTIVE group rules to a user; returns the (rule, group) pairs
    /// of the memberships added.
    pub fn apply_group_rules(&mut self, user_id: &str, now: DateTime<Utc>) -> Vec<(String, String)> {
        let Some(user) = self.users.get(user_id).cloned() else { return vec![] };
        if user.status == UserStatus::Deprovisioned {
            return vec![];
        }
        let mut added = Vec::new();
        let rules: Vec<GroupRule> = self.group_rules.values().filter(|r| r.status == "ACTIVE").cloned().collect();
        for rule in rules {
            if rule.exclude_user_ids.contains(&user.id) {
                continue;
            }
            let Ok(expr) = crate::expr::parse(&rule.expression) else { continue };
            if !crate::expr::holds(&expr, &user, self) {
                continue;
            }
            for gid in &rule.group_ids {
                if self.groups.get(gid).is_some_and(|g| g.kind == GroupType::OktaGroup)
                    && self.add_member(gid, &user.id, now)
                {
                    if let Some(m) = self.memberships.get_mut(&pair_key(gid, &user.id)) {
                        m.via_rule = Some(rule.id.clone());
                    }
                    added.push((rule.id.clone(), gid.clone()));
                }
            }
        }
        added
    }

    // --- applications -----------------------------------------------------

    pub fn app(&self, id: &str) -> Result<&App, OktaError> {
        self.apps.get(id).ok_or_else(|| OktaError::not_found(id, "AppInstance"))
    }

    pub fn app_by_client_id(&self, client_id: &str) -> Option<&App> {
        self.apps.values().find(|a| a.client_id() == Some(client_id))
    }

    /// The app's users: direct assignments (scope USER) and members of its
    /// groups (scope GROUP), with the assignment that explains each.
    pub fn app_user_ids(&self, app_id: &str) -> Vec<(String, &'static str)> {
        let mut out: std::collections::BTreeMap<String, &'static str> = std::collections::BTreeMap::new();
        let prefix = format!("{app_id}:");
        for (k, a) in self.app_groups.range(prefix.clone()..) {
            if !k.starts_with(&prefix) {
                break;
            }
            if let Some(g) = self.groups.get(&a.group_id) {
                for uid in self.group_member_ids(g) {
                    out.entry(uid).or_insert("GROUP");
                }
            }
        }
        for (k, a) in self.app_users.range(prefix.clone()..) {
            if !k.starts_with(&prefix) {
                break;
            }
            out.insert(a.user_id.clone(), "USER");
        }
        out.into_iter().collect()
    }

    /// How a user is assigned to an app: `USER`, `GROUP` or not at all.
    pub fn app_assignment_scope(&self, app_id: &str, user_id: &str) -> Option<&'static str> {
        if self.app_users.contains_key(&pair_key(app_id, user_id)) {
            return Some("USER");
        }
        let prefix = format!("{app_id}:");
        let via_group = self
            .app_groups
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .any(|(_, a)| self.groups.get(&a.group_id).is_some_and(|g| self.is_member(g, user_id)));
        via_group.then_some("GROUP")
    }

    /// The apps a user can reach, by id.
    pub fn user_app_ids(&self, user_id: &str) -> Vec<String> {
        self.apps.keys().filter(|id| self.app_assignment_scope(id, user_id).is_some()).cloned().collect()
    }

    // --- System Log ---------------------------------------------------------

    /// Appends an event in the vendor's LogEvent shape.
    pub fn log(&mut self, ids: &mut IdGen, now: DateTime<Utc>, actor: &Actor, req: &RequestFacts, event: Event<'_>) {
        self.log_seq += 1;
        let key = format!("{:012}", self.log_seq);
        let targets: Vec<Value> = event
            .targets
            .iter()
            .map(|t| {
                serde_json::json!({
                    "id": t.id, "type": t.kind, "alternateId": t.alternate_id,
                    "displayName": t.display_name, "detailEntry": null
                })
            })
            .collect();
        let transaction_id = req.request_id.clone();
        let record = serde_json::json!({
            "uuid": uuid(ids),
            "published": crate::wire::ts(now),
            "eventType": event.event_type,
            "version": "0",
            "severity": event.severity,
            "legacyEventType": null,
            "displayMessage": event.display_message,
            "actor": {
                "id": actor.id, "type": actor.kind, "alternateId": actor.alternate_id,
                "displayName": actor.display_name, "detailEntry": null
            },
            "client": {
                "userAgent": {"rawUserAgent": req.user_agent, "os": "Unknown", "browser": "UNKNOWN"},
                "zone": "null",
                "device": "Unknown",
                "id": null,
                "ipAddress": req.ip,
                "geographicalContext": {
                    "city": null, "state": null, "country": null, "postalCode": null, "geolocation": null
                }
            },
            "outcome": {"result": event.outcome, "reason": event.reason},
            "target": targets,
            "transaction": {"type": "WEB", "id": transaction_id, "detail": {}},
            "debugContext": {"debugData": {"requestId": req.request_id, "requestUri": req.request_uri, "url": req.request_uri}},
            "authenticationContext": {
                "authenticationProvider": null, "credentialProvider": null, "credentialType": null,
                "issuer": null, "interface": null, "authenticationStep": 0, "externalSessionId": "trs-dtu"
            },
            "securityContext": {"asNumber": null, "asOrg": null, "isp": null, "domain": null, "isProxy": null},
            "request": {"ipChain": [{"ip": req.ip, "geographicalContext": null, "version": "V4", "source": null}]}
        });
        self.log_events.insert(Arc::from(key), Arc::new(record));
    }

    /// Drops expired sign-in artefacts, at most once a minute of the universe clock.
    /// Every lookup checks expiry itself, so this only bounds memory; scanning every
    /// token on each issuance made tokens slower to issue the more an org had issued.
    pub fn sweep(&mut self, now: DateTime<Utc>) {
        if self.swept_at.is_some_and(|at| at <= now && now - at < Duration::minutes(1)) {
            return;
        }
        self.swept_at = Some(now);
        let stale: Vec<String> =
            self.session_tokens.iter().filter(|(_, s)| s.expires_at <= now).map(|(k, _)| k.clone()).collect();
        for k in stale {
            self.session_tokens.remove(&k);
        }
        let stale: Vec<String> =
            self.sessions.iter().filter(|(_, s)| s.expires_at <= now).map(|(k, _)| k.clone()).collect();
        for k in stale {
            self.sessions.remove(&k);
        }
        let stale: Vec<String> =
            self.auth_codes.iter().filter(|(_, c)| c.expires_at <= now).map(|(k, _)| k.clone()).collect();
        for k in stale {
            self.auth_codes.remove(&k);
        }
        let grace = Duration::days(1);
        let stale: Vec<String> =
            self.tokens.iter().filter(|(_, t)| t.expires_at + grace <= now).map(|(k, _)| k.clone()).collect();
        for k in stale {
            self.tokens.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use UserStatus as S;

    #[test]
    fn legal_transitions_follow_the_vendor() {
        let cases = [
            (S::Staged, Lifecycle::Activate, true, S::Active),
            (S::Staged, Lifecycle::Activate, false, S::Provisioned),
            (S::Deprovisioned, Lifecycle::Activate, true, S::Active),
            (S::Provisioned, Lifecycle::Reactivate, false, S::Provisioned),
            (S::Active, Lifecycle::Suspend, true, S::Suspended),
            (S::Suspended, Lifecycle::Unsuspend, true, S::Active),
            (S::LockedOut, Lifecycle::Unlock, true, S::Active),
            (S::Active, Lifecycle::ResetPassword, true, S::Recovery),
            (S::LockedOut, Lifecycle::ResetPassword, true, S::Recovery),
            (S::Provisioned, Lifecycle::ResetPassword, false, S::Recovery),
            (S::Active, Lifecycle::ExpirePassword, true, S::PasswordExpired),
            (S::Active, Lifecycle::Lock, true, S::LockedOut),
            (S::Recovery, Lifecycle::SetPassword, true, S::Active),
            (S::PasswordExpired, Lifecycle::SetPassword, true, S::Active),
            (S::Suspended, Lifecycle::ResetFactors, true, S::Suspended),
        ];
        for (from, op, pw, to) in cases {
            assert_eq!(transition(from, op, pw), Ok(to), "{from:?} --{op:?}-->");
        }
        for from in S::ALL {
            let expected = if from == S::Deprovisioned { Err(OktaError::WrongStatus) } else { Ok(S::Deprovisioned) };
            assert_eq!(transition(from, Lifecycle::Deactivate, true), expected, "deactivate from {from:?}");
        }
    }

    #[test]
    fn illegal_transitions_give_the_vendor_errors() {
        for from in S::ALL {
            let activate = transition(from, Lifecycle::Activate, true);
            if matches!(from, S::Staged | S::Deprovisioned) {
                assert!(activate.is_ok());
            } else {
                assert_eq!(activate.unwrap_err().code(), "E0000016", "activate from {from:?}");
            }
            if from != S::Active {
                let e = transition(from, Lifecycle::Suspend, true).unwrap_err();
                assert_eq!((e.code(), e.status().as_u16()), ("E0000001", 400), "suspend from {from:?}");
            }
            if from != S::Suspended {
                assert_eq!(transition(from, Lifecycle::Unsuspend, true).unwrap_err().code(), "E0000001");
            }
            if from != S::LockedOut {
                let e = transition(from, Lifecycle::Unlock, true).unwrap_err();
                assert_eq!((e.code(), e.status().as_u16()), ("E0000032", 403), "unlock from {from:?}");
            }
            if from != S::Provisioned {
                assert_eq!(transition(from, Lifecycle::Reactivate, true).unwrap_err().code(), "E0000038");
            }
        }
        for from in [S::Staged, S::Suspended, S::Deprovisioned] {
            assert_eq!(transition(from, Lifecycle::ResetPassword, true).unwrap_err().code(), "E0000038");
        }
        for from in [S::Staged, S::Provisioned, S::Suspended, S::Deprovisioned, S::LockedOut] {
            assert_eq!(transition(from, Lifecycle::ExpirePassword, true).unwrap_err().code(), "E0000038");
        }
        assert_eq!(transition(S::Active, Lifecycle::ExpirePassword, false).unwrap_err().code(), "E0000038");
        assert_eq!(transition(S::Staged, Lifecycle::ResetFactors, true).unwrap_err().code(), "E0000038");
    }

    #[test]
    fn profile_validation_names_every_problem() {
        let good: Map<String, Value> = serde_json::from_value(
            json!({"login": "ann@acme.test", "email": "ann@acme.test", "firstName": "Ann", "lastName": "Page"}),
        )
        .unwrap();
        assert!(validate_profile(&good).is_ok());
        let bad: Map<String, Value> = serde_json::from_value(
            json!({"login": "ann", "email": "nope", "firstName": "", "lastName": "x".repeat(51)}),
        )
        .unwrap();
        match validate_profile(&bad).unwrap_err() {
            OktaError::Validation { field, causes } => {
                assert_eq!(field, "login");
                let joined = causes.join("|");
                assert!(joined.contains("firstName: The field cannot be left blank"), "{joined}");
                assert!(joined.contains("lastName: The field is too long"), "{joined}");
                assert!(joined.contains("login: Username must be in the form of an email address"), "{joined}");
                assert!(joined.contains("email: Does not match required pattern"), "{joined}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn password_policy() {
        assert!(validate_password("Abcdefg1", "ann@acme.test").is_ok());
        assert!(validate_password("abcdefg1", "ann@acme.test").is_err());
        assert!(validate_password("Abc1", "ann@acme.test").is_err());
        assert!(validate_password("Xannabc12", "ann@acme.test").is_err(), "contains the username");
    }

    #[test]
    fn lifecycle_side_effects() {
        let mut ids = IdGen::new(1);
        let now = Utc::now();
        let mut s = OktaState::new("Acme", &mut ids);
        let user = User {
            id: "00u1".into(),
            status: S::Active,
            created: now,
            activated: Some(now),
            status_changed: None,
            last_login: None,
            last_updated: now,
            password_changed: None,
            profile: Map::new(),
            password: Some("Secret123".into()),
            recovery_question: None,
            provider: "OKTA".into(),
            type_id: "oty1".into(),
            failed_logins: 0,
            rendered: Default::default(),
        };
        s.users.insert("00u1".into(), user);
        s.app_users.insert(
            "0oa1:00u1".into(),
            AppUser {
                app_id: "0oa1".into(),
                user_id: "00u1".into(),
                created: now,
                last_updated: now,
                credentials: json!({}),
                profile: json!({}),
            },
        );
        s.memberships.insert(
            "00g1:00u1".into(),
            Membership { group_id: "00g1".into(), user_id: "00u1".into(), created: now, via_rule: None },
        );
        assert_eq!(s.apply_lifecycle("00u1", Lifecycle::Deactivate, now), Ok(S::Deprovisioned));
        assert!(s.app_users.is_empty(), "deactivation drops app assignments");
        assert_eq!(s.memberships.len(), 1, "but keeps group memberships");
        assert_eq!(s.users["00u1"].status_changed, Some(now));
        assert_eq!(s.apply_lifecycle("00u1", Lifecycle::Deactivate, now), Err(OktaError::WrongStatus));
        assert_eq!(s.apply_lifecycle("nope", Lifecycle::Activate, now).unwrap_err().code(), "E0000007");
        s.purge_user("00u1");
        assert!(s.users.is_empty() && s.memberships.is_empty());
    }
}

#[cfg(test)]
mod rendered_users {
    use super::*;

    fn ann(now: DateTime<Utc>) -> User {
        let mut u = User::sample("00u1", serde_json::json!({"login": "ann@acme.test", "firstName": "Ann"}));
        (u.created, u.last_updated) = (now, now);
        u
    }

    #[test]
    fn logins_are_found_without_a_scan_and_follow_every_change() {
        let now = Utc::now();
        let mut s = OktaState::new("Acme", &mut IdGen::new(1));
        s.users.insert("00u1".into(), ann(now));
        assert_eq!(s.find_user("ANN@acme.test").map(|u| u.id.as_str()), Some("00u1"));
        assert!(s.login_taken("ann@ACME.test", None));
        assert!(!s.login_taken("ann@acme.test", Some("00u1")), "a user's own login is not taken");

        // A login changed in place is filed again when the change ends.
        if let Some(mut u) = s.users.get_mut("00u1") {
            u.profile.insert("login".into(), Value::String("anna@acme.test".into()));
        }
        assert!(s.find_user("ann@acme.test").is_none());
        assert!(!s.login_taken("ann@acme.test", None));
        assert_eq!(s.find_user("anna@acme.test").map(|u| u.id.as_str()), Some("00u1"));

        // Replaced whole, then gone.
        s.users.insert("00u1".into(), ann(now));
        assert!(s.login_taken("ann@acme.test", None) && !s.login_taken("anna@acme.test", None));
        let copy: OktaState = serde_json::from_value(serde_json::to_value(&s).expect("export")).expect("import");
        assert!(copy.login_taken("ann@acme.test", None), "an imported state files its users' logins");
        s.users.remove("00u1");
        assert!(!s.login_taken("ann@acme.test", None));
    }

    #[test]
    fn a_listing_never_serves_a_user_as_rendered_before_a_change() {
        let now = Utc::now();
        let mut s = OktaState::new("Acme", &mut IdGen::new(1));
        s.users.insert("00u1".into(), ann(now));
        let base = "http://127.0.0.1:8702";
        let first = crate::api::render::user_json(&s, &s.users["00u1"], base);
        assert!(s.users["00u1"].rendered.get().is_some(), "the rendering is kept");
        let again = crate::api::render::user_json(&s, &s.users["00u1"], base);
        assert_eq!(first.as_ptr(), again.as_ptr(), "and served again without rendering");

        // A change in place (lifecycle, profile) drops it.
        s.apply_lifecycle("00u1", Lifecycle::Suspend, now).expect("suspend");
        let suspended = crate::api::render::user_json(&s, &s.users["00u1"], base);
        assert!(String::from_utf8_lossy(&suspended).contains(r#""status":"SUSPENDED""#));
        if let Some(mut u) = s.users.get_mut("00u1") {
            u.profile.insert("firstName".into(), Value::String("Anna".into()));
        }
        let renamed = crate::api::render::user_json(&s, &s.users["00u1"], base);
        assert!(String::from_utf8_lossy(&renamed).contains(r#""firstName":"Anna""#));

        // Another base URL (a fork's `/u/{id}` org URL) renders its own links.
        let other = crate::api::render::user_json(&s, &s.users["00u1"], "http://127.0.0.1:8702/u/f1");
        assert!(String::from_utf8_lossy(&other).contains("/u/f1/api/v1/users/00u1"));

        // A copy of the state (a fork) starts without the rendering and never shares a stale one.
        let fork = s.clone();
        let mut changed = User::clone(&fork.users["00u1"]);
        assert!(changed.rendered.get().is_none(), "a cloned user starts empty");
        changed.profile.insert("firstName".into(), Value::String("Annie".into()));
        let mut fork = fork;
        fork.users.insert("00u1".into(), changed);
        let in_fork = crate::api::render::user_json(&fork, &fork.users["00u1"], base);
        assert!(String::from_utf8_lossy(&in_fork).contains(r#""firstName":"Annie""#));
        let in_parent = crate::api::render::user_json(&s, &s.users["00u1"], base);
        assert!(String::from_utf8_lossy(&in_parent).contains(r#""firstName":"Anna""#));
    }
}
