//! Administrator roles: standard role assignments (to users and groups) with their
//! group and app targets, custom roles (permission lists) over resource sets, the
//! API tokens' metadata, and the rights an API token's user holds through them.
//! An API token acts with its user's roles, as at Okta: a read-only admin's token
//! reads and is refused writes (403 E0000006); a targeted role reaches only its targets.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::errors::OktaError;
use crate::model::{pair_key, GroupType, OktaState};

/// Okta's standard admin roles: type, label, and whether they take group or app targets.
pub const STANDARD_ROLES: &[(&str, &str)] = &[
    ("SUPER_ADMIN", "Super Administrator"),
    ("ORG_ADMIN", "Organizational Administrator"),
    ("APP_ADMIN", "Application Administrator"),
    ("USER_ADMIN", "Group Administrator"),
    ("GROUP_MEMBERSHIP_ADMIN", "Group Membership Administrator"),
    ("HELP_DESK_ADMIN", "Help Desk Administrator"),
    ("READ_ONLY_ADMIN", "Read-only Administrator"),
    ("REPORT_ADMIN", "Report Administrator"),
    ("API_ACCESS_MANAGEMENT_ADMIN", "API Access Management Administrator"),
    ("MOBILE_ADMIN", "Mobile Administrator"),
    ("WORKFLOWS_ADMIN", "Workflows Administrator"),
];

pub fn standard_label(role_type: &str) -> Option<&'static str> {
    STANDARD_ROLES.iter().find(|(t, _)| *t == role_type).map(|(_, l)| *l)
}

/// Roles whose reach group targets narrow.
pub fn takes_group_targets(role_type: &str) -> bool {
    matches!(role_type, "USER_ADMIN" | "GROUP_MEMBERSHIP_ADMIN" | "HELP_DESK_ADMIN")
}

/// Roles whose reach app targets narrow.
pub fn takes_app_targets(role_type: &str) -> bool {
    role_type == "APP_ADMIN"
}

/// What a standard role may do, as permissions (`*` everything, `*.read` every read).
fn standard_permissions(role_type: &str) -> &'static [&'static str] {
    match role_type {
        "SUPER_ADMIN" | "ORG_ADMIN" => &["*"],
        "READ_ONLY_ADMIN" => &["*.read"],
        "USER_ADMIN" => &["okta.users.manage", "okta.groups.read", "okta.groups.members.manage"],
        "GROUP_MEMBERSHIP_ADMIN" => &["okta.users.read", "okta.groups.read", "okta.groups.members.manage"],
        // Resets passwords and factors, unlocks, clears sessions: no suspending or deleting.
        "HELP_DESK_ADMIN" => &[
            "okta.users.read",
            "okta.groups.read",
            "okta.users.lifecycle.unlock",
            "okta.users.lifecycle.clearSessions",
            "okta.users.credentials.resetPassword",
            "okta.users.credentials.resetFactors",
            "okta.sessions.manage",
        ],
        "APP_ADMIN" => &["okta.apps.manage", "okta.users.read", "okta.groups.read"],
        "REPORT_ADMIN" => &["okta.logs.read", "okta.reports.read"],
        "API_ACCESS_MANAGEMENT_ADMIN" => &[
            "okta.authorizationServers.manage",
            "okta.apps.manage",
            "okta.users.read",
            "okta.groups.read",
            "okta.trustedOrigins.read",
        ],
        _ => &["okta.users.read", "okta.groups.read"],
    }
}

