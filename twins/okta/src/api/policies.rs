//! `/api/v1/policies`: policies of every type and their rules, with Okta's ordering
//! (a priority inserts and shifts the others; the system Default Policy and Default
//! Rule stay last and cannot be deleted). The PASSWORD policies are enforced by
//! `crate::policy` wherever a password is set or checked.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use twin_core::ids::IdGen;

use super::routes::{route, Cov, Route};
use super::{Call, Caller};
use crate::errors::OktaError;
use crate::ids::okta_id;
use crate::model::{Event, OktaState, Target};
use crate::policy::{maps_apps, reorder, rule_type, PasswordRules, Policy, PolicyMapping, PolicyRule};
use crate::wire::{self, body_object, link_headers, paginate, ts, Order};

pub const ROUTES: &[Route] = &[
    route("GET", "/api/v1/policies", "okta.policies.list", Cov::Partial("no `sortBy`, no `resourceId`")),
    route(
        "POST",
        "/api/v1/policies",
        "okta.policies.create",
        Cov::Partial("OKTA_SIGN_ON, PASSWORD, MFA_ENROLL, ACCESS_POLICY, PROFILE_ENROLLMENT, IDP_DISCOVERY"),
    ),
    route("GET", "/api/v1/policies/{policyId}", "okta.policies.get", Cov::Implemented),
    route("PUT", "/api/v1/policies/{policyId}", "okta.policies.replace", Cov::Implemented),
    route("DELETE", "/api/v1/policies/{policyId}", "okta.policies.delete", Cov::Implemented),
    route("POST", "/api/v1/policies/{policyId}/lifecycle/activate", "okta.policies.activate", Cov::Implemented),
    route("POST", "/api/v1/policies/{policyId}/lifecycle/deactivate", "okta.policies.deactivate", Cov::Implemented),
    route("GET", "/api/v1/policies/{policyId}/rules", "okta.policies.list_rules", Cov::Implemented),
    route("POST", "/api/v1/policies/{policyId}/clone", "okta.policies.clone", Cov::Implemented),
    route("GET", "/api/v1/policies/{policyId}/app", "okta.policies.list_apps", Cov::Implemented),
    route("GET", "/api/v1/policies/{policyId}/mappings", "okta.policies.list_mappings", Cov::Implemented),
    route("POST", "/api/v1/policies/{policyId}/mappings", "okta.policies.create_mapping", Cov::Implemented),
    route("GET", "/api/v1/policies/{policyId}/mappings/{mappingId}", "okta.policies.get_mapping", Cov::Implemented),
    route(
        "DELETE",
        "/api/v1/policies/{policyId}/mappings/{mappingId}",
        "okta.policies.delete_mapping",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/policies/{policyId}/rules",
        "okta.policies.create_rule",
        Cov::Partial("conditions are stored as given; people and network conditions are checked"),
    ),
    route("GET", "/api/v1/policies/{policyId}/rules/{ruleId}", "okta.policies.get_rule", Cov::Implemented),
    route("PUT", "/api/v1/policies/{policyId}/rules/{ruleId}", "okta.policies.replace_rule", Cov::Implemented),
    route("DELETE", "/api/v1/policies/{policyId}/rules/{ruleId}", "okta.policies.delete_rule", Cov::Implemented),
    route(
        "POST",
        "/api/v1/policies/{policyId}/rules/{ruleId}/lifecycle/activate",
        "okta.policies.activate_rule",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/policies/{policyId}/rules/{ruleId}/lifecycle/deactivate",
        "okta.policies.deactivate_rule",
        Cov::Implemented,
    ),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/policies", get(list).post(create))
        .route("/api/v1/policies/{policyId}", get(get_policy).put(replace).delete(delete_policy))
        .route("/api/v1/policies/{policyId}/lifecycle/{op}", post(lifecycle))
        .route("/api/v1/policies/{policyId}/rules", get(list_rules).post(create_rule))
        .route("/api/v1/policies/{policyId}/rules/{ruleId}", get(get_rule).put(replace_rule).delete(delete_rule))
        .route("/api/v1/policies/{policyId}/rules/{ruleId}/lifecycle/{op}", post(rule_lifecycle))
        .route("/api/v1/policies/{policyId}/clone", post(clone_policy))
        .route("/api/v1/policies/{policyId}/app", get(list_apps))
        .route("/api/v1/policies/{policyId}/mappings", get(list_mappings).post(create_mapping))
        .route("/api/v1/policies/{policyId}/mappings/{mappingId}", get(get_mapping).delete(delete_mapping))
}

