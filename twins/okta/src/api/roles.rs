//! Admin roles: role assignments to users and groups and their group and app
//! targets, custom roles and their permissions, resource sets with their resources
//! and bindings, and the API tokens' metadata. Only a super admin assigns roles
//! (`okta.roles.manage`); the rights the roles give are in `crate::admin`.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, put};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use twin_core::ids::IdGen;

use super::routes::{route, Cov, Route};
use super::{render, Call, Caller};
use crate::admin::{
    reach_of, standard_label, takes_app_targets, takes_group_targets, AppTarget, CustomRole, Reach, ResourceSet,
    RoleAssignment, SetResource, CUSTOM_PERMISSIONS,
};
use crate::errors::OktaError;
use crate::ids::okta_id;
use crate::model::{Event, OktaState, Target};
use crate::wire::{self, body_object, link_headers, paginate, ts, Order};

/// Role assignments a user or group may hold, custom roles and resource sets an org
/// may have, targets a role may name, resources a set may hold.
const MAX_ASSIGNMENTS_PER_PRINCIPAL: usize = 100;
const MAX_CUSTOM_ROLES: usize = 100;
const MAX_RESOURCE_SETS: usize = 100;
const MAX_TARGETS: usize = 1000;
const MAX_RESOURCES: usize = 1000;

pub const ROUTES: &[Route] = &[
    route("GET", "/api/v1/users/{userId}/roles", "okta.roles.list_for_user", Cov::Implemented),
    route("POST", "/api/v1/users/{userId}/roles", "okta.roles.assign_to_user", Cov::Implemented),
    route("GET", "/api/v1/users/{userId}/roles/{roleId}", "okta.roles.get_for_user", Cov::Implemented),
    route("DELETE", "/api/v1/users/{userId}/roles/{roleId}", "okta.roles.unassign_from_user", Cov::Implemented),
    route(
        "GET",
        "/api/v1/users/{userId}/roles/{roleId}/targets/groups",
        "okta.roles.user_group_targets",
        Cov::Implemented,
    ),
    route(
        "PUT",
        "/api/v1/users/{userId}/roles/{roleId}/targets/groups/{groupId}",
        "okta.roles.user_add_group_target",
        Cov::Implemented,
    ),
    route(
        "DELETE",
        "/api/v1/users/{userId}/roles/{roleId}/targets/groups/{groupId}",
        "okta.roles.user_remove_group_target",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/users/{userId}/roles/{roleId}/targets/catalog/apps",
        "okta.roles.user_app_targets",
        Cov::Implemented,
    ),
    route(
        "PUT",
        "/api/v1/users/{userId}/roles/{roleId}/targets/catalog/apps",
        "okta.roles.user_all_apps_target",
        Cov::Implemented,
    ),
    route(
        "PUT",
        "/api/v1/users/{userId}/roles/{roleId}/targets/catalog/apps/{appName}",
        "okta.roles.user_add_app_target",
        Cov::Implemented,
    ),
    route(
        "DELETE",
        "/api/v1/users/{userId}/roles/{roleId}/targets/catalog/apps/{appName}",
        "okta.roles.user_remove_app_target",
        Cov::Implemented,
    ),
    route(
        "PUT",
        "/api/v1/users/{userId}/roles/{roleId}/targets/catalog/apps/{appName}/{appId}",
        "okta.roles.user_add_app_instance_target",
        Cov::Implemented,
    ),
    route(
        "DELETE",
        "/api/v1/users/{userId}/roles/{roleId}/targets/catalog/apps/{appName}/{appId}",
        "okta.roles.user_remove_app_instance_target",
        Cov::Implemented,
    ),
    route("GET", "/api/v1/groups/{groupId}/roles", "okta.roles.list_for_group", Cov::Implemented),
    route("POST", "/api/v1/groups/{groupId}/roles", "okta.roles.assign_to_group", Cov::Implemented),
    route("GET", "/api/v1/groups/{groupId}/roles/{roleId}", "okta.roles.get_for_group", Cov::Implemented),
    route("DELETE", "/api/v1/groups/{groupId}/roles/{roleId}", "okta.roles.unassign_from_group", Cov::Implemented),
    route(
        "GET",
        "/api/v1/groups/{groupId}/roles/{roleId}/targets/groups",
        "okta.roles.group_group_targets",
        Cov::Implemented,
    ),
    route(
        "PUT",
        "/api/v1/groups/{groupId}/roles/{roleId}/targets/groups/{targetGroupId}",
        "okta.roles.group_add_group_target",
        Cov::Implemented,
    ),
    route(
        "DELETE",
        "/api/v1/groups/{groupId}/roles/{roleId}/targets/groups/{targetGroupId}",
        "okta.roles.group_remove_group_target",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/groups/{groupId}/roles/{roleId}/targets/catalog/apps",
        "okta.roles.group_app_targets",
        Cov::Implemented,
    ),
    route(
        "PUT",
        "/api/v1/groups/{groupId}/roles/{roleId}/targets/catalog/apps/{appName}",
        "okta.roles.group_add_app_target",
        Cov::Implemented,
    ),
    route(
        "DELETE",
        "/api/v1/groups/{groupId}/roles/{roleId}/targets/catalog/apps/{appName}",
        "okta.roles.group_remove_app_target",
        Cov::Implemented,
    ),
    route(
        "PUT",
        "/api/v1/groups/{groupId}/roles/{roleId}/targets/catalog/apps/{appName}/{appId}",
        "okta.roles.group_add_app_instance_target",
        Cov::Implemented,
    ),
    route(
        "DELETE",
        "/api/v1/groups/{groupId}/roles/{roleId}/targets/catalog/apps/{appName}/{appId}",
        "okta.roles.group_remove_app_instance_target",
        Cov::Implemented,
    ),
    route("GET", "/api/v1/iam/roles", "okta.iam.roles.list", Cov::Implemented),
    route("POST", "/api/v1/iam/roles", "okta.iam.roles.create", Cov::Implemented),
    route("GET", "/api/v1/iam/roles/{roleIdOrLabel}", "okta.iam.roles.get", Cov::Implemented),
    route("PUT", "/api/v1/iam/roles/{roleIdOrLabel}", "okta.iam.roles.replace", Cov::Implemented),
    route("DELETE", "/api/v1/iam/roles/{roleIdOrLabel}", "okta.iam.roles.delete", Cov::Implemented),
    route("GET", "/api/v1/iam/roles/{roleIdOrLabel}/permissions", "okta.iam.roles.list_permissions", Cov::Implemented),
    route(
        "GET",
        "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
        "okta.iam.roles.get_permission",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
        "okta.iam.roles.add_permission",
        Cov::Partial("conditions are stored, not enforced"),
    ),
    route(
        "PUT",
        "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
        "okta.iam.roles.replace_permission",
        Cov::Partial("conditions are stored, not enforced"),
    ),
    route(
        "DELETE",
        "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
        "okta.iam.roles.delete_permission",
        Cov::Implemented,
    ),
    route("GET", "/api/v1/iam/resource-sets", "okta.iam.resource_sets.list", Cov::Implemented),
    route(
        "POST",
        "/api/v1/iam/resource-sets",
        "okta.iam.resource_sets.create",
        Cov::Partial("users, groups (and their members) and apps as resources"),
    ),
    route("GET", "/api/v1/iam/resource-sets/{resourceSetId}", "okta.iam.resource_sets.get", Cov::Implemented),
    route("PUT", "/api/v1/iam/resource-sets/{resourceSetId}", "okta.iam.resource_sets.replace", Cov::Implemented),
    route("DELETE", "/api/v1/iam/resource-sets/{resourceSetId}", "okta.iam.resource_sets.delete", Cov::Implemented),
    route(
        "GET",
        "/api/v1/iam/resource-sets/{resourceSetId}/resources",
        "okta.iam.resource_sets.list_resources",
        Cov::Implemented,
    ),
    route(
        "PATCH",
        "/api/v1/iam/resource-sets/{resourceSetId}/resources",
        "okta.iam.resource_sets.add_resources",
        Cov::Implemented,
    ),
    route(
        "DELETE",
        "/api/v1/iam/resource-sets/{resourceSetId}/resources/{resourceId}",
        "okta.iam.resource_sets.delete_resource",
        Cov::Implemented,
    ),
    route("GET", "/api/v1/iam/resource-sets/{resourceSetId}/bindings", "okta.iam.bindings.list", Cov::Implemented),
    route(
        "POST",
        "/api/v1/iam/resource-sets/{resourceSetId}/bindings",
        "okta.iam.bindings.create",
        Cov::Partial("members are users and groups by href"),
    ),
    route(
        "GET",
        "/api/v1/iam/resource-sets/{resourceSetId}/bindings/{roleIdOrLabel}",
        "okta.iam.bindings.get",
        Cov::Implemented,
    ),
    route(
        "DELETE",
        "/api/v1/iam/resource-sets/{resourceSetId}/bindings/{roleIdOrLabel}",
        "okta.iam.bindings.delete",
        Cov::Implemented,
    ),
    route(
        "GET",
        "/api/v1/iam/resource-sets/{resourceSetId}/bindings/{roleIdOrLabel}/members",
        "okta.iam.bindings.list_members",
        Cov::Implemented,
    ),
    route(
        "PATCH",
        "/api/v1/iam/resource-sets/{resourceSetId}/bindings/{roleIdOrLabel}/members",
        "okta.iam.bindings.add_members",
        Cov::Partial("members are users and groups by href"),
    ),
    route(
        "GET",
        "/api/v1/iam/resource-sets/{resourceSetId}/bindings/{roleIdOrLabel}/members/{memberId}",
        "okta.iam.bindings.get_member",
        Cov::Implemented,
    ),
    route(
        "DELETE",
        "/api/v1/iam/resource-sets/{resourceSetId}/bindings/{roleIdOrLabel}/members/{memberId}",
        "okta.iam.bindings.remove_member",
        Cov::Implemented,
    ),
    route("GET", "/api/v1/iam/assignees/users", "okta.iam.assignees.list_users", Cov::Implemented),
    route("GET", "/api/v1/api-tokens", "okta.api_tokens.list", Cov::Implemented),
    route("GET", "/api/v1/api-tokens/{apiTokenId}", "okta.api_tokens.get", Cov::Implemented),
    route("DELETE", "/api/v1/api-tokens/{apiTokenId}", "okta.api_tokens.revoke", Cov::Implemented),
    route("DELETE", "/api/v1/api-tokens/current", "okta.api_tokens.revoke_current", Cov::Implemented),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/users/{userId}/roles", get(list_user_roles).post(assign_user_role))
        .route("/api/v1/users/{userId}/roles/{roleId}", get(get_user_role).delete(unassign_user_role))
        .route("/api/v1/users/{userId}/roles/{roleId}/targets/groups", get(user_group_targets))
        .route(
            "/api/v1/users/{userId}/roles/{roleId}/targets/groups/{groupId}",
            put(user_add_group_target).delete(user_remove_group_target),
        )
        .route("/api/v1/users/{userId}/roles/{roleId}/targets/catalog/apps", get(user_app_targets).put(user_all_apps))
        .route(
            "/api/v1/users/{userId}/roles/{roleId}/targets/catalog/apps/{appName}",
            put(user_add_app_target).delete(user_remove_app_target),
        )
        .route(
            "/api/v1/users/{userId}/roles/{roleId}/targets/catalog/apps/{appName}/{appId}",
            put(user_add_app_instance).delete(user_remove_app_instance),
        )
        .route("/api/v1/groups/{groupId}/roles", get(list_group_roles).post(assign_group_role))
        .route("/api/v1/groups/{groupId}/roles/{roleId}", get(get_group_role).delete(unassign_group_role))
        .route("/api/v1/groups/{groupId}/roles/{roleId}/targets/groups", get(group_group_targets))
        .route(
            "/api/v1/groups/{groupId}/roles/{roleId}/targets/groups/{targetGroupId}",
            put(group_add_group_target).delete(group_remove_group_target),
        )
        .route("/api/v1/groups/{groupId}/roles/{roleId}/targets/catalog/apps", get(group_app_targets))
        .route(
            "/api/v1/groups/{groupId}/roles/{roleId}/targets/catalog/apps/{appName}",
            put(group_add_app_target).delete(group_remove_app_target),
        )
        .route(
            "/api/v1/groups/{groupId}/roles/{roleId}/targets/catalog/apps/{appName}/{appId}",
            put(group_add_app_instance).delete(group_remove_app_instance),
        )
        .route("/api/v1/iam/roles", get(list_custom_roles).post(create_custom_role))
        .route(
            "/api/v1/iam/roles/{roleIdOrLabel}",
            get(get_custom_role).put(replace_custom_role).delete(delete_custom_role),
        )
        .route("/api/v1/iam/roles/{roleIdOrLabel}/permissions", get(list_permissions))
        .route(
            "/api/v1/iam/roles/{roleIdOrLabel}/permissions/{permissionType}",
            get(get_permission).post(add_permission).put(replace_permission).delete(delete_permission),
        )
        .route("/api/v1/iam/resource-sets", get(list_resource_sets).post(create_resource_set))
        .route(
            "/api/v1/iam/resource-sets/{resourceSetId}",
            get(get_resource_set).put(replace_resource_set).delete(delete_resource_set),
        )
        .route("/api/v1/iam/resource-sets/{resourceSetId}/resources", get(list_resources).patch(add_resources))
        .route("/api/v1/iam/resource-sets/{resourceSetId}/resources/{resourceId}", delete(delete_resource))
        .route("/api/v1/iam/resource-sets/{resourceSetId}/bindings", get(list_bindings).post(create_binding))
        .route(
            "/api/v1/iam/resource-sets/{resourceSetId}/bindings/{roleIdOrLabel}",
            get(get_binding).delete(delete_binding),
        )
        .route(
            "/api/v1/iam/resource-sets/{resourceSetId}/bindings/{roleIdOrLabel}/members",
            get(binding_members).patch(add_binding_members),
        )
        .route(
            "/api/v1/iam/resource-sets/{resourceSetId}/bindings/{roleIdOrLabel}/members/{memberId}",
            get(get_binding_member).delete(remove_binding_member),
        )
        .route("/api/v1/iam/assignees/users", get(list_assignee_users))
        .route("/api/v1/api-tokens", get(list_api_tokens))
        .route("/api/v1/api-tokens/current", delete(revoke_current_api_token))
        .route("/api/v1/api-tokens/{apiTokenId}", get(get_api_token).delete(revoke_api_token))
}

