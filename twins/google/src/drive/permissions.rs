//! `permissions.*`: sharing a file with a user, a group, the domain or anyone;
//! ownership transfer; listing (with the owner and, in shared drives, the drive's
//! members). Sharing needs the right to share; others get 403, strangers 404.

use axum::response::Response;
use serde_json::{json, Value};

use super::access::{Can, Viewer};
use super::files::viewer;
use super::model::{File, Grantee, Permission, Role};
use super::{all_drives, all_permissions, page, page_offset, page_size, permission_id_for, permission_json, visible};
use crate::api::{no_content, ok, Call};
use crate::errors::{GoogleError, Result};
use crate::ids;
use crate::model::GoogleState;

const DEFAULT: &str = "kind,id,type,role";

fn can_share(s: &GoogleState, viewer: &Viewer, id: &str, all: bool) -> Result<(File, Role)> {
    let (f, role) = visible(s, viewer, id, all)?;
    let can = Can { role, in_shared_drive: f.drive_id.is_some(), writers_can_share: f.writers_can_share };
    if !can.share() {
        return Err(GoogleError::insufficient(&f.id));
    }
    Ok((f.clone(), role))
}

fn bad_field(name: &str) -> GoogleError {
    GoogleError::invalid(format!("Invalid value for field: {name}"), name)
}

/// Makes `new_owner` the owner; the previous owner keeps writer access.
fn transfer(s: &GoogleState, f: &mut File, new_owner: &str) -> Result<()> {
    let Some(user) = s.user(new_owner) else {
        return Err(GoogleError::forbidden(
            "invalidSharingRequest",
            "Ownership can only be transferred to another user in the same domain.",
        ));
    };
    if f.drive_id.is_some() {
        return Err(GoogleError::forbidden("teamDrivesSharingRestrictions", "Files in shared drives have no owner."));
    }
    if let Some(old) = f.owner.replace(user.email.clone()) {
        if old != user.email {
            let pid = s.user(&old).map(|u| u.permission_id.clone()).unwrap_or_default();
            f.permissions.retain(|p| p.email.as_deref() != Some(old.as_str()));
            f.permissions.push(Permission {
                id: pid,
                grantee: Grantee::User,
                role: Role::Writer,
                email: Some(old),
                domain: None,
                allow_file_discovery: false,
                expiration_time: None,
                pending_owner: false,
            });
        }
    }
    f.permissions.retain(|p| p.email.as_deref() != Some(user.email.as_str()));
    Ok(())
}

/// A shared drive named as `fileId`: its members are managed as its permissions.
fn drive_target(call: &Call) -> Result<Option<String>> {
    let id = call.param("fileId");
    let is_drive = call.read(|s| s.drive.drives.contains_key(id))?;
    match is_drive {
        true if all_drives(call)? => Ok(Some(id.to_string())),
        true => Err(GoogleError::file_not_found(id)),
        false => Ok(None),
    }
}

fn drive_member_role(s: &GoogleState, viewer: &Viewer, id: &str) -> Result<Role> {
    let d = s.drive.drives.get(id).ok_or_else(|| GoogleError::file_not_found(id))?;
    crate::drive::access::drive_role(d, viewer).ok_or_else(|| GoogleError::file_not_found(id))
}

fn create_member(call: &Call, viewer: &Viewer, drive: &str) -> Result<Response> {
    let sel = call.fields("Permission", DEFAULT)?;
    let body = call.json()?;
    let now = call.now();
    let out = call.write(|s, idgen| {
        if drive_member_role(s, viewer, drive)? < Role::Organizer {
            return Err(GoogleError::insufficient(drive));
        }
        let grantee = body
            .get("type")
            .and_then(Value::as_str)
            .and_then(Grantee::parse)
            .ok_or_else(|| GoogleError::required("permission.type"))?;
        let role = body
            .get("role")
            .and_then(Value::as_str)
            .and_then(Role::parse)
            .ok_or_else(|| GoogleError::required("permission.role"))?;
        if role == Role::Owner {
            return Err(bad_field("permission.role"));
        }
        let email = body.get("emailAddress").and_then(Value::as_str).map(|e| e.trim().to_ascii_lowercase());
        let domain = body.get("domain").and_then(Value::as_str).map(|d| d.trim().to_ascii_lowercase());
        if matches!(grantee, Grantee::User | Grantee::Group) && email.is_none() {
            return Err(GoogleError::required("permission.emailAddress"));
        }
        let pid = permission_id_for(s, grantee, email.as_deref(), domain.as_deref(), false)
            .unwrap_or_else(|| ids::permission_id(idgen));
        let p = Permission {
            id: pid.clone(),
            grantee,
            role,
            email,
            domain,
            allow_file_discovery: false,
            expiration_time: None,
            pending_owner: false,
        };
        let mut d = s.drive.drives.get(drive).cloned().ok_or_else(|| GoogleError::file_not_found(drive))?;
        d.permissions.retain(|x| x.id != pid);
        d.permissions.push(p.clone());
        s.drive.drives.insert(drive.to_string(), d);
        s.drive.record_change(None, Some(drive), false, now);
        Ok(permission_json(s, &p, None))
    })?;
    Ok(ok(&sel.apply(out)))
}

