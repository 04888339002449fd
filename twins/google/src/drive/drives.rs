//! `drives.*`: shared drives. The creator is the first organizer; members are the
//! drive's permissions (added with `permissions.create` on the drive id).

use axum::response::Response;
use serde_json::{json, Value};

use chrono::{DateTime, Utc};

use super::access::{self, Viewer};
use super::files::viewer;
use super::model::{Grantee, Permission, Role, SharedDrive};
use super::query::{BoolField, Collection, Facts, Query, TimeField};
use super::{drive_json, page, page_offset, page_size};
use crate::api::{no_content, ok, Call};
use crate::errors::{GoogleError, Result};
use crate::ids;
use crate::model::GoogleState;

const DEFAULT: &str = "kind,id,name";

/// `drives.*`, or the deprecated `teamdrives.*` that answer the same drives as
/// `drive#teamDrive` (no `hidden`; capabilities named for team drives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Drive,
    TeamDrive,
}

impl Flavor {
    fn schema(self) -> &'static str {
        match self {
            Flavor::Drive => "Drive",
            Flavor::TeamDrive => "TeamDrive",
        }
    }

    fn param(self) -> &'static str {
        match self {
            Flavor::Drive => "driveId",
            Flavor::TeamDrive => "teamDriveId",
        }
    }

    fn render(self, d: &SharedDrive, role: Option<Role>) -> Value {
        let mut v = drive_json(d, role);
        if self == Flavor::TeamDrive {
            v["kind"] = json!("drive#teamDrive");
            if let Some(obj) = v.as_object_mut() {
                obj.remove("hidden");
            }
            if let Some(caps) = v.get_mut("capabilities").and_then(Value::as_object_mut) {
                for (from, to) in [
                    ("canDeleteDrive", "canDeleteTeamDrive"),
                    ("canRenameDrive", "canRenameTeamDrive"),
                    ("canChangeDriveBackground", "canChangeTeamDriveBackground"),
                ] {
                    if let Some(x) = caps.remove(from) {
                        caps.insert(to.to_string(), x);
                    }
                }
            }
        }
        v
    }
}

/// What a drives `q` can ask of a drive.
struct DriveFacts<'a>(&'a SharedDrive);

impl Facts for DriveFacts<'_> {
    fn name(&self) -> &str {
        &self.0.name
    }
    fn mime_type(&self) -> &str {
        ""
    }
    fn full_text(&self) -> String {
        self.0.name.clone()
    }
    fn time(&self, _: TimeField) -> DateTime<Utc> {
        self.0.created_time
    }
    fn flag(&self, _: BoolField) -> bool {
        false
    }
    fn in_collection(&self, _: &str, _: Collection) -> bool {
        false
    }
    fn property(&self, _: bool, _: &str) -> Option<&str> {
        None
    }
    fn visibility(&self) -> &str {
        "limited"
    }
    fn shortcut_target(&self) -> Option<&str> {
        None
    }
}

/// The viewer's role on a drive; with `admin` (`useDomainAdminAccess` from the
/// domain's administrator), an organizer's on every drive of the domain.
fn member<'a>(s: &'a GoogleState, viewer: &Viewer, id: &str, admin: bool) -> Result<(&'a SharedDrive, Role)> {
    let d = s.drive.drives.get(id).ok_or_else(|| GoogleError::drive_not_found(id))?;
    let role = access::drive_role(d, viewer).or(admin.then_some(Role::Organizer));
    Ok((d, role.ok_or_else(|| GoogleError::drive_not_found(id))?))
}

/// `useDomainAdminAccess=true` from the domain's administrator (the manifest's user);
/// from anyone else it grants nothing.
fn admin_access(call: &Call, viewer: &Viewer) -> Result<bool> {
    Ok(call.flag("useDomainAdminAccess")? && call.read(|s| s.admin == viewer.email)?)
}

pub fn create(call: &Call) -> Result<Response> {
    create_as(call, Flavor::Drive)
}

