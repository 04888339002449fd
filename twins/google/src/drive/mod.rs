//! Google Drive v3: files and folders, uploads and downloads, permissions, shared
//! drives, changes, comments and revisions. `model` holds the state and `access`
//! the sharing rules; the handler modules speak the wire format; `query` and
//! `fields` are the `q` language and the partial-response selector.

pub mod about;
pub mod access;
pub mod changes;
pub mod comments;
pub mod drives;
pub mod fields;
pub mod files;
pub mod model;
pub mod multipart;
pub mod permissions;
pub mod query;
pub mod revisions;
pub mod schema;
pub mod uploads;
pub mod v2;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use crate::drive::access::{Can, Viewer};
use crate::drive::fields::Selection;
use crate::drive::model::{Content, File, Grantee, Permission, Role, SharedDrive, DOCUMENT, FOLDER, SPREADSHEET};
use crate::errors::{GoogleError, Result};
use crate::model::GoogleState;

/// RFC 3339 with milliseconds, as Drive writes times.
pub fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A person as Drive shows one (`drive#user`).
pub fn user_json(s: &GoogleState, email: &str, viewer: &Viewer) -> Value {
    match s.user(email) {
        Some(u) => json!({
            "kind": "drive#user",
            "displayName": u.display_name(),
            "me": u.email == viewer.email,
            "permissionId": u.permission_id,
            "emailAddress": u.email,
        }),
        None => json!({"kind": "drive#user", "displayName": email, "me": false, "emailAddress": email}),
    }
}

/// The permission a grantee gets: a person's or group's own id, the domain's, `anyoneWithLink`.
pub fn permission_id_for(
    s: &GoogleState,
    grantee: Grantee,
    email: Option<&str>,
    domain: Option<&str>,
    discover: bool,
) -> Option<String> {
    match grantee {
        Grantee::User => s.user(email?).map(|u| u.permission_id.clone()),
        Grantee::Group => s.groups.get(&email?.to_ascii_lowercase()).map(|g| g.permission_id.clone()),
        Grantee::Domain => {
            let d = domain?;
            let n = d.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
            Some(format!("{:020}", n))
        }
        Grantee::Anyone => Some(if discover { "anyone" } else { "anyoneWithLink" }.to_string()),
    }
}

pub fn permission_json(s: &GoogleState, p: &Permission, inherited_from: Option<&str>) -> Value {
    let mut out = json!({"kind": "drive#permission", "id": p.id, "type": p.grantee.as_str(), "role": p.role.as_str()});
    if let Some(e) = &p.email {
        out["emailAddress"] = json!(e);
        let name = match p.grantee {
            Grantee::Group => s.groups.get(e).map(|g| g.name.clone()),
            _ => s.user(e).map(|u| u.display_name()),
        };
        if let Some(n) = name {
            out["displayName"] = json!(n);
        }
    }
    if let Some(d) = &p.domain {
        out["domain"] = json!(d);
        out["displayName"] = json!(d);
    }
    if matches!(p.grantee, Grantee::Domain | Grantee::Anyone) {
        out["allowFileDiscovery"] = json!(p.allow_file_discovery);
    }
    if let Some(t) = &p.expiration_time {
        out["expirationTime"] = json!(time(t));
    }
    if p.pending_owner {
        out["pendingOwner"] = json!(true);
    }
    out["deleted"] = json!(false);
    if let Some(from) = inherited_from {
        out["permissionDetails"] =
            json!([{"permissionType": "file", "role": p.role.as_str(), "inherited": true, "inheritedFrom": from}]);
    }
    out
}

/// The owner's permission, which Drive lists with the others.
pub fn owner_permission(s: &GoogleState, f: &File) -> Option<Permission> {
    let email = f.owner.as_ref()?;
    Some(Permission {
        id: s.user(email).map(|u| u.permission_id.clone()).unwrap_or_default(),
        grantee: Grantee::User,
        role: Role::Owner,
        email: Some(email.clone()),
        domain: None,
        allow_file_discovery: false,
        expiration_time: None,
        pending_owner: false,
    })
}

/// Every permission of a file as Drive lists them: the owner, the file's own, and
/// (in a shared drive) the drive's members, inherited.
pub fn all_permissions(s: &GoogleState, f: &File) -> Vec<(Permission, Option<String>)> {
    let mut out: Vec<(Permission, Option<String>)> = owner_permission(s, f).into_iter().map(|p| (p, None)).collect();
    out.extend(f.permissions.iter().cloned().map(|p| (p, None)));
    if let Some(d) = f.drive_id.as_ref().and_then(|d| s.drive.drives.get(d)) {
        for p in &d.permissions {
            if !out.iter().any(|(q, _)| q.id == p.id) {
                out.push((p.clone(), Some(d.id.clone())));
            }
        }
    }
    out
}