pub fn create(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    if let Some(drive) = drive_target(call)? {
        return create_member(call, &viewer, &drive);
    }
    let all = all_drives(call)?;
    let transfer_ownership = call.flag("transferOwnership")?;
    call.flag("sendNotificationEmail")?;
    let sel = call.fields("Permission", DEFAULT)?;
    let body = call.json()?;
    let id = call.param("fileId").to_string();
    let now = call.now();
    let pid = call
        .write(|s, idgen| share(s, idgen, &viewer, &id, &body, Sharing { all_drives: all, transfer_ownership, now }))?;
    let body = call.read(|s| permission_of(s, &viewer, &id, &pid, all))?;
    let body = body.ok_or_else(|| GoogleError::not_found("Permission", &pid, "permissionId"))?;
    Ok(ok(&sel.apply(body)))
}

/// What a share takes from its request besides the permission.
#[derive(Debug, Clone, Copy)]
pub struct Sharing {
    pub all_drives: bool,
    pub transfer_ownership: bool,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Shares file `id` as the v3 permission `body` says; returns the permission's id.
pub fn share(
    s: &mut GoogleState,
    idgen: &mut twin_core::ids::IdGen,
    viewer: &Viewer,
    id: &str,
    body: &Value,
    sharing: Sharing,
) -> Result<String> {
    let Sharing { all_drives: all, transfer_ownership, now } = sharing;
    let (mut f, role) = can_share(s, viewer, id, all)?;
    let grantee = match body.get("type") {
        None | Some(Value::Null) => return Err(GoogleError::required("permission.type")),
        Some(Value::String(t)) => Grantee::parse(t).ok_or_else(|| bad_field("permission.type"))?,
        Some(_) => return Err(bad_field("permission.type")),
    };
    let new_role = match body.get("role") {
        None | Some(Value::Null) => return Err(GoogleError::required("permission.role")),
        Some(Value::String(r)) => Role::parse(r).ok_or_else(|| bad_field("permission.role"))?,
        Some(_) => return Err(bad_field("permission.role")),
    };
    let email = body.get("emailAddress").and_then(Value::as_str).map(|e| e.trim().to_ascii_lowercase());
    let domain = body.get("domain").and_then(Value::as_str).map(|d| d.trim().to_ascii_lowercase());
    let discover = body.get("allowFileDiscovery").and_then(Value::as_bool).unwrap_or(false);
    match grantee {
        Grantee::User | Grantee::Group => {
            let valid = email
                .as_deref()
                .is_some_and(|e| e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.')));
            if !valid {
                return Err(GoogleError::bad_request("The permission's emailAddress must be a valid email address.")
                    .at("permission.emailAddress"));
            }
        }
        Grantee::Domain if domain.as_deref().is_none_or(str::is_empty) => {
            return Err(GoogleError::required("permission.domain"));
        }
        _ => {}
    }
    if new_role == Role::Owner {
        if !transfer_ownership {
            return Err(GoogleError::forbidden(
                "forbidden",
                "The transferOwnership parameter must be enabled when the permission role is 'owner'.",
            )
            .at("transferOwnership"));
        }
        if role != Role::Owner || grantee != Grantee::User {
            return Err(GoogleError::insufficient(&f.id));
        }
        let new_owner = email.clone().unwrap_or_default();
        transfer(s, &mut f, &new_owner)?;
        let pid = s.user(&new_owner).map(|u| u.permission_id.clone()).unwrap_or_default();
        f.version += 1;
        let fid = f.id.clone();
        s.drive.files.insert(fid.clone(), f);
        s.drive.record_change(Some(&fid), None, false, now);
        return Ok(pid);
    }
    if f.drive_id.is_none() && matches!(new_role, Role::Organizer | Role::FileOrganizer) {
        return Err(bad_field("permission.role"));
    }
    if f.owner.is_some() && email.is_some() && f.owner == email {
        return Err(GoogleError::bad_request("The owner's permission cannot be changed this way.")
            .at("permission.emailAddress"));
    }
    let pid = permission_id_for(s, grantee, email.as_deref(), domain.as_deref(), discover)
        .unwrap_or_else(|| ids::permission_id(idgen));
    let expiration = match body.get("expirationTime").and_then(Value::as_str) {
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|_| bad_field("permission.expirationTime"))?
                .with_timezone(&chrono::Utc),
        ),
        None => None,
    };
    let permission = Permission {
        id: pid.clone(),
        grantee,
        role: new_role,
        email: email.filter(|_| matches!(grantee, Grantee::User | Grantee::Group)),
        domain: domain.filter(|_| grantee == Grantee::Domain),
        allow_file_discovery: discover && matches!(grantee, Grantee::Domain | Grantee::Anyone),
        expiration_time: expiration,
        pending_owner: false,
    };
    // Sharing again with the same grantee changes its role.
    f.permissions.retain(|p| p.id != pid);
    f.permissions.push(permission);
    f.version += 1;
    let fid = f.id.clone();
    s.drive.files.insert(fid.clone(), f);
    s.drive.record_change(Some(&fid), None, false, now);
    Ok(pid)
}

