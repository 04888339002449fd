//! Records → the vendor's JSON shapes, with absolute `_links` on the request's host
//! (the Node SDK caches single-object reads under `_links.self.href`).

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;

use serde_json::{json, Map, Value};

use crate::model::{Group, GroupType, OktaState, RenderedUser, User, UserStatus, STANDARD_PROFILE};
use crate::wire::search;
use crate::wire::{ts, ts_opt};

fn href(url: String) -> Value {
    json!({ "href": url })
}

fn post(url: String) -> Value {
    json!({ "href": url, "method": "POST" })
}

/// The profile with every standard attribute present (`null` when unset).
pub fn user_profile(u: &User) -> Value {
    let mut profile = Map::new();
    for key in STANDARD_PROFILE {
        profile.insert(key.to_string(), u.profile.get(key).cloned().unwrap_or(Value::Null));
    }
    for (k, v) in &u.profile {
        if !profile.contains_key(k) {
            profile.insert(k.clone(), v.clone());
        }
    }
    Value::Object(profile)
}

fn user_credentials(u: &User) -> Value {
    let mut credentials = Map::new();
    if u.password.is_some() {
        credentials.insert("password".into(), json!({}));
    }
    if let Some(email) = u.profile.get("email").and_then(Value::as_str) {
        credentials.insert("emails".into(), json!([{ "value": email, "status": "VERIFIED", "type": "PRIMARY" }]));
    }
    if let Some(q) = &u.recovery_question {
        credentials.insert("recovery_question".into(), json!({ "question": q.question }));
    }
    credentials.insert("provider".into(), json!({ "type": u.provider, "name": u.provider }));
    Value::Object(credentials)
}

/// What `search` and `filter` match against: the user without links.
pub fn user_doc(u: &User) -> Value {
    json!({
        "id": u.id,
        "status": u.status.as_str(),
        "created": ts(u.created),
        "activated": ts_opt(u.activated),
        "statusChanged": ts_opt(u.status_changed),
        "lastLogin": ts_opt(u.last_login),
        "lastUpdated": ts(u.last_updated),
        "passwordChanged": ts_opt(u.password_changed),
        "type": { "id": u.type_id },
        "profile": user_profile(u),
    })
}

/// A user as `search` and `filter` see it, answering each path from the record itself
/// (what [`user_doc`] would hold, without building it).
pub struct UserDoc<'a>(pub &'a User);

impl search::Doc for UserDoc<'_> {
    fn values(&self, path: &str) -> Vec<Cow<'_, Value>> {
        let u = self.0;
        let owned = |v: Value| vec![Cow::Owned(v)];
        match path.split_once('.') {
            Some(("profile", rest)) => {
                let (first, tail) = rest.split_once('.').unwrap_or((rest, ""));
                match u.profile.get(first) {
                    Some(v) => search::resolve_from(vec![v], tail).into_iter().map(Cow::Borrowed).collect(),
                    None => vec![],
                }
            }
            Some(("type", "id")) => owned(json!(u.type_id)),
            Some(_) => search::resolve(&user_doc(u), path).into_iter().map(|v| Cow::Owned(v.clone())).collect(),
            None => match path {
                "id" => owned(json!(u.id)),
                "status" => owned(json!(u.status.as_str())),
                "created" => owned(json!(ts(u.created))),
                "activated" => owned(json!(ts_opt(u.activated))),
                "statusChanged" => owned(json!(ts_opt(u.status_changed))),
                "lastLogin" => owned(json!(ts_opt(u.last_login))),
                "lastUpdated" => owned(json!(ts(u.last_updated))),
                "passwordChanged" => owned(json!(ts_opt(u.password_changed))),
                _ => search::resolve(&user_doc(u), path).into_iter().map(|v| Cow::Owned(v.clone())).collect(),
            },
        }
    }
}

/// The lifecycle and credential links of a user who signs in.
const ACTIVE_USER_LINKS: &[&str] = &[
    "suspend",
    "resetPassword",
    "expirePassword",
    "forgotPassword",
    "changeRecoveryQuestion",
    "deactivate",
    "changePassword",
    "resetFactors",
];