// ---------------------------------------------------------------------------
// Shared helpers

/// Drops every role assignment of a deleted user or group and its use as a target.
pub fn forget_principal(s: &mut OktaState, id: &str) {
    let gone: Vec<String> =
        s.role_assignments.iter().filter(|(_, a)| a.assignee_id == id).map(|(k, _)| k.clone()).collect();
    for k in gone {
        s.role_assignments.remove(&k);
    }
    let targeting: Vec<String> = s
        .role_assignments
        .iter()
        .filter(|(_, a)| a.group_targets.iter().any(|g| g == id))
        .map(|(k, _)| k.clone())
        .collect();
    for k in targeting {
        if let Some(a) = s.role_assignments.get_mut(&k) {
            a.group_targets.retain(|g| g != id);
        }
    }
    let prefix = format!("{id}:");
    let owned: Vec<String> = s
        .group_owners
        .iter()
        .filter(|(k, o)| k.starts_with(&prefix) || o.owner_id == id)
        .map(|(k, _)| k.clone())
        .collect();
    for k in owned {
        s.group_owners.remove(&k);
    }
    let links: Vec<String> = s
        .user_links
        .iter()
        .filter(|(_, l)| l.primary_user == id || l.associated_user == id)
        .map(|(k, _)| k.clone())
        .collect();
    for k in links {
        s.user_links.remove(&k);
    }
}

/// Drops a deleted app's user schema and its use as a role target.
pub fn forget_app(s: &mut OktaState, app_id: &str) {
    s.profile_schemas.remove(&crate::schema::app_schema_key(app_id));
    let targeting: Vec<String> = s
        .role_assignments
        .iter()
        .filter(|(_, a)| a.app_targets.iter().any(|t| t.id.as_deref() == Some(app_id)))
        .map(|(k, _)| k.clone())
        .collect();
    for k in targeting {
        if let Some(a) = s.role_assignments.get_mut(&k) {
            a.app_targets.retain(|t| t.id.as_deref() != Some(app_id));
        }
    }
}

