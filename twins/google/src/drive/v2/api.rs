//! Drive v2's methods: each reads v2's parameters and body, runs v3's function on
//! the one Drive state and renders the result in v2's names. Methods whose wire
//! format v2 shares with v3 (delete, emptyTrash, export, permissions.delete,
//! downloads) are v3's handlers in the route table.

use axum::response::Response;
use serde_json::{json, Value};

use super::schema::V2;
use super::{file as file_v2, metadata, parent_ids, permission as permission_v2, permission_body, revision, PREFIX};
use crate::api::{ok, Call};
use crate::drive::access::{self, Viewer};
use crate::drive::fields::{selection_in, Selection};
use crate::drive::files::{self, copy_file, create_file, read_upload, search, search_request, update_file, viewer};
use crate::drive::files::{Opts, Upload};
use crate::drive::model::Role;
use crate::drive::permissions::{permission_of, rendered_permissions, share, Sharing};
use crate::drive::query::Dialect;
use crate::drive::{all_drives, user_json, visible};
use crate::errors::{GoogleError, Result};

/// Where v2's resumable sessions take their chunks.
pub const SESSIONS: &str = "/upload/drive/v2/files";

/// v2's `fields`: everything when absent.
fn fields_of(text: Option<&str>, schema: &str) -> Result<Selection> {
    match text.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => selection_in(&V2, f, schema),
        None => Ok(Selection::star()),
    }
}

fn fields(call: &Call, schema: &str) -> Result<Selection> {
    fields_of(call.q("fields"), schema)
}

fn opts(call: &Call) -> Result<Opts> {
    Ok(Opts { all_drives: all_drives(call)?, keep_forever: call.flag("pinned")?, now: call.now() })
}

/// Renders one file in v2's names under `fields`.
fn respond(call: &Call, viewer: &Viewer, id: &str, fields_text: Option<&str>) -> Result<Response> {
    let sel = fields_of(fields_text, "File")?;
    let base = call.public_base();
    let body = call.read(|s| {
        let f = s.drive.files.get(id)?;
        let role = access::role(s, f, viewer, false).unwrap_or(Role::Reader);
        Some(file_v2(s, f, viewer, role, &base))
    })?;
    let body = body.ok_or_else(|| GoogleError::file_not_found(id))?;
    Ok(ok(&sel.apply(body)))
}

/// The file a finished resumable session made, rendered in v2's names.
fn respond_upload(call: &Call, viewer: &Viewer, id: &str, fields_text: &str) -> Result<Response> {
    respond(call, viewer, id, Some(fields_text))
}

/// `PUT` on a v2 session's Location.
pub fn upload_put(call: &Call) -> Result<Response> {
    crate::drive::uploads::put_rendered(call, respond_upload)
}

pub fn about_get(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = fields(call, "About")?;
    let body = call.read(|s| {
        let owned = || s.drive.files.values().filter(|f| f.owner.as_deref() == Some(viewer.email.as_str()));
        let used: u64 = owned().map(|f| f.stored_bytes()).sum();
        let in_trash: u64 = owned().filter(|f| f.trashed).map(|f| f.stored_bytes()).sum();
        let me = user_json(s, &viewer.email, &viewer);
        json!({
            "kind": "drive#about",
            "etag": format!("\"{:016x}\"", crate::drive::fnv(&format!("{}/{used}", viewer.email))),
            "selfLink": format!("{}{PREFIX}about", call.public_base()),
            "name": me["displayName"],
            "user": super::user(&me),
            "permissionId": viewer.permission_id,
            "rootFolderId": viewer.root_id,
            "quotaType": "LIMITED",
            "quotaBytesTotal": s.storage_cap.to_string(),
            "quotaBytesUsed": used.to_string(),
            "quotaBytesUsedAggregate": used.to_string(),
            "quotaBytesUsedInTrash": in_trash.to_string(),
            "quotaBytesByService": [{"serviceName": "DRIVE", "bytesUsed": used.to_string()}],
            "largestChangeId": s.drive.next_change.to_string(),
            "remainingChangeIds": "0",
            "domainSharingPolicy": "allowed",
            "isCurrentAppInstalled": false,
            "languageCode": "en",
            "canCreateDrives": true,
            "canCreateTeamDrives": true,
            "maxUploadSizes": [{"type": "*", "size": s.storage_cap.to_string()}],
            "importFormats": [
                {"source": "text/plain", "targets": ["application/vnd.google-apps.document"]},
                {"source": "text/csv", "targets": ["application/vnd.google-apps.spreadsheet"]},
            ],
            "exportFormats": [
                {"source": "application/vnd.google-apps.document", "targets": ["text/plain", "text/html", "text/markdown"]},
                {"source": "application/vnd.google-apps.spreadsheet", "targets": ["text/csv", "text/tab-separated-values"]},
            ],
        })
    })?;
    Ok(ok(&sel.apply(body)))
}