/// A file's permission as v3 renders it, if the viewer sees the file and it has one.
pub fn permission_of(s: &GoogleState, viewer: &Viewer, id: &str, pid: &str, all: bool) -> Option<Value> {
    let (f, _) = visible(s, viewer, id, all).ok()?;
    all_permissions(s, f)
        .into_iter()
        .find(|(p, _)| p.id == pid)
        .map(|(p, from)| permission_json(s, &p, from.as_deref()))
}

fn readable(s: &GoogleState, viewer: &Viewer, id: &str, all: bool) -> Result<File> {
    let (f, role) = visible(s, viewer, id, all)?;
    if role < Role::Writer && role != Role::Owner {
        return Err(GoogleError::insufficient(&f.id));
    }
    Ok(f.clone())
}

/// Every permission of a file as v3 renders them, for a viewer who may see them.
pub fn rendered_permissions(s: &GoogleState, viewer: &Viewer, id: &str, all: bool) -> Result<Vec<Value>> {
    let f = readable(s, viewer, id, all)?;
    Ok(all_permissions(s, &f).iter().map(|(p, from)| permission_json(s, p, from.as_deref())).collect())
}

pub fn list(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let all = all_drives(call)?;
    let sel = call.fields("PermissionList", "kind,nextPageToken,permissions(kind,id,type,role)")?;
    let id = call.param("fileId").to_string();
    let size = page_size(call, 100, 100)?;
    let key = format!("perms|{id}");
    let offset = page_offset(call.q("pageToken"), &key)?;
    let (items, next) =
        call.read(|s| Ok::<_, GoogleError>(page(&rendered_permissions(s, &viewer, &id, all)?, offset, size, &key)))??;
    let mut body = json!({"kind": "drive#permissionList", "permissions": items});
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    Ok(ok(&sel.apply(body)))
}

pub fn get(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let all = all_drives(call)?;
    let sel = call.fields("Permission", DEFAULT)?;
    let (id, pid) = (call.param("fileId").to_string(), call.param("permissionId").to_string());
    let body = call.read(|s| {
        let f = readable(s, &viewer, &id, all)?;
        all_permissions(s, &f)
            .into_iter()
            .find(|(p, _)| p.id == pid)
            .map(|(p, from)| permission_json(s, &p, from.as_deref()))
            .ok_or_else(|| GoogleError::not_found("Permission", &pid, "permissionId"))
    })??;
    Ok(ok(&sel.apply(body)))
}