fn export_links(f: &File) -> Option<Value> {
    let targets: &[&str] = match f.mime_type.as_str() {
        DOCUMENT => &["text/plain", "text/html", "text/markdown"],
        SPREADSHEET => &["text/csv", "text/tab-separated-values"],
        _ => return None,
    };
    let kind = if f.mime_type == DOCUMENT { "document" } else { "spreadsheets" };
    let links: Map<String, Value> = targets
        .iter()
        .map(|t| {
            let link = format!(
                "https://docs.google.com/{kind}/export?id={}&exportFormat={}",
                f.id,
                t.rsplit('/').next().unwrap_or(t)
            );
            (t.to_string(), json!(link))
        })
        .collect();
    Some(Value::Object(links))
}

fn web_view_link(f: &File) -> String {
    match f.mime_type.as_str() {
        FOLDER => format!("https://drive.google.com/drive/folders/{}", f.id),
        DOCUMENT => format!("https://docs.google.com/document/d/{}/edit?usp=drivesdk", f.id),
        SPREADSHEET => format!("https://docs.google.com/spreadsheets/d/{}/edit?usp=drivesdk", f.id),
        _ => format!("https://drive.google.com/file/d/{}/view?usp=drivesdk", f.id),
    }
}

/// The whole file resource as the viewer sees it; `fields` then picks from it.
pub fn file_json(s: &GoogleState, f: &File, viewer: &Viewer, role: Role) -> Value {
    file_json_for(s, f, viewer, role, None)
}

/// `file_json` for an answer that keeps only `sel`'s members: the MD5 is worked out
/// only when the selection asks for it (see [`crate::drive::model::Md5`]).
pub fn file_json_for(s: &GoogleState, f: &File, viewer: &Viewer, role: Role, sel: Option<&Selection>) -> Value {
    let can = Can { role, in_shared_drive: f.drive_id.is_some(), writers_can_share: f.writers_can_share };
    let mut out = json!({
        "kind": "drive#file",
        "id": f.id,
        "name": f.name,
        "mimeType": f.mime_type,
        "starred": f.starred,
        "trashed": f.trashed,
        "explicitlyTrashed": f.explicitly_trashed,
        "spaces": ["drive"],
        "version": f.version.to_string(),
        "webViewLink": web_view_link(f),
        "iconLink": format!("https://drive-thirdparty.googleusercontent.com/16/type/{}", f.mime_type),
        "hasThumbnail": false,
        "thumbnailVersion": "0",
        "viewedByMe": true,
        "createdTime": time(&f.created_time),
        "modifiedTime": time(&f.modified_time),
        "modifiedByMe": f.last_modifying_user.as_deref() == Some(viewer.email.as_str()),
        "shared": !f.permissions.is_empty() || f.drive_id.is_some(),
        "ownedByMe": f.owner.as_deref() == Some(viewer.email.as_str()),
        "viewersCanCopyContent": !f.copy_requires_writer_permission,
        "copyRequiresWriterPermission": f.copy_requires_writer_permission,
        "writersCanShare": f.writers_can_share,
        "isAppAuthorized": false,
        "quotaBytesUsed": f.stored_bytes().to_string(),
        "capabilities": {
            "canEdit": can.edit(),
            "canComment": can.comment(),
            "canShare": can.share(),
            "canCopy": !f.is_folder() && (!f.copy_requires_writer_permission || can.edit()),
            "canDownload": true,
            "canDelete": can.delete(),
            "canTrash": can.trash(),
            "canUntrash": can.trash(),
            "canRename": can.edit(),
            "canAddChildren": f.is_folder() && can.edit(),
            "canListChildren": f.is_folder(),
            "canRemoveChildren": f.is_folder() && can.edit(),
            "canReadRevisions": can.edit(),
            "canModifyContent": can.edit(),
            "canMoveItemWithinDrive": can.edit(),
            "canChangeCopyRequiresWriterPermission": can.edit(),
            "canReadDrive": f.drive_id.is_some(),
        },
    });
    if !f.parents.is_empty() {
        out["parents"] = json!(f.parents);
    }
    if let Some(d) = &f.description {
        out["description"] = json!(d);
    }
    if !f.properties.is_empty() {
        out["properties"] = json!(f.properties);
    }
    if !f.app_properties.is_empty() {
        out["appProperties"] = json!(f.app_properties);
    }
    if let Some(owner) = &f.owner {
        out["owners"] = json!([user_json(s, owner, viewer)]);
    }
    if let Some(d) = &f.drive_id {
        out["driveId"] = json!(d);
        out["teamDriveId"] = json!(d);
    }
    if let Some(u) = &f.last_modifying_user {
        out["lastModifyingUser"] = user_json(s, u, viewer);
    }
    if can.share() || role >= Role::Writer {
        let perms = all_permissions(s, f);
        out["permissionIds"] = json!(perms.iter().map(|(p, _)| p.id.clone()).collect::<Vec<_>>());
        out["permissions"] =
            json!(perms.iter().map(|(p, from)| permission_json(s, p, from.as_deref())).collect::<Vec<_>>());
    }
    if let Some(n) = &f.original_filename {
        out["originalFilename"] = json!(n);
    }
    if let Content::Blob { bytes, md5 } = &f.content {
        if sel.is_none_or(|sel| sel.wants("md5Checksum")) {
            out["md5Checksum"] = json!(md5);
        }
        out["size"] = json!(bytes.len().to_string());
        out["webContentLink"] = json!(format!("https://drive.google.com/uc?id={}&export=download", f.id));
        if let Some(ext) = f.extension() {
            out["fileExtension"] = json!(ext.to_ascii_lowercase());
            out["fullFileExtension"] = json!(ext.to_ascii_lowercase());
        }
    }
    if let Some(rev) = f.head_revision() {
        out["headRevisionId"] = json!(rev.id);
    }
    if let Some(links) = export_links(f) {
        out["exportLinks"] = links;
    }
    if let Some(t) = &f.trashed_time {
        out["trashedTime"] = json!(time(t));
    }
    if let Some(u) = &f.trashing_user {
        out["trashingUser"] = user_json(s, u, viewer);
    }
    if let Some(target) = &f.shortcut_target {
        let mime = s.drive.files.get(target).map(|t| t.mime_type.clone()).unwrap_or_default();
        out["shortcutDetails"] = json!({"targetId": target, "targetMimeType": mime});
    }
    out
}