pub fn files_insert(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let opts = opts(call)?;
    fields(call, "File")?;
    let (meta, media) = match read_upload(call)? {
        Upload::Resumable(body) => {
            return crate::drive::uploads::start(call, &viewer, None, metadata(&body, true)?, SESSIONS);
        }
        Upload::Metadata(body) => (metadata(&body, true)?, None),
        Upload::WithMedia(body, media) => (metadata(&body, true)?, Some(media)),
    };
    let id = call.write(|s, ids| create_file(s, ids, &viewer, &meta, media, opts))?;
    respond(call, &viewer, &id, call.q("fields"))
}

pub fn files_get(call: &Call) -> Result<Response> {
    if call.q("alt") == Some("media") {
        return files::get(call);
    }
    let viewer = viewer(call)?;
    let all = all_drives(call)?;
    let sel = fields(call, "File")?;
    let id = call.param("fileId");
    let base = call.public_base();
    let body = call.read(|s| visible(s, &viewer, id, all).map(|(f, role)| file_v2(s, f, &viewer, role, &base)))??;
    Ok(ok(&sel.apply(body)))
}

/// A page of files in v2's `items`, rendered under `sel`'s `items` selection.
fn file_list(call: &Call, viewer: &Viewer, folder: Option<&str>) -> Result<(Vec<Value>, Option<String>)> {
    let mut req = search_request(call, viewer, Dialect::V2)?;
    if let Some(folder) = folder {
        req.in_folder(folder);
    }
    let base = call.public_base();
    call.read(|s| {
        if let Some(folder) = folder {
            visible(s, viewer, folder, true)?;
        }
        let (page, next) = search(s, viewer, &req)?;
        let rendered = page
            .iter()
            .map(|f| {
                let role = access::role(s, f, viewer, false).unwrap_or(Role::Reader);
                file_v2(s, f, viewer, role, &base)
            })
            .collect();
        Ok((rendered, next))
    })?
}

pub fn files_list(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = fields(call, "FileList")?;
    let (items, next) = file_list(call, &viewer, None)?;
    let self_link = format!("{}{PREFIX}files", call.public_base());
    let mut body = json!({
        "kind": "drive#fileList",
        "etag": format!("\"{:016x}\"", crate::drive::fnv(&format!("{:?}", next))),
        "selfLink": self_link,
        "incompleteSearch": false,
        "items": items,
    });
    if let Some(n) = next {
        body["nextLink"] = json!(format!("{self_link}?pageToken={n}"));
        body["nextPageToken"] = json!(n);
    }
    Ok(ok(&sel.apply(body)))
}