/// Policies one org may hold, all types together, and rules one policy may hold.
const MAX_POLICIES: usize = 1000;
const MAX_RULES_PER_POLICY: usize = 100;

fn links_of(base: &str, path: &str, status: &str, rules: bool) -> Value {
    let mut links = json!({
        "self": {"href": format!("{base}{path}"), "hints": {"allow": ["GET", "PUT", "DELETE"]}},
    });
    let (op, name) = if status == "ACTIVE" { ("deactivate", "deactivate") } else { ("activate", "activate") };
    links[name] = json!({"href": format!("{base}{path}/lifecycle/{op}"), "hints": {"allow": ["POST"]}});
    if rules {
        links["rules"] = json!({"href": format!("{base}{path}/rules"), "hints": {"allow": ["GET", "POST"]}});
    }
    links
}

pub fn render_policy(p: &Policy, base: &str) -> Value {
    let mut out = json!({
        "id": p.id,
        "type": p.kind,
        "name": p.name,
        "status": p.status,
        "priority": p.priority,
        "system": p.system,
        "created": ts(p.created),
        "lastUpdated": ts(p.last_updated),
        "_links": links_of(base, &format!("/api/v1/policies/{}", p.id), &p.status, true),
    });
    // An absent part is left out rather than sent as null (the schema types them as objects).
    if !p.conditions.is_null() {
        out["conditions"] = p.conditions.clone();
    }
    if let Some(d) = &p.description {
        out["description"] = json!(d);
    }
    if !p.settings.is_null() {
        out["settings"] = p.settings.clone();
    }
    out
}

pub fn render_rule(r: &PolicyRule, base: &str) -> Value {
    let mut out = json!({
        "id": r.id,
        "type": r.kind,
        "name": r.name,
        "status": r.status,
        "priority": r.priority,
        "system": r.system,
        "created": ts(r.created),
        "lastUpdated": ts(r.last_updated),
        "_links": links_of(base, &format!("/api/v1/policies/{}/rules/{}", r.policy_id, r.id), &r.status, false),
    });
    for (key, value) in [("conditions", &r.conditions), ("actions", &r.actions)] {
        if !value.is_null() {
            out[key] = value.clone();
        }
    }
    out
}

/// A policy's rules in priority order.
fn rules_of<'a>(s: &'a OktaState, policy_id: &str) -> Vec<&'a PolicyRule> {
    let mut rules: Vec<&PolicyRule> = s.policy_rules.values().filter(|r| r.policy_id == policy_id).collect();
    rules.sort_by_key(|r| (r.priority, r.id.clone()));
    rules
}

fn policy_of(s: &OktaState, id: &str) -> Result<Policy, OktaError> {
    s.policies.get(id).cloned().ok_or_else(|| OktaError::not_found(id, "Policy"))
}

fn rule_of(s: &OktaState, policy_id: &str, id: &str) -> Result<PolicyRule, OktaError> {
    s.policy_rules
        .get(id)
        .filter(|r| r.policy_id == policy_id)
        .cloned()
        .ok_or_else(|| OktaError::not_found(id, "PolicyRule"))
}

fn target(p: &Policy) -> Target {
    Target {
        id: p.id.clone(),
        kind: "PolicyEntity".into(),
        alternate_id: "unknown".into(),
        display_name: p.name.clone(),
    }
}

fn rule_target(r: &PolicyRule) -> Target {
    Target { id: r.id.clone(), kind: "PolicyRule".into(), alternate_id: "unknown".into(), display_name: r.name.clone() }
}

/// A string field that must be there, with Okta's validation error when it is not.
fn required_text(body: &Map<String, Value>, field: &str, max: usize) -> Result<String, OktaError> {
    let value = body.get(field).and_then(Value::as_str).map(str::trim).unwrap_or("");
    if value.is_empty() {
        return Err(OktaError::validation(field, format!("{field}: The field cannot be left blank")));
    }
    if value.chars().count() > max {
        return Err(OktaError::validation(field, format!("{field}: The field is too long (maximum {max} characters)")));
    }
    Ok(value.to_string())
}

