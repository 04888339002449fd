//! `/api/v1/groups/rules`: group rules. Created INACTIVE; activation assigns
//! every user the expression matches to the rule's groups, and an ACTIVE rule
//! keeps applying to users as they are created or their profiles change.
//! Expressions are a subset of the Okta Expression Language (`crate::expr`).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use twin_core::ids::IdGen;

use super::routes::{route, Cov, Route};
use super::{Call, Caller};
use crate::errors::OktaError;
use crate::ids::okta_id;
use crate::model::{Event, GroupRule, GroupType, OktaState, Target};
use crate::wire::{self, body_object, link_headers, paginate, ts, Order};

pub const ROUTES: &[Route] = &[
    route("GET", "/api/v1/groups/rules", "okta.group_rules.list", Cov::Implemented),
    route(
        "POST",
        "/api/v1/groups/rules",
        "okta.group_rules.create",
        Cov::Partial("a subset of the Okta Expression Language (user attributes, String.*, isMemberOf*)"),
    ),
    route("GET", "/api/v1/groups/rules/{groupRuleId}", "okta.group_rules.get", Cov::Implemented),
    route("PUT", "/api/v1/groups/rules/{groupRuleId}", "okta.group_rules.replace", Cov::Implemented),
    route("DELETE", "/api/v1/groups/rules/{groupRuleId}", "okta.group_rules.delete", Cov::Implemented),
    route(
        "POST",
        "/api/v1/groups/rules/{groupRuleId}/lifecycle/activate",
        "okta.group_rules.activate",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/groups/rules/{groupRuleId}/lifecycle/deactivate",
        "okta.group_rules.deactivate",
        Cov::Implemented,
    ),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/groups/rules", get(list).post(create))
        .route("/api/v1/groups/rules/{groupRuleId}", get(get_rule).put(replace).delete(delete_rule))
        .route("/api/v1/groups/rules/{groupRuleId}/lifecycle/{op}", post(lifecycle))
}

pub const EXPRESSION_TYPE: &str = "urn:okta:expression:1.0";

fn render(r: &GroupRule) -> Value {
    json!({
        "type": "group_rule",
        "id": r.id,
        "status": r.status,
        "name": r.name,
        "created": ts(r.created),
        "lastUpdated": ts(r.last_updated),
        "conditions": {
            "people": {"users": {"exclude": r.exclude_user_ids}, "groups": {"exclude": []}},
            "expression": {"value": r.expression, "type": EXPRESSION_TYPE}
        },
        "actions": {"assignUserToGroups": {"groupIds": r.group_ids}},
        "allGroupsValid": true,
    })
}

/// The fields of a create or replace body, checked against the org.
fn rule_fields(
    s: &OktaState,
    body: &Map<String, Value>,
) -> Result<(String, String, Vec<String>, Vec<String>), OktaError> {
    let doc = Value::Object(body.clone());
    if let Some(t) = body.get("type").and_then(Value::as_str) {
        if t != "group_rule" {
            return Err(OktaError::validation("type", "type: must be group_rule"));
        }
    }
    let name = body.get("name").and_then(Value::as_str).map(str::trim).unwrap_or("").to_string();
    if name.is_empty() {
        return Err(OktaError::validation("name", "name: The field cannot be left blank"));
    }
    if name.chars().count() > 50 {
        return Err(OktaError::validation("name", "name: The field is too long (maximum 50 characters)"));
    }
    let expression =
        doc.pointer("/conditions/expression/value").and_then(Value::as_str).map(str::trim).unwrap_or("").to_string();
    if expression.is_empty() {
        return Err(OktaError::validation(
            "conditions.expression.value",
            "conditions.expression.value: The field cannot be left blank",
        ));
    }
    if let Err(cause) = crate::expr::parse(&expression) {
        return Err(OktaError::validation(
            "conditions.expression.value",
            format!("conditions.expression.value: {cause}"),
        ));
    }
    let list = |p: &str| -> Vec<String> {
        doc.pointer(p)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default()
    };
    let group_ids = list("/actions/assignUserToGroups/groupIds");
    if group_ids.is_empty() {
        return Err(OktaError::validation(
            "actions.assignUserToGroups.groupIds",
            "actions.assignUserToGroups.groupIds: At least one group is required",
        ));
    }
    for gid in &group_ids {
        match s.groups.get(gid) {
            Some(g) if g.kind == GroupType::OktaGroup => {}
            Some(_) => {
                return Err(OktaError::validation(
                    "actions.assignUserToGroups.groupIds",
                    format!("actions.assignUserToGroups.groupIds: '{gid}' is not an Okta group"),
                ))
            }
            None => return Err(OktaError::not_found(gid, "UserGroup")),
        }
    }
    let excluded = list("/conditions/people/users/exclude");
    Ok((name, expression, group_ids, excluded))
}

fn rule_of(s: &OktaState, id: &str) -> Result<GroupRule, OktaError> {
    s.group_rules.get(id).cloned().ok_or_else(|| OktaError::not_found(id, "GroupRule"))
}

