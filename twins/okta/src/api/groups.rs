//! `/api/v1/groups`: CRUD, list/search/q, `expand=stats`, members, a group's apps.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, put};
use axum::Router;
use serde_json::{Map, Value};

use super::routes::{route, Cov, Route};
use super::{apps, render, Call};
use crate::admin::On;
use crate::errors::OktaError;
use crate::ids::okta_id;
use crate::model::{Event, Group, GroupType, Target, UserStatus};
use crate::wire::search::{self, Rules};
use crate::wire::{self, body_object, link_headers, paginate, Order};

pub const ROUTES: &[Route] = &[
    route("GET", "/api/v1/groups", "okta.groups.list", Cov::Implemented),
    route("POST", "/api/v1/groups", "okta.groups.create", Cov::Implemented),
    route("GET", "/api/v1/groups/{groupId}", "okta.groups.get", Cov::Implemented),
    route("PUT", "/api/v1/groups/{groupId}", "okta.groups.replace", Cov::Implemented),
    route("DELETE", "/api/v1/groups/{groupId}", "okta.groups.delete", Cov::Implemented),
    route("GET", "/api/v1/groups/{groupId}/users", "okta.groups.list_users", Cov::Implemented),
    route("PUT", "/api/v1/groups/{groupId}/users/{userId}", "okta.groups.add_user", Cov::Implemented),
    route("DELETE", "/api/v1/groups/{groupId}/users/{userId}", "okta.groups.remove_user", Cov::Implemented),
    route("GET", "/api/v1/groups/{groupId}/apps", "okta.groups.list_apps", Cov::Implemented),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/groups", get(list).post(create))
        .route("/api/v1/groups/{groupId}", get(get_group).put(replace).delete(delete_group))
        .route("/api/v1/groups/{groupId}/users", get(list_users))
        .route("/api/v1/groups/{groupId}/users/{userId}", put(add_user).delete(remove_user))
        .route("/api/v1/groups/{groupId}/apps", get(list_apps))
}

const FILTER_RULES: Rules<'static> = Rules {
    attributes: Some(&["id", "type", "lastUpdated", "lastMembershipUpdated", "profile.name"]),
    range_attributes: &["lastUpdated", "lastMembershipUpdated"],
    eq_only: true,
    contains_attributes: None,
    case_insensitive: false,
};

/// `expand` on groups: `stats` and `app`; anything else is refused as Okta refuses it.
fn expand(call: &Call) -> Result<Vec<String>, OktaError> {
    call.query.expand(|e| matches!(e, "stats" | "app"))
}

async fn list(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.read")?;
    let q = &call.query;
    let (search_text, filter_text, keyword) = (q.text("search"), q.text("filter"), q.text("q"));
    if search_text.is_some() && filter_text.is_some() {
        return Err(OktaError::search("The search and filter parameters cannot be used together."));
    }
    let expr = match (search_text, filter_text) {
        (Some(s), _) => Some((search::compile(s, &Rules::SEARCH).map_err(OktaError::search)?, true)),
        (_, Some(f)) => Some((search::compile(f, &FILTER_RULES).map_err(OktaError::search)?, false)),
        _ => None,
    };
    let limit = q.limit(if keyword.is_some() { 300 } else { 10_000 }, 10_000)?;
    let after = q.after()?;
    let expand = expand(&call)?;
    let expand: Vec<&str> = expand.iter().map(String::as_str).collect();
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        let keyword = keyword.map(str::to_lowercase);
        let keyed: Vec<(String, &Group)> = s
            .groups
            .values()
            .filter(|g| match &expr {
                Some((e, ci)) => search::matches(e, &render::group_doc(g), *ci),
                None => true,
            })
            .filter(|g| keyword.as_ref().is_none_or(|k| g.name().to_lowercase().starts_with(k.as_str())))
            .map(|g| (g.id.clone(), g))
            .collect();
        let (page, next) = paginate(keyed, after, limit, Order::KeyAscending)?;
        Ok((page.into_iter().map(|g| render::group(s, g, &base, &expand)).collect::<Vec<_>>(), next))
    })??;
    Ok(wire::page(items, link_headers(&base, "/api/v1/groups", &call.query, next.as_deref())))
}

