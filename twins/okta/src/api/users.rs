//! `/api/v1/users`: create, read, update, delete, list/search, the lifecycle
//! operations, a user's groups and credentials.

use std::cmp::Ordering;
use std::sync::Arc;

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use twin_core::Collection;

use super::render;
use super::routes::{route, Cov, Route};
use super::{Call, Caller};
use crate::errors::OktaError;
use crate::ids::{alnum, okta_id};
use crate::model::{
    validate_profile, AttributeIndex, Event, Lifecycle, OktaState, RecoveryQuestion, Target, User, UserStatus,
};
use crate::policy::{check_new_password, remember_password, PasswordChange};
use crate::wire::search::{self, Expr, Rules};
use crate::wire::{self, body_object, link_headers, paginate, Order};

pub const ROUTES: &[Route] = &[
    route("GET", "/api/v1/users", "okta.users.list", Cov::Implemented),
    route(
        "POST",
        "/api/v1/users",
        "okta.users.create",
        Cov::Partial("no `provider` federation, no password hooks or hash import checks"),
    ),
    route("GET", "/api/v1/users/{userId}", "okta.users.get", Cov::Implemented),
    route("POST", "/api/v1/users/{userId}", "okta.users.update", Cov::Implemented),
    route("PUT", "/api/v1/users/{userId}", "okta.users.replace", Cov::Implemented),
    route("DELETE", "/api/v1/users/{userId}", "okta.users.delete", Cov::Implemented),
    route("POST", "/api/v1/users/{userId}/lifecycle/activate", "okta.users.activate", Cov::Implemented),
    route("POST", "/api/v1/users/{userId}/lifecycle/reactivate", "okta.users.reactivate", Cov::Implemented),
    route("POST", "/api/v1/users/{userId}/lifecycle/deactivate", "okta.users.deactivate", Cov::Implemented),
    route("POST", "/api/v1/users/{userId}/lifecycle/suspend", "okta.users.suspend", Cov::Implemented),
    route("POST", "/api/v1/users/{userId}/lifecycle/unsuspend", "okta.users.unsuspend", Cov::Implemented),
    route("POST", "/api/v1/users/{userId}/lifecycle/unlock", "okta.users.unlock", Cov::Implemented),
    route("POST", "/api/v1/users/{userId}/lifecycle/reset_password", "okta.users.reset_password", Cov::Implemented),
    route("POST", "/api/v1/users/{userId}/lifecycle/expire_password", "okta.users.expire_password", Cov::Implemented),
    route(
        "POST",
        "/api/v1/users/{userId}/lifecycle/expire_password_with_temp_password",
        "okta.users.expire_password_with_temp_password",
        Cov::Implemented,
    ),
    route("POST", "/api/v1/users/{userId}/lifecycle/reset_factors", "okta.users.reset_factors", Cov::Implemented),
    route("GET", "/api/v1/users/{userId}/groups", "okta.users.list_groups", Cov::Implemented),
    route("POST", "/api/v1/users/{userId}/credentials/change_password", "okta.users.change_password", Cov::Implemented),
    route(
        "POST",
        "/api/v1/users/{userId}/credentials/change_recovery_question",
        "okta.users.change_recovery_question",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/users/{userId}/credentials/forgot_password",
        "okta.users.forgot_password",
        Cov::Partial("no email is sent"),
    ),
    route(
        "POST",
        "/api/v1/users/{userId}/credentials/forgot_password_recovery_question",
        "okta.users.forgot_password_recovery_question",
        Cov::Implemented,
    ),
    route("DELETE", "/api/v1/users/{userId}/sessions", "okta.users.revoke_sessions", Cov::Implemented),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/users", get(list).post(create))
        .route("/api/v1/users/{userId}", get(get_user).post(update).put(replace).delete(delete_user))
        .route("/api/v1/users/{userId}/lifecycle/{op}", post(lifecycle))
        .route("/api/v1/users/{userId}/groups", get(list_groups))
        .route("/api/v1/users/{userId}/credentials/change_password", post(change_password))
        .route("/api/v1/users/{userId}/credentials/change_recovery_question", post(change_recovery_question))
        .route("/api/v1/users/{userId}/credentials/forgot_password", post(forgot_password))
        .route(
            "/api/v1/users/{userId}/credentials/forgot_password_recovery_question",
            post(forgot_password_recovery_question),
        )
        .route("/api/v1/users/{userId}/sessions", delete(revoke_sessions))
}

