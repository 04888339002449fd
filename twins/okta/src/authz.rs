//! Custom authorization servers as plain data and rules: the server (audiences,
//! status, its signing keys), its scopes, claims, access policies and their rules,
//! and how a token request is judged against them (Okta's "policy evaluation")
//! and which custom claims a token carries. No HTTP here: `api::authservers`
//! serves the records and `api::oauth` asks [`evaluate`] and [`custom_claims`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use twin_core::ids::IdGen;

use crate::errors::OAuthError;
use crate::ids::okta_id;
use crate::model::{App, OktaState, User};

/// Bounds: Okta limits custom servers per org and what each holds; the twin's
/// limits keep one universe from growing without end.
pub const MAX_SERVERS: usize = 64;
pub const MAX_SCOPES: usize = 256;
pub const MAX_CLAIMS: usize = 128;
pub const MAX_POLICIES: usize = 64;
pub const MAX_RULES: usize = 64;

/// The scopes every custom server is created with (`system: true`).
pub const SYSTEM_SCOPES: [(&str, &str); 7] = [
    ("openid", "Signals that a request is an OpenID request."),
    ("profile", "Allows access to end-user's default profile claims."),
    ("email", "Allows access to end-user's email address."),
    ("address", "Allows access to end-user's address."),
    ("phone", "Allows access to end-user's phone number."),
    ("offline_access", "Allows access to a refresh token."),
    ("device_sso", "Allows access to a device secret."),
];