/// Makes the seeded admin a super admin and lists the seeded token's metadata.
pub fn seed_admin(s: &mut OktaState, ids: &mut twin_core::ids::IdGen, token: &str, now: DateTime<Utc>) {
    let admin = s.admin_user_id.clone();
    let assignment = RoleAssignment {
        id: okta_id(ids, "ra1"),
        assignee_type: "USER".into(),
        assignee_id: admin.clone(),
        role_type: "SUPER_ADMIN".into(),
        custom_role_id: None,
        resource_set_id: None,
        created: now,
        last_updated: now,
        group_targets: vec![],
        app_targets: vec![],
    };
    s.role_assignments.insert(assignment.id.clone(), assignment);
    let record = crate::admin::ApiTokenRecord {
        id: okta_id(ids, "00T"),
        name: "dtu".into(),
        user_id: admin,
        client_name: "Okta API".into(),
        created: now,
        token: token.to_string(),
    };
    s.api_tokens.insert(record.id.clone(), record);
}

/// The caller must be able to manage roles (a super admin, or an access token with `okta.roles.manage`).
fn require_role_admin(caller: &Caller, s: &OktaState) -> Result<(), OktaError> {
    caller.require_scope("okta.roles.manage")?;
    caller.require(s, "okta.roles.manage", crate::admin::On::Org)
}

fn href(url: String) -> Value {
    json!({ "href": url })
}

/// Who holds an assignment: `users` or `groups`, and the id.
#[derive(Clone, Copy)]
struct Assignee<'a> {
    kind: &'static str,
    id: &'a str,
}

impl Assignee<'_> {
    fn assignment_type(&self) -> &'static str {
        if self.kind == "users" {
            "USER"
        } else {
            "GROUP"
        }
    }

    fn check(&self, s: &OktaState) -> Result<Target, OktaError> {
        if self.kind == "users" {
            s.users.get(self.id).map(|u| Target::user(u)).ok_or_else(|| OktaError::not_found(self.id, "User"))
        } else {
            s.groups.get(self.id).map(Target::group).ok_or_else(|| OktaError::not_found(self.id, "UserGroup"))
        }
    }
}

/// An assignment as Okta renders it (`StandardRole` or `CustomRole`).
pub fn render_assignment(s: &OktaState, a: &RoleAssignment, base: &str) -> Value {
    let path = if a.assignee_type == "USER" { "users" } else { "groups" };
    let assignee = href(format!("{base}/api/v1/{path}/{}", a.assignee_id));
    match &a.custom_role_id {
        Some(role_id) => {
            let label = s.custom_roles.get(role_id).map(|r| r.label.clone()).unwrap_or_default();
            let set = a.resource_set_id.clone().unwrap_or_default();
            json!({
                "id": a.id, "label": label, "type": "CUSTOM", "status": "ACTIVE",
                "created": ts(a.created), "lastUpdated": ts(a.last_updated),
                "assignmentType": a.assignee_type, "role": role_id, "resource-set": set,
                "_links": {
                    "assignee": assignee,
                    "role": href(format!("{base}/api/v1/iam/roles/{role_id}")),
                    "resource-set": href(format!("{base}/api/v1/iam/resource-sets/{set}")),
                    "member": href(format!("{base}/api/v1/iam/resource-sets/{set}/bindings/{role_id}/members/{}", a.id)),
                }
            })
        }
        None => json!({
            "id": a.id,
            "label": standard_label(&a.role_type).unwrap_or(&a.role_type),
            "type": a.role_type,
            "status": "ACTIVE",
            "created": ts(a.created),
            "lastUpdated": ts(a.last_updated),
            "assignmentType": a.assignee_type,
            "_links": {"assignee": assignee}
        }),
    }
}

fn assignments_of<'a>(s: &'a OktaState, who: Assignee<'_>) -> Vec<&'a RoleAssignment> {
    let kind = who.assignment_type();
    s.role_assignments.values().filter(|a| a.assignee_type == kind && a.assignee_id == who.id).collect()
}

fn assignment<'a>(s: &'a OktaState, who: Assignee<'_>, role_id: &str) -> Result<&'a RoleAssignment, OktaError> {
    s.role_assignments
        .get(role_id)
        .filter(|a| a.assignee_type == who.assignment_type() && a.assignee_id == who.id)
        .ok_or_else(|| OktaError::not_found(role_id, "Role"))
}

fn duplicate_assignment() -> OktaError {
    OktaError::Other { status: 409, code: "E0000090".into(), summary: "Duplicate role assignment exception.".into() }
}

// ---------------------------------------------------------------------------
// Role assignments

/// `expand=targets/groups` or `targets/catalog/apps` embeds a role's targets.
fn embed_targets(s: &OktaState, a: &RoleAssignment, out: &mut Value, expand: &str, base: &str) {
    let mut targets = Map::new();
    if expand.contains("targets/groups") && takes_group_targets(&a.role_type) {
        let groups: Vec<Value> =
            a.group_targets.iter().filter_map(|g| s.groups.get(g)).map(|g| render::group(s, g, base, &[])).collect();
        targets.insert("groups".into(), Value::Array(groups));
    }
    if expand.contains("targets/catalog/apps") && takes_app_targets(&a.role_type) {
        let apps: Vec<Value> = a.app_targets.iter().map(|t| render_app_target(s, t, base)).collect();
        targets.insert("catalog".into(), json!({"apps": apps}));
    }
    if !targets.is_empty() {
        out["_embedded"] = json!({"targets": targets});
    }
}

async fn list_roles(who: Assignee<'_>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let expand = call.query.text("expand").unwrap_or("").to_string();
    if !expand.is_empty() && !expand.split(',').all(|e| matches!(e.trim(), "targets/groups" | "targets/catalog/apps")) {
        return Err(OktaError::validation("expand", format!("expand: Invalid expand value: {expand}")));
    }
    let items = call.read(|s| -> Result<Vec<Value>, OktaError> {
        who.check(s)?;
        Ok(assignments_of(s, who)
            .into_iter()
            .map(|a| {
                let mut out = render_assignment(s, a, &base);
                embed_targets(s, a, &mut out, &expand, &base);
                out
            })
            .collect())
    })??;
    Ok(wire::ok(&Value::Array(items)))
}

async fn assign_role(who: Assignee<'_>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let body = body_object(&call.body)?;
    let role_type = body.get("type").and_then(Value::as_str).unwrap_or("").to_string();
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let target = who.check(s)?;
        let (custom_role_id, resource_set_id) = if role_type == "CUSTOM" {
            let role = body.get("role").and_then(Value::as_str).unwrap_or("");
            let set = body.get("resource-set").and_then(Value::as_str).unwrap_or("");
            let role = custom_role_key(s, role)
                .ok_or_else(|| OktaError::validation("role", "role: The role does not exist"))?;
            let set = resource_set_key(s, set).ok_or_else(|| {
                OktaError::validation("resource-set", "resource-set: The resource set does not exist")
            })?;
            (Some(role), Some(set))
        } else {
            if standard_label(&role_type).is_none() {
                return Err(OktaError::validation("type", format!("type: '{role_type}' is not a valid role type")));
            }
            (None, None)
        };
        // Only a super admin makes super admins.
        if role_type == "SUPER_ADMIN" && caller.rights.as_ref().is_some_and(|r| !r.is_super_admin()) {
            return Err(OktaError::Forbidden);
        }
        let mine = assignments_of(s, who);
        if mine.len() >= MAX_ASSIGNMENTS_PER_PRINCIPAL {
            return Err(OktaError::validation("type", "type: Too many role assignments"));
        }
        if mine.iter().any(|a| {
            a.role_type == role_type && a.custom_role_id == custom_role_id && a.resource_set_id == resource_set_id
        }) {
            return Err(duplicate_assignment());
        }
        let assignment = RoleAssignment {
            id: okta_id(ids, "ra1"),
            assignee_type: who.assignment_type().into(),
            assignee_id: who.id.to_string(),
            role_type: role_type.clone(),
            custom_role_id,
            resource_set_id,
            created: now,
            last_updated: now,
            group_targets: vec![],
            app_targets: vec![],
        };
        let out = render_assignment(s, &assignment, &base);
        s.role_assignments.insert(assignment.id.clone(), assignment);
        let message = format!("Grant user privilege {role_type}");
        let event_type = if who.kind == "users" { "user.account.privilege.grant" } else { "group.privilege.grant" };
        caller.log(s, ids, now, Event::new(event_type, &message, vec![target]));
        Ok(out)
    })?;
    Ok(wire::json(StatusCode::CREATED, &out))
}

