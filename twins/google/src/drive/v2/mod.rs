//! Drive v2, the version PyDrive2 builds: a second rendering of the same Drive
//! state v3 serves. Requests in v2's names (`title`, `parents: [{id}]`, `labels`,
//! property lists, `value`/`withLink` permissions) are translated into v3's and go
//! through v3's functions (so access, uploads, sharing and search are one code);
//! responses are v3's resource rendered in v2's names (`items`, `fileSize`,
//! `downloadUrl`, `userPermission`…). Links a client follows (`downloadUrl`,
//! `exportLinks`, `selfLink`) point back at the address the client used.

pub mod api;
pub mod schema;

use serde_json::{json, Map, Value};

use super::access::Viewer;
use super::model::{File, Role};
use super::{file_json, fnv};
use crate::errors::{GoogleError, Result};
use crate::model::GoogleState;

/// The v2 service path.
pub const PREFIX: &str = "/drive/v2/";

/// An entity tag that changes with the file's version.
fn etag(id: &str, version: u64) -> String {
    format!("\"{:016x}\"", fnv(&format!("{id}/{version}")))
}

/// A revision in v2's names, from v3's rendering of it.
pub fn revision(v3: &Value, files: &str, file_id: &str) -> Value {
    let id = v3["id"].as_str().unwrap_or_default();
    let me = format!("{files}/{file_id}/revisions/{id}");
    let mut out = json!({
        "kind": "drive#revision",
        "id": id,
        "etag": etag(&me, 0),
        "selfLink": me,
        "mimeType": v3["mimeType"],
        "modifiedDate": v3["modifiedTime"],
        "pinned": v3["keepForever"],
        "published": v3["published"],
        "downloadUrl": format!("{files}/{file_id}/revisions/{id}?alt=media"),
    });
    for (v2_name, v3_name) in
        [("md5Checksum", "md5Checksum"), ("fileSize", "size"), ("originalFilename", "originalFilename")]
    {
        if let Some(v) = v3.get(v3_name) {
            out[v2_name] = v.clone();
        }
    }
    if let Some(u) = v3.get("lastModifyingUser") {
        out["lastModifyingUserName"] = u["displayName"].clone();
        out["lastModifyingUser"] = user(u);
    }
    out
}

/// A person in v2's names, from v3's rendering of them.
fn user(v3: &Value) -> Value {
    let mut out = json!({"kind": "drive#user", "isAuthenticatedUser": v3["me"].as_bool().unwrap_or(false)});
    for name in ["displayName", "permissionId", "emailAddress"] {
        if let Some(v) = v3.get(name) {
            out[name] = v.clone();
        }
    }
    out
}

/// v2 spells the commenter role as a reader with the additional role `commenter`.
fn role_fields(out: &mut Value, role: &str) {
    if role == "commenter" {
        out["role"] = json!("reader");
        out["additionalRoles"] = json!(["commenter"]);
    } else {
        out["role"] = json!(role);
    }
}

/// A permission in v2's names, from v3's rendering of it.
pub fn permission(v3: &Value, base: &str, file_id: &str) -> Value {
    let id = v3["id"].as_str().unwrap_or_default();
    let kind = v3["type"].as_str().unwrap_or_default();
    let mut out = json!({
        "kind": "drive#permission",
        "etag": format!("\"{:016x}\"", fnv(&format!("{file_id}/{id}/{}", v3["role"]))),
        "id": id,
        "selfLink": format!("{base}{PREFIX}files/{file_id}/permissions/{id}"),
        "type": kind,
    });
    role_fields(&mut out, v3["role"].as_str().unwrap_or_default());
    let renames = [
        ("displayName", "name"),
        ("emailAddress", "emailAddress"),
        ("domain", "domain"),
        ("expirationTime", "expirationDate"),
        ("deleted", "deleted"),
        ("pendingOwner", "pendingOwner"),
        ("permissionDetails", "permissionDetails"),
        ("photoLink", "photoLink"),
    ];
    for (from, to) in renames {
        if let Some(v) = v3.get(from) {
            out[to] = v.clone();
        }
    }
    if let Some(v) = v3.get("emailAddress").or_else(|| v3.get("domain")) {
        out["value"] = v.clone();
    }
    if matches!(kind, "anyone" | "domain") {
        out["withLink"] = json!(!v3["allowFileDiscovery"].as_bool().unwrap_or(false));
    }
    out
}