async fn list(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.read")?;
    call.query.expand(|e| e == "groupIdToGroupNameMap")?;
    let limit = call.query.limit(50, 200)?;
    let after = call.query.after()?;
    let keyword = call.query.text("search").map(str::to_lowercase);
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        let keyed: Vec<(String, &GroupRule)> = s
            .group_rules
            .values()
            .filter(|r| keyword.as_ref().is_none_or(|k| r.name.to_lowercase().contains(k.as_str())))
            .map(|r| (r.id.clone(), r))
            .collect();
        let (page, next) = paginate(keyed, after, limit, Order::KeyAscending)?;
        Ok((page.into_iter().map(render).collect::<Vec<_>>(), next))
    })??;
    Ok(wire::page(items, link_headers(&base, "/api/v1/groups/rules", &call.query, next.as_deref())))
}

async fn create(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.manage")?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let out = call.write(|s, ids| {
        let (name, expression, group_ids, exclude_user_ids) = rule_fields(s, &body)?;
        let rule = GroupRule {
            id: okta_id(ids, "0pr"),
            name,
            status: "INACTIVE".into(),
            created: now,
            last_updated: now,
            expression,
            group_ids,
            exclude_user_ids,
        };
        s.group_rules.insert(rule.id.clone(), rule.clone());
        Ok(render(&rule))
    })?;
    Ok(wire::ok(&out))
}

async fn get_rule(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.read")?;
    call.query.expand(|e| e == "groupIdToGroupNameMap")?;
    let out = call.read(|s| rule_of(s, &id).map(|r| render(&r)))??;
    Ok(wire::ok(&out))
}

async fn replace(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.manage")?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let out = call.write(|s, _ids| {
        let mut rule = rule_of(s, &id)?;
        if rule.status == "ACTIVE" {
            return Err(OktaError::validation(
                "status",
                "status: An ACTIVE rule cannot be updated; deactivate it first",
            ));
        }
        let (name, expression, group_ids, exclude_user_ids) = rule_fields(s, &body)?;
        rule.name = name;
        rule.expression = expression;
        rule.group_ids = group_ids;
        rule.exclude_user_ids = exclude_user_ids;
        rule.last_updated = now;
        s.group_rules.insert(id.clone(), rule.clone());
        Ok(render(&rule))
    })?;
    Ok(wire::ok(&out))
}

/// Logs the memberships a rule added.
fn log_added(
    s: &mut OktaState,
    ids: &mut IdGen,
    caller: &Caller,
    user_id: &str,
    added: &[(String, String)],
    now: DateTime<Utc>,
) {
    for (_, gid) in added {
        let targets: Vec<Target> = s
            .users
            .get(user_id)
            .map(|u| Target::user(u))
            .into_iter()
            .chain(s.groups.get(gid).map(Target::group))
            .collect();
        caller.log(s, ids, now, Event::new("group.user_membership.add", "Add user to group membership", targets));
    }
}

/// Applies the active rules to one user and logs what they added (for the
/// Users API after creates and profile updates).
pub fn apply_for_user(s: &mut OktaState, ids: &mut IdGen, caller: &Caller, user_id: &str, now: DateTime<Utc>) {
    let added = s.apply_group_rules(user_id, now);
    log_added(s, ids, caller, user_id, &added, now);
}

async fn lifecycle(Path((id, op)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.manage")?;
    let status = match op.as_str() {
        "activate" => "ACTIVE",
        "deactivate" => "INACTIVE",
        _ => return Err(OktaError::not_found(call.path.clone(), "Resource")),
    };
    let now = call.now();
    call.write(|s, ids| {
        let mut rule = rule_of(s, &id)?;
        if rule.status == status {
            return Ok(());
        }
        rule.status = status.into();
        rule.last_updated = now;
        s.group_rules.insert(id.clone(), rule);
        if status == "ACTIVE" {
            let users: Vec<String> = s.users.keys().cloned().collect();
            for uid in users {
                apply_for_user(s, ids, &caller, &uid, now);
            }
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_rule(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.groups.manage")?;
    let remove_users = call.query.bool("removeUsers", false)?;
    let now = call.now();
    call.write(|s, ids| {
        rule_of(s, &id)?;
        s.group_rules.remove(&id);
        if remove_users {
            let keys: Vec<(String, String, String)> = s
                .memberships
                .iter()
                .filter(|(_, m)| m.via_rule.as_deref() == Some(id.as_str()))
                .map(|(k, m)| (k.clone(), m.group_id.clone(), m.user_id.clone()))
                .collect();
            for (_, gid, uid) in keys {
                if s.remove_member(&gid, &uid, now) {
                    let targets: Vec<Target> = s
                        .users
                        .get(&uid)
                        .map(|u| Target::user(u))
                        .into_iter()
                        .chain(s.groups.get(&gid).map(Target::group))
                        .collect();
                    caller.log(
                        s,
                        ids,
                        now,
                        Event::new("group.user_membership.remove", "Remove user from group membership", targets),
                    );
                }
            }
        }
        Ok(())
    })?;
    // Okta's answer carries an empty object, not an empty body.
    Ok(wire::json(StatusCode::ACCEPTED, &json!({})))
}