/// The attributes `filter` allows on users (only `eq`, ranges on `lastUpdated`).
const FILTER_RULES: Rules<'static> = Rules {
    attributes: Some(&[
        "status",
        "lastUpdated",
        "id",
        "profile.login",
        "profile.email",
        "profile.firstName",
        "profile.lastName",
    ]),
    range_attributes: &["lastUpdated"],
    eq_only: true,
    contains_attributes: None,
    case_insensitive: false,
};

const SEARCH_RULES: Rules<'static> = Rules {
    contains_attributes: Some(&["profile.firstName", "profile.lastName", "profile.email", "profile.login"]),
    ..Rules::SEARCH
};

fn compile(text: &str, rules: &Rules<'_>) -> Result<Expr, OktaError> {
    search::compile(text, rules).map_err(OktaError::search)
}

fn sort_key<'a>(doc: &'a Value, attr: &str) -> Option<&'a Value> {
    attr.split('.').try_fold(doc, |v, seg| v.get(seg))
}

fn cmp_values(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::String(x)), Some(Value::String(y))) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal)
        }
        (Some(Value::Null) | None, Some(Value::Null) | None) => Ordering::Equal,
        (Some(Value::Null) | None, _) => Ordering::Greater,
        (_, Some(Value::Null) | None) => Ordering::Less,
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
    }
}

async fn list(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    check_expand(&call)?;
    let q = &call.query;
    let (search_text, filter_text, keyword) = (q.text("search"), q.text("filter"), q.text("q"));
    if search_text.is_some() && filter_text.is_some() {
        return Err(OktaError::search("The search and filter parameters cannot be used together."));
    }
    let expr = match (search_text, filter_text) {
        (Some(s), _) => Some((compile(s, &SEARCH_RULES)?, true)),
        (_, Some(f)) => Some((compile(f, &FILTER_RULES)?, false)),
        _ => None,
    };
    let sort_by = q.text("sortBy").map(str::to_string);
    if sort_by.is_some() && search_text.is_none() {
        return Err(OktaError::search("sortBy is only supported with search."));
    }
    let descending = match q.text("sortOrder").map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") | Some("ascending") => false,
        Some("desc") | Some("descending") => true,
        Some(_) => return Err(OktaError::validation("sortOrder", "sortOrder: must be asc or desc")),
    };
    let limit = q.limit(if keyword.is_some() && expr.is_none() { 10 } else { 200 }, 200)?;
    let after = q.after()?;
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        // The sort key's document is built only when a sort needs it.
        let keep = |u: &User| -> Option<Value> {
            match &expr {
                Some((e, ci)) => search::matches(e, &render::UserDoc(u), *ci).then(|| {
                    if sort_by.is_some() {
                        render::user_doc(u)
                    } else {
                        Value::Null
                    }
                }),
                None => {
                    // Plain listings and `q` hide deprovisioned users.
                    if u.status == UserStatus::Deprovisioned {
                        return None;
                    }
                    if let Some(k) = keyword {
                        let k = k.to_lowercase();
                        let hit = ["firstName", "lastName", "email"].iter().any(|f| {
                            u.profile.get(*f).and_then(Value::as_str).is_some_and(|v| v.to_lowercase().starts_with(&k))
                        });
                        if !hit {
                            return None;
                        }
                    }
                    Some(Value::Null)
                }
            }
        };
        // A cursor not shaped like a user id was never handed out: Okta refuses it.
        if let (Some(a), Some(k)) = (after, s.users.keys().next()) {
            if !wire::same_shape(k, a) {
                return Err(OktaError::InvalidPaging);
            }
        }
        if sort_by.is_none() {
            // Id order: start after the cursor and stop one past the page, so a
            // page costs what it returns, whatever the org's size.
            // An `eq` every match must satisfy narrows the scan to the users its
            // attribute index files under that value (the expression still decides).
            let index = expr
                .as_ref()
                .and_then(|(e, _)| search::indexable_eq(e))
                .map(|(attr, text)| (s.users.index(attr, |all| attribute_index(all, attr)), text));
            let candidates: Vec<&str> = match &index {
                Some((index, text)) => {
                    let ids = index.candidates(text);
                    let start = after.map_or(0, |a| ids.partition_point(|id| *id <= a));
                    ids[start..].to_vec()
                }
                None => Vec::new(),
            };
            let from = match after {
                Some(a) => std::ops::Bound::Excluded(a.to_string()),
                None => std::ops::Bound::Unbounded,
            };
            let scan: Box<dyn Iterator<Item = &User>> = match index {
                Some(_) => Box::new(candidates.iter().filter_map(|id| s.users.get(*id).map(|u| &**u))),
                None => Box::new(s.users.range((from, std::ops::Bound::Unbounded)).map(|(_, u)| &**u)),
            };
            let mut page: Vec<&User> = Vec::with_capacity(limit + 1);
            for u in scan {
                if keep(u).is_some() {
                    page.push(u);
                    if page.len() > limit {
                        break;
                    }
                }
            }
            let more = page.len() > limit;
            page.truncate(limit);
            let next = if more { page.last().map(|u| u.id.clone()) } else { None };
            let rendered: Vec<Bytes> = page.into_iter().map(|u| render::user_json(s, u, &base)).collect();
            return Ok((rendered, next));
        }
        let mut docs: Vec<(String, Value, &User)> = Vec::new();
        for u in s.users.values() {
            if let Some(doc) = keep(u) {
                docs.push((u.id.clone(), doc, u));
            }
        }
        let order = match &sort_by {
            Some(attr) => {
                docs.sort_by(|a, b| cmp_values(sort_key(&a.1, attr), sort_key(&b.1, attr)).then_with(|| a.0.cmp(&b.0)));
                if descending {
                    docs.reverse();
                }
                Order::Other
            }
            None => Order::KeyAscending,
        };
        let keyed = docs.into_iter().map(|(id, _, u)| (id, u)).collect();
        let (page, next) = paginate(keyed, after, limit, order)?;
        let rendered: Vec<Bytes> = page.into_iter().map(|u| render::user_json(s, u, &base)).collect();
        Ok((rendered, next))
    })??;
    // `q` is not paged.
    let next = if keyword.is_some() && expr.is_none() { None } else { next };
    Ok(wire::page_text(render::json_array(&items), link_headers(&base, "/api/v1/users", &call.query, next.as_deref())))
}