/// The profile of a create or replace body, checked.
fn group_profile(body: &Map<String, Value>) -> Result<Map<String, Value>, OktaError> {
    let profile = match body.get("profile") {
        Some(Value::Object(p)) => p.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(OktaError::validation("profile", "profile: Does not match required type: object")),
    };
    let name = profile.get("name").and_then(Value::as_str).map(str::trim).unwrap_or("");
    if name.is_empty() {
        return Err(OktaError::validation("name", "name: The field cannot be left blank"));
    }
    if name.chars().count() > 255 {
        return Err(OktaError::validation("name", "name: The field is too long (maximum 255 characters)"));
    }
    if let Some(d) = profile.get("description") {
        match d {
            Value::Null => {}
            Value::String(s) if s.chars().count() <= 1024 => {}
            Value::String(_) => {
                return Err(OktaError::validation(
                    "description",
                    "description: The field is too long (maximum 1024 characters)",
                ))
            }
            _ => return Err(OktaError::validation("description", "description: Does not match required type: string")),
        }
    }
    Ok(profile)
}

fn duplicate_name() -> OktaError {
    OktaError::validation("name", "name: An object with this field already exists in the current organization")
}

async fn create(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.manage")?;
    let body = body_object(&call.body)?;
    let profile = group_profile(&body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let name = profile.get("name").and_then(Value::as_str).unwrap_or("").to_lowercase();
        caller.require(s, "okta.groups.create", On::Org)?;
        if s.groups.values().any(|g| g.name().to_lowercase() == name) {
            return Err(duplicate_name());
        }
        crate::schema::enforce_group(s, &profile, None)?;
        let id = okta_id(ids, "00g");
        let group = Group {
            id: id.clone(),
            created: now,
            last_updated: now,
            last_membership_updated: now,
            kind: GroupType::OktaGroup,
            profile: profile.clone(),
        };
        let target = Target::group(&group);
        s.groups.insert(id.clone(), group.clone());
        caller.log(s, ids, now, Event::new("group.lifecycle.create", "Create Okta group", vec![target]));
        Ok(render::group(s, &group, &base, &[]))
    })?;
    Ok(wire::ok(&out))
}

async fn get_group(Path(gid): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.read")?;
    let expand = expand(&call)?;
    let expand: Vec<&str> = expand.iter().map(String::as_str).collect();
    let base = call.base().to_string();
    let out = call.read(|s| {
        s.groups
            .get(&gid)
            .map(|g| render::group(s, g, &base, &expand))
            .ok_or_else(|| OktaError::not_found(&gid, "UserGroup"))
    })??;
    Ok(wire::ok(&out))
}