/// `files.update` (PUT, with media) and `files.patch`: v2 may name the new
/// `parents` in the body, which become v3's `addParents`/`removeParents`.
pub fn files_update(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let opts = opts(call)?;
    fields(call, "File")?;
    let id = call.param("fileId").to_string();
    let (body, media) = match read_upload(call)? {
        Upload::Resumable(body) => {
            let meta = metadata(&body, false)?;
            let (real, role) =
                call.read(|s| visible(s, &viewer, &id, opts.all_drives).map(|(f, r)| (f.id.clone(), r)))??;
            if role < Role::Writer {
                return Err(GoogleError::insufficient(&id));
            }
            return crate::drive::uploads::start(call, &viewer, Some(real), meta, SESSIONS);
        }
        Upload::Metadata(body) => (body, None),
        Upload::WithMedia(body, media) => (body, Some(media)),
    };
    let meta = metadata(&body, false)?;
    let wanted = parent_ids(&body)?;
    let split = |name: &str| -> Vec<String> {
        call.q(name).unwrap_or("").split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect()
    };
    let (mut add, mut remove) = (split("addParents"), split("removeParents"));
    let real = call.write(|s, ids| {
        if let Some(wanted) = &wanted {
            let (f, _) = visible(s, &viewer, &id, opts.all_drives)?;
            let resolve = |p: &String| if p == "root" { viewer.root_id.clone() } else { p.clone() };
            let wanted: Vec<String> = wanted.iter().map(resolve).collect();
            add.extend(wanted.iter().filter(|p| !f.parents.contains(p)).cloned());
            remove.extend(f.parents.iter().filter(|p| !wanted.contains(p)).cloned());
        }
        update_file(s, ids, &viewer, &id, (&meta, media), (&add, &remove), opts)
    })?;
    respond(call, &viewer, &real, call.q("fields"))
}

fn set_trashed(call: &Call, trashed: bool) -> Result<Response> {
    let viewer = viewer(call)?;
    let opts = opts(call)?;
    fields(call, "File")?;
    let id = call.param("fileId").to_string();
    let meta = json!({"trashed": trashed});
    let real = call.write(|s, ids| update_file(s, ids, &viewer, &id, (&meta, None), (&[], &[]), opts))?;
    respond(call, &viewer, &real, call.q("fields"))
}

pub fn files_trash(call: &Call) -> Result<Response> {
    set_trashed(call, true)
}

pub fn files_untrash(call: &Call) -> Result<Response> {
    set_trashed(call, false)
}

/// `files.touch`: the modified date becomes now.
pub fn files_touch(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let opts = opts(call)?;
    fields(call, "File")?;
    let id = call.param("fileId").to_string();
    let real = call.write(|s, ids| update_file(s, ids, &viewer, &id, (&json!({}), None), (&[], &[]), opts))?;
    respond(call, &viewer, &real, call.q("fields"))
}

pub fn files_copy(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let opts = opts(call)?;
    fields(call, "File")?;
    let meta = metadata(&call.json()?, true)?;
    let id = call.param("fileId").to_string();
    let new_id = call.write(|s, ids| copy_file(s, ids, &viewer, &id, &meta, opts))?;
    respond(call, &viewer, &new_id, call.q("fields"))
}

pub fn children_list(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = fields(call, "ChildList")?;
    let folder = call.param("folderId");
    let folder = if folder == "root" { viewer.root_id.clone() } else { folder.to_string() };
    let (items, next) = file_list(call, &viewer, Some(&folder))?;
    let base = format!("{}{PREFIX}files", call.public_base());
    let children: Vec<Value> = items
        .iter()
        .map(|f| {
            let id = f["id"].as_str().unwrap_or_default();
            json!({
                "kind": "drive#childReference",
                "id": id,
                "selfLink": format!("{base}/{folder}/children/{id}"),
                "childLink": format!("{base}/{id}"),
            })
        })
        .collect();
    let mut body =
        json!({"kind": "drive#childList", "selfLink": format!("{base}/{folder}/children"), "items": children});
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    Ok(ok(&sel.apply(body)))
}

pub fn parents_list(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = fields(call, "ParentList")?;
    let id = call.param("fileId");
    let base = call.public_base();
    let body = call.read(|s| {
        let (f, role) = visible(s, &viewer, id, true)?;
        let rendered = file_v2(s, f, &viewer, role, &base);
        Ok::<_, GoogleError>(json!({
            "kind": "drive#parentList",
            "selfLink": format!("{base}{PREFIX}files/{}/parents", f.id),
            "items": rendered["parents"],
        }))
    })??;
    Ok(ok(&sel.apply(body)))
}