/// Files every user by its values at `attr` (see [`AttributeIndex`]).
fn attribute_index(all: &Collection<Arc<User>>, attr: &str) -> AttributeIndex {
    let mut index = AttributeIndex::default();
    for (id, u) in all.iter() {
        let mut filed: Vec<String> = Vec::new();
        for value in search::Doc::values(&render::UserDoc(u), attr) {
            match value.as_ref() {
                Value::String(text) => {
                    let key = search::index_key(text);
                    if !filed.contains(&key) {
                        index.by_text.entry(key.clone()).or_default().push(id.clone());
                        filed.push(key);
                    }
                }
                // Null equals no text.
                Value::Null => {}
                _ => {
                    if index.other.last() != Some(id) {
                        index.other.push(id.clone());
                    }
                }
            }
        }
    }
    index
}

/// The fields of a create or update body.
struct UserInput {
    profile: Option<Map<String, Value>>,
    password: Option<String>,
    recovery: Option<RecoveryQuestion>,
    provider: Option<String>,
}

fn user_input(body: &Map<String, Value>) -> Result<UserInput, OktaError> {
    let profile = match body.get("profile") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => Some(p.clone()),
        Some(_) => return Err(OktaError::validation("profile", "profile: Does not match required type: object")),
    };
    let credentials = body.get("credentials").and_then(Value::as_object);
    let password = match credentials.and_then(|c| c.get("password")) {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => match (p.get("value"), p.get("hash")) {
            (Some(Value::String(v)), _) => Some(v.clone()),
            (_, Some(Value::Object(_))) => Some(String::new()),
            (None | Some(Value::Null), _) => None,
            _ => return Err(OktaError::validation("password", "password: Does not match required type: string")),
        },
        Some(_) => return Err(OktaError::validation("password", "password: Does not match required type: object")),
    };
    let recovery = match credentials.and_then(|c| c.get("recovery_question")) {
        None | Some(Value::Null) => None,
        Some(Value::Object(r)) => {
            let question = r.get("question").and_then(Value::as_str).unwrap_or("").trim().to_string();
            let answer = r.get("answer").and_then(Value::as_str).unwrap_or("").trim().to_string();
            if question.is_empty() {
                return Err(OktaError::validation("recovery_question", "question: The field cannot be left blank"));
            }
            if answer.chars().count() < 4 {
                return Err(OktaError::validation(
                    "recovery_question",
                    "answer: The security question answer must be at least 4 characters in length",
                ));
            }
            Some(RecoveryQuestion { question, answer })
        }
        Some(_) => {
            return Err(OktaError::validation("recovery_question", "recovery_question: Does not match required type"))
        }
    };
    let provider = credentials
        .and_then(|c| c.get("provider"))
        .and_then(|p| p.get("type"))
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase);
    Ok(UserInput { profile, password, recovery, provider })
}

fn duplicate_login() -> OktaError {
    OktaError::validation("login", "login: An object with this field already exists in the current organization")
}