async fn replace(Path(gid): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.manage")?;
    let body = body_object(&call.body)?;
    let profile = group_profile(&body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let mut group = s.groups.get(&gid).cloned().ok_or_else(|| OktaError::not_found(&gid, "UserGroup"))?;
        if group.kind != GroupType::OktaGroup {
            return Err(OktaError::Forbidden);
        }
        let name = profile.get("name").and_then(Value::as_str).unwrap_or("").to_lowercase();
        caller.require(s, "okta.groups.manage", On::Group(&gid))?;
        if s.groups.values().any(|g| g.id != gid && g.name().to_lowercase() == name) {
            return Err(duplicate_name());
        }
        crate::schema::enforce_group(s, &profile, Some(&gid))?;
        group.profile = profile.clone();
        group.last_updated = now;
        s.groups.insert(gid.clone(), group.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("group.profile.update", "Update group profile", vec![Target::group(&group)]),
        );
        Ok(render::group(s, &group, &base, &[]))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_group(Path(gid): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let group = s.groups.get(&gid).cloned().ok_or_else(|| OktaError::not_found(&gid, "UserGroup"))?;
        caller.require(s, "okta.groups.manage", On::Group(&gid))?;
        if group.kind == GroupType::BuiltIn {
            return Err(OktaError::Forbidden);
        }
        s.purge_group(&gid);
        caller.log(s, ids, now, Event::new("group.lifecycle.delete", "Delete Okta group", vec![Target::group(&group)]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn list_users(Path(gid): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.read")?;
    let limit = call.query.limit(1000, 10_000)?;
    let after = call.query.after()?;
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        let group = s.groups.get(&gid).ok_or_else(|| OktaError::not_found(&gid, "UserGroup"))?;
        let mut members = s.group_member_ids(group);
        members.sort();
        let keyed: Vec<(String, String)> = members.into_iter().map(|m| (m.clone(), m)).collect();
        let (page, next) = paginate(keyed, after, limit, Order::KeyAscending)?;
        let rendered =
            page.iter().filter_map(|uid| s.users.get(uid)).map(|u| render::user_json(s, u, &base)).collect::<Vec<_>>();
        Ok((rendered, next))
    })??;
    let path = format!("/api/v1/groups/{gid}/users");
    Ok(wire::page_text(render::json_array(&items), link_headers(&base, &path, &call.query, next.as_deref())))
}

async fn add_user(Path((gid, uid)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let group = s.groups.get(&gid).cloned().ok_or_else(|| OktaError::not_found(&gid, "UserGroup"))?;
        let user = s.users.get(&uid).cloned().ok_or_else(|| OktaError::not_found(&uid, "User"))?;
        caller.require(s, "okta.groups.members.manage", On::Group(&gid))?;
        if group.kind != GroupType::OktaGroup {
            return Err(OktaError::Forbidden);
        }
        if user.status == UserStatus::Deprovisioned {
            return Err(OktaError::validation("userId", "userId: A deactivated user cannot be added to a group"));
        }
        if s.add_member(&gid, &uid, now) {
            caller.log(
                s,
                ids,
                now,
                Event::new(
                    "group.user_membership.add",
                    "Add user to group membership",
                    vec![Target::user(&user), Target::group(&group)],
                ),
            );
        }
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn remove_user(Path((gid, uid)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let group = s.groups.get(&gid).cloned().ok_or_else(|| OktaError::not_found(&gid, "UserGroup"))?;
        let user = s.users.get(&uid).cloned().ok_or_else(|| OktaError::not_found(&uid, "User"))?;
        caller.require(s, "okta.groups.members.manage", On::Group(&gid))?;
        if group.kind != GroupType::OktaGroup {
            return Err(OktaError::Forbidden);
        }
        if s.remove_member(&gid, &uid, now) {
            caller.log(
                s,
                ids,
                now,
                Event::new(
                    "group.user_membership.remove",
                    "Remove user from group membership",
                    vec![Target::user(&user), Target::group(&group)],
                ),
            );
        }
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn list_apps(Path(gid): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apps.read")?;
    let limit = call.query.limit(20, 200)?;
    let after = call.query.after()?;
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        if !s.groups.contains_key(&gid) {
            return Err(OktaError::not_found(&gid, "UserGroup"));
        }
        let keyed: Vec<(String, &crate::model::App)> = s
            .apps
            .values()
            .filter(|a| s.app_groups.contains_key(&crate::model::pair_key(&a.id, &gid)))
            .map(|a| (a.id.clone(), a))
            .collect();
        let (page, next) = paginate(keyed, after, limit, Order::KeyAscending)?;
        let policies = apps::AppPolicies::of(s);
        Ok((page.into_iter().map(|a| apps::render(a, &base, &policies)).collect::<Vec<_>>(), next))
    })??;
    let path = format!("/api/v1/groups/{gid}/apps");
    Ok(wire::page(items, link_headers(&base, &path, &call.query, next.as_deref())))
}