pub fn update(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let all = all_drives(call)?;
    let transfer_ownership = call.flag("transferOwnership")?;
    let remove_expiration = call.flag("removeExpiration")?;
    let sel = call.fields("Permission", DEFAULT)?;
    let body = call.json()?;
    let (id, pid) = (call.param("fileId").to_string(), call.param("permissionId").to_string());
    let now = call.now();
    call.write(|s, _| {
        let (mut f, role) = can_share(s, &viewer, &id, all)?;
        let new_role = match body.get("role") {
            None | Some(Value::Null) => None,
            Some(Value::String(r)) => Some(Role::parse(r).ok_or_else(|| bad_field("permission.role"))?),
            Some(_) => return Err(bad_field("permission.role")),
        };
        if new_role == Some(Role::Owner) {
            if !transfer_ownership {
                return Err(GoogleError::forbidden(
                    "forbidden",
                    "The transferOwnership parameter must be enabled when the permission role is 'owner'.",
                )
                .at("transferOwnership"));
            }
            if role != Role::Owner {
                return Err(GoogleError::insufficient(&f.id));
            }
            let target = f.permissions.iter().find(|p| p.id == pid).and_then(|p| p.email.clone());
            let target = target.ok_or_else(|| GoogleError::not_found("Permission", &pid, "permissionId"))?;
            transfer(s, &mut f, &target)?;
        } else {
            let is_owner = f.owner.as_ref().and_then(|o| s.user(o)).is_some_and(|u| u.permission_id == pid);
            if is_owner {
                return Err(GoogleError::forbidden(
                    "cannotModifyOwnerPermission",
                    "The owner's role cannot be changed; transfer ownership instead.",
                ));
            }
            let p = f
                .permissions
                .iter_mut()
                .find(|p| p.id == pid)
                .ok_or_else(|| GoogleError::not_found("Permission", &pid, "permissionId"))?;
            if let Some(r) = new_role {
                p.role = r;
            }
            if remove_expiration {
                p.expiration_time = None;
            }
            if let Some(t) = body.get("expirationTime").and_then(Value::as_str) {
                p.expiration_time = Some(
                    chrono::DateTime::parse_from_rfc3339(t)
                        .map_err(|_| bad_field("permission.expirationTime"))?
                        .with_timezone(&chrono::Utc),
                );
            }
            if let Some(b) = body.get("allowFileDiscovery").and_then(Value::as_bool) {
                p.allow_file_discovery = b && matches!(p.grantee, Grantee::Domain | Grantee::Anyone);
            }
        }
        f.version += 1;
        let fid = f.id.clone();
        s.drive.files.insert(fid.clone(), f);
        s.drive.record_change(Some(&fid), None, false, now);
        Ok(())
    })?;
    let body = call.read(|s| {
        let (f, _) = visible(s, &viewer, &id, all).ok()?;
        all_permissions(s, f)
            .into_iter()
            .find(|(p, _)| p.id == pid)
            .map(|(p, from)| permission_json(s, &p, from.as_deref()))
    })?;
    // After a transfer the caller's own permission id is the one it named.
    let body = body.unwrap_or_else(|| json!({"kind": "drive#permission", "id": pid, "type": "user", "role": "owner"}));
    Ok(ok(&sel.apply(body)))
}

pub fn delete(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let all = all_drives(call)?;
    let (id, pid) = (call.param("fileId").to_string(), call.param("permissionId").to_string());
    let now = call.now();
    if let Some(drive) = drive_target(call)? {
        call.write(|s, _| {
            if drive_member_role(s, &viewer, &drive)? < Role::Organizer {
                return Err(GoogleError::insufficient(&drive));
            }
            let mut d = s.drive.drives.get(&drive).cloned().ok_or_else(|| GoogleError::file_not_found(&drive))?;
            let before = d.permissions.len();
            d.permissions.retain(|p| p.id != pid);
            if d.permissions.len() == before {
                return Err(GoogleError::not_found("Permission", &pid, "permissionId"));
            }
            if !d.permissions.iter().any(|p| p.role == Role::Organizer) {
                return Err(GoogleError::forbidden(
                    "cannotRemoveLastOrganizer",
                    "A shared drive must keep at least one organizer.",
                ));
            }
            s.drive.drives.insert(drive.clone(), d);
            s.drive.record_change(None, Some(&drive), false, now);
            Ok(())
        })?;
        return Ok(no_content());
    }
    call.write(|s, _| {
        let (f, _) = visible(s, &viewer, &id, all)?;
        let mut f = f.clone();
        let own = f.permissions.iter().any(|p| p.id == pid && p.email.as_deref() == Some(viewer.email.as_str()));
        // Anyone may remove their own access; removing others' needs the right to share.
        if !own {
            can_share(s, &viewer, &id, all)?;
        }
        let is_owner = f.owner.as_ref().and_then(|o| s.user(o)).is_some_and(|u| u.permission_id == pid);
        if is_owner {
            return Err(GoogleError::forbidden("cannotRemoveOwner", "The owner of a file cannot be removed."));
        }
        let before = f.permissions.len();
        f.permissions.retain(|p| p.id != pid);
        if f.permissions.len() == before {
            return Err(GoogleError::not_found("Permission", &pid, "permissionId"));
        }
        f.version += 1;
        let fid = f.id.clone();
        s.drive.files.insert(fid.clone(), f);
        s.drive.record_change(Some(&fid), None, false, now);
        Ok(())
    })?;
    Ok(no_content())
}