async fn create(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let body = body_object(&call.body)?;
    let activate = call.query.bool("activate", true)?;
    let provider = call.query.bool("provider", false)?;
    let next_login = call.query.text("nextLogin");
    let input = user_input(&body)?;
    let profile = input.profile.unwrap_or_default();
    validate_profile(&profile)?;
    let login = profile.get("login").and_then(Value::as_str).unwrap_or("").to_string();
    let expire = match next_login {
        None => false,
        Some("changePassword") => {
            if input.password.is_none() {
                return Err(OktaError::NextLoginNeedsPassword);
            }
            if !activate {
                return Err(OktaError::NextLoginNeedsActivate);
            }
            true
        }
        Some(other) => {
            return Err(OktaError::validation("nextLogin", format!("nextLogin: '{other}' is not a valid value")))
        }
    };
    let group_ids: Vec<String> = match body.get("groupIds") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(_) => return Err(OktaError::validation("groupIds", "groupIds: Does not match required type: array")),
    };
    if group_ids.len() > 20 {
        return Err(OktaError::Other {
            status: 400,
            code: "E0000093".into(),
            summary: "Target count limit exceeded".into(),
        });
    }
    let type_id = body.get("type").and_then(|t| t.get("id")).and_then(Value::as_str).map(str::to_string);
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        caller.require(s, "okta.users.create", crate::admin::On::Org)?;
        if s.login_taken(&login, None) {
            return Err(duplicate_login());
        }
        let type_id = match &type_id {
            Some(t) if *t == s.user_type_id || s.user_types.contains_key(t) => t.clone(),
            Some(t) => return Err(OktaError::validation("type", format!("type: The user type '{t}' does not exist"))),
            None => s.user_type_id.clone(),
        };
        crate::schema::enforce_user(s, &type_id, &profile, None)?;
        for gid in &group_ids {
            let g = s.groups.get(gid).ok_or_else(|| OktaError::not_found(gid.clone(), "UserGroup"))?;
            if g.kind != crate::model::GroupType::OktaGroup {
                return Err(OktaError::Forbidden);
            }
        }
        // The password policy of the groups the user is created in. An imported
        // hash is stored as "no usable password" but counts as one.
        if let Some(pw) = input.password.as_deref().filter(|p| !p.is_empty()) {
            let mut groups: Vec<String> = s.everyone_group().map(|g| vec![g.id.clone()]).unwrap_or_default();
            groups.extend(group_ids.iter().cloned());
            crate::policy::rules_for_groups(s, &groups).check_complexity(pw, &profile)?;
        }
        let status = if !activate {
            UserStatus::Staged
        } else if provider || input.password.is_some() {
            if expire {
                UserStatus::PasswordExpired
            } else {
                UserStatus::Active
            }
        } else {
            UserStatus::Provisioned
        };
        let id = okta_id(ids, "00u");
        let user = User {
            id: id.clone(),
            status,
            created: now,
            activated: matches!(status, UserStatus::Active | UserStatus::PasswordExpired).then_some(now),
            status_changed: (status != UserStatus::Staged).then_some(now),
            last_login: None,
            last_updated: now,
            password_changed: input.password.as_ref().map(|_| now),
            profile,
            password: input.password.clone(),
            recovery_question: input.recovery.clone(),
            provider: input
                .provider
                .clone()
                .unwrap_or_else(|| if provider { "FEDERATION".into() } else { "OKTA".into() }),
            type_id: type_id.clone(),
            failed_logins: 0,
            rendered: Default::default(),
        };
        let target = Target::user(&user);
        s.users.insert(id.clone(), user);
        caller.log(s, ids, now, Event::new("user.lifecycle.create", "Create Okta user", vec![target.clone()]));
        if status != UserStatus::Staged {
            caller.log(s, ids, now, Event::new("user.lifecycle.activate", "Activate Okta user", vec![target.clone()]));
        }
        for gid in &group_ids {
            if s.add_member(gid, &id, now) {
                let g = s.groups.get(gid).map(Target::group);
                let targets = std::iter::once(target.clone()).chain(g).collect();
                caller.log(
                    s,
                    ids,
                    now,
                    Event::new("group.user_membership.add", "Add user to group membership", targets),
                );
            }
        }
        super::rules::apply_for_user(s, ids, &caller, &id, now);
        let u = s.users.get(&id).ok_or(OktaError::Internal)?;
        Ok(render::user(s, u, &base))
    })?;
    Ok(wire::ok(&out))
}

/// `me` is the caller; anything else is an id, a login or a login's short name.
fn resolve_key<'a>(key: &'a str, caller: &'a Caller) -> &'a str {
    if key == "me" {
        &caller.principal.subject
    } else {
        key
    }
}