fn priority_of(body: &Map<String, Value>) -> Result<Option<i64>, OktaError> {
    match body.get("priority") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_i64() {
            Some(p) if p >= 1 => Ok(Some(p)),
            _ => Err(OktaError::validation("priority", "priority: The priority must be a positive integer")),
        },
    }
}

fn object_or_null(body: &Map<String, Value>, field: &str) -> Result<Value, OktaError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(v @ Value::Object(_)) => Ok(v.clone()),
        Some(_) => Err(OktaError::validation(field, format!("{field}: Does not match required type: object"))),
    }
}

/// Checks the group and zone ids a condition names exist.
fn check_conditions(s: &OktaState, conditions: &Value) -> Result<(), OktaError> {
    for side in ["include", "exclude"] {
        let pointer = format!("/people/groups/{side}");
        for gid in conditions.pointer(&pointer).and_then(Value::as_array).into_iter().flatten() {
            let gid = gid.as_str().unwrap_or("");
            if !s.groups.contains_key(gid) {
                return Err(OktaError::validation(
                    "conditions",
                    format!("conditions.people.groups.{side}: Group with id {gid} not found."),
                ));
            }
        }
    }
    if let Some(network) = conditions.get("network").filter(|n| !n.is_null()) {
        let connection = network.get("connection").and_then(Value::as_str).unwrap_or("ANYWHERE");
        let zones: Vec<&Value> =
            ["include", "exclude"].iter().filter_map(|k| network.get(*k).and_then(Value::as_array)).flatten().collect();
        match connection {
            "ANYWHERE" if zones.is_empty() => {}
            "ANYWHERE" => {
                return Err(OktaError::validation(
                    "conditions",
                    "conditions.network: Network zones can only be specified when connection is ZONE.",
                ))
            }
            "ZONE" => {
                if zones.is_empty() {
                    return Err(OktaError::validation(
                        "conditions",
                        "conditions.network: At least one network zone must be included or excluded.",
                    ));
                }
                for z in zones {
                    let z = z.as_str().unwrap_or("");
                    if !s.zones.contains_key(z) {
                        return Err(OktaError::validation(
                            "conditions",
                            format!("conditions.network: Invalid network zone id: {z}"),
                        ));
                    }
                }
            }
            other => {
                return Err(OktaError::validation(
                    "conditions",
                    format!("conditions.network.connection: '{other}' is not a valid value"),
                ))
            }
        }
    }
    Ok(())
}

/// The settings a PASSWORD policy stores: the given ones over the defaults, with
/// each number checked.
fn password_settings(given: &Value) -> Result<Value, OktaError> {
    for (pointer, min, max) in [
        ("/password/complexity/minLength", 4, 30),
        ("/password/complexity/minLowerCase", 0, 1),
        ("/password/complexity/minUpperCase", 0, 1),
        ("/password/complexity/minNumber", 0, 1),
        ("/password/complexity/minSymbol", 0, 1),
        ("/password/age/historyCount", 0, 30),
        ("/password/age/minAgeMinutes", 0, 14400),
        ("/password/age/maxAgeDays", 0, 999),
        ("/password/lockout/maxAttempts", 0, 100),
    ] {
        if let Some(v) = given.pointer(pointer).filter(|v| !v.is_null()) {
            let field = pointer.rsplit('/').next().unwrap_or(pointer);
            match v.as_i64() {
                Some(n) if (min..=max).contains(&n) => {}
                _ => {
                    let path = pointer.trim_start_matches('/').replace('/', ".");
                    return Err(OktaError::validation(
                        format!("settings.{path}"),
                        format!("{field}: The value must be between {min} and {max}"),
                    ));
                }
            }
        }
    }
    let rules = PasswordRules::from_settings(given);
    let mut settings = rules.to_settings();
    // Keep what the caller set beyond the enforced numbers (recovery, delegation).
    for key in ["recovery", "delegation"] {
        if let Some(v) = given.get(key).filter(|v| v.is_object()) {
            settings[key] = v.clone();
        }
    }
    Ok(settings)
}