/// The permissions a custom role may hold (Okta's catalogue, the parts this twin serves).
pub const CUSTOM_PERMISSIONS: &[&str] = &[
    "okta.users.manage",
    "okta.users.create",
    "okta.users.read",
    "okta.users.credentials.manage",
    "okta.users.credentials.resetFactors",
    "okta.users.credentials.resetPassword",
    "okta.users.credentials.expirePassword",
    "okta.users.userprofile.manage",
    "okta.users.lifecycle.manage",
    "okta.users.lifecycle.activate",
    "okta.users.lifecycle.deactivate",
    "okta.users.lifecycle.suspend",
    "okta.users.lifecycle.unsuspend",
    "okta.users.lifecycle.delete",
    "okta.users.lifecycle.unlock",
    "okta.users.lifecycle.clearSessions",
    "okta.users.groupMembership.manage",
    "okta.users.appAssignment.manage",
    "okta.groups.manage",
    "okta.groups.create",
    "okta.groups.members.manage",
    "okta.groups.read",
    "okta.groups.appAssignment.manage",
    "okta.apps.read",
    "okta.apps.manage",
    "okta.apps.assignment.manage",
    "okta.profilesources.import.run",
    "okta.authzServers.read",
    "okta.authzServers.manage",
    "okta.customizations.read",
    "okta.customizations.manage",
    "okta.identityProviders.read",
    "okta.identityProviders.manage",
    "okta.workflows.read",
    "okta.workflows.invoke",
    "okta.governance.accessCertifications.manage",
    "okta.governance.accessRequests.manage",
    "okta.apps.manageFirstPartyApps",
    "okta.agents.manage",
    "okta.agents.register",
    "okta.agents.view",
    "okta.directories.manage",
    "okta.directories.read",
    "okta.devices.manage",
    "okta.devices.lifecycle.manage",
    "okta.devices.read",
    "okta.iam.read",
    "okta.support.cases.manage",
];

/// A role assigned to a user or a group (`assignmentType` USER or GROUP).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleAssignment {
    pub id: String,
    /// `USER` or `GROUP`.
    pub assignee_type: String,
    pub assignee_id: String,
    /// A standard type, or `CUSTOM`.
    pub role_type: String,
    /// A custom role's id and the resource set it reaches.
    #[serde(default)]
    pub custom_role_id: Option<String>,
    #[serde(default)]
    pub resource_set_id: Option<String>,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    /// Group targets (USER_ADMIN, GROUP_MEMBERSHIP_ADMIN, HELP_DESK_ADMIN); empty reaches every group.
    #[serde(default)]
    pub group_targets: Vec<String>,
    /// App targets (APP_ADMIN): a catalog app by name (every instance), or one instance.
    #[serde(default)]
    pub app_targets: Vec<AppTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppTarget {
    pub name: String,
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomRole {
    pub id: String,
    pub label: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    /// A permission's conditions (`include` / `exclude`), as given; stored, not enforced.
    #[serde(default)]
    pub conditions: std::collections::BTreeMap<String, serde_json::Value>,
}

/// A resource of a resource set: what it names, as Okta's href or ORN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetResource {
    pub id: String,
    /// The resource as given (`{org}/api/v1/groups/{id}`, `orn:okta:directory:…`).
    pub reference: String,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSet {
    pub id: String,
    pub label: String,
    pub description: String,
    pub resources: Vec<SetResource>,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
}

/// An API token's metadata (the secret itself is a core credential).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiTokenRecord {
    pub id: String,
    pub name: String,
    pub user_id: String,
    pub client_name: String,
    pub created: DateTime<Utc>,
    /// The credential, so a revocation can find it.
    pub token: String,
}

/// What a resource set's resource reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    AllUsers,
    AllGroups,
    Group(String),
    /// Members of a group.
    UsersOfGroup(String),
    AllApps,
    App(String),
    Other,
}

/// Reads a resource reference: `…/api/v1/groups/{id}`, `…/api/v1/groups/{id}/users`,
/// `…/api/v1/users`, `…/api/v1/apps[/{id}]` or the ORN forms `orn:okta:directory:{org}:groups[:{id}][:contained_resources]`.
pub fn reach_of(reference: &str) -> Reach {
    if let Some(orn) = reference.strip_prefix("orn:") {
        let parts: Vec<&str> = orn.split(':').collect();
        // okta:directory:{org}:{kind}[:{id}][:contained_resources]
        return match parts.get(3..).unwrap_or(&[]) {
            ["users"] => Reach::AllUsers,
            ["groups"] => Reach::AllGroups,
            ["groups", id] => Reach::Group((*id).to_string()),
            ["groups", id, "contained_resources"] => Reach::UsersOfGroup((*id).to_string()),
            ["apps"] => Reach::AllApps,
            ["apps", _, id] | ["apps", id] => Reach::App((*id).to_string()),
            _ => Reach::Other,
        };
    }
    let path = match reference.find("/api/v1/") {
        Some(i) => &reference[i + "/api/v1/".len()..],
        None => return Reach::Other,
    };
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        ["users"] => Reach::AllUsers,
        ["groups"] => Reach::AllGroups,
        ["groups", id] => Reach::Group((*id).to_string()),
        ["groups", id, "users"] => Reach::UsersOfGroup((*id).to_string()),
        ["apps"] => Reach::AllApps,
        ["apps", id] => Reach::App((*id).to_string()),
        _ => Reach::Other,
    }
}