/// `expand` on users: only `blocks` is a value Okta knows; anything else is refused.
fn check_expand(call: &Call) -> Result<(), OktaError> {
    call.query.expand(|e| e == "blocks").map(drop)
}

async fn get_user(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    check_expand(&call)?;
    let key = resolve_key(&key, &caller).to_string();
    let base = call.base().to_string();
    let out = call.read(|s| s.user(&key).map(|u| render::user_json(s, u, &base)))??;
    Ok(wire::ok_text(out))
}

/// How an update applies: `full` replaces the profile (`PUT`), `strict` checks a new
/// password's history and minimum age as a user's own change would.
#[derive(Debug, Clone, Copy)]
struct UpdateMode {
    full: bool,
    strict: bool,
}

/// Applies an update body to a user: partial (`POST`) or full (`PUT`).
fn apply_update(
    s: &mut OktaState,
    ids: &mut twin_core::ids::IdGen,
    caller: &Caller,
    key: &str,
    body: &Map<String, Value>,
    mode: UpdateMode,
    now: DateTime<Utc>,
) -> Result<String, OktaError> {
    let UpdateMode { full, strict } = mode;
    let input = user_input(body)?;
    let mut user = s.user(key)?.clone();
    if user.status == UserStatus::Deprovisioned {
        // Okta ignores profile changes to deprovisioned users.
        return Ok(user.id);
    }
    let mut profile_changed = false;
    if let Some(p) = input.profile {
        let next = if full {
            p
        } else {
            let mut merged = user.profile.clone();
            for (k, v) in p {
                merged.insert(k, v);
            }
            merged
        };
        validate_profile(&next)?;
        caller.require(s, "okta.users.userprofile.manage", crate::admin::On::User(&user.id))?;
        crate::schema::enforce_user(s, &user.type_id, &next, Some(&user.id))?;
        let login = next.get("login").and_then(Value::as_str).unwrap_or("");
        if s.login_taken(login, Some(&user.id)) {
            return Err(duplicate_login());
        }
        profile_changed = next != user.profile;
        user.profile = next;
    } else if full {
        return Err(OktaError::validation("profile", "profile: The field cannot be left blank"));
    }
    let mut password_changed = false;
    if let Some(pw) = input.password {
        if !pw.is_empty() {
            // An admin's set skips history and minimum age unless `strict=true`.
            let how = if strict { PasswordChange::Change } else { PasswordChange::Set };
            check_new_password(s, &user.id, &pw, how, now)?;
        }
        if let Some(old) = user.password.as_deref() {
            remember_password(s, &user.id, old);
        }
        user.password = Some(pw);
        user.password_changed = Some(now);
        password_changed = true;
        if matches!(user.status, UserStatus::Recovery | UserStatus::PasswordExpired) {
            user.status = UserStatus::Active;
            user.status_changed = Some(now);
        }
    }
    if let Some(r) = input.recovery {
        user.recovery_question = Some(r);
    }
    user.last_updated = now;
    let target = Target::user(&user);
    let id = user.id.clone();
    s.users.insert(id.clone(), user);
    if profile_changed {
        super::rules::apply_for_user(s, ids, caller, &id, now);
        caller.log(
            s,
            ids,
            now,
            Event::new("user.account.update_profile", "Update user profile for Okta", vec![target.clone()]),
        );
    }
    if password_changed {
        caller.log(s, ids, now, Event::new("user.account.update_password", "Update password for user", vec![target]));
    }
    Ok(id)
}