pub fn drive_json(d: &SharedDrive, role: Option<Role>) -> Value {
    let organizer = role.is_some_and(|r| r >= Role::Organizer);
    let manager = role.is_some_and(|r| r >= Role::FileOrganizer);
    let writer = role.is_some_and(|r| r >= Role::Writer);
    let mut out = json!({
        "kind": "drive#drive",
        "id": d.id,
        "name": d.name,
        "createdTime": time(&d.created_time),
        "hidden": d.hidden,
        "capabilities": {
            "canAddChildren": writer,
            "canEdit": writer,
            "canManageMembers": organizer,
            "canRename": organizer,
            "canDeleteDrive": organizer,
            "canShare": manager,
            "canTrashChildren": manager,
            "canDeleteChildren": organizer,
            "canListChildren": true,
            "canComment": role.is_some_and(|r| r >= Role::Commenter),
            "canCopy": true,
            "canDownload": true,
            "canReadRevisions": writer,
            "canChangeDriveBackground": organizer,
            "canRenameDrive": organizer,
        },
        "restrictions": {
            "adminManagedRestrictions": false,
            "copyRequiresWriterPermission": false,
            "domainUsersOnly": false,
            "driveMembersOnly": false,
        },
    });
    if let Some(c) = &d.color_rgb {
        out["colorRgb"] = json!(c);
    }
    out
}

/// Resolves `root` and finds a file the viewer can see (404 otherwise, as Drive
/// hides existence). Shared-drive items need `supportsAllDrives`.
pub fn visible<'a>(s: &'a GoogleState, viewer: &Viewer, id: &str, all_drives: bool) -> Result<(&'a File, Role)> {
    let real = if id == "root" { viewer.root_id.as_str() } else { id };
    let file = s.drive.files.get(real).ok_or_else(|| GoogleError::file_not_found(id))?;
    if file.drive_id.is_some() && !all_drives {
        return Err(GoogleError::file_not_found(id));
    }
    let role = access::role(s, file, viewer, false).ok_or_else(|| GoogleError::file_not_found(id))?;
    Ok((file, role))
}

/// `supportsAllDrives` or its deprecated alias.
pub fn all_drives(call: &crate::api::Call) -> Result<bool> {
    Ok(call.flag("supportsAllDrives")? || call.flag("supportsTeamDrives")?)
}

/// The page token of an offset into a result list, tied to the query it pages.
pub fn page_token(offset: usize, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}:{:x}", fnv(key)))
}

pub fn page_offset(token: Option<&str>, key: &str) -> Result<usize> {
    let Some(token) = token.filter(|t| !t.is_empty()) else { return Ok(0) };
    let bad = || GoogleError::invalid_value("pageToken");
    let text = URL_SAFE_NO_PAD.decode(token.as_bytes()).map_err(|_| bad())?;
    let text = String::from_utf8(text).map_err(|_| bad())?;
    let (offset, hash) = text.split_once(':').ok_or_else(bad)?;
    if hash != format!("{:x}", fnv(key)) {
        return Err(bad());
    }
    offset.parse().map_err(|_| bad())
}

pub fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// `pageSize` within `1..=max` (larger values are lowered to `max`), `default` when absent.
pub fn page_size(call: &crate::api::Call, default: usize, max: usize) -> Result<usize> {
    page_size_of(call, "pageSize", default, max)
}

/// [`page_size`] from another parameter (v2's `maxResults`).
pub fn page_size_of(call: &crate::api::Call, name: &str, default: usize, max: usize) -> Result<usize> {
    match call.int(name)? {
        None => Ok(default),
        Some(n) if n < 1 => Err(GoogleError::invalid_value(name)),
        Some(n) => Ok((n as usize).min(max)),
    }
}

/// A list page: `items[offset..offset+size]` and the next token when more remain.
pub fn page<T: Clone>(items: &[T], offset: usize, size: usize, key: &str) -> (Vec<T>, Option<String>) {
    let end = offset.saturating_add(size).min(items.len());
    let slice = items.get(offset.min(items.len())..end).map(<[T]>::to_vec).unwrap_or_default();
    let next = (end < items.len()).then(|| page_token(end, key));
    (slice, next)
}