/// `error_description` of a request no policy rule allows, in Okta's words.
pub const POLICY_FAILED: &str = "Policy evaluation failed for this request, please check the policy configurations.";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerKey {
    /// Index into the shipped key pool (`keys::pool_kid`).
    pub pool: usize,
    /// ACTIVE signs, NEXT is published ahead of rotation, EXPIRED was the previous
    /// key and stays published so tokens it signed still verify.
    pub status: String,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthServerRecord {
    pub id: String,
    pub name: String,
    pub description: String,
    pub audiences: Vec<String>,
    pub status: String,
    pub issuer_mode: String,
    pub rotation_mode: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub last_rotated: DateTime<Utc>,
    pub keys: Vec<ServerKey>,
    /// The seeded `default` server grants scopes it does not declare, so fixtures and
    /// existing clients need not declare every custom scope (a twin leniency).
    #[serde(default)]
    pub accepts_undeclared_scopes: bool,
}

impl AuthServerRecord {
    pub fn active(&self) -> bool {
        self.status == "ACTIVE"
    }

    /// The pool index of the key that signs.
    pub fn signing_key(&self) -> usize {
        self.keys.iter().find(|k| k.status == "ACTIVE").map_or(0, |k| k.pool)
    }

    /// `aud` of its access tokens: a string for one audience, else an array.
    pub fn audience(&self) -> Value {
        match self.audiences.as_slice() {
            [one] => json!(one),
            many => json!(many),
        }
    }

    /// Retires the previous key, makes the next one active and publishes a new next.
    pub fn rotate(&mut self, now: DateTime<Utc>) {
        self.keys.retain(|k| k.status != "EXPIRED");
        let newest = self.keys.iter().map(|k| k.pool).max().unwrap_or(0);
        for k in &mut self.keys {
            k.status = match k.status.as_str() {
                "ACTIVE" => "EXPIRED".into(),
                "NEXT" => "ACTIVE".into(),
                other => other.into(),
            };
        }
        self.keys.push(ServerKey { pool: (newest + 1) % crate::keys::pool_len(), status: "NEXT".into(), created: now });
        self.last_rotated = now;
        self.last_updated = now;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OAuthScope {
    pub id: String,
    pub server_id: String,
    pub name: String,
    pub description: Option<String>,
    pub display_name: Option<String>,
    pub consent: String,
    pub default: bool,
    pub metadata_publish: String,
    pub system: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OAuthClaim {
    pub id: String,
    pub server_id: String,
    pub name: String,
    pub status: String,
    /// RESOURCE (access token) or IDENTITY (id token).
    pub claim_type: String,
    /// EXPRESSION or GROUPS.
    pub value_type: String,
    pub value: String,
    pub group_filter_type: Option<String>,
    pub always_include: bool,
    /// `conditions.scopes`: the claim is added when one of these was granted (empty: any).
    pub scopes: Vec<String>,
    pub system: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerPolicy {
    pub id: String,
    pub server_id: String,
    pub name: String,
    pub description: String,
    pub status: String,
    pub priority: i64,
    pub system: bool,
    /// `conditions.clients.include`: client ids, or `ALL_CLIENTS`.
    pub clients: Vec<String>,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerRule {
    pub id: String,
    pub server_id: String,
    pub policy_id: String,
    pub name: String,
    pub status: String,
    pub priority: i64,
    pub system: bool,
    pub grant_types: Vec<String>,
    /// `conditions.scopes.include`: scope names, or `*`.
    pub scopes: Vec<String>,
    /// `conditions.people.groups.include`: group ids, or `EVERYONE`.
    pub groups: Vec<String>,
    /// `conditions.people.users.include`: user ids.
    pub users: Vec<String>,
    pub access_token_minutes: i64,
    pub refresh_token_minutes: i64,
    pub refresh_window_minutes: i64,
    /// `actions.token.inlineHook.id`: a `com.okta.oauth2.tokens.transform` hook.
    pub inline_hook: Option<String>,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
}

/// A new server's record: two keys from the pool (ACTIVE and NEXT), starting at
/// `first_key` so different servers sign with different keys.
pub fn new_server(
    id: String,
    name: String,
    description: String,
    audiences: Vec<String>,
    first_key: usize,
    now: DateTime<Utc>,
) -> AuthServerRecord {
    let n = crate::keys::pool_len();
    AuthServerRecord {
        id,
        name,
        description,
        audiences,
        status: "ACTIVE".into(),
        issuer_mode: "ORG_URL".into(),
        rotation_mode: "AUTO".into(),
        created: now,
        last_updated: now,
        last_rotated: now,
        keys: vec![
            ServerKey { pool: first_key % n, status: "ACTIVE".into(), created: now },
            ServerKey { pool: (first_key + 1) % n, status: "NEXT".into(), created: now },
        ],
        accepts_undeclared_scopes: false,
    }
}

/// The system scopes of a new server.
pub fn system_scopes(ids: &mut IdGen, server_id: &str) -> Vec<OAuthScope> {
    SYSTEM_SCOPES
        .iter()
        .map(|(name, description)| OAuthScope {
            id: okta_id(ids, "scp"),
            server_id: server_id.into(),
            name: (*name).into(),
            description: Some((*description).into()),
            display_name: None,
            consent: "IMPLICIT".into(),
            default: false,
            metadata_publish: "ALL_CLIENTS".into(),
            system: true,
        })
        .collect()
}

/// The `Default Policy` and its `Default Policy Rule` a new org's `default` server
/// has: every client, every grant but implicit's tokens, any scope, everyone, one-hour
/// access tokens and refresh tokens that live until unused for seven days.
pub fn default_policy(ids: &mut IdGen, server_id: &str, now: DateTime<Utc>) -> (ServerPolicy, ServerRule) {
    let policy = ServerPolicy {
        id: okta_id(ids, "00p"),
        server_id: server_id.into(),
        name: "Default Policy".into(),
        description: "Default policy description".into(),
        status: "ACTIVE".into(),
        priority: 1,
        system: false,
        clients: vec!["ALL_CLIENTS".into()],
        created: now,
        last_updated: now,
    };
    let rule = ServerRule {
        id: okta_id(ids, "0pr"),
        server_id: server_id.into(),
        policy_id: policy.id.clone(),
        name: "Default Policy Rule".into(),
        status: "ACTIVE".into(),
        priority: 1,
        system: false,
        grant_types: ["implicit", "client_credentials", "authorization_code", "password"]
            .iter()
            .map(|g| g.to_string())
            .collect(),
        scopes: vec!["*".into()],
        groups: vec!["EVERYONE".into()],
        users: vec![],
        access_token_minutes: 60,
        refresh_token_minutes: 0,
        refresh_window_minutes: 10080,
        inline_hook: None,
        created: now,
        last_updated: now,
    };
    (policy, rule)
}

/// What policy evaluation decided for a token request.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub policy_id: String,
    pub rule_id: String,
    pub access_token_minutes: i64,
    pub refresh_token_minutes: i64,
    pub refresh_window_minutes: i64,
    pub inline_hook: Option<String>,
}

impl Decision {
    /// The org server's lifetimes (it has no access policies to evaluate).
    pub fn org_server() -> Self {
        Self {
            policy_id: String::new(),
            rule_id: String::new(),
            access_token_minutes: 60,
            refresh_token_minutes: 0,
            refresh_window_minutes: 10080,
            inline_hook: None,
        }
    }
}

fn by_priority<T: Clone>(mut items: Vec<T>, key: impl Fn(&T) -> (i64, String)) -> Vec<T> {
    items.sort_by_key(|x| key(x));
    items
}

/// Checks requested scopes against the server's declared ones.
pub fn check_declared(s: &OktaState, server: &AuthServerRecord, scopes: &[String]) -> Result<(), OAuthError> {
    if server.accepts_undeclared_scopes {
        return Ok(());
    }
    let unknown: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|name| !s.auth_scopes.values().any(|sc| sc.server_id == server.id && sc.name == *name))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(OAuthError::invalid_scope(format!(
        "One or more scopes are not configured for the authorization server resource: {}",
        unknown.join(" ")
    )))
}

/// Okta's policy evaluation: the first active policy (by priority) that names the
/// client, then its first active rule (by priority) whose grant type, people and
/// scopes all match. No match: `access_denied`.
pub fn evaluate(
    s: &OktaState,
    server_id: &str,
    app: &App,
    user: Option<&User>,
    grant: &str,
    scopes: &[String],
) -> Result<Decision, OAuthError> {
    let denied = || OAuthError::new(400, "access_denied", POLICY_FAILED);
    let client_id = app.client_id().unwrap_or_default();
    let policies = by_priority(
        s.auth_policies
            .values()
            .filter(|p| p.server_id == server_id && p.status == "ACTIVE")
            .filter(|p| p.clients.iter().any(|c| c == "ALL_CLIENTS" || c == client_id))
            .cloned()
            .collect(),
        |p| (p.priority, p.id.clone()),
    );
    let policy = policies.first().ok_or_else(denied)?;
    let rules = by_priority(
        s.auth_rules.values().filter(|r| r.policy_id == policy.id && r.status == "ACTIVE").cloned().collect(),
        |r| (r.priority, r.id.clone()),
    );
    let rule = rules
        .iter()
        .find(|r| {
            grant_allowed(r, grant)
                && people_match(s, r, user)
                && scopes.iter().all(|sc| r.scopes.iter().any(|allowed| allowed == "*" || allowed == sc))
        })
        .ok_or_else(denied)?;
    Ok(Decision {
        policy_id: policy.id.clone(),
        rule_id: rule.id.clone(),
        // Clamped to Okta's bounds again: an imported state is not validated.
        access_token_minutes: rule.access_token_minutes.clamp(5, 1440),
        refresh_token_minutes: rule.refresh_token_minutes.clamp(0, 2_628_000),
        refresh_window_minutes: rule.refresh_window_minutes.clamp(5, 2_628_000),
        inline_hook: rule.inline_hook.clone(),
    })
}

/// A rule names the grants that start a session; a refresh continues one, so it
/// is allowed by a rule that allows authorization_code or password.
fn grant_allowed(rule: &ServerRule, grant: &str) -> bool {
    rule.grant_types
        .iter()
        .any(|g| g == grant || (grant == "refresh_token" && matches!(g.as_str(), "authorization_code" | "password")))
}

/// A rule's people condition; a token without a user (client credentials) has no
/// people to match, so it passes.
fn people_match(s: &OktaState, rule: &ServerRule, user: Option<&User>) -> bool {
    let Some(user) = user else { return true };
    if rule.users.contains(&user.id) {
        return true;
    }
    rule.groups.iter().any(|g| {
        g == "EVERYONE"
            || s.groups.get(g).is_some_and(|group| s.is_member(group, &user.id))
            || s.everyone_group().is_some_and(|e| e.id == *g)
    })
}

/// The value of a claim's EXPRESSION: `user.<attr>`, `appuser.<attr>`, a quoted
/// literal, `app.clientId`/`app.id`, or `null` when the twin cannot evaluate it (the
/// claim is then left out, as Okta leaves out claims that evaluate to null).
pub fn expression_value(s: &OktaState, app: &App, user: Option<&User>, text: &str) -> Value {
    let text = text.trim();
    if text.len() >= 2
        && ((text.starts_with('"') && text.ends_with('"')) || (text.starts_with('\'') && text.ends_with('\'')))
    {
        return json!(text[1..text.len() - 1]);
    }
    if let Some(attr) = text.strip_prefix("user.") {
        return match (user, attr) {
            (Some(u), "id") => json!(u.id),
            (Some(u), "status") => json!(u.status.as_str()),
            (Some(u), _) => u.profile.get(attr).cloned().unwrap_or(Value::Null),
            (None, _) => Value::Null,
        };
    }
    if let Some(attr) = text.strip_prefix("appuser.") {
        let Some(u) = user else { return Value::Null };
        return s
            .app_users
            .get(&crate::model::pair_key(&app.id, &u.id))
            .and_then(|au| au.profile.get(attr).cloned())
            .unwrap_or(Value::Null);
    }
    match text {
        "app.clientId" => json!(app.client_id()),
        "app.id" => json!(app.id),
        "true" => json!(true),
        "false" => json!(false),
        _ => text.parse::<i64>().map(|n| json!(n)).unwrap_or(Value::Null),
    }
}

/// The names of the user's groups that a GROUPS claim's filter keeps.
pub fn group_names(s: &OktaState, user: &User, filter: &str, value: &str) -> Vec<String> {
    let names = s.user_group_ids(&user.id).into_iter().filter_map(|id| s.groups.get(&id).map(|g| g.name().to_string()));
    match filter {
        "EQUALS" => names.filter(|n| n == value).collect(),
        "STARTS_WITH" => names.filter(|n| n.starts_with(value)).collect(),
        "CONTAINS" => names.filter(|n| n.contains(value)).collect(),
        _ => match regex::Regex::new(&format!("^(?:{value})$")) {
            Ok(re) => names.filter(|n| re.is_match(n)).collect(),
            Err(_) => vec![],
        },
    }
}

/// The custom claims of a token of `claim_type`: RESOURCE (access token), IDENTITY
/// (id token) or USERINFO (identity claims as the userinfo endpoint answers them).
pub fn custom_claims(
    s: &OktaState,
    server_id: &str,
    app: &App,
    user: Option<&User>,
    scopes: &[String],
    claim_type: &str,
) -> Map<String, Value> {
    let mut out = Map::new();
    // Userinfo answers every identity claim whose scope was granted.
    let stored_type = if claim_type == "USERINFO" { "IDENTITY" } else { claim_type };
    let claims = s
        .auth_claims
        .values()
        .filter(|c| c.server_id == server_id && c.status == "ACTIVE" && c.claim_type == stored_type && !c.system);
    for claim in claims {
        // An id token carries an identity claim when `alwaysIncludeInToken`, else only
        // from userinfo; access tokens and userinfo when the scope condition holds.
        let scoped = claim.scopes.is_empty() || claim.scopes.iter().any(|sc| scopes.contains(sc));
        let wanted = match claim_type {
            "IDENTITY" => claim.always_include && scoped,
            _ => scoped,
        };
        if !wanted {
            continue;
        }
        let value = match claim.value_type.as_str() {
            "GROUPS" => match user {
                Some(u) => {
                    json!(group_names(s, u, claim.group_filter_type.as_deref().unwrap_or("REGEX"), &claim.value))
                }
                None => continue,
            },
            _ => expression_value(s, app, user, &claim.value),
        };
        if !value.is_null() {
            out.insert(claim.name.clone(), value);
        }
    }
    out
}

/// Claims a token hook may not add, replace or remove (Okta's reserved claims).
pub const RESERVED_CLAIMS: [&str; 16] = [
    "ver",
    "jti",
    "iss",
    "aud",
    "iat",
    "exp",
    "cid",
    "uid",
    "scp",
    "sub",
    "auth_time",
    "amr",
    "idp",
    "nonce",
    "at_hash",
    "c_hash",
];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn rotation_keeps_the_previous_key_published() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut srv = new_server("aus1".into(), "n".into(), "".into(), vec!["api://x".into()], 0, now);
        assert_eq!(srv.signing_key(), 0);
        srv.rotate(now);
        assert_eq!(srv.signing_key(), 1);
        let statuses: Vec<(usize, &str)> = srv.keys.iter().map(|k| (k.pool, k.status.as_str())).collect();
        assert_eq!(statuses, vec![(0, "EXPIRED"), (1, "ACTIVE"), (2, "NEXT")]);
        srv.rotate(now);
        assert_eq!(srv.keys.len(), 3);
        assert_eq!(srv.signing_key(), 2);
    }

    #[test]
    fn audience_is_a_string_for_one() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut srv = new_server("aus1".into(), "n".into(), "".into(), vec!["api://x".into()], 0, now);
        assert_eq!(srv.audience(), json!("api://x"));
        srv.audiences.push("api://y".into());
        assert_eq!(srv.audience(), json!(["api://x", "api://y"]));
    }
}