/// Puts the siblings of `moved` (the same type, or the same policy's rules) in order.
fn renumber_policies(s: &mut OktaState, kind: &str, moved: Option<(&str, Option<i64>)>, now: DateTime<Utc>) {
    let siblings: Vec<(String, i64, bool)> =
        s.policies.values().filter(|p| p.kind == kind).map(|p| (p.id.clone(), p.priority, p.system)).collect();
    for (id, priority) in reorder(&siblings, moved) {
        if let Some(p) = s.policies.get_mut(&id) {
            if p.priority != priority {
                p.priority = priority;
                p.last_updated = now;
            }
        }
    }
}

fn renumber_rules(s: &mut OktaState, policy_id: &str, moved: Option<(&str, Option<i64>)>, now: DateTime<Utc>) {
    let siblings: Vec<(String, i64, bool)> = s
        .policy_rules
        .values()
        .filter(|r| r.policy_id == policy_id)
        .map(|r| (r.id.clone(), r.priority, r.system))
        .collect();
    for (id, priority) in reorder(&siblings, moved) {
        if let Some(r) = s.policy_rules.get_mut(&id) {
            if r.priority != priority {
                r.priority = priority;
                r.last_updated = now;
            }
        }
    }
}

/// Okta's answer to a policy type it does not know (E0000002, without causes).
fn invalid_type() -> OktaError {
    OktaError::Other {
        status: 400,
        code: "E0000002".into(),
        summary: "The request was not valid: Invalid policy type specified.".into(),
    }
}

/// Okta's answer to a change of a read-only attribute, such as a system policy's priority (E0000077).
fn read_only(attribute: &str) -> OktaError {
    OktaError::Other {
        status: 400,
        code: "E0000077".into(),
        summary: format!("Cannot modify the {attribute} attribute because it is read-only."),
    }
}

fn policy_type(body: &Map<String, Value>) -> Result<String, OktaError> {
    let kind = body.get("type").and_then(Value::as_str).unwrap_or("").to_string();
    if kind.is_empty() {
        return Err(OktaError::validation("type", "type: The field cannot be left blank"));
    }
    if rule_type(&kind).is_none() {
        return Err(invalid_type());
    }
    Ok(kind)
}

/// The checked fields of a create or replace body.
struct PolicyInput {
    name: String,
    description: Option<String>,
    priority: Option<i64>,
    conditions: Value,
    settings: Value,
}

fn policy_input(s: &OktaState, kind: &str, body: &Map<String, Value>) -> Result<PolicyInput, OktaError> {
    let name = required_text(body, "name", 255)?;
    let description = body.get("description").and_then(Value::as_str).map(str::to_string);
    let priority = priority_of(body)?;
    let conditions = object_or_null(body, "conditions")?;
    check_conditions(s, &conditions)?;
    let given = object_or_null(body, "settings")?;
    let settings = if kind == "PASSWORD" { password_settings(&given)? } else { given };
    Ok(PolicyInput { name, description, priority, conditions, settings })
}

async fn list(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.read")?;
    call.query.expand(|e| e == "rules")?;
    let kind =
        call.query.text("type").map(str::to_string).ok_or(OktaError::MissingParameter { name: "type".into() })?;
    if rule_type(&kind).is_none() {
        return Err(invalid_type());
    }
    let status = call.query.text("status").map(str::to_ascii_uppercase);
    let keyword = call.query.text("q").map(str::to_lowercase);
    // The document's listing has no page size: without `limit` every policy of the type comes back.
    let limit = call.query.limit(MAX_POLICIES, MAX_POLICIES)?;
    let after = call.query.after()?;
    let expand_rules = call.query.text("expand").is_some_and(|e| e.split(',').any(|x| x.trim() == "rules"));
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        let mut policies: Vec<&Policy> = s
            .policies
            .values()
            .filter(|p| p.kind == kind)
            .filter(|p| status.as_ref().is_none_or(|st| p.status == *st))
            .filter(|p| keyword.as_ref().is_none_or(|k| p.name.to_lowercase().starts_with(k.as_str())))
            .collect();
        policies.sort_by_key(|p| (p.priority, p.id.clone()));
        let keyed = policies.into_iter().map(|p| (p.id.clone(), p)).collect();
        let (page, next) = paginate(keyed, after, limit, Order::Other)?;
        let render = |p: &Policy| {
            let mut out = render_policy(p, &base);
            if expand_rules {
                let rules: Vec<Value> = rules_of(s, &p.id).into_iter().map(|r| render_rule(r, &base)).collect();
                out["_embedded"] = json!({"rules": rules});
            }
            out
        };
        Ok((page.into_iter().map(render).collect::<Vec<_>>(), next))
    })??;
    Ok(wire::page(items, link_headers(&base, "/api/v1/policies", &call.query, next.as_deref())))
}