/// The whole file resource in v2's names as the viewer sees it; `fields` then picks from it.
pub fn file(s: &GoogleState, f: &File, viewer: &Viewer, role: Role, base: &str) -> Value {
    let v3 = file_json(s, f, viewer, role);
    let files = format!("{base}{PREFIX}files");
    let mut out = json!({
        "kind": "drive#file",
        "id": f.id,
        "etag": etag(&f.id, f.version),
        "selfLink": format!("{files}/{}", f.id),
        "title": f.name,
        "mimeType": f.mime_type,
        "labels": {
            "starred": f.starred,
            "hidden": false,
            "trashed": f.trashed,
            "restricted": f.copy_requires_writer_permission,
            "viewed": true,
            "modified": v3["modifiedByMe"],
        },
        "createdDate": v3["createdTime"],
        "modifiedDate": v3["modifiedTime"],
        "lastViewedByMeDate": v3["modifiedTime"],
        "markedViewedByMeDate": v3["modifiedTime"],
        "parents": f.parents.iter().map(|p| json!({
            "kind": "drive#parentReference",
            "id": p,
            "selfLink": format!("{files}/{}/parents/{p}", f.id),
            "parentLink": format!("{files}/{p}"),
            "isRoot": s.drive.files.get(p).is_some_and(|parent| parent.is_root),
        })).collect::<Vec<_>>(),
        "userPermission": {
            "kind": "drive#permission",
            "etag": etag(&f.id, f.version),
            "id": "me",
            "selfLink": format!("{files}/{}/permissions/me", f.id),
            "type": "user",
        },
        "appDataContents": false,
    });
    role_fields(&mut out["userPermission"], role.as_str());
    if v3["modifiedByMe"].as_bool() == Some(true) {
        out["modifiedByMeDate"] = v3["modifiedTime"].clone();
    }
    let caps = &v3["capabilities"];
    for (to, from) in [
        ("editable", "canEdit"),
        ("copyable", "canCopy"),
        ("canComment", "canComment"),
        ("canReadRevisions", "canReadRevisions"),
        ("shareable", "canShare"),
    ] {
        out[to] = caps[from].clone();
    }
    let renames = [
        ("webViewLink", "alternateLink"),
        ("size", "fileSize"),
        ("trashedTime", "trashedDate"),
        ("description", "description"),
        ("iconLink", "iconLink"),
        ("webContentLink", "webContentLink"),
        ("originalFilename", "originalFilename"),
        ("fileExtension", "fileExtension"),
        ("fullFileExtension", "fullFileExtension"),
        ("md5Checksum", "md5Checksum"),
        ("quotaBytesUsed", "quotaBytesUsed"),
        ("version", "version"),
        ("headRevisionId", "headRevisionId"),
        ("explicitlyTrashed", "explicitlyTrashed"),
        ("copyRequiresWriterPermission", "copyRequiresWriterPermission"),
        ("writersCanShare", "writersCanShare"),
        ("shared", "shared"),
        ("ownedByMe", "ownedByMe"),
        ("spaces", "spaces"),
        ("capabilities", "capabilities"),
        ("driveId", "driveId"),
        ("teamDriveId", "teamDriveId"),
        ("hasThumbnail", "hasThumbnail"),
        ("thumbnailVersion", "thumbnailVersion"),
        ("isAppAuthorized", "isAppAuthorized"),
        ("permissionIds", "permissionIds"),
        ("shortcutDetails", "shortcutDetails"),
    ];
    for (from, to) in renames {
        if let Some(v) = v3.get(from) {
            out[to] = v.clone();
        }
    }
    if let Some(owners) = v3["owners"].as_array() {
        out["owners"] = json!(owners.iter().map(user).collect::<Vec<_>>());
        out["ownerNames"] = json!(owners.iter().map(|o| o["displayName"].clone()).collect::<Vec<_>>());
    }
    if let Some(u) = v3.get("lastModifyingUser") {
        out["lastModifyingUser"] = user(u);
        out["lastModifyingUserName"] = u["displayName"].clone();
    }
    if let Some(u) = v3.get("trashingUser") {
        out["trashingUser"] = user(u);
    }
    if let Some(perms) = v3["permissions"].as_array() {
        out["permissions"] = json!(perms.iter().map(|p| permission(p, base, &f.id)).collect::<Vec<_>>());
    }
    if v3.get("md5Checksum").is_some() {
        out["downloadUrl"] = json!(format!("{files}/{}?alt=media&source=downloadUrl", f.id));
    }
    // Export links lead to the twin's export, which the client fetches with its credential.
    if let Some(Value::Object(links)) = v3.get("exportLinks") {
        let ours: Map<String, Value> = links
            .keys()
            .map(|mime| {
                let target: String = form_urlencoded::byte_serialize(mime.as_bytes()).collect();
                (mime.clone(), json!(format!("{files}/{}/export?mimeType={target}", f.id)))
            })
            .collect();
        out["exportLinks"] = Value::Object(ours);
    }
    let mut properties: Vec<Value> = Vec::new();
    for (visibility, map) in [("PUBLIC", &f.properties), ("PRIVATE", &f.app_properties)] {
        for (key, value) in map {
            properties.push(json!({
                "kind": "drive#property",
                "etag": etag(&f.id, f.version),
                "key": key,
                "value": value,
                "visibility": visibility,
                "selfLink": format!("{files}/{}/properties/{key}?visibility={visibility}", f.id),
            }));
        }
    }
    if !properties.is_empty() {
        out["properties"] = json!(properties);
    }
    out
}