pub fn team_create(call: &Call) -> Result<Response> {
    create_as(call, Flavor::TeamDrive)
}

fn create_as(call: &Call, flavor: Flavor) -> Result<Response> {
    let viewer = viewer(call)?;
    let request_id =
        call.q("requestId").filter(|r| !r.is_empty()).ok_or_else(|| GoogleError::required("requestId"))?.to_string();
    let sel = call.fields(flavor.schema(), DEFAULT)?;
    let body = call.json()?;
    let name = body.get("name").and_then(Value::as_str).filter(|n| !n.trim().is_empty());
    let name = name.ok_or_else(|| GoogleError::required("name"))?.to_string();
    let now = call.now();
    let id = call.write(|s, idgen| {
        if s.drive.drives.values().any(|d| d.request_id.as_deref() == Some(request_id.as_str())) {
            return Err(GoogleError::api_conflict(format!(
                "A shared drive with request ID {request_id} already exists."
            )));
        }
        let id = ids::drive_id(idgen);
        let drive = SharedDrive {
            id: id.clone(),
            name,
            created_time: now,
            permissions: vec![Permission {
                id: viewer.permission_id.clone(),
                grantee: Grantee::User,
                role: Role::Organizer,
                email: Some(viewer.email.clone()),
                domain: None,
                allow_file_discovery: false,
                expiration_time: None,
                pending_owner: false,
            }],
            hidden: body.get("hidden").and_then(Value::as_bool).unwrap_or(false),
            request_id: Some(request_id.clone()),
            color_rgb: body.get("colorRgb").and_then(Value::as_str).map(str::to_string),
        };
        s.drive.drives.insert(id.clone(), drive);
        s.drive.record_change(None, Some(&id), false, now);
        Ok(id)
    })?;
    let out = call.read(|s| s.drive.drives.get(&id).map(|d| flavor.render(d, Some(Role::Organizer))))?;
    Ok(ok(&sel.apply(out.unwrap_or(Value::Null))))
}

pub fn get(call: &Call) -> Result<Response> {
    get_as(call, Flavor::Drive)
}

pub fn team_get(call: &Call) -> Result<Response> {
    get_as(call, Flavor::TeamDrive)
}

fn get_as(call: &Call, flavor: Flavor) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.fields(flavor.schema(), DEFAULT)?;
    let id = call.param(flavor.param());
    let admin = admin_access(call, &viewer)?;
    let out = call.read(|s| member(s, &viewer, id, admin).map(|(d, r)| flavor.render(d, Some(r))))??;
    Ok(ok(&sel.apply(out)))
}

pub fn list(call: &Call) -> Result<Response> {
    list_as(call, Flavor::Drive)
}

pub fn team_list(call: &Call) -> Result<Response> {
    list_as(call, Flavor::TeamDrive)
}

fn list_as(call: &Call, flavor: Flavor) -> Result<Response> {
    let viewer = viewer(call)?;
    let (schema, collection, kind) = match flavor {
        Flavor::Drive => ("DriveList", "drives", "drive#driveList"),
        Flavor::TeamDrive => ("TeamDriveList", "teamDrives", "drive#teamDriveList"),
    };
    let sel = call.fields(schema, &format!("kind,nextPageToken,{collection}(kind,id,name)"))?;
    let size = page_size(call, 10, 100)?;
    let key = format!("drives|{}", viewer.email);
    let offset = page_offset(call.q("pageToken"), &key)?;
    let admin = admin_access(call, &viewer)?;
    // `q` over drives: name (`=`, `!=`, `contains`) and createdTime terms with and/or/not.
    let query = match call.q("q").map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => Some(Query::parse(q).map_err(|_| GoogleError::invalid_value("q"))?),
        None => None,
    };
    let (items, next) = call.read(|s| {
        let mut mine: Vec<Value> = s
            .drive
            .drives
            .values()
            .filter_map(|d| access::drive_role(d, &viewer).or(admin.then_some(Role::Organizer)).map(|r| (d, r)))
            .filter(|(d, _)| admin || !d.hidden)
            .filter(|(d, _)| query.as_ref().is_none_or(|q| q.eval(&DriveFacts(d))))
            .map(|(d, r)| flavor.render(d, Some(r)))
            .collect();
        mine.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        page(&mine, offset, size, &key)
    })?;
    let mut body = json!({"kind": kind, collection: items});
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    Ok(ok(&sel.apply(body)))
}