/// A user as the Users API returns it.
pub fn user(state: &OktaState, u: &User, base: &str) -> Value {
    let mut out = user_doc(u);
    out["credentials"] = user_credentials(u);
    let me = format!("{base}/api/v1/users/{}", u.id);
    let lifecycle = |op: &str| post(format!("{me}/lifecycle/{op}"));
    let mut links = Map::new();
    let ops: &[&str] = match u.status {
        // As Okta's own answers have them: a staged user can only be activated.
        UserStatus::Staged => &["activate"],
        UserStatus::Provisioned => &["resetPassword", "reactivate", "deactivate"],
        UserStatus::Active => ACTIVE_USER_LINKS,
        UserStatus::Recovery => &["resetPassword", "deactivate"],
        // A user whose password expired still signs in (to change it): the links of an
        // active user.
        UserStatus::PasswordExpired => ACTIVE_USER_LINKS,
        UserStatus::LockedOut => &["unlock", "resetPassword", "deactivate"],
        UserStatus::Suspended => &["unsuspend", "deactivate"],
        UserStatus::Deprovisioned => &["activate"],
    };
    for op in ops {
        let link = match *op {
            "resetPassword" => lifecycle("reset_password"),
            "expirePassword" => lifecycle("expire_password"),
            "resetFactors" => lifecycle("reset_factors"),
            "forgotPassword" => post(format!("{me}/credentials/forgot_password")),
            "changeRecoveryQuestion" => post(format!("{me}/credentials/change_recovery_question")),
            "changePassword" => post(format!("{me}/credentials/change_password")),
            other => lifecycle(other),
        };
        links.insert(op.to_string(), link);
    }
    let schema_id = crate::schema::user_schema_key(state, &u.type_id);
    links.insert("schema".into(), href(format!("{base}/api/v1/meta/schemas/user/{schema_id}")));
    links.insert("type".into(), href(format!("{base}/api/v1/meta/types/user/{}", u.type_id)));
    links.insert("self".into(), href(me));
    out["_links"] = Value::Object(links);
    out
}

/// A user's JSON text, as [`user`] renders it: from the user's memo when it was
/// rendered before for this base URL and profile schema (the only inputs beside the
/// record), else rendered now and kept.
pub fn user_json(state: &OktaState, u: &User, base: &str) -> Bytes {
    let schema_id = crate::schema::user_schema_key(state, &u.type_id);
    if let Some(kept) = u.rendered.get() {
        if *kept.base == *base && *kept.schema_id == schema_id {
            return kept.json.clone();
        }
    }
    let json = twin_core::wire::json_body(&user(state, u, base));
    u.rendered.set(Arc::new(RenderedUser { base: base.into(), schema_id: schema_id.into(), json: json.clone() }));
    json
}

/// A JSON array of already-rendered items.
pub fn json_array(items: &[Bytes]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 2);
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item);
    }
    out.push(b']');
    out
}

/// What group `search` and `filter` match against.
pub fn group_doc(g: &Group) -> Value {
    json!({
        "id": g.id,
        "created": ts(g.created),
        "lastUpdated": ts(g.last_updated),
        "lastMembershipUpdated": ts(g.last_membership_updated),
        "type": g.kind.as_str(),
        "profile": group_profile(g),
    })
}

/// A group's profile; `description` is always there, null when never set.
fn group_profile(g: &Group) -> Value {
    let mut profile = g.profile.clone();
    profile.entry("description").or_insert(Value::Null);
    Value::Object(profile)
}

/// A group; `expand` may ask for `stats` and `app` in `_embedded`.
pub fn group(state: &OktaState, g: &Group, base: &str, expand: &[&str]) -> Value {
    let mut out = group_doc(g);
    out["objectClass"] = json!(["okta:user_group"]);
    let me = format!("{base}/api/v1/groups/{}", g.id);
    out["_links"] = json!({
        "logo": [
            {"name": "medium", "href": format!("{base}/assets/img/logos/groups/okta-medium.png"), "type": "image/png"},
            {"name": "large", "href": format!("{base}/assets/img/logos/groups/okta-large.png"), "type": "image/png"}
        ],
        "users": {"href": format!("{me}/users")},
        "apps": {"href": format!("{me}/apps")},
        "self": {"href": me},
    });
    let mut embedded = Map::new();
    if expand.contains(&"stats") {
        let users = state.group_member_ids(g).len();
        let apps = state.app_groups.values().filter(|a| a.group_id == g.id).count();
        embedded.insert(
            "stats".into(),
            json!({
                "usersCount": users,
                "appsCount": apps,
                "groupPushMappingsCount": 0,
                "hasAdminPrivilege": false,
                "_links": {"self": {"href": format!("{me}/stats")}}
            }),
        );
    }
    if expand.contains(&"app") && g.kind == GroupType::AppGroup {
        embedded.insert("app".into(), json!({}));
    }
    if !embedded.is_empty() {
        out["_embedded"] = Value::Object(embedded);
    }
    out
}