fn bad_field(name: &str) -> GoogleError {
    GoogleError::invalid(format!("Invalid value for field: {name}"), name)
}

/// The ids of v2's `parents: [{id}]`.
pub fn parent_ids(body: &Value) -> Result<Option<Vec<String>>> {
    match body.get("parents") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|p| p.get("id").and_then(Value::as_str).map(str::to_string).ok_or_else(|| bad_field("parents")))
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => Err(bad_field("parents")),
    }
}

/// A v2 file body as v3 metadata. `with_parents` keeps `parents` (insert, copy);
/// updates move files through `addParents`/`removeParents` instead. Read-only v2
/// fields (`kind`, `etag`, `fileSize`, `downloadUrl`…) are ignored, as v2 ignores them.
pub fn metadata(body: &Value, with_parents: bool) -> Result<Value> {
    let mut out = Map::new();
    let renames = [
        ("title", "name"),
        ("id", "id"),
        ("description", "description"),
        ("mimeType", "mimeType"),
        ("originalFilename", "originalFilename"),
        ("writersCanShare", "writersCanShare"),
        ("copyRequiresWriterPermission", "copyRequiresWriterPermission"),
        ("createdDate", "createdTime"),
        ("modifiedDate", "modifiedTime"),
    ];
    for (from, to) in renames {
        if let Some(v) = body.get(from).filter(|v| !v.is_null()) {
            out.insert(to.to_string(), v.clone());
        }
    }
    match body.get("labels") {
        None | Some(Value::Null) => {}
        Some(Value::Object(labels)) => {
            for (from, to) in
                [("starred", "starred"), ("trashed", "trashed"), ("restricted", "copyRequiresWriterPermission")]
            {
                if let Some(v) = labels.get(from).filter(|v| !v.is_null()) {
                    out.insert(to.to_string(), v.clone());
                }
            }
        }
        Some(_) => return Err(bad_field("labels")),
    }
    if with_parents {
        if let Some(ids) = parent_ids(body)? {
            out.insert("parents".into(), json!(ids));
        }
    }
    match body.get("properties") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            let (mut public, mut private) = (Map::new(), Map::new());
            for p in items {
                let key = p.get("key").and_then(Value::as_str).ok_or_else(|| bad_field("properties.key"))?;
                let value = p.get("value").cloned().unwrap_or(Value::Null);
                match p.get("visibility").and_then(Value::as_str).unwrap_or("PRIVATE") {
                    "PUBLIC" => public.insert(key.to_string(), value),
                    "PRIVATE" => private.insert(key.to_string(), value),
                    _ => return Err(bad_field("properties.visibility")),
                };
            }
            if !public.is_empty() {
                out.insert("properties".into(), Value::Object(public));
            }
            if !private.is_empty() {
                out.insert("appProperties".into(), Value::Object(private));
            }
        }
        Some(_) => return Err(bad_field("properties")),
    }
    Ok(Value::Object(out))
}