async fn update_common(key: String, call: Call, full: bool) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let key = resolve_key(&key, &caller).to_string();
    let body = body_object(&call.body)?;
    let strict = call.query.bool("strict", false)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let id = apply_update(s, ids, &caller, &key, &body, UpdateMode { full, strict }, now)?;
        let u = s.users.get(&id).ok_or(OktaError::Internal)?;
        Ok(render::user(s, u, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn update(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    update_common(key, call, false).await
}

async fn replace(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    update_common(key, call, true).await
}

/// The first DELETE deactivates a live user; a DELETE of a deprovisioned user removes it.
async fn delete_user(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let user = s.user(&key)?.clone();
        caller.require(s, "okta.users.lifecycle.delete", crate::admin::On::User(&user.id))?;
        let target = Target::user(&user);
        if user.status == UserStatus::Deprovisioned {
            s.purge_user(&user.id);
            caller.log(s, ids, now, Event::new("user.lifecycle.delete.initiated", "Delete Okta user", vec![target]));
        } else {
            s.apply_lifecycle(&user.id, Lifecycle::Deactivate, now)?;
            let op = Lifecycle::Deactivate;
            caller.log(s, ids, now, Event::new(op.event_type(), op.display_message(), vec![target]));
        }
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn lifecycle(Path((key, op)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let with_temp = op == "expire_password_with_temp_password"
        || (op == "expire_password" && call.query.bool("tempPassword", false)?);
    let lifecycle = match op.as_str() {
        "activate" => Lifecycle::Activate,
        "reactivate" => Lifecycle::Reactivate,
        "deactivate" => Lifecycle::Deactivate,
        "suspend" => Lifecycle::Suspend,
        "unsuspend" => Lifecycle::Unsuspend,
        "unlock" => Lifecycle::Unlock,
        "reset_password" => Lifecycle::ResetPassword,
        "expire_password" | "expire_password_with_temp_password" => Lifecycle::ExpirePassword,
        "reset_factors" => Lifecycle::ResetFactors,
        _ => return Err(OktaError::not_found(call.path.clone(), "Resource")),
    };
    let send_email = call.query.bool("sendEmail", true)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let uid = s.user(&key)?.id.clone();
        // A targeted admin changes the lifecycle only of users in its groups.
        let permission = match lifecycle {
            Lifecycle::Activate | Lifecycle::Reactivate => "okta.users.lifecycle.activate",
            Lifecycle::Deactivate => "okta.users.lifecycle.deactivate",
            Lifecycle::Suspend => "okta.users.lifecycle.suspend",
            Lifecycle::Unsuspend => "okta.users.lifecycle.unsuspend",
            Lifecycle::Unlock => "okta.users.lifecycle.unlock",
            Lifecycle::ResetPassword => "okta.users.credentials.resetPassword",
            Lifecycle::ExpirePassword => "okta.users.credentials.expirePassword",
            Lifecycle::ResetFactors => "okta.users.credentials.resetFactors",
            _ => "okta.users.lifecycle.manage",
        };
        caller.require(s, permission, crate::admin::On::User(&uid))?;
        s.apply_lifecycle(&uid, lifecycle, now)?;
        let mut temp = None;
        if with_temp {
            let password = format!("Tmp{}9a", alnum(ids, 9));
            if let Some(mut u) = s.users.get_mut(&uid) {
                u.password = Some(password.clone());
                u.password_changed = Some(now);
            }
            temp = Some(password);
        }
        let u = s.users.get(&uid).ok_or(OktaError::Internal)?.clone();
        caller.log(
            s,
            ids,
            now,
            Event::new(lifecycle.event_type(), lifecycle.display_message(), vec![Target::user(&u)]),
        );
        Ok(match lifecycle {
            Lifecycle::Activate | Lifecycle::Reactivate if !send_email => {
                let token = alnum(ids, 20);
                json!({"activationUrl": format!("{base}/welcome/{token}"), "activationToken": token})
            }
            // The link's token is a recovery token (`/api/v1/authn/recovery/token`); with
            // sendEmail it goes to the user's mailbox (the state) instead.
            Lifecycle::ResetPassword => {
                let token = super::recovery::mint_password_token(s, ids, &uid, now);
                if send_email {
                    json!({})
                } else {
                    json!({"resetPasswordUrl": format!("{base}/reset_password/{token}")})
                }
            }
            Lifecycle::ExpirePassword => match temp {
                Some(t) => json!({"tempPassword": t}),
                None => render::user(s, &u, &base),
            },
            _ => json!({}),
        })
    })?;
    Ok(wire::ok(&out))
}

async fn list_groups(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.read")?;
    let key = resolve_key(&key, &caller).to_string();
    let base = call.base().to_string();
    let items = call.read(|s| -> Result<Vec<Value>, OktaError> {
        let u = s.user(&key)?;
        Ok(s.user_group_ids(&u.id)
            .iter()
            .filter_map(|gid| s.groups.get(gid))
            .map(|g| render::group(s, g, &base, &[]))
            .collect())
    })??;
    let path = call.path.clone();
    Ok(wire::page(items, link_headers(&base, &path, &call.query, None)))
}

fn credentials_body(s: &OktaState, id: &str) -> Value {
    s.users.get(id).map_or(json!({}), |u| {
        let mut c = json!({"password": {}, "provider": {"type": u.provider, "name": u.provider}});
        if let Some(q) = &u.recovery_question {
            c["recovery_question"] = json!({"question": q.question});
        }
        c
    })
}

async fn change_password(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let body = body_object(&call.body)?;
    let value = |k: &str| body.get(k).and_then(|v| v.get("value")).and_then(Value::as_str).map(str::to_string);
    let old = value("oldPassword").ok_or(OktaError::MissingParameter { name: "oldPassword".into() })?;
    let new = value("newPassword").ok_or(OktaError::MissingParameter { name: "newPassword".into() })?;
    // `strict=true` also holds the new password to the policy's minimum age.
    let how = if call.query.bool("strict", false)? { PasswordChange::Change } else { PasswordChange::ChangeAnyAge };
    let now = call.now();
    let out = call.write(|s, ids| {
        let user = s.user(&key)?.clone();
        if user.password.as_deref() != Some(old.as_str()) || old.is_empty() {
            return Err(OktaError::CredentialsFailed {
                cause: "oldPassword: The credentials provided were incorrect.".into(),
            });
        }
        check_new_password(s, &user.id, &new, how, now)?;
        if new == old {
            return Err(OktaError::CredentialsFailed {
                cause: "password: Password cannot be your current password".into(),
            });
        }
        if user.status == UserStatus::Staged {
            // Okta changes a STAGED user's password too; the user stays STAGED (and
            // unactivated), so this is no lifecycle step.
            if let Some(mut u) = s.users.get_mut(&user.id) {
                u.password_changed = Some(now);
                u.last_updated = now;
            }
        } else {
            s.apply_lifecycle(&user.id, Lifecycle::SetPassword, now)?;
        }
        remember_password(s, &user.id, &old);
        if let Some(mut u) = s.users.get_mut(&user.id) {
            u.password = Some(new.clone());
        }
        caller.log(
            s,
            ids,
            now,
            Event::new("user.account.update_password", "Update password for user", vec![Target::user(&user)]),
        );
        Ok(credentials_body(s, &user.id))
    })?;
    Ok(wire::ok(&out))
}

async fn change_recovery_question(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let body = body_object(&call.body)?;
    let password = body.get("password").and_then(|v| v.get("value")).and_then(Value::as_str).map(str::to_string);
    let input = user_input(
        &json!({"credentials": {"recovery_question": body.get("recovery_question").cloned().unwrap_or(Value::Null)}})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    )?;
    let recovery = input.recovery.ok_or(OktaError::MissingParameter { name: "recovery_question".into() })?;
    let now = call.now();
    let out = call.write(|s, ids| {
        let user = s.user(&key)?.clone();
        if password.is_none() || user.password != password {
            return Err(OktaError::CredentialsFailed {
                cause: "password: The credentials provided were incorrect.".into(),
            });
        }
        if let Some(mut u) = s.users.get_mut(&user.id) {
            u.recovery_question = Some(recovery.clone());
            u.last_updated = now;
        }
        caller.log(
            s,
            ids,
            now,
            Event::new("user.account.update_password", "Update recovery question for user", vec![Target::user(&user)]),
        );
        Ok(credentials_body(s, &user.id))
    })?;
    Ok(wire::ok(&out))
}

/// Who may start a password reset: a user who signs in, or would but for the password.
pub(crate) fn can_recover(status: UserStatus) -> bool {
    matches!(status, UserStatus::Active | UserStatus::PasswordExpired | UserStatus::LockedOut | UserStatus::Recovery)
}

/// A one-time reset link (with `sendEmail=false`) or, when Okta would mail it, `{}`.
/// The user keeps their status until the link is used.
async fn forgot_password(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let send_email = call.query.bool("sendEmail", true)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let user = s.user(&key)?.clone();
        if !can_recover(user.status) {
            return Err(OktaError::WrongStatus);
        }
        caller.log(
            s,
            ids,
            now,
            Event::new("user.account.reset_password", "Fire user reset password event", vec![Target::user(&user)]),
        );
        // The link's token is a recovery token (`/api/v1/authn/recovery/token`); with
        // sendEmail it goes to the user's mailbox (the state) instead.
        let token = super::recovery::mint_password_token(s, ids, &user.id, now);
        Ok(if send_email {
            json!({})
        } else {
            json!({"resetPasswordUrl": format!("{base}/signin/reset-password/{token}")})
        })
    })?;
    Ok(wire::ok(&out))
}