/// What a permission check is about.
#[derive(Debug, Clone, Copy)]
pub enum On<'a> {
    /// The org as a whole (creating things, listing).
    Org,
    Group(&'a str),
    User(&'a str),
    App(&'a str),
}

/// One role's part of a caller's rights.
#[derive(Debug, Clone)]
struct Grant {
    role_type: String,
    permissions: Vec<String>,
    /// None reaches everything.
    groups: Option<Vec<String>>,
    apps: Option<Vec<AppTarget>>,
    resources: Option<Vec<Reach>>,
}

/// The roles an API token's user holds, directly and through groups.
#[derive(Debug, Clone, Default)]
pub struct Rights {
    grants: Vec<Grant>,
}

/// Does holding `held` give `wanted`? `okta.X.manage` covers every `okta.X.*`
/// permission (`okta.users.lifecycle.manage` every lifecycle one); any permission of
/// a family covers that family's `read`.
fn implies(held: &str, wanted: &str) -> bool {
    if held == "*" || held == wanted {
        return true;
    }
    if held == "*.read" {
        return wanted.ends_with(".read");
    }
    if let Some(prefix) = held.strip_suffix(".manage") {
        if wanted.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.')) {
            return true;
        }
    }
    let root: Vec<&str> = held.split('.').take(2).collect();
    root.len() == 2 && wanted == format!("{}.{}.read", root[0], root[1])
}

impl Rights {
    /// The rights of `user_id`, or None in state exported before roles existed (its
    /// tokens keep all rights). A user without roles has none.
    pub fn of_user(s: &OktaState, user_id: &str) -> Option<Rights> {
        if !s.admin_roles {
            return None;
        }
        let mut grants = Vec::new();
        for a in s.role_assignments.values() {
            let holds = match a.assignee_type.as_str() {
                "USER" => a.assignee_id == user_id,
                _ => {
                    s.memberships.contains_key(&pair_key(&a.assignee_id, user_id))
                        || s.groups.get(&a.assignee_id).is_some_and(|g| g.kind == GroupType::BuiltIn)
                }
            };
            if !holds {
                continue;
            }
            let grant = match &a.custom_role_id {
                Some(role_id) => {
                    let permissions = s.custom_roles.get(role_id).map(|r| r.permissions.clone()).unwrap_or_default();
                    let resources = a
                        .resource_set_id
                        .as_ref()
                        .and_then(|id| s.resource_sets.get(id))
                        .map(|rs| rs.resources.iter().map(|r| reach_of(&r.reference)).collect())
                        .unwrap_or_default();
                    Grant {
                        role_type: "CUSTOM".into(),
                        permissions,
                        groups: None,
                        apps: None,
                        resources: Some(resources),
                    }
                }
                None => Grant {
                    role_type: a.role_type.clone(),
                    permissions: standard_permissions(&a.role_type).iter().map(|p| p.to_string()).collect(),
                    groups: (!a.group_targets.is_empty()).then(|| a.group_targets.clone()),
                    apps: (!a.app_targets.is_empty()).then(|| a.app_targets.clone()),
                    resources: None,
                },
            };
            grants.push(grant);
        }
        Some(Rights { grants })
    }

    pub fn is_super_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role_type == "SUPER_ADMIN")
    }

    /// Whether any role admits an OAuth-style scope (`okta.users.manage`) at all,
    /// whatever its targets: the coarse check every handler makes.
    pub fn admits_scope(&self, scope: &str) -> bool {
        let family = scope.split('.').nth(1).unwrap_or("");
        let read = scope.ends_with(".read");
        self.grants.iter().any(|g| {
            g.permissions.iter().any(|p| {
                p == "*"
                    || (p == "*.read" && read)
                    || (p.split('.').nth(1) == Some(family) && (read || !p.ends_with(".read")))
            })
        })
    }

    /// Whether some role gives `permission` on `on`.
    pub fn permits(&self, s: &OktaState, permission: &str, on: On<'_>) -> bool {
        self.grants.iter().any(|g| g.permissions.iter().any(|p| implies(p, permission)) && g.reaches(s, on))
    }
}