/// A v2 permission body (`type`, `role` with `additionalRoles`, `value`,
/// `withLink`) as v3's (`type`, `role`, `emailAddress` or `domain`, `allowFileDiscovery`).
pub fn permission_body(body: &Value) -> Result<Value> {
    let mut out = Map::new();
    for name in ["type", "role", "expirationDate"] {
        if let Some(v) = body.get(name).filter(|v| !v.is_null()) {
            let to = if name == "expirationDate" { "expirationTime" } else { name };
            out.insert(to.to_string(), v.clone());
        }
    }
    let commenter = match body.get("additionalRoles") {
        None | Some(Value::Null) => false,
        Some(Value::Array(roles)) => roles.iter().any(|r| r.as_str() == Some("commenter")),
        Some(_) => return Err(bad_field("permission.additionalRoles")),
    };
    if commenter && body.get("role").and_then(Value::as_str) == Some("reader") {
        out.insert("role".into(), json!("commenter"));
    }
    let value = match body.get("value") {
        None | Some(Value::Null) => None,
        Some(Value::String(v)) => Some(v.clone()),
        Some(_) => return Err(bad_field("permission.value")),
    };
    let value = value.or_else(|| body.get("emailAddress").and_then(Value::as_str).map(str::to_string));
    match (body.get("type").and_then(Value::as_str), value) {
        (Some("user" | "group"), Some(v)) => {
            out.insert("emailAddress".into(), json!(v));
        }
        (Some("domain"), Some(v)) => {
            out.insert("domain".into(), json!(v));
        }
        _ => {}
    }
    match body.get("withLink") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(b)) => {
            out.insert("allowFileDiscovery".into(), json!(!b));
        }
        Some(_) => return Err(bad_field("permission.withLink")),
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_bodies_become_v3_metadata() {
        let body = json!({
            "title": "a.txt", "mimeType": "text/plain", "parents": [{"id": "F1", "kind": "drive#parentReference"}],
            "labels": {"starred": true}, "kind": "drive#file", "fileSize": "3",
            "properties": [{"key": "k", "value": "v", "visibility": "PUBLIC"}, {"key": "p", "value": "q"}],
        });
        let meta = metadata(&body, true).unwrap();
        assert_eq!(
            meta,
            json!({"name": "a.txt", "mimeType": "text/plain", "parents": ["F1"], "starred": true,
                "properties": {"k": "v"}, "appProperties": {"p": "q"}})
        );
        assert!(metadata(&body, false).unwrap().get("parents").is_none());
        assert!(metadata(&json!({"parents": [{"kind": "x"}]}), true).is_err());
        assert!(metadata(&json!({"labels": 3}), true).is_err());
    }

    #[test]
    fn v2_permissions_become_v3() {
        let p = permission_body(
            &json!({"type": "user", "role": "reader", "additionalRoles": ["commenter"], "value": "a@b.test"}),
        )
        .unwrap();
        assert_eq!(p, json!({"type": "user", "role": "commenter", "emailAddress": "a@b.test"}));
        let p = permission_body(&json!({"type": "anyone", "role": "reader", "withLink": true})).unwrap();
        assert_eq!(p, json!({"type": "anyone", "role": "reader", "allowFileDiscovery": false}));
        let back = permission(
            &json!({"id": "x", "type": "anyone", "role": "commenter", "allowFileDiscovery": false}),
            "http://h",
            "F",
        );
        assert_eq!(
            (back["role"].clone(), back["additionalRoles"].clone(), back["withLink"].clone()),
            (json!("reader"), json!(["commenter"]), json!(true))
        );
    }
}