fn modify(call: &Call, flavor: Flavor, f: impl FnOnce(&mut SharedDrive, &Value) -> Result<()>) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.fields(flavor.schema(), DEFAULT)?;
    let body = call.json()?;
    let id = call.param(flavor.param()).to_string();
    let now = call.now();
    let admin = admin_access(call, &viewer)?;
    call.write(|s, _| {
        let (d, role) = member(s, &viewer, &id, admin)?;
        if role < Role::Organizer {
            return Err(GoogleError::insufficient(&id));
        }
        let mut d = d.clone();
        f(&mut d, &body)?;
        s.drive.drives.insert(id.clone(), d);
        s.drive.record_change(None, Some(&id), false, now);
        Ok(())
    })?;
    let out = call.read(|s| s.drive.drives.get(&id).map(|d| flavor.render(d, Some(Role::Organizer))))?;
    Ok(ok(&sel.apply(out.unwrap_or(Value::Null))))
}

fn rename(d: &mut SharedDrive, body: &Value) -> Result<()> {
    if let Some(n) = body.get("name") {
        d.name =
            n.as_str().filter(|n| !n.trim().is_empty()).ok_or_else(|| GoogleError::invalid_value("name"))?.to_string();
    }
    if let Some(c) = body.get("colorRgb").and_then(Value::as_str) {
        d.color_rgb = Some(c.to_string());
    }
    Ok(())
}

pub fn team_update(call: &Call) -> Result<Response> {
    modify(call, Flavor::TeamDrive, rename)
}

pub fn update(call: &Call) -> Result<Response> {
    modify(call, Flavor::Drive, rename)
}

pub fn hide(call: &Call) -> Result<Response> {
    modify(call, Flavor::Drive, |d, _| {
        d.hidden = true;
        Ok(())
    })
}

pub fn unhide(call: &Call) -> Result<Response> {
    modify(call, Flavor::Drive, |d, _| {
        d.hidden = false;
        Ok(())
    })
}

pub fn delete(call: &Call) -> Result<Response> {
    delete_as(call, Flavor::Drive)
}

pub fn team_delete(call: &Call) -> Result<Response> {
    delete_as(call, Flavor::TeamDrive)
}

fn delete_as(call: &Call, flavor: Flavor) -> Result<Response> {
    let viewer = viewer(call)?;
    let admin = admin_access(call, &viewer)?;
    // Deleting a drive with its items is an administrator's act.
    let allow_items = flavor == Flavor::Drive && call.flag("allowItemDeletion")? && admin;
    let id = call.param(flavor.param()).to_string();
    let now = call.now();
    call.write(|s, _| {
        let (_, role) = member(s, &viewer, &id, admin)?;
        if role < Role::Organizer {
            return Err(GoogleError::insufficient(&id));
        }
        let items: Vec<String> = s
            .drive
            .files
            .values()
            .filter(|f| f.drive_id.as_deref() == Some(id.as_str()))
            .map(|f| f.id.clone())
            .collect();
        if !items.is_empty() && !allow_items {
            return Err(GoogleError::forbidden(
                "cannotDeleteTeamDriveWithItems",
                "The shared drive cannot be deleted because it contains one or more items.",
            ));
        }
        for f in items {
            if s.drive.files.contains_key(&f) {
                super::files::purge(s, &f, now);
            }
        }
        s.drive.drives.remove(&id);
        s.drive.record_change(None, Some(&id), true, now);
        Ok(())
    })?;
    Ok(no_content())
}