/// Sets a new password for the user who answers their recovery question.
async fn forgot_password_recovery_question(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let body = body_object(&call.body)?;
    let new = body
        .get("password")
        .and_then(|v| v.get("value"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or(OktaError::MissingParameter { name: "password".into() })?;
    let answer = body
        .get("recovery_question")
        .and_then(|v| v.get("answer"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or(OktaError::MissingParameter { name: "recovery_question".into() })?;
    let now = call.now();
    let out = call.write(|s, ids| {
        let user = s.user(&key)?.clone();
        if !can_recover(user.status) {
            return Err(OktaError::WrongStatus);
        }
        let right =
            user.recovery_question.as_ref().is_some_and(|q| q.answer.trim().eq_ignore_ascii_case(answer.trim()));
        if !right {
            return Err(OktaError::CredentialsFailed {
                cause: "recovery_question: The recovery question answer did not match our records.".into(),
            });
        }
        check_new_password(s, &user.id, &new, PasswordChange::Change, now)?;
        s.apply_lifecycle(&user.id, Lifecycle::SetPassword, now)?;
        if let Some(old) = user.password.as_deref() {
            remember_password(s, &user.id, old);
        }
        if let Some(mut u) = s.users.get_mut(&user.id) {
            u.password = Some(new.clone());
            u.failed_logins = 0;
        }
        caller.log(
            s,
            ids,
            now,
            Event::new("user.account.update_password", "Update password for user", vec![Target::user(&user)]),
        );
        Ok(credentials_body(s, &user.id))
    })?;
    Ok(wire::ok(&out))
}

async fn revoke_sessions(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.users.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let user = s.user(&key)?.clone();
        let stale: Vec<String> =
            s.session_tokens.iter().filter(|(_, t)| t.user_id == user.id).map(|(k, _)| k.clone()).collect();
        for k in stale {
            s.session_tokens.remove(&k);
        }
        let sessions: Vec<String> =
            s.sessions.iter().filter(|(_, x)| x.user_id == user.id).map(|(k, _)| k.clone()).collect();
        for k in sessions {
            s.sessions.remove(&k);
        }
        caller.log(s, ids, now, Event::new("user.session.clear", "Clear user session", vec![Target::user(&user)]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OktaState;
    use twin_core::ids::IdGen;

    fn person(id: &str, department: Value) -> User {
        User::sample(id, json!({"login": format!("{id}@acme.test"), "department": department}))
    }

    /// The index only narrows the scan: every user the expression matches is among
    /// its candidates, whatever the value's case or type.
    #[test]
    fn an_attribute_index_holds_every_match_of_an_eq() {
        let mut s = OktaState::new("Acme", &mut IdGen::new(1));
        let departments = [
            json!("Engineering"),
            json!("engineering"),
            json!("ENGINEERING"),
            json!("Sales"),
            json!(42),
            json!(true),
            json!(null),
            json!(["Engineering", "Sales"]),
        ];
        for (n, d) in departments.iter().enumerate() {
            s.users.insert(format!("00u{n}"), person(&format!("00u{n}"), d.clone()));
        }
        s.users.insert("00u9".into(), person("00u9", json!("Sales")));
        for (text, ci) in [("engineering", true), ("Engineering", false), ("42", true), ("true", true), ("Sales", true)]
        {
            let expr = search::compile(&format!("profile.department eq \"{text}\""), &SEARCH_RULES).expect("parses");
            let (attr, literal) = search::indexable_eq(&expr).expect("indexable");
            let index = s.users.index(attr, |all| attribute_index(all, attr));
            let candidates = index.candidates(literal);
            for (id, u) in s.users.iter() {
                if search::matches(&expr, &render::UserDoc(u), ci) {
                    assert!(candidates.contains(&id.as_str()), "{id} matches {text} but is not a candidate");
                }
            }
            assert!(candidates.windows(2).all(|w| w[0] < w[1]), "candidates are in id order");
        }
        // A change to any user drops the indexes; the next search builds them again.
        let before = s.users.index("profile.department", |all| attribute_index(all, "profile.department"));
        if let Some(mut u) = s.users.get_mut("00u3") {
            u.profile.insert("department".into(), json!("Engineering"));
        }
        let after = s.users.index("profile.department", |all| attribute_index(all, "profile.department"));
        assert!(!Arc::ptr_eq(&before, &after));
        assert!(after.candidates("Engineering").contains(&"00u3"));
        // A copy of the state without user changes shares them.
        let copy = s.clone();
        let shared = copy.users.index("profile.department", |_| AttributeIndex::default());
        assert!(Arc::ptr_eq(&after, &shared));
    }

    #[test]
    fn only_an_eq_on_text_that_is_not_a_time_is_indexable() {
        let eq = |text: &str| search::compile(text, &SEARCH_RULES).expect("parses");
        assert!(search::indexable_eq(&eq(r#"profile.department eq "Engineering" and status eq "ACTIVE""#)).is_some());
        assert!(search::indexable_eq(&eq(r#"profile.department eq "Engineering" or status eq "ACTIVE""#)).is_none());
        assert!(search::indexable_eq(&eq(r#"lastUpdated eq "2026-01-01T00:00:00.000Z""#)).is_none());
        assert!(search::indexable_eq(&eq(r#"profile.department sw "Eng""#)).is_none());
    }
}