pub fn permissions_insert(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let all = all_drives(call)?;
    let transfer_ownership = call.flag("transferOwnership")?;
    call.flag("sendNotificationEmails")?;
    let sel = fields(call, "Permission")?;
    let body = permission_body(&call.json()?)?;
    let id = call.param("fileId").to_string();
    let now = call.now();
    let sharing = Sharing { all_drives: all, transfer_ownership, now };
    let (pid, file_id) = call.write(|s, idgen| {
        let pid = share(s, idgen, &viewer, &id, &body, sharing)?;
        let (f, _) = visible(s, &viewer, &id, all)?;
        Ok((pid, f.id.clone()))
    })?;
    let v3 = call.read(|s| permission_of(s, &viewer, &id, &pid, all))?;
    let v3 = v3.ok_or_else(|| GoogleError::not_found("Permission", &pid, "permissionId"))?;
    Ok(ok(&sel.apply(permission_v2(&v3, &call.public_base(), &file_id))))
}

/// Every permission of a file in v2's names.
fn permissions_v2(call: &Call, viewer: &Viewer) -> Result<(String, Vec<Value>)> {
    let all = all_drives(call)?;
    let id = call.param("fileId");
    let base = call.public_base();
    call.read(|s| {
        let real = visible(s, viewer, id, all)?.0.id.clone();
        let perms = rendered_permissions(s, viewer, id, all)?;
        Ok((real.clone(), perms.iter().map(|p| permission_v2(p, &base, &real)).collect()))
    })?
}

pub fn permissions_list(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = fields(call, "PermissionList")?;
    let (file_id, items) = permissions_v2(call, &viewer)?;
    Ok(ok(&sel.apply(json!({
        "kind": "drive#permissionList",
        "selfLink": format!("{}{PREFIX}files/{file_id}/permissions", call.public_base()),
        "items": items,
    }))))
}

pub fn permissions_get(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = fields(call, "Permission")?;
    let pid = call.param("permissionId");
    let (_, items) = permissions_v2(call, &viewer)?;
    let found = items.into_iter().find(|p| p["id"].as_str() == Some(pid));
    let found = found.ok_or_else(|| GoogleError::not_found("Permission", pid, "permissionId"))?;
    Ok(ok(&sel.apply(found)))
}

pub fn permissions_id_for_email(call: &Call) -> Result<Response> {
    call.user()?;
    let sel = fields(call, "PermissionId")?;
    let email = call.param("email").trim().to_ascii_lowercase();
    let id = call.read(|s| {
        s.user(&email)
            .map(|u| u.permission_id.clone())
            .or_else(|| s.groups.get(&email).map(|g| g.permission_id.clone()))
    })?;
    let id = id.ok_or_else(|| GoogleError::not_found("Permission", &email, "email"))?;
    Ok(ok(&sel.apply(json!({"kind": "drive#permissionId", "id": id}))))
}

/// The file's revisions in v2's names (one page: v2 clients read them whole).
pub fn revisions_list(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = fields(call, "RevisionList")?;
    let fid = call.param("fileId").to_string();
    let files = format!("{}{PREFIX}files", call.public_base());
    let items = call.read(|s| {
        let f = crate::drive::revisions::file_for(s, &viewer, &fid)?;
        Ok::<_, GoogleError>(
            f.revisions
                .iter()
                .map(|r| revision(&crate::drive::revisions::revision_json(s, r, &viewer), &files, &f.id))
                .collect::<Vec<_>>(),
        )
    })??;
    Ok(ok(&sel.apply(json!({
        "kind": "drive#revisionList",
        "selfLink": format!("{files}/{fid}/revisions"),
        "items": items,
    }))))
}

/// One revision in v2's names; `head` is the newest.
pub fn revisions_get(call: &Call) -> Result<Response> {
    if call.q("alt") == Some("media") {
        // The bytes are the same in either version.
        return crate::drive::revisions::get(call);
    }
    let viewer = viewer(call)?;
    let sel = fields(call, "Revision")?;
    let (fid, rid) = (call.param("fileId").to_string(), call.param("revisionId").to_string());
    let files = format!("{}{PREFIX}files", call.public_base());
    let found = call.read(|s| {
        let f = crate::drive::revisions::file_for(s, &viewer, &fid)?;
        let r = if rid == "head" { f.revisions.last() } else { f.revisions.iter().find(|r| r.id == rid) };
        r.map(|r| revision(&crate::drive::revisions::revision_json(s, r, &viewer), &files, &f.id))
            .ok_or_else(|| GoogleError::not_found("Revision", &rid, "revisionId"))
    })??;
    Ok(ok(&sel.apply(found)))
}