impl Grant {
    fn reaches(&self, s: &OktaState, on: On<'_>) -> bool {
        let in_group = |gid: &str, uid: &str| {
            s.memberships.contains_key(&pair_key(gid, uid))
                || s.groups.get(gid).is_some_and(|g| g.kind == GroupType::BuiltIn)
        };
        if let Some(resources) = &self.resources {
            return resources.iter().any(|r| match (r, on) {
                (_, On::Org) => true,
                (Reach::AllUsers, On::User(_)) | (Reach::AllGroups, On::Group(_)) | (Reach::AllApps, On::App(_)) => {
                    true
                }
                (Reach::Group(id), On::Group(g)) => id == g,
                (Reach::UsersOfGroup(id), On::User(u)) => in_group(id, u),
                (Reach::App(id), On::App(a)) => id == a,
                _ => false,
            });
        }
        match on {
            On::Org => true,
            On::Group(gid) => self.groups.as_ref().is_none_or(|t| t.iter().any(|g| g == gid)),
            On::User(uid) => self.groups.as_ref().is_none_or(|t| t.iter().any(|g| in_group(g, uid))),
            On::App(app_id) => self.apps.as_ref().is_none_or(|t| {
                t.iter().any(|target| match &target.id {
                    Some(id) => id == app_id,
                    None => s.apps.get(app_id).is_some_and(|a| a.name == target.name),
                })
            }),
        }
    }
}

/// Refuses a permission the rights do not give (403 E0000006); None rights give all.
pub fn require(rights: Option<&Rights>, s: &OktaState, permission: &str, on: On<'_>) -> Result<(), OktaError> {
    match rights {
        None => Ok(()),
        Some(r) if r.permits(s, permission, on) => Ok(()),
        Some(_) => Err(OktaError::Forbidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_imply_their_family() {
        assert!(implies("okta.users.manage", "okta.users.lifecycle.manage"));
        assert!(implies("okta.users.manage", "okta.users.read"));
        assert!(implies("okta.groups.members.manage", "okta.groups.read"));
        assert!(!implies("okta.groups.members.manage", "okta.groups.manage"));
        assert!(!implies("okta.groups.read", "okta.groups.members.manage"));
        assert!(implies("*.read", "okta.apps.read"));
        assert!(!implies("*.read", "okta.apps.manage"));
        assert!(!implies("okta.users.manage", "okta.groups.read"));
        assert!(implies("okta.users.lifecycle.manage", "okta.users.lifecycle.suspend"));
        assert!(!implies("okta.users.lifecycle.suspend", "okta.users.lifecycle.manage"));
        assert!(!implies("okta.users.lifecycle.manage", "okta.users.userprofile.manage"));
    }

    #[test]
    fn resource_references_read_as_okta_writes_them() {
        assert_eq!(reach_of("https://x.okta.com/api/v1/groups/00g1"), Reach::Group("00g1".into()));
        assert_eq!(reach_of("https://x.okta.com/api/v1/groups/00g1/users"), Reach::UsersOfGroup("00g1".into()));
        assert_eq!(reach_of("http://127.0.0.1:1/api/v1/users"), Reach::AllUsers);
        assert_eq!(reach_of("orn:okta:directory:00o1:groups:00g2"), Reach::Group("00g2".into()));
        assert_eq!(reach_of("orn:okta:directory:00o1:groups"), Reach::AllGroups);
        assert_eq!(reach_of("nonsense"), Reach::Other);
    }
}