async fn create(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.manage")?;
    let body = body_object(&call.body)?;
    let activate = call.query.bool("activate", true)?;
    let kind = policy_type(&body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        if s.policies.len() >= MAX_POLICIES {
            return Err(OktaError::validation("policy", "policy: The maximum number of policies has been reached"));
        }
        let input = policy_input(s, &kind, &body)?;
        let id = okta_id(ids, "00p");
        let status = if activate { "ACTIVE" } else { "INACTIVE" };
        s.policies.insert(
            id.clone(),
            Policy {
                id: id.clone(),
                kind: kind.clone(),
                name: input.name,
                description: input.description,
                priority: 0,
                status: status.into(),
                system: false,
                created: now,
                last_updated: now,
                conditions: input.conditions,
                settings: input.settings,
            },
        );
        renumber_policies(s, &kind, Some((&id, input.priority)), now);
        let policy = policy_of(s, &id)?;
        caller.log(s, ids, now, Event::new("policy.lifecycle.create", "Create policy", vec![target(&policy)]));
        if activate {
            caller.log(s, ids, now, Event::new("policy.lifecycle.activate", "Activate policy", vec![target(&policy)]));
        }
        Ok(render_policy(&policy, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn get_policy(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.read")?;
    call.query.expand(|e| e == "rules")?;
    let base = call.base().to_string();
    let out = call.read(|s| policy_of(s, &id).map(|p| render_policy(&p, &base)))??;
    Ok(wire::ok(&out))
}

async fn replace(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.manage")?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let mut policy = policy_of(s, &id)?;
        if let Some(kind) = body.get("type").and_then(Value::as_str) {
            if kind != policy.kind {
                return Err(OktaError::validation("type", "type: The policy type cannot be changed"));
            }
        }
        let input = policy_input(s, &policy.kind, &body)?;
        if policy.system && input.priority.is_some_and(|p| p != policy.priority) {
            return Err(read_only("priority"));
        }
        policy.name = input.name;
        policy.description = input.description;
        policy.conditions = input.conditions;
        if !input.settings.is_null() || policy.kind != "PASSWORD" {
            policy.settings = input.settings;
        }
        policy.last_updated = now;
        let kind = policy.kind.clone();
        s.policies.insert(id.clone(), policy);
        if input.priority.is_some() {
            renumber_policies(s, &kind, Some((&id, input.priority)), now);
        }
        let policy = policy_of(s, &id)?;
        caller.log(s, ids, now, Event::new("policy.lifecycle.update", "Update policy", vec![target(&policy)]));
        Ok(render_policy(&policy, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_policy(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let policy = policy_of(s, &id)?;
        if policy.system {
            return Err(OktaError::validation("policy", "Cannot delete the default policy"));
        }
        s.policies.remove(&id);
        let rules: Vec<String> =
            s.policy_rules.iter().filter(|(_, r)| r.policy_id == id).map(|(k, _)| k.clone()).collect();
        for k in rules {
            s.policy_rules.remove(&k);
        }
        // Its apps go back to the default policy.
        let mapped: Vec<String> =
            s.policy_mappings.iter().filter(|(_, m)| m.policy_id == id).map(|(k, _)| k.clone()).collect();
        for k in mapped {
            s.policy_mappings.remove(&k);
        }
        renumber_policies(s, &policy.kind, None, now);
        caller.log(s, ids, now, Event::new("policy.lifecycle.delete", "Delete policy", vec![target(&policy)]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn lifecycle(Path((id, op)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.manage")?;
    let status = super::lifecycle_status(&op, &call.path)?;
    let now = call.now();
    call.write(|s, ids| {
        let mut policy = policy_of(s, &id)?;
        if policy.system && status == "INACTIVE" {
            return Err(OktaError::validation("policy", "Cannot deactivate the default policy"));
        }
        if policy.status != status {
            policy.status = status.into();
            policy.last_updated = now;
            s.policies.insert(id.clone(), policy.clone());
        }
        let (event, message) = if status == "ACTIVE" {
            ("policy.lifecycle.activate", "Activate policy")
        } else {
            ("policy.lifecycle.deactivate", "Deactivate policy")
        };
        caller.log(s, ids, now, Event::new(event, message, vec![target(&policy)]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

// --- rules -------------------------------------------------------------------

async fn list_rules(Path(policy_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.read")?;
    let limit = call.query.limit(MAX_RULES_PER_POLICY, MAX_RULES_PER_POLICY)?;
    let after = call.query.after()?;
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        policy_of(s, &policy_id)?;
        let keyed = rules_of(s, &policy_id).into_iter().map(|r| (r.id.clone(), r)).collect();
        let (page, next) = paginate(keyed, after, limit, Order::Other)?;
        Ok((page.into_iter().map(|r| render_rule(r, &base)).collect::<Vec<_>>(), next))
    })??;
    let path = call.path.clone();
    Ok(wire::page(items, link_headers(&base, &path, &call.query, next.as_deref())))
}

/// The checked fields of a rule's create or replace body.
struct RuleInput {
    name: String,
    priority: Option<i64>,
    conditions: Value,
    actions: Value,
}

fn rule_input(s: &OktaState, policy: &Policy, body: &Map<String, Value>) -> Result<RuleInput, OktaError> {
    let expected = rule_type(&policy.kind).unwrap_or("");
    match body.get("type").and_then(Value::as_str) {
        Some(t) if t == expected => {}
        None => {}
        Some(t) => {
            return Err(OktaError::validation(
                "type",
                format!("type: A rule of type {t} cannot be added to a {} policy", policy.kind),
            ))
        }
    }
    let name = required_text(body, "name", 255)?;
    let priority = priority_of(body)?;
    let conditions = object_or_null(body, "conditions")?;
    check_conditions(s, &conditions)?;
    let actions = object_or_null(body, "actions")?;
    Ok(RuleInput { name, priority, conditions, actions })
}

async fn create_rule(Path(policy_id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.manage")?;
    let body = body_object(&call.body)?;
    let activate = call.query.bool("activate", true)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let policy = policy_of(s, &policy_id)?;
        let count = s.policy_rules.values().filter(|r| r.policy_id == policy_id).count();
        if count >= MAX_RULES_PER_POLICY {
            return Err(OktaError::validation("rule", "rule: The maximum number of rules has been reached"));
        }
        let input = rule_input(s, &policy, &body)?;
        let id = okta_id(ids, "0pr");
        let rule = PolicyRule {
            id: id.clone(),
            policy_id: policy_id.clone(),
            kind: rule_type(&policy.kind).unwrap_or("").into(),
            name: input.name,
            priority: 0,
            status: if activate { "ACTIVE" } else { "INACTIVE" }.into(),
            system: false,
            created: now,
            last_updated: now,
            conditions: input.conditions,
            actions: input.actions,
        };
        s.policy_rules.insert(id.clone(), rule);
        renumber_rules(s, &policy_id, Some((&id, input.priority)), now);
        let rule = rule_of(s, &policy_id, &id)?;
        log_rule(s, ids, &caller, now, ("policy.rule.add", "Add policy rule"), &rule, &policy);
        Ok(render_rule(&rule, &base))
    })?;
    Ok(wire::ok(&out))
}

/// Logs `(event type, message)` about a rule and its policy.
fn log_rule(
    s: &mut OktaState,
    ids: &mut IdGen,
    caller: &Caller,
    now: DateTime<Utc>,
    what: (&str, &str),
    rule: &PolicyRule,
    policy: &Policy,
) {
    caller.log(s, ids, now, Event::new(what.0, what.1, vec![rule_target(rule), target(policy)]));
}

async fn get_rule(Path((policy_id, id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        policy_of(s, &policy_id)?;
        Ok(render_rule(&rule_of(s, &policy_id, &id)?, &base))
    })??;
    Ok(wire::ok(&out))
}

async fn replace_rule(Path((policy_id, id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.manage")?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let policy = policy_of(s, &policy_id)?;
        let mut rule = rule_of(s, &policy_id, &id)?;
        let input = rule_input(s, &policy, &body)?;
        if rule.system && input.priority.is_some_and(|p| p != rule.priority) {
            return Err(read_only("priority"));
        }
        rule.name = input.name;
        rule.conditions = input.conditions;
        rule.actions = input.actions;
        rule.last_updated = now;
        s.policy_rules.insert(id.clone(), rule);
        if input.priority.is_some() {
            renumber_rules(s, &policy_id, Some((&id, input.priority)), now);
        }
        let rule = rule_of(s, &policy_id, &id)?;
        log_rule(s, ids, &caller, now, ("policy.rule.update", "Update policy rule"), &rule, &policy);
        Ok(render_rule(&rule, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_rule(Path((policy_id, id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let policy = policy_of(s, &policy_id)?;
        let rule = rule_of(s, &policy_id, &id)?;
        if rule.system {
            return Err(OktaError::validation("rule", "Cannot delete the default rule"));
        }
        s.policy_rules.remove(&id);
        renumber_rules(s, &policy_id, None, now);
        log_rule(s, ids, &caller, now, ("policy.rule.delete", "Delete policy rule"), &rule, &policy);
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn rule_lifecycle(
    Path((policy_id, id, op)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.manage")?;
    let status = super::lifecycle_status(&op, &call.path)?;
    let now = call.now();
    call.write(|s, ids| {
        let policy = policy_of(s, &policy_id)?;
        let mut rule = rule_of(s, &policy_id, &id)?;
        if rule.system && status == "INACTIVE" {
            return Err(OktaError::validation("rule", "Cannot deactivate the default rule"));
        }
        if rule.status != status {
            rule.status = status.into();
            rule.last_updated = now;
            s.policy_rules.insert(id.clone(), rule.clone());
        }
        let (event, message) = if status == "ACTIVE" {
            ("policy.rule.activate", "Activate policy rule")
        } else {
            ("policy.rule.deactivate", "Deactivate policy rule")
        };
        log_rule(s, ids, &caller, now, (event, message), &rule, &policy);
        Ok(())
    })?;
    Ok(wire::no_content())
}

// --- clone, apps, mappings -------------------------------------------------------

/// Copies a policy and its rules: a new, non-system policy of the same type named
/// `Copy of {name}`, last among its type (before the default), with the source's status.
async fn clone_policy(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.manage")?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let source = policy_of(s, &id)?;
        if s.policies.len() >= MAX_POLICIES {
            return Err(OktaError::validation("policy", "policy: The maximum number of policies has been reached"));
        }
        let new_id = okta_id(ids, "00p");
        let name: String = format!("Copy of {}", source.name).chars().take(255).collect();
        let copy = Policy {
            id: new_id.clone(),
            name,
            priority: 0,
            system: false,
            created: now,
            last_updated: now,
            ..source.clone()
        };
        s.policies.insert(new_id.clone(), copy);
        renumber_policies(s, &source.kind, Some((&new_id, None)), now);
        let rules: Vec<PolicyRule> = rules_of(s, &id).into_iter().cloned().collect();
        for rule in rules {
            let rule_id = okta_id(ids, "0pr");
            s.policy_rules.insert(
                rule_id.clone(),
                PolicyRule { id: rule_id, policy_id: new_id.clone(), created: now, last_updated: now, ..rule },
            );
        }
        let policy = policy_of(s, &new_id)?;
        caller.log(s, ids, now, Event::new("policy.lifecycle.create", "Create policy", vec![target(&policy)]));
        Ok(render_policy(&policy, &base))
    })?;
    Ok(wire::ok(&out))
}

/// Apps one policy lists at most.
const MAX_POLICY_APPS: usize = 1000;

/// The apps a policy governs: those mapped to it and, for a default policy, those
/// mapped to no policy of its type.
async fn list_apps(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.read")?;
    let base = call.base().to_string();
    let items = call.read(|s| -> Result<Vec<Value>, OktaError> {
        let policy = policy_of(s, &id)?;
        if !maps_apps(&policy.kind) {
            return Ok(vec![]);
        }
        let mapped_to = |app_id: &str| {
            s.policy_mappings
                .values()
                .filter(|m| m.app_id == app_id)
                .find(|m| s.policies.get(&m.policy_id).is_some_and(|p| p.kind == policy.kind))
                .map(|m| m.policy_id.clone())
        };
        let policies = super::apps::AppPolicies::of(s);
        let mut apps: Vec<&crate::model::App> = s
            .apps
            .values()
            .filter(|a| match mapped_to(&a.id) {
                Some(p) => p == policy.id,
                None => policy.system,
            })
            .collect();
        apps.sort_by_key(|a| (a.created, a.id.clone()));
        Ok(apps.into_iter().take(MAX_POLICY_APPS).map(|a| super::apps::render(a, &base, &policies)).collect())
    })??;
    Ok(wire::ok(&Value::Array(items)))
}

fn render_mapping(m: &PolicyMapping, base: &str) -> Value {
    json!({
        "id": m.id,
        "_links": {
            "self": {"href": format!("{base}/api/v1/policies/{}/mappings/{}", m.policy_id, m.id)},
            "application": {"href": format!("{base}/api/v1/apps/{}", m.app_id)},
            "policy": {"href": format!("{base}/api/v1/policies/{}", m.policy_id)},
        }
    })
}

fn mapping_of(s: &OktaState, policy_id: &str, id: &str) -> Result<PolicyMapping, OktaError> {
    s.policy_mappings
        .get(id)
        .filter(|m| m.policy_id == policy_id && s.apps.contains_key(&m.app_id))
        .cloned()
        .ok_or_else(|| OktaError::not_found(id, "PolicyMapping"))
}

async fn list_mappings(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.read")?;
    let base = call.base().to_string();
    let items = call.read(|s| -> Result<Vec<Value>, OktaError> {
        policy_of(s, &id)?;
        Ok(s.policy_mappings
            .values()
            .filter(|m| m.policy_id == id && s.apps.contains_key(&m.app_id))
            .take(MAX_POLICY_APPS)
            .map(|m| render_mapping(m, &base))
            .collect())
    })??;
    Ok(wire::ok(&Value::Array(items)))
}

/// Maps an app to the policy; an app follows one policy of a type, so a mapping to
/// another policy of the same type moves it.
async fn create_mapping(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.manage")?;
    let body = body_object(&call.body)?;
    let resource_type = body.get("resourceType").and_then(Value::as_str).unwrap_or("");
    if resource_type != "APP" {
        return Err(OktaError::validation("resourceType", "resourceType: Must be one of: APP"));
    }
    let app_id = body.get("resourceId").and_then(Value::as_str).unwrap_or("").to_string();
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        let policy = policy_of(s, &id)?;
        if !maps_apps(&policy.kind) {
            return Err(OktaError::validation(
                "policy",
                format!("policy: Apps cannot be mapped to a policy of type {}", policy.kind),
            ));
        }
        let app = s.apps.get(&app_id).cloned().ok_or_else(|| {
            OktaError::validation("resourceId", format!("resourceId: App with id {app_id} not found."))
        })?;
        if let Some(existing) = s.policy_mappings.values().find(|m| m.policy_id == id && m.app_id == app_id) {
            return Ok(render_mapping(existing, &base));
        }
        let moved: Vec<String> = s
            .policy_mappings
            .iter()
            .filter(|(_, m)| m.app_id == app_id && s.policies.get(&m.policy_id).is_some_and(|p| p.kind == policy.kind))
            .map(|(k, _)| k.clone())
            .collect();
        for k in moved {
            s.policy_mappings.remove(&k);
        }
        let mapping = PolicyMapping { id: okta_id(ids, "rsm"), policy_id: id.clone(), app_id: app_id.clone() };
        s.policy_mappings.insert(mapping.id.clone(), mapping.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new("policy.lifecycle.update", "Update policy", vec![target(&policy), Target::app(&app)]),
        );
        Ok(render_mapping(&mapping, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn get_mapping(Path((id, mapping_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        policy_of(s, &id)?;
        Ok(render_mapping(&mapping_of(s, &id, &mapping_id)?, &base))
    })??;
    Ok(wire::ok(&out))
}

/// Unmaps an app: it follows the default policy of the type again.
async fn delete_mapping(Path((id, mapping_id)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.policies.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let policy = policy_of(s, &id)?;
        let mapping = mapping_of(s, &id, &mapping_id)?;
        s.policy_mappings.remove(&mapping.id);
        let mut targets = vec![target(&policy)];
        if let Some(app) = s.apps.get(&mapping.app_id) {
            targets.push(Target::app(app));
        }
        caller.log(s, ids, now, Event::new("policy.lifecycle.update", "Update policy", targets));
        Ok(())
    })?;
    Ok(wire::no_content())
}