async fn get_role(who: Assignee<'_>, role_id: String, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        who.check(s)?;
        Ok(render_assignment(s, assignment(s, who, &role_id)?, &base))
    })??;
    Ok(wire::ok(&out))
}

async fn unassign_role(who: Assignee<'_>, role_id: String, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let now = call.now();
    call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let target = who.check(s)?;
        let role_type = assignment(s, who, &role_id)?.role_type.clone();
        s.role_assignments.remove(&role_id);
        let message = format!("Revoke user privilege {role_type}");
        let event_type = if who.kind == "users" { "user.account.privilege.revoke" } else { "group.privilege.revoke" };
        caller.log(s, ids, now, Event::new(event_type, &message, vec![target]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

// --- targets ---------------------------------------------------------------

async fn group_targets(who: Assignee<'_>, role_id: String, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let limit = call.query.limit(20, 200)?;
    let after = call.query.after()?;
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        who.check(s)?;
        let a = assignment(s, who, &role_id)?;
        if !takes_group_targets(&a.role_type) {
            return Err(OktaError::not_found(&role_id, "Role"));
        }
        let mut ids: Vec<&String> = a.group_targets.iter().collect();
        ids.sort();
        let keyed = ids.into_iter().filter_map(|g| s.groups.get(g)).map(|g| (g.id.clone(), g)).collect();
        let (page, next) = paginate(keyed, after, limit, Order::KeyAscending)?;
        Ok((page.into_iter().map(|g| render::group(s, g, &base, &[])).collect::<Vec<_>>(), next))
    })??;
    let path = format!("/api/v1/{}/{}/roles/{role_id}/targets/groups", who.kind, who.id);
    Ok(wire::page(items, link_headers(&base, &path, &call.query, next.as_deref())))
}

fn no_targets_for(role_type: &str) -> OktaError {
    OktaError::validation("type", format!("type: Targets are not supported for the role type {role_type}"))
}

async fn change_group_target(
    who: Assignee<'_>,
    role_id: String,
    group_id: String,
    add: bool,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let now = call.now();
    call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let target = who.check(s)?;
        let group =
            s.groups.get(&group_id).map(Target::group).ok_or_else(|| OktaError::not_found(&group_id, "UserGroup"))?;
        let a = s
            .role_assignments
            .get_mut(&role_id)
            .filter(|a| a.assignee_type == who.assignment_type() && a.assignee_id == who.id);
        let a = a.ok_or_else(|| OktaError::not_found(&role_id, "Role"))?;
        if !takes_group_targets(&a.role_type) {
            return Err(no_targets_for(&a.role_type));
        }
        let present = a.group_targets.contains(&group_id);
        if add && !present {
            if a.group_targets.len() >= MAX_TARGETS {
                return Err(OktaError::validation("groupId", "groupId: Too many targets"));
            }
            a.group_targets.push(group_id.clone());
        } else if !add {
            if !present {
                return Err(OktaError::not_found(&group_id, "UserGroup"));
            }
            // Okta keeps a targeted role targeted: the last target cannot go.
            if a.group_targets.len() == 1 {
                return Err(OktaError::Other {
                    status: 400,
                    code: "E0000001".into(),
                    summary: "Api validation failed: The last group target of a role assignment cannot be removed."
                        .into(),
                });
            }
            a.group_targets.retain(|g| *g != group_id);
        }
        a.last_updated = now;
        let message = if add { "Add group target to admin role" } else { "Remove group target from admin role" };
        caller.log(s, ids, now, Event::new("user.account.privilege.grant", message, vec![target, group]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

fn render_app_target(s: &OktaState, t: &AppTarget, base: &str) -> Value {
    let display =
        t.id.as_ref().and_then(|id| s.apps.get(id)).map(|a| a.label.clone()).unwrap_or_else(|| t.name.clone());
    let mut out = json!({
        "name": t.name,
        "displayName": display,
        "status": "ACTIVE",
        "category": "",
        "description": "",
        "signOnModes": [],
        "features": [],
        "verificationStatus": "OKTA_VERIFIED",
        "website": "",
        "_links": {"self": href(format!("{base}/api/v1/catalog/apps/{}", t.name))},
    });
    if let Some(id) = &t.id {
        out["id"] = json!(id);
        out["_links"]["self"] = href(format!("{base}/api/v1/apps/{id}"));
    }
    out
}

async fn app_targets(who: Assignee<'_>, role_id: String, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let items = call.read(|s| -> Result<Vec<Value>, OktaError> {
        who.check(s)?;
        let a = assignment(s, who, &role_id)?;
        if !takes_app_targets(&a.role_type) {
            return Err(OktaError::not_found(&role_id, "Role"));
        }
        Ok(a.app_targets.iter().map(|t| render_app_target(s, t, &base)).collect())
    })??;
    Ok(wire::ok(&Value::Array(items)))
}

/// Adds or removes an app target: `name` alone (every instance) or one instance;
/// `None` for both makes the role reach every app again.
async fn change_app_target(
    who: Assignee<'_>,
    role_id: String,
    name: Option<String>,
    app_id: Option<String>,
    add: bool,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let now = call.now();
    call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let target = who.check(s)?;
        if let Some(id) = &app_id {
            let app = s.app(id)?;
            if Some(app.name.as_str()) != name.as_deref() {
                return Err(OktaError::not_found(id, "AppInstance"));
            }
        } else if let Some(n) = &name {
            if !s.apps.values().any(|a| a.name == *n) {
                return Err(OktaError::not_found(n, "CatalogApp"));
            }
        }
        let a = s
            .role_assignments
            .get_mut(&role_id)
            .filter(|a| a.assignee_type == who.assignment_type() && a.assignee_id == who.id)
            .ok_or_else(|| OktaError::not_found(&role_id, "Role"))?;
        if !takes_app_targets(&a.role_type) {
            return Err(no_targets_for(&a.role_type));
        }
        match (name, add) {
            (None, _) => a.app_targets.clear(),
            (Some(name), true) => {
                let entry = AppTarget { name: name.clone(), id: app_id.clone() };
                if a.app_targets.len() >= MAX_TARGETS {
                    return Err(OktaError::validation("appName", "appName: Too many targets"));
                }
                // An app-wide target replaces that app's instance targets, and the reverse.
                a.app_targets.retain(|t| t.name != name);
                a.app_targets.push(entry);
            }
            (Some(name), false) => {
                let before = a.app_targets.len();
                a.app_targets.retain(|t| !(t.name == name && t.id == app_id));
                if a.app_targets.len() == before {
                    return Err(OktaError::not_found(name, "CatalogApp"));
                }
            }
        }
        a.last_updated = now;
        let message = if add { "Add app target to admin role" } else { "Remove app target from admin role" };
        caller.log(s, ids, now, Event::new("user.account.privilege.grant", message, vec![target]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

// --- handlers by path ------------------------------------------------------

fn user(id: &str) -> Assignee<'_> {
    Assignee { kind: "users", id }
}

fn group(id: &str) -> Assignee<'_> {
    Assignee { kind: "groups", id }
}

async fn list_user_roles(Path(uid): Path<String>, call: Call) -> Result<Response, OktaError> {
    let uid = resolve_user(&call, &uid)?;
    list_roles(user(&uid), call).await
}

async fn assign_user_role(Path(uid): Path<String>, call: Call) -> Result<Response, OktaError> {
    let uid = resolve_user(&call, &uid)?;
    assign_role(user(&uid), call).await
}

async fn get_user_role(Path((uid, rid)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let uid = resolve_user(&call, &uid)?;
    get_role(user(&uid), rid, call).await
}

async fn unassign_user_role(Path((uid, rid)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let uid = resolve_user(&call, &uid)?;
    unassign_role(user(&uid), rid, call).await
}

async fn user_group_targets(Path((uid, rid)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    group_targets(user(&uid), rid, call).await
}

async fn user_add_group_target(
    Path((uid, rid, gid)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    change_group_target(user(&uid), rid, gid, true, call).await
}

async fn user_remove_group_target(
    Path((uid, rid, gid)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    change_group_target(user(&uid), rid, gid, false, call).await
}

async fn user_app_targets(Path((uid, rid)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    app_targets(user(&uid), rid, call).await
}

async fn user_all_apps(Path((uid, rid)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    change_app_target(user(&uid), rid, None, None, true, call).await.map(|_| wire::ok(&json!({})))
}

async fn user_add_app_target(
    Path((uid, rid, name)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    change_app_target(user(&uid), rid, Some(name), None, true, call).await
}

async fn user_remove_app_target(
    Path((uid, rid, name)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    change_app_target(user(&uid), rid, Some(name), None, false, call).await
}

async fn user_add_app_instance(
    Path((uid, rid, name, app)): Path<(String, String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    change_app_target(user(&uid), rid, Some(name), Some(app), true, call).await
}

async fn user_remove_app_instance(
    Path((uid, rid, name, app)): Path<(String, String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    change_app_target(user(&uid), rid, Some(name), Some(app), false, call).await
}

async fn list_group_roles(Path(gid): Path<String>, call: Call) -> Result<Response, OktaError> {
    list_roles(group(&gid), call).await
}

async fn assign_group_role(Path(gid): Path<String>, call: Call) -> Result<Response, OktaError> {
    // Okta answers a group's new role with 200 (a user's with 201).
    let response = assign_role(group(&gid), call).await?;
    let (mut parts, body) = response.into_parts();
    parts.status = StatusCode::OK;
    Ok(Response::from_parts(parts, body))
}

async fn get_group_role(Path((gid, rid)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    get_role(group(&gid), rid, call).await
}

async fn unassign_group_role(Path((gid, rid)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    unassign_role(group(&gid), rid, call).await
}

async fn group_group_targets(Path((gid, rid)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    group_targets(group(&gid), rid, call).await
}

async fn group_add_group_target(
    Path((gid, rid, target)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    change_group_target(group(&gid), rid, target, true, call).await
}

async fn group_remove_group_target(
    Path((gid, rid, target)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    change_group_target(group(&gid), rid, target, false, call).await
}

async fn group_app_targets(Path((gid, rid)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    app_targets(group(&gid), rid, call).await
}

async fn group_add_app_target(
    Path((gid, rid, name)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    // The vendor document answers this one with 200.
    change_app_target(group(&gid), rid, Some(name), None, true, call).await.map(|_| wire::ok(&json!({})))
}

async fn group_remove_app_target(
    Path((gid, rid, name)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    change_app_target(group(&gid), rid, Some(name), None, false, call).await
}

async fn group_add_app_instance(
    Path((gid, rid, name, app)): Path<(String, String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    change_app_target(group(&gid), rid, Some(name), Some(app), true, call).await
}

async fn group_remove_app_instance(
    Path((gid, rid, name, app)): Path<(String, String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    change_app_target(group(&gid), rid, Some(name), Some(app), false, call).await
}

/// A user path key (`me`, an id, a login) as the user's id.
fn resolve_user(call: &Call, key: &str) -> Result<String, OktaError> {
    if key == "me" {
        return Ok(call.caller()?.principal.subject);
    }
    call.read(|s| s.find_user(key).map(|u| u.id.clone()).unwrap_or_else(|| key.to_string()))
}

// ---------------------------------------------------------------------------
// Custom roles

fn custom_role_key(s: &OktaState, id_or_label: &str) -> Option<String> {
    if s.custom_roles.contains_key(id_or_label) {
        return Some(id_or_label.to_string());
    }
    s.custom_roles.values().find(|r| r.label == id_or_label).map(|r| r.id.clone())
}

fn render_custom_role(r: &CustomRole, base: &str) -> Value {
    let me = format!("{base}/api/v1/iam/roles/{}", r.id);
    json!({
        "id": r.id, "label": r.label, "description": r.description,
        "created": ts(r.created), "lastUpdated": ts(r.last_updated),
        "_links": {"self": href(me.clone()), "permissions": href(format!("{me}/permissions"))}
    })
}

fn render_permission(r: &CustomRole, permission: &str, base: &str) -> Value {
    let me = format!("{base}/api/v1/iam/roles/{}", r.id);
    let mut out = json!({
        "label": permission, "created": ts(r.created), "lastUpdated": ts(r.last_updated),
        "_links": {"self": href(format!("{me}/permissions/{permission}")), "role": href(me)}
    });
    if let Some(c) = r.conditions.get(permission) {
        out["conditions"] = c.clone();
    }
    out
}

/// A permission's `conditions` from a create or replace body: absent or `null` (none),
/// or an object of `include` / `exclude`, each an object of attribute lists.
fn conditions_of(body: &Map<String, Value>) -> Result<Option<Value>, OktaError> {
    let invalid = || {
        OktaError::validation(
            "conditions",
            "conditions: Must be an object of include and exclude, each an object of lists",
        )
    };
    match body.get("conditions") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(c)) => {
            for (side, v) in c {
                let lists_ok = v.as_object().is_some_and(|m| m.values().all(Value::is_array));
                if !(side == "include" || side == "exclude") || !lists_ok {
                    return Err(invalid());
                }
            }
            Ok(Some(Value::Object(c.clone())))
        }
        Some(_) => Err(invalid()),
    }
}

fn check_permission(p: &str) -> Result<(), OktaError> {
    if CUSTOM_PERMISSIONS.contains(&p) {
        Ok(())
    } else {
        Err(OktaError::validation("permissions", format!("permissions: Invalid permission: {p}")))
    }
}

/// Label, description and permissions of a create or replace body.
fn custom_role_input(
    body: &Map<String, Value>,
    need_permissions: bool,
) -> Result<(String, String, Vec<String>), OktaError> {
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::trim).unwrap_or("").to_string();
    let (label, description) = (text("label"), text("description"));
    if label.is_empty() {
        return Err(OktaError::validation("label", "label: The field cannot be left blank"));
    }
    if description.is_empty() {
        return Err(OktaError::validation("description", "description: The field cannot be left blank"));
    }
    let permissions: Vec<String> = body
        .get("permissions")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    if need_permissions && permissions.is_empty() {
        return Err(OktaError::validation("permissions", "permissions: The field cannot be left blank"));
    }
    for p in &permissions {
        check_permission(p)?;
    }
    Ok((label, description, permissions))
}

fn custom_role<'a>(s: &'a OktaState, id_or_label: &str) -> Result<&'a CustomRole, OktaError> {
    custom_role_key(s, id_or_label)
        .and_then(|k| s.custom_roles.get(&k))
        .ok_or_else(|| OktaError::not_found(id_or_label, "Role"))
}

async fn list_custom_roles(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let after = call.query.after()?;
    let (roles, next) = call.read(|s| -> Result<_, OktaError> {
        let keyed = s.custom_roles.values().map(|r| (r.id.clone(), r)).collect();
        let (page, next) = paginate(keyed, after, 100, Order::KeyAscending)?;
        Ok((page.into_iter().map(|r| render_custom_role(r, &base)).collect::<Vec<_>>(), next))
    })??;
    let mut links = json!({});
    if let Some(n) = next {
        links["next"] = href(format!("{base}/api/v1/iam/roles?after={n}"));
    }
    Ok(wire::ok(&json!({"roles": roles, "_links": links})))
}

async fn create_custom_role(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let body = body_object(&call.body)?;
    let (label, description, permissions) = custom_role_input(&body, true)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        if s.custom_roles.values().any(|r| r.label == label) {
            return Err(OktaError::validation("label", "label: A role with this label already exists"));
        }
        if s.custom_roles.len() >= MAX_CUSTOM_ROLES {
            return Err(OktaError::validation("label", "label: Too many custom roles"));
        }
        let role = CustomRole {
            id: okta_id(ids, "cr0"),
            label,
            description,
            permissions,
            created: now,
            last_updated: now,
            conditions: Default::default(),
        };
        let out = render_custom_role(&role, &base);
        s.custom_roles.insert(role.id.clone(), role);
        caller.log(s, ids, now, Event::new("iam.role.create", "Create a custom role", vec![]));
        Ok(out)
    })?;
    Ok(wire::ok(&out))
}

async fn get_custom_role(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| custom_role(s, &key).map(|r| render_custom_role(r, &base)))??;
    Ok(wire::ok(&out))
}

async fn replace_custom_role(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let body = body_object(&call.body)?;
    let (label, description, _) = custom_role_input(&body, false)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let mut role = custom_role(s, &key)?.clone();
        if s.custom_roles.values().any(|r| r.label == label && r.id != role.id) {
            return Err(OktaError::validation("label", "label: A role with this label already exists"));
        }
        role.label = label;
        role.description = description;
        role.last_updated = now;
        let out = render_custom_role(&role, &base);
        s.custom_roles.insert(role.id.clone(), role);
        caller.log(s, ids, now, Event::new("iam.role.update", "Update a custom role", vec![]));
        Ok(out)
    })?;
    Ok(wire::ok(&out))
}

async fn delete_custom_role(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let now = call.now();
    call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let id = custom_role(s, &key)?.id.clone();
        // Okta deletes a role only once nobody holds it.
        if s.role_assignments.values().any(|a| a.custom_role_id.as_deref() == Some(id.as_str())) {
            return Err(OktaError::validation("role", "role: The role is assigned and cannot be deleted"));
        }
        s.custom_roles.remove(&id);
        caller.log(s, ids, now, Event::new("iam.role.delete", "Delete a custom role", vec![]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn list_permissions(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| {
        custom_role(s, &key).map(|r| {
            let list: Vec<Value> = r.permissions.iter().map(|p| render_permission(r, p, &base)).collect();
            json!({"permissions": list})
        })
    })??;
    Ok(wire::ok(&out))
}

async fn get_permission(Path((key, p)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        let r = custom_role(s, &key)?;
        if !r.permissions.contains(&p) {
            return Err(OktaError::not_found(&p, "Permission"));
        }
        Ok(render_permission(r, &p, &base))
    })??;
    Ok(wire::ok(&out))
}

async fn change_permission(key: String, p: String, add: bool, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let conditions = if add {
        check_permission(&p)?;
        conditions_of(&body_object(&call.body)?)?
    } else {
        None
    };
    let now = call.now();
    call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let mut role = custom_role(s, &key)?.clone();
        let has = role.permissions.contains(&p);
        if add && !has {
            role.permissions.push(p.clone());
        } else if !add {
            if !has {
                return Err(OktaError::not_found(&p, "Permission"));
            }
            role.permissions.retain(|x| *x != p);
            role.conditions.remove(&p);
        }
        if let Some(c) = conditions {
            role.conditions.insert(p.clone(), c);
        }
        role.last_updated = now;
        s.custom_roles.insert(role.id.clone(), role);
        caller.log(s, ids, now, Event::new("iam.role.permission.update", "Update a custom role's permissions", vec![]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn add_permission(Path((key, p)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    change_permission(key, p, true, call).await
}

/// Replaces a permission's conditions (none when the body has none).
async fn replace_permission(Path((key, p)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let conditions = conditions_of(&body_object(&call.body)?)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let mut role = custom_role(s, &key)?.clone();
        if !role.permissions.contains(&p) {
            return Err(OktaError::not_found(&p, "Permission"));
        }
        match conditions {
            Some(c) => role.conditions.insert(p.clone(), c),
            None => role.conditions.remove(&p),
        };
        role.last_updated = now;
        s.custom_roles.insert(role.id.clone(), role.clone());
        caller.log(s, ids, now, Event::new("iam.role.permission.update", "Update a custom role's permissions", vec![]));
        Ok(render_permission(&role, &p, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_permission(Path((key, p)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    change_permission(key, p, false, call).await
}

// ---------------------------------------------------------------------------
// Resource sets and bindings

fn resource_set_key(s: &OktaState, id_or_label: &str) -> Option<String> {
    if s.resource_sets.contains_key(id_or_label) {
        return Some(id_or_label.to_string());
    }
    s.resource_sets.values().find(|r| r.label == id_or_label).map(|r| r.id.clone())
}

fn resource_set<'a>(s: &'a OktaState, key: &str) -> Result<&'a ResourceSet, OktaError> {
    resource_set_key(s, key)
        .and_then(|k| s.resource_sets.get(&k))
        .ok_or_else(|| OktaError::not_found(key, "ResourceSet"))
}

fn render_resource_set(r: &ResourceSet, base: &str) -> Value {
    let me = format!("{base}/api/v1/iam/resource-sets/{}", r.id);
    json!({
        "id": r.id, "label": r.label, "description": r.description,
        "created": ts(r.created), "lastUpdated": ts(r.last_updated),
        "_links": {
            "self": href(me.clone()),
            "resources": href(format!("{me}/resources")),
            "bindings": href(format!("{me}/bindings")),
        }
    })
}

fn render_resource(r: &SetResource, set_id: &str, base: &str) -> Value {
    let mut out = json!({
        "id": r.id, "created": ts(r.created), "lastUpdated": ts(r.created),
        "_links": {"self": href(format!("{base}/api/v1/iam/resource-sets/{set_id}/resources/{}", r.id))}
    });
    if r.reference.starts_with("orn:") {
        out["orn"] = json!(r.reference);
    } else {
        out["_links"]["self"] = href(r.reference.clone());
    }
    out
}

/// Resource references of a body: checked to name something this org has.
fn new_resources(
    s: &OktaState,
    ids: &mut twin_core::ids::IdGen,
    refs: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<SetResource>, OktaError> {
    let mut out = Vec::new();
    for reference in refs {
        let known = match reach_of(reference) {
            Reach::Group(g) | Reach::UsersOfGroup(g) => s.groups.contains_key(&g),
            Reach::App(a) => s.apps.contains_key(&a),
            Reach::AllUsers | Reach::AllGroups | Reach::AllApps => true,
            Reach::Other => false,
        };
        if !known {
            return Err(OktaError::validation("resources", format!("resources: Invalid resource: {reference}")));
        }
        out.push(SetResource { id: okta_id(ids, "ire"), reference: reference.clone(), created: now });
    }
    Ok(out)
}

fn refs_of(body: &Map<String, Value>, key: &str) -> Vec<String> {
    body.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

async fn list_resource_sets(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let sets = call.read(|s| s.resource_sets.values().map(|r| render_resource_set(r, &base)).collect::<Vec<_>>())?;
    Ok(wire::ok(&json!({"resource-sets": sets, "_links": {}})))
}

async fn create_resource_set(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let body = body_object(&call.body)?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::trim).unwrap_or("").to_string();
    let (label, description) = (text("label"), text("description"));
    let refs = refs_of(&body, "resources");
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        if label.is_empty() {
            return Err(OktaError::validation("label", "label: The field cannot be left blank"));
        }
        if refs.is_empty() {
            return Err(OktaError::validation("resources", "resources: The field cannot be left blank"));
        }
        if refs.len() > MAX_RESOURCES || s.resource_sets.len() >= MAX_RESOURCE_SETS {
            return Err(OktaError::validation("resources", "resources: Too many resources"));
        }
        if s.resource_sets.values().any(|r| r.label == label) {
            return Err(OktaError::validation("label", "label: A resource set with this label already exists"));
        }
        let resources = new_resources(s, ids, &refs, now)?;
        let set =
            ResourceSet { id: okta_id(ids, "iam"), label, description, resources, created: now, last_updated: now };
        let out = render_resource_set(&set, &base);
        s.resource_sets.insert(set.id.clone(), set);
        caller.log(s, ids, now, Event::new("iam.resourceset.create", "Create a resource set", vec![]));
        Ok(out)
    })?;
    Ok(wire::ok(&out))
}

async fn get_resource_set(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| resource_set(s, &key).map(|r| render_resource_set(r, &base)))??;
    Ok(wire::ok(&out))
}

async fn replace_resource_set(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let mut set = resource_set(s, &key)?.clone();
        let label = body.get("label").and_then(Value::as_str).map(str::trim).unwrap_or("");
        if label.is_empty() {
            return Err(OktaError::validation("label", "label: The field cannot be left blank"));
        }
        set.label = label.to_string();
        set.description = body.get("description").and_then(Value::as_str).unwrap_or("").to_string();
        set.last_updated = now;
        let out = render_resource_set(&set, &base);
        s.resource_sets.insert(set.id.clone(), set);
        caller.log(s, ids, now, Event::new("iam.resourceset.update", "Update a resource set", vec![]));
        Ok(out)
    })?;
    Ok(wire::ok(&out))
}

async fn delete_resource_set(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let now = call.now();
    call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let id = resource_set(s, &key)?.id.clone();
        if s.role_assignments.values().any(|a| a.resource_set_id.as_deref() == Some(id.as_str())) {
            return Err(OktaError::validation("resourceSet", "resourceSet: The resource set has bindings"));
        }
        s.resource_sets.remove(&id);
        caller.log(s, ids, now, Event::new("iam.resourceset.delete", "Delete a resource set", vec![]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn list_resources(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| {
        resource_set(s, &key).map(|r| {
            let list: Vec<Value> = r.resources.iter().map(|x| render_resource(x, &r.id, &base)).collect();
            json!({"resources": list, "_links": {"self": href(format!("{base}/api/v1/iam/resource-sets/{}/resources", r.id))}})
        })
    })??;
    Ok(wire::ok(&out))
}

async fn add_resources(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let body = body_object(&call.body)?;
    let refs = refs_of(&body, "additions");
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let mut set = resource_set(s, &key)?.clone();
        if refs.is_empty() {
            return Err(OktaError::validation("additions", "additions: The field cannot be left blank"));
        }
        if set.resources.len() + refs.len() > MAX_RESOURCES {
            return Err(OktaError::validation("additions", "additions: Too many resources"));
        }
        let fresh: Vec<String> =
            refs.iter().filter(|r| !set.resources.iter().any(|x| x.reference == **r)).cloned().collect();
        set.resources.extend(new_resources(s, ids, &fresh, now)?);
        set.last_updated = now;
        let out = render_resource_set(&set, &base);
        s.resource_sets.insert(set.id.clone(), set);
        Ok(out)
    })?;
    Ok(wire::ok(&out))
}

async fn delete_resource(Path((key, rid)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let now = call.now();
    call.write(|s, _ids| {
        require_role_admin(&caller, s)?;
        let mut set = resource_set(s, &key)?.clone();
        let before = set.resources.len();
        set.resources.retain(|r| r.id != rid);
        if set.resources.len() == before {
            return Err(OktaError::not_found(&rid, "Resource"));
        }
        set.last_updated = now;
        s.resource_sets.insert(set.id.clone(), set);
        Ok(())
    })?;
    Ok(wire::no_content())
}

fn render_binding(set_id: &str, role_id: &str, base: &str) -> Value {
    let me = format!("{base}/api/v1/iam/resource-sets/{set_id}/bindings/{role_id}");
    json!({"id": role_id, "_links": {"self": href(me.clone()), "bindings": href(me),
        "resource-set": href(format!("{base}/api/v1/iam/resource-sets/{set_id}"))}})
}

/// The custom roles bound to a set: the distinct roles of its CUSTOM assignments.
fn bound_roles(s: &OktaState, set_id: &str) -> Vec<String> {
    let mut roles: Vec<String> = s
        .role_assignments
        .values()
        .filter(|a| a.resource_set_id.as_deref() == Some(set_id))
        .filter_map(|a| a.custom_role_id.clone())
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

async fn list_bindings(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| {
        resource_set(s, &key).map(|set| {
            let roles: Vec<Value> = bound_roles(s, &set.id)
                .iter()
                .map(|r| json!({"id": r, "_links": {"self": href(format!("{base}/api/v1/iam/roles/{r}"))}}))
                .collect();
            json!({"roles": roles, "_links": {}})
        })
    })??;
    Ok(wire::ok(&out))
}

/// `POST …/bindings` `{role, members: [hrefs of users or groups]}`: each member gets
/// the custom role over this set, as a CUSTOM role assignment.
async fn create_binding(Path(key): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let body = body_object(&call.body)?;
    let role = body.get("role").and_then(Value::as_str).unwrap_or("").to_string();
    let members = refs_of(&body, "members");
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let set_id = resource_set(s, &key)?.id.clone();
        let role_id = custom_role(s, &role)?.id.clone();
        add_members(s, ids, &set_id, &role_id, &members, "members", now)?;
        caller.log(s, ids, now, Event::new("iam.resourceset.bindings.add", "Add a binding to a resource set", vec![]));
        Ok(render_binding(&set_id, &role_id, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn get_binding(Path((key, role)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        let set_id = resource_set(s, &key)?.id.clone();
        let role_id = custom_role(s, &role)?.id.clone();
        if !bound_roles(s, &set_id).contains(&role_id) {
            return Err(OktaError::not_found(&role, "Binding"));
        }
        Ok(render_binding(&set_id, &role_id, &base))
    })??;
    Ok(wire::ok(&out))
}

async fn delete_binding(Path((key, role)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let now = call.now();
    call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let set_id = resource_set(s, &key)?.id.clone();
        let role_id = custom_role(s, &role)?.id.clone();
        let gone: Vec<String> = s
            .role_assignments
            .iter()
            .filter(|(_, a)| {
                a.resource_set_id.as_deref() == Some(set_id.as_str())
                    && a.custom_role_id.as_deref() == Some(role_id.as_str())
            })
            .map(|(k, _)| k.clone())
            .collect();
        if gone.is_empty() {
            return Err(OktaError::not_found(&role, "Binding"));
        }
        for k in gone {
            s.role_assignments.remove(&k);
        }
        caller.log(s, ids, now, Event::new("iam.resourceset.bindings.delete", "Delete a binding", vec![]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

/// Binds `members` (user and group hrefs) to a resource set's role: each gets a role
/// assignment unless it holds one already. `field` names the list in errors.
fn add_members(
    s: &mut OktaState,
    ids: &mut IdGen,
    set_id: &str,
    role_id: &str,
    members: &[String],
    field: &str,
    now: DateTime<Utc>,
) -> Result<(), OktaError> {
    if members.is_empty() || members.len() > MAX_TARGETS {
        return Err(OktaError::validation(field, format!("{field}: The field cannot be left blank")));
    }
    for m in members {
        let tail = m.rsplit('/').next().unwrap_or("");
        let kind = if m.contains("/api/v1/groups/") { "GROUP" } else { "USER" };
        let exists = if kind == "GROUP" { s.groups.contains_key(tail) } else { s.users.contains_key(tail) };
        if !exists {
            return Err(OktaError::validation(field, format!("{field}: Invalid member: {m}")));
        }
        let held = s.role_assignments.values().any(|a| {
            a.assignee_id == tail
                && a.custom_role_id.as_deref() == Some(role_id)
                && a.resource_set_id.as_deref() == Some(set_id)
        });
        if held {
            continue;
        }
        let a = RoleAssignment {
            id: okta_id(ids, "irb"),
            assignee_type: kind.into(),
            assignee_id: tail.to_string(),
            role_type: "CUSTOM".into(),
            custom_role_id: Some(role_id.to_string()),
            resource_set_id: Some(set_id.to_string()),
            created: now,
            last_updated: now,
            group_targets: vec![],
            app_targets: vec![],
        };
        s.role_assignments.insert(a.id.clone(), a);
    }
    Ok(())
}

/// A binding's member as `ResourceSetBindingMember`.
fn render_member(a: &RoleAssignment, base: &str) -> Value {
    let path = if a.assignee_type == "USER" { "users" } else { "groups" };
    json!({"id": a.id, "created": ts(a.created), "lastUpdated": ts(a.last_updated),
        "_links": {"self": href(format!("{base}/api/v1/{path}/{}", a.assignee_id))}})
}

/// The member `member_id` (a role assignment's id) of a resource set's role binding.
fn member_of(s: &OktaState, set_id: &str, role_id: &str, member_id: &str) -> Result<RoleAssignment, OktaError> {
    s.role_assignments
        .get(member_id)
        .filter(|a| a.resource_set_id.as_deref() == Some(set_id) && a.custom_role_id.as_deref() == Some(role_id))
        .cloned()
        .ok_or_else(|| OktaError::not_found(member_id, "ResourceSetBindingMember"))
}

/// `PATCH …/bindings/{role}/members`: adds members to an existing binding.
async fn add_binding_members(Path((key, role)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let body = body_object(&call.body)?;
    let additions = refs_of(&body, "additions");
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let set_id = resource_set(s, &key)?.id.clone();
        let role_id = custom_role(s, &role)?.id.clone();
        if !bound_roles(s, &set_id).contains(&role_id) {
            return Err(OktaError::not_found(&role, "Binding"));
        }
        add_members(s, ids, &set_id, &role_id, &additions, "additions", now)?;
        caller.log(s, ids, now, Event::new("iam.resourceset.bindings.add", "Add a binding to a resource set", vec![]));
        Ok(render_binding(&set_id, &role_id, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn get_binding_member(
    Path((key, role, member_id)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        let set_id = resource_set(s, &key)?.id.clone();
        let role_id = custom_role(s, &role)?.id.clone();
        Ok(render_member(&member_of(s, &set_id, &role_id, &member_id)?, &base))
    })??;
    Ok(wire::ok(&out))
}

/// Removes one member; a binding left without members is gone, as at Okta.
async fn remove_binding_member(
    Path((key, role, member_id)): Path<(String, String, String)>,
    call: Call,
) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    let now = call.now();
    call.write(|s, ids| {
        require_role_admin(&caller, s)?;
        let set_id = resource_set(s, &key)?.id.clone();
        let role_id = custom_role(s, &role)?.id.clone();
        let member = member_of(s, &set_id, &role_id, &member_id)?;
        s.role_assignments.remove(&member.id);
        caller.log(s, ids, now, Event::new("iam.resourceset.bindings.delete", "Delete a binding", vec![]));
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn binding_members(Path((key, role)): Path<(String, String)>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| -> Result<Value, OktaError> {
        let set_id = resource_set(s, &key)?.id.clone();
        let role_id = custom_role(s, &role)?.id.clone();
        let members: Vec<Value> = s
            .role_assignments
            .values()
            .filter(|a| {
                a.resource_set_id.as_deref() == Some(set_id.as_str())
                    && a.custom_role_id.as_deref() == Some(role_id.as_str())
            })
            .map(|a| render_member(a, &base))
            .collect();
        Ok(json!({"members": members, "_links": {}}))
    })??;
    Ok(wire::ok(&out))
}

/// `GET /api/v1/iam/assignees/users`: the users holding a role directly, by id.
async fn list_assignee_users(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.roles.read")?;
    let limit = call.query.limit(100, 1000)?;
    let after = call.query.after()?;
    let base = call.base().to_string();
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        let mut ids: Vec<String> =
            s.role_assignments.values().filter(|a| a.assignee_type == "USER").map(|a| a.assignee_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let keyed = ids.into_iter().map(|id| (id.clone(), id)).collect();
        let (page, next) = paginate(keyed, after, limit, Order::KeyAscending)?;
        let items: Vec<Value> = page
            .into_iter()
            .map(|id| {
                json!({
                    "id": id,
                    "orn": format!("orn:okta:directory:{}:users:{id}", s.org_id),
                    "_links": {
                        "self": href(format!("{base}/api/v1/users/{id}")),
                        "roles": href(format!("{base}/api/v1/users/{id}/roles")),
                    }
                })
            })
            .collect();
        Ok((items, next))
    })??;
    let mut links = json!({});
    if let Some(n) = next {
        links["next"] = href(format!("{base}/api/v1/iam/assignees/users?after={n}&limit={limit}"));
    }
    Ok(wire::ok(&json!({"value": items, "_links": links})))
}

// ---------------------------------------------------------------------------
// API tokens

fn render_api_token(t: &crate::admin::ApiTokenRecord, base: &str) -> Value {
    json!({
        "id": t.id, "name": t.name, "userId": t.user_id, "clientName": t.client_name,
        "created": ts(t.created), "lastUpdated": ts(t.created), "expiresAt": ts(t.created + chrono::Duration::days(30)),
        "tokenWindow": "P30D",
        "_link": {"self": href(format!("{base}/api/v1/api-tokens/{}", t.id))}
    })
}

/// Listing every token needs a super admin; anyone else sees their own.
async fn list_api_tokens(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apiTokens.read")?;
    let base = call.base().to_string();
    let q = call.query.text("q").map(str::to_lowercase);
    let limit = call.query.limit(20, 200)?;
    let after = call.query.after()?;
    let (items, next) = call.read(|s| -> Result<_, OktaError> {
        let all = caller.rights.as_ref().is_none_or(|r| r.is_super_admin());
        let keyed: Vec<(String, _)> = s
            .api_tokens
            .values()
            .filter(|t| all || t.user_id == caller.principal.subject)
            .filter(|t| {
                q.as_ref().is_none_or(|q| t.name.to_lowercase().contains(q) || t.client_name.to_lowercase().contains(q))
            })
            .map(|t| (t.id.clone(), t))
            .collect();
        let (page, next) = paginate(keyed, after, limit, Order::KeyAscending)?;
        Ok((page.into_iter().map(|t| render_api_token(t, &base)).collect::<Vec<_>>(), next))
    })??;
    Ok(wire::page(items, link_headers(&base, "/api/v1/api-tokens", &call.query, next.as_deref())))
}

async fn get_api_token(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apiTokens.read")?;
    let base = call.base().to_string();
    let out = call.read(|s| {
        s.api_tokens.get(&id).map(|t| render_api_token(t, &base)).ok_or_else(|| OktaError::not_found(&id, "ApiToken"))
    })??;
    Ok(wire::ok(&out))
}

async fn revoke(call: &Call, caller: &Caller, id: &str) -> Result<(), OktaError> {
    let now = call.now();
    let token = call.write(|s, ids| {
        let t = s.api_tokens.get(id).cloned().ok_or_else(|| OktaError::not_found(id, "ApiToken"))?;
        let own = t.user_id == caller.principal.subject;
        if !own && caller.rights.as_ref().is_some_and(|r| !r.is_super_admin()) {
            return Err(OktaError::Forbidden);
        }
        s.api_tokens.remove(id);
        caller.log(s, ids, now, Event::new("system.api_token.revoke", "Revoke API token", vec![]));
        let others: Vec<String> = s.api_tokens.values().map(|o| o.token.clone()).collect();
        Ok((t, others))
    })?;
    let (record, others) = token;
    let universe = &call.ctx.universe;
    if universe.principal(&record.token).is_some() {
        call.ctx.core.revoke_credential(universe, &record.token);
    } else {
        // A fork re-mints its credentials, so the record may name its origin's token:
        // revoke the user's API tokens that no other record names.
        for c in universe.credentials() {
            let theirs = c.principal.service == "okta"
                && c.principal.kind == "api_token"
                && c.principal.subject == record.user_id
                && !others.contains(&c.token);
            if theirs {
                call.ctx.core.revoke_credential(universe, &c.token);
            }
        }
    }
    Ok(())
}

async fn revoke_api_token(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.apiTokens.manage")?;
    revoke(&call, &caller, &id).await?;
    Ok(wire::no_content())
}

async fn revoke_current_api_token(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    if caller.principal.kind != "api_token" {
        return Err(OktaError::Forbidden);
    }
    let token = call.ctx.credential.clone().unwrap_or_default();
    let id = call.read(|s| s.api_tokens.values().find(|t| t.token == token).map(|t| t.id.clone()))?;
    match id {
        Some(id) => revoke(&call, &caller, &id).await?,
        None => {
            call.ctx.core.revoke_credential(&call.ctx.universe, &token);
        }
    }
    Ok(wire::no_content())
}
