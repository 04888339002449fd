//! `files.*`: create (metadata, simple, multipart; resumable sessions in
//! [`super::uploads`]), get and download, list with `q`, update (metadata, media,
//! parents, trash), copy, delete, emptyTrash, export, generateIds, watch.

use std::cmp::Ordering;

use axum::http::{header, HeaderValue};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use twin_core::ids::IdGen;

use super::access::{self, Can, Viewer};
use super::model::{
    Blob, Content, EditorContent, File, Md5, Revision, Role, DOCUMENT, FOLDER, GOOGLE_APPS, SPREADSHEET,
};
use super::query::{BoolField, Collection, Dialect, Facts, Query, TimeField};
use super::{all_drives, file_json_for, multipart, page, page_offset, page_size_of, uploads, visible};
use crate::api::{bytes, no_content, ok, Call};
use crate::errors::{GoogleError, Result};
use crate::ids;
use crate::model::GoogleState;

pub const DEFAULT_FILE_FIELDS: &str = "kind,id,name,mimeType";
pub const DEFAULT_LIST_FIELDS: &str = "kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)";
/// The largest export Drive renders.
pub const EXPORT_LIMIT: usize = 10 * 1024 * 1024;

/// Media sent with a create or update.
pub struct Media {
    pub bytes: Vec<u8>,
    pub mime_type: String,
}

impl Media {
    pub fn new(bytes: Vec<u8>, mime_type: String) -> Self {
        Self { bytes, mime_type }
    }
}

/// How the request carries its metadata and media.
pub enum Upload {
    Metadata(Value),
    WithMedia(Value, Media),
    Resumable(Value),
}

fn is_upload_path(call: &Call) -> bool {
    call.path.starts_with("/upload/") || call.path.starts_with("/resumable/upload/")
}

/// Reads metadata and media in whichever protocol the client used.
pub fn read_upload(call: &Call) -> Result<Upload> {
    if !is_upload_path(call) {
        return Ok(Upload::Metadata(call.json()?));
    }
    let default = if call.path.starts_with("/resumable/") { "resumable" } else { "media" };
    match call.q("uploadType").unwrap_or(default) {
        "media" => {
            let mime = call.content_type().split(';').next().unwrap_or("").trim();
            let mime = if mime.is_empty() { "application/octet-stream" } else { mime };
            Ok(Upload::WithMedia(json!({}), Media::new(call.body.to_vec(), mime.to_string())))
        }
        "multipart" => {
            let parts = multipart::parse(call.content_type(), &call.body)
                .map_err(|why| GoogleError::bad_request(format!("Malformed multipart body: {why}.")))?;
            let Ok([meta, media]) = <[_; 2]>::try_from(parts) else {
                return Err(GoogleError::bad_request("Malformed multipart body: expected metadata and media parts."));
            };
            let metadata: Value = if meta.body.iter().all(u8::is_ascii_whitespace) {
                json!({})
            } else {
                serde_json::from_slice(&meta.body)
                    .map_err(|e| GoogleError::parse_error(format!("Invalid JSON payload received. {e}")))?
            };
            if !metadata.is_object() {
                return Err(GoogleError::parse_error("Invalid JSON payload received. Expected an object."));
            }
            let mime = media.header("content-type").unwrap_or("application/octet-stream");
            let mime = mime.split(';').next().unwrap_or(mime).trim().to_string();
            Ok(Upload::WithMedia(metadata, Media::new(media.body, mime)))
        }
        "resumable" => Ok(Upload::Resumable(call.json()?)),
        _ => Err(GoogleError::invalid_value("uploadType")),
    }
}

fn str_field<'a>(meta: &'a Value, name: &str) -> Result<Option<&'a str>> {
    match meta.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(GoogleError::invalid(format!("Invalid value for field: {name}"), name)),
    }
}

fn bool_field(meta: &Value, name: &str) -> Result<Option<bool>> {
    match meta.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(GoogleError::invalid(format!("Invalid value for field: {name}"), name)),
    }
}

fn time_field(meta: &Value, name: &str) -> Result<Option<DateTime<Utc>>> {
    match str_field(meta, name)? {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| GoogleError::invalid(format!("Invalid value for field: {name}"), name)),
    }
}

/// Merges `properties`/`appProperties` of a body into a map (`null` removes a key).
fn merge_props(
    target: &mut std::collections::BTreeMap<String, String>,
    value: Option<&Value>,
    name: &str,
) -> Result<()> {
    let Some(value) = value else { return Ok(()) };
    let Value::Object(map) = value else {
        return Err(GoogleError::invalid(format!("Invalid value for field: {name}"), name));
    };
    for (k, v) in map {
        match v {
            Value::Null => {
                target.remove(k);
            }
            Value::String(s) => {
                target.insert(k.clone(), s.clone());
            }
            Value::Number(n) => {
                target.insert(k.clone(), n.to_string());
            }
            Value::Bool(b) => {
                target.insert(k.clone(), b.to_string());
            }
            _ => return Err(GoogleError::invalid(format!("Invalid value for field: {name}"), name)),
        }
        if k.len() + target.get(k).map_or(0, String::len) > 124 {
            return Err(GoogleError::invalid("The property key and value exceed 124 bytes.", name));
        }
    }
    Ok(())
}

const READ_ONLY: &[&str] = &[
    "size",
    "md5Checksum",
    "version",
    "owners",
    "permissions",
    "permissionIds",
    "capabilities",
    "headRevisionId",
    "webViewLink",
    "webContentLink",
    "quotaBytesUsed",
    "driveId",
    "teamDriveId",
    "ownedByMe",
    "shared",
    "lastModifyingUser",
    "kind",
    "exportLinks",
    "trashedTime",
    "trashingUser",
    "explicitlyTrashed",
    "spaces",
];

fn reject_read_only(meta: &Value) -> Result<()> {
    if let Some(name) = READ_ONLY.iter().find(|n| meta.get(**n).is_some()) {
        return Err(GoogleError::forbidden(
            "fieldNotWritable",
            format!("The resource body includes fields which are not directly writable. ({name})"),
        ));
    }
    Ok(())
}

/// The folder (or shared drive) a new file goes into, checked for the viewer's rights.
/// Returns the parent id and the shared drive it belongs to.
fn check_parent(s: &GoogleState, viewer: &Viewer, parent: &str, all_drives: bool) -> Result<(String, Option<String>)> {
    if let Some(d) = s.drive.drives.get(parent) {
        if !all_drives {
            return Err(GoogleError::file_not_found(parent));
        }
        let role = access::drive_role(d, viewer).ok_or_else(|| GoogleError::file_not_found(parent))?;
        if role < Role::Writer {
            return Err(GoogleError::insufficient(parent));
        }
        return Ok((d.id.clone(), Some(d.id.clone())));
    }
    let (folder, role) = visible(s, viewer, parent, all_drives)?;
    if !folder.is_folder() {
        return Err(GoogleError::bad_request("The specified parent is not a folder.").at("parents"));
    }
    if role < Role::Writer {
        return Err(GoogleError::insufficient(&folder.id));
    }
    Ok((folder.id.clone(), folder.drive_id.clone()))
}

/// Takes `n` bytes of the universe's upload cap, or answers the storage quota error.
pub fn reserve(s: &mut GoogleState, n: u64) -> Result<()> {
    if s.drive.bytes_used.saturating_add(n) > s.storage_cap {
        return Err(GoogleError::storage_quota());
    }
    s.drive.bytes_used += n;
    Ok(())
}

pub fn release(s: &mut GoogleState, n: u64) {
    s.drive.bytes_used = s.drive.bytes_used.saturating_sub(n);
}

/// Sets a file's content from media: converted into an editor file's text when the
/// metadata asks for a Google type, otherwise a new revision of bytes.
fn set_media(
    s: &mut GoogleState,
    ids: &mut IdGen,
    f: &mut File,
    media: Media,
    who: &str,
    now: DateTime<Utc>,
    keep: bool,
) -> Result<()> {
    if f.is_folder() {
        return Err(GoogleError::bad_request("Folders cannot have content."));
    }
    if f.mime_type.starts_with(GOOGLE_APPS) {
        let convertible = media.mime_type.starts_with("text/") || media.mime_type == "application/octet-stream";
        if !(matches!(f.mime_type.as_str(), DOCUMENT | SPREADSHEET) && convertible) {
            return Err(GoogleError::bad_request(format!(
                "Conversion from {} to {} is not supported.",
                media.mime_type, f.mime_type
            )));
        }
        let text = String::from_utf8(media.bytes)
            .map_err(|_| GoogleError::bad_request("The uploaded content is not valid UTF-8 text."))?;
        f.content = Content::Editor(EditorContent::Text(text));
        return Ok(());
    }
    reserve(s, media.bytes.len() as u64)?;
    let blob = Blob::new(media.bytes);
    let md5 = Md5::of(&blob);
    f.revisions.push(Revision {
        id: ids::revision_id(ids),
        mime_type: f.mime_type.clone(),
        modified_time: now,
        md5: md5.clone(),
        last_modifying_user: Some(who.to_string()),
        keep_forever: keep,
        original_filename: f.original_filename.clone(),
        bytes: blob.clone(),
    });
    f.content = Content::Blob { bytes: blob, md5 };
    Ok(())
}

/// What every write takes from its request: `supportsAllDrives`,
/// `keepRevisionForever`, and the universe's time.
#[derive(Debug, Clone, Copy)]
pub struct Opts {
    pub all_drives: bool,
    pub keep_forever: bool,
    pub now: DateTime<Utc>,
}

/// Creates a file from metadata and optional media; used by create, resumable
/// uploads and copy. Returns the new file's id.
pub fn create_file(
    s: &mut GoogleState,
    ids: &mut IdGen,
    viewer: &Viewer,
    meta: &Value,
    media: Option<Media>,
    opts: Opts,
) -> Result<String> {
    let Opts { all_drives, keep_forever, now } = opts;
    reject_read_only(meta)?;
    let parents: Vec<String> = match meta.get("parents") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| GoogleError::invalid("Invalid value for field: parents", "parents"))
            })
            .collect::<Result<_>>()?,
        Some(_) => return Err(GoogleError::invalid("Invalid value for field: parents", "parents")),
    };
    if parents.len() > 1 {
        return Err(GoogleError::forbidden("cannotAddParent", "Increasing the number of parents is not allowed."));
    }
    let (parent, drive_id) = match parents.first() {
        Some(p) => check_parent(s, viewer, p, all_drives)?,
        None => (viewer.root_id.clone(), None),
    };
    let mime = match str_field(meta, "mimeType")? {
        Some(m) => m.to_string(),
        None => media.as_ref().map_or("application/octet-stream".to_string(), |m| m.mime_type.clone()),
    };
    let id = match str_field(meta, "id")? {
        Some(id) => {
            if !ids::plausible_file_id(id) || id.len() < 25 {
                return Err(GoogleError::invalid("The provided ID is not usable.", "id"));
            }
            if s.drive.files.contains_key(id) {
                return Err(GoogleError::api_conflict(format!("A file already exists with the provided ID ({id}).")));
            }
            id.to_string()
        }
        None if mime.starts_with(GOOGLE_APPS) && mime != FOLDER => ids::editor_file_id(ids),
        None => ids::file_id(ids),
    };
    let name = str_field(meta, "name")?.map(str::to_string).unwrap_or_else(|| "Untitled".to_string());
    let mut properties = Default::default();
    merge_props(&mut properties, meta.get("properties"), "properties")?;
    let mut app_properties = Default::default();
    merge_props(&mut app_properties, meta.get("appProperties"), "appProperties")?;
    let shortcut_target = match meta.get("shortcutDetails").and_then(|d| d.get("targetId")) {
        Some(Value::String(t)) => {
            visible(s, viewer, t, all_drives)?;
            Some(t.clone())
        }
        _ => None,
    };
    let mut file = File {
        id: id.clone(),
        name,
        mime_type: mime.clone(),
        description: str_field(meta, "description")?.map(str::to_string),
        parents: vec![parent],
        owner: drive_id.is_none().then(|| viewer.email.clone()),
        drive_id,
        starred: bool_field(meta, "starred")?.unwrap_or(false),
        trashed: false,
        explicitly_trashed: false,
        trashed_time: None,
        trashing_user: None,
        properties,
        app_properties,
        created_time: time_field(meta, "createdTime")?.unwrap_or(now),
        modified_time: time_field(meta, "modifiedTime")?.unwrap_or(now),
        version: 1,
        last_modifying_user: Some(viewer.email.clone()),
        permissions: Vec::new(),
        content: match mime.as_str() {
            DOCUMENT | SPREADSHEET => Content::Editor(EditorContent::Text(String::new())),
            _ => Content::None,
        },
        revisions: Vec::new(),
        original_filename: str_field(meta, "originalFilename")?.map(str::to_string),
        writers_can_share: bool_field(meta, "writersCanShare")?.unwrap_or(true),
        copy_requires_writer_permission: bool_field(meta, "copyRequiresWriterPermission")?.unwrap_or(false),
        is_root: false,
        shortcut_target,
    };
    match media {
        Some(m) => {
            if file.original_filename.is_none() && !file.mime_type.starts_with(GOOGLE_APPS) {
                file.original_filename = Some(file.name.clone());
            }
            set_media(s, ids, &mut file, m, &viewer.email, now, keep_forever)?;
        }
        None if !file.mime_type.starts_with(GOOGLE_APPS) && file.shortcut_target.is_none() => {
            // A metadata-only binary file is an empty file with one revision.
            set_media(s, ids, &mut file, Media::new(Vec::new(), mime), &viewer.email, now, keep_forever)?;
        }
        None => {}
    }
    s.drive.files.insert(id.clone(), file);
    s.drive.record_change(Some(&id), None, false, now);
    Ok(id)
}

impl GoogleError {
    pub fn api_conflict(message: String) -> Self {
        GoogleError::Api {
            status: 409,
            domain: "global",
            reason: "duplicate",
            message,
            location: None,
            location_type: None,
            canonical: None,
        }
    }
}

pub fn viewer(call: &Call) -> Result<Viewer> {
    let user = call.user()?;
    let now = call.now();
    call.read(|s| Viewer::of(s, &user).at(now))
}

/// Renders one file under the call's `fields`.
pub fn respond_file(call: &Call, viewer: &Viewer, id: &str, status: u16, sel_query: Option<&str>) -> Result<Response> {
    let sel = match sel_query {
        Some(f) if !f.trim().is_empty() => super::fields::selection(f, "File")?,
        Some(_) => super::fields::selection(DEFAULT_FILE_FIELDS, "File")?,
        None => call.fields("File", DEFAULT_FILE_FIELDS)?,
    };
    let body = call.read(|s| {
        let f = s.drive.files.get(id)?;
        let role = access::role(s, f, viewer, false).unwrap_or(Role::Reader);
        Some(file_json_for(s, f, viewer, role, Some(&sel)))
    })?;
    let body = body.ok_or_else(|| GoogleError::file_not_found(id))?;
    Ok(crate::api::json(status, &sel.apply(body)))
}

pub fn create(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let all = all_drives(call)?;
    let keep = call.flag("keepRevisionForever")?;
    // Check the selector before writing anything.
    call.fields("File", DEFAULT_FILE_FIELDS)?;
    let now = call.now();
    match read_upload(call)? {
        Upload::Resumable(meta) => uploads::start(call, &viewer, None, meta, uploads::V3_SESSIONS),
        Upload::Metadata(meta) => {
            let id = call.write(|s, ids| {
                create_file(s, ids, &viewer, &meta, None, Opts { all_drives: all, keep_forever: keep, now })
            })?;
            respond_file(call, &viewer, &id, 200, None)
        }
        Upload::WithMedia(meta, media) => {
            let id = call.write(|s, ids| {
                create_file(s, ids, &viewer, &meta, Some(media), Opts { all_drives: all, keep_forever: keep, now })
            })?;
            respond_file(call, &viewer, &id, 200, None)
        }
    }
}

pub fn get(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let all = all_drives(call)?;
    let id = call.param("fileId");
    if call.q("alt") == Some("media") {
        let (content, mime) =
            call.read(|s| visible(s, &viewer, id, all).map(|(f, _)| (f.content.clone(), f.mime_type.clone())))??;
        let Content::Blob { bytes, .. } = content else {
            return Err(GoogleError::forbidden(
                "fileNotDownloadable",
                "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
            )
            .at("alt"));
        };
        return Ok(download(call, &bytes, &mime));
    }
    let sel = call.fields("File", DEFAULT_FILE_FIELDS)?;
    let body = call.read(|s| match s.drive.drives.get(id) {
        Some(d) if all => drive_root_json(d, &viewer).ok_or_else(|| GoogleError::file_not_found(id)),
        _ => visible(s, &viewer, id, all).map(|(f, role)| file_json_for(s, f, &viewer, role, Some(&sel))),
    })??;
    Ok(ok(&sel.apply(body)))
}

/// A shared drive's root folder, as `files.get` answers for the drive's id.
fn drive_root_json(d: &super::model::SharedDrive, viewer: &Viewer) -> Option<Value> {
    let role = access::drive_role(d, viewer)?;
    let can = Can { role, in_shared_drive: true, writers_can_share: true };
    Some(json!({
        "kind": "drive#file",
        "id": d.id,
        "name": d.name,
        "mimeType": FOLDER,
        "driveId": d.id,
        "teamDriveId": d.id,
        "createdTime": super::time(&d.created_time),
        "modifiedTime": super::time(&d.created_time),
        "trashed": false,
        "starred": false,
        "shared": true,
        "ownedByMe": false,
        "spaces": ["drive"],
        "webViewLink": format!("https://drive.google.com/drive/folders/{}", d.id),
        "capabilities": {
            "canAddChildren": can.edit(),
            "canEdit": can.edit(),
            "canListChildren": true,
            "canShare": can.share(),
            "canDelete": false,
            "canTrash": false,
            "canRename": role >= Role::Organizer,
        },
    }))
}

/// Bytes with `Range` support: 206 with `Content-Range`, or 416 (with
/// `Content-Range: bytes */N`) when the range starts past the end, as for an empty file.
pub fn download(call: &Call, blob: &Blob, mime: &str) -> Response {
    let total = blob.0.len();
    let range = call.header("range").and_then(|r| r.trim().strip_prefix("bytes=")).and_then(|r| {
        let (a, b) = r.split_once('-')?;
        let a = a.trim();
        let b = b.trim();
        if a.is_empty() {
            let n: usize = b.parse().ok()?;
            return Some((total.saturating_sub(n), total.saturating_sub(1)));
        }
        let start: usize = a.parse().ok()?;
        let end: usize = if b.is_empty() { total.saturating_sub(1) } else { b.parse().ok()? };
        Some((start, end))
    });
    match range {
        None => bytes(200, mime, blob.0.to_vec()),
        Some((start, _)) if start >= total => {
            let mut r = bytes(416, "text/plain", b"Requested range not satisfiable".to_vec());
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{total}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
        Some((start, end)) => {
            let end = end.min(total - 1).max(start);
            let mut r = bytes(206, mime, blob.0[start..=end].to_vec());
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{total}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
    }
}

struct FileFacts<'a> {
    s: &'a GoogleState,
    f: &'a File,
    viewer: &'a Viewer,
}

impl Facts for FileFacts<'_> {
    fn name(&self) -> &str {
        &self.f.name
    }
    fn mime_type(&self) -> &str {
        &self.f.mime_type
    }
    fn full_text(&self) -> String {
        let mut text = self.f.name.clone();
        if let Some(d) = &self.f.description {
            text.push(' ');
            text.push_str(d);
        }
        if let Some(t) = self.f.content.text(&self.f.mime_type) {
            text.push(' ');
            text.push_str(&t);
        }
        text
    }
    fn time(&self, field: TimeField) -> DateTime<Utc> {
        match field {
            TimeField::Created => self.f.created_time,
            TimeField::Modified | TimeField::ViewedByMe => self.f.modified_time,
        }
    }
    fn flag(&self, field: BoolField) -> bool {
        match field {
            BoolField::Trashed => self.f.trashed,
            BoolField::Starred => self.f.starred,
            BoolField::SharedWithMe => access::shared_with_me(self.f, self.viewer),
        }
    }
    fn in_collection(&self, value: &str, c: Collection) -> bool {
        let who = if value == "me" { self.viewer.email.as_str() } else { value };
        match c {
            Collection::Parents => {
                let id = if value == "root" { self.viewer.root_id.as_str() } else { value };
                self.f.parents.iter().any(|p| p == id)
            }
            Collection::Owners => self.f.owner.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(who)),
            Collection::Writers | Collection::Readers => {
                let min = if c == Collection::Writers { Role::Writer } else { Role::Reader };
                self.f.owner.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(who))
                    || self.f.permissions.iter().any(|p| {
                        p.role >= min
                            && (p.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(who))
                                || p.domain.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(who)))
                    })
                    || (value == "me" && access::role(self.s, self.f, self.viewer, false).is_some_and(|r| r >= min))
            }
        }
    }
    fn property(&self, app: bool, key: &str) -> Option<&str> {
        let map = if app { &self.f.app_properties } else { &self.f.properties };
        map.get(key).map(String::as_str)
    }
    fn visibility(&self) -> &str {
        use super::model::Grantee;
        let mut best = "limited";
        for p in &self.f.permissions {
            let v = match (p.grantee, p.allow_file_discovery) {
                (Grantee::Anyone, true) => "anyoneCanFind",
                (Grantee::Anyone, false) => "anyoneWithLink",
                (Grantee::Domain, true) => "domainCanFind",
                (Grantee::Domain, false) => "domainWithLink",
                _ => continue,
            };
            let rank = |x: &str| {
                ["limited", "domainWithLink", "domainCanFind", "anyoneWithLink", "anyoneCanFind"]
                    .iter()
                    .position(|y| *y == x)
            };
            if rank(v) > rank(best) {
                best = v;
            }
        }
        best
    }
    fn shortcut_target(&self) -> Option<&str> {
        self.f.shortcut_target.as_deref()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum OrderKey {
    CreatedTime,
    Folder,
    ModifiedTime,
    Name,
    NameNatural,
    QuotaBytesUsed,
    Starred,
}

fn parse_order(text: &str, dialect: Dialect) -> Result<Vec<(OrderKey, bool)>> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let mut words = part.split_whitespace();
        let Some(key) = words.next() else { return Err(GoogleError::invalid_value("orderBy")) };
        let desc = match words.next() {
            None => false,
            Some(w) if w.eq_ignore_ascii_case("desc") => true,
            Some(w) if w.eq_ignore_ascii_case("asc") => false,
            Some(_) => return Err(GoogleError::invalid_value("orderBy")),
        };
        if words.next().is_some() {
            return Err(GoogleError::invalid_value("orderBy"));
        }
        let key = match (dialect, key) {
            (Dialect::V2, "title") => "name",
            (Dialect::V2, "title_natural") => "name_natural",
            (Dialect::V2, "createdDate") => "createdTime",
            (Dialect::V2, "modifiedDate" | "modifiedByMeDate" | "lastViewedByMeDate" | "sharedWithMeDate") => {
                "modifiedTime"
            }
            (Dialect::V2, "name" | "name_natural" | "createdTime" | "modifiedTime") => {
                return Err(GoogleError::invalid_value("orderBy"))
            }
            (_, key) => key,
        };
        let key = match key {
            "createdTime" => OrderKey::CreatedTime,
            "folder" => OrderKey::Folder,
            "modifiedTime" | "modifiedByMeTime" | "viewedByMeTime" | "recency" | "sharedWithMeTime" => {
                OrderKey::ModifiedTime
            }
            "name" => OrderKey::Name,
            "name_natural" => OrderKey::NameNatural,
            "quotaBytesUsed" => OrderKey::QuotaBytesUsed,
            "starred" => OrderKey::Starred,
            _ => return Err(GoogleError::invalid_value("orderBy")),
        };
        out.push((key, desc));
    }
    Ok(out)
}

fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let mut na = String::new();
                while let Some(c) = a.peek().copied().filter(char::is_ascii_digit) {
                    na.push(c);
                    a.next();
                }
                let mut nb = String::new();
                while let Some(c) = b.peek().copied().filter(char::is_ascii_digit) {
                    nb.push(c);
                    b.next();
                }
                let (ta, tb) = (na.trim_start_matches('0'), nb.trim_start_matches('0'));
                let o = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some(x), Some(y)) => {
                let o = x.to_lowercase().cmp(y.to_lowercase());
                if o != Ordering::Equal {
                    return o;
                }
                a.next();
                b.next();
            }
        }
    }
}

fn compare(a: &File, b: &File, keys: &[(OrderKey, bool)]) -> Ordering {
    for (key, desc) in keys {
        let o = match key {
            OrderKey::CreatedTime => a.created_time.cmp(&b.created_time),
            OrderKey::Folder => b.is_folder().cmp(&a.is_folder()),
            OrderKey::ModifiedTime => a.modified_time.cmp(&b.modified_time),
            OrderKey::Name => a.name.cmp(&b.name),
            OrderKey::NameNatural => natural_cmp(&a.name, &b.name),
            OrderKey::QuotaBytesUsed => a.stored_bytes().cmp(&b.stored_bytes()),
            OrderKey::Starred => b.starred.cmp(&a.starred),
        };
        let o = if *desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.id.cmp(&b.id)
}

/// A `files.list` request, read from either version's parameters.
pub struct Search {
    query: Option<Query>,
    order: Vec<(OrderKey, bool)>,
    size: usize,
    include_drives: bool,
    drive_id: Option<String>,
    corpora: String,
    drive_space: bool,
    /// What the page tokens are tied to.
    key: String,
    offset: usize,
}

/// Reads a `files.list` request: `q` and `orderBy` in `dialect`'s names, the page
/// size from `pageSize` (v3) or `maxResults` (v2).
pub fn search_request(call: &Call, viewer: &Viewer, dialect: Dialect) -> Result<Search> {
    let query = match call.q("q").map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => Some(Query::parse_in(q, dialect).map_err(|_| GoogleError::invalid_value("q"))?),
        None => None,
    };
    let order_text = call.q("orderBy").map(str::trim).filter(|o| !o.is_empty());
    if order_text.is_some() && query.as_ref().is_some_and(Query::has_full_text) {
        return Err(GoogleError::bad_request(
            "Sorting is not supported for queries with fullText terms. Results are always in descending relevance order.",
        )
        .at("orderBy"));
    }
    let order = match order_text {
        Some(o) => parse_order(o, dialect)?,
        None => vec![(OrderKey::ModifiedTime, true)],
    };
    let size_param = match dialect {
        Dialect::V3 => "pageSize",
        Dialect::V2 => "maxResults",
    };
    let size = page_size_of(call, size_param, 100, 1000)?;
    let include_drives = call.flag("includeItemsFromAllDrives")? || call.flag("includeTeamDriveItems")?;
    let supports = all_drives(call)?;
    let drive_id = call.q("driveId").or(call.q("teamDriveId")).filter(|d| !d.is_empty()).map(str::to_string);
    let corpora = call.q("corpora").or(call.q("corpus")).unwrap_or(if drive_id.is_some() { "drive" } else { "user" });
    match corpora {
        "user" | "domain" | "allDrives" => {}
        "drive" if drive_id.is_none() => return Err(GoogleError::required("driveId")),
        "drive" => {}
        // v2's `corpus` names: `DEFAULT` (the user's) and `DOMAIN`.
        "DEFAULT" if dialect == Dialect::V2 => {}
        "DOMAIN" if dialect == Dialect::V2 => {}
        _ => return Err(GoogleError::invalid_value("corpora")),
    }
    let corpora = match corpora {
        "DEFAULT" => "user",
        "DOMAIN" => "domain",
        c => c,
    };
    if (corpora == "drive" || corpora == "allDrives" || drive_id.is_some()) && !(include_drives && supports) {
        return Err(GoogleError::forbidden(
            "teamDriveIncludeItemsRequired",
            "The includeItemsFromAllDrives parameter must be set to true when searching shared drives.",
        )
        .at("includeItemsFromAllDrives"));
    }
    let spaces = call.q("spaces").unwrap_or("drive");
    let drive_space = spaces.split(',').any(|s| s.trim() == "drive");
    let key = format!("{:?}|{:?}|{corpora}|{drive_id:?}|{}", call.q("q"), order_text, viewer.email);
    let offset = page_offset(call.q("pageToken"), &key)?;
    Ok(Search { query, order, size, include_drives, drive_id, corpora: corpora.to_string(), drive_space, key, offset })
}

impl Search {
    /// Narrows the search to a folder's children (v2's `children.list`).
    pub fn in_folder(&mut self, folder: &str) {
        let term = Query::Term(super::query::Term::In(folder.to_string(), Collection::Parents));
        self.query = Some(match self.query.take() {
            Some(q) => Query::And(Box::new(term), Box::new(q)),
            None => term,
        });
    }
}

/// One page of the files a search finds, in its order, and the next page's token.
pub fn search<'a>(s: &'a GoogleState, viewer: &Viewer, req: &Search) -> Result<(Vec<&'a File>, Option<String>)> {
    let corpora = req.corpora.as_str();
    let drive_id = req.drive_id.as_deref();
    if let Some(d) = drive_id {
        let member = s.drive.drives.get(d).and_then(|d| access::drive_role(d, viewer));
        if member.is_none() {
            return Err(GoogleError::drive_not_found(d));
        }
    }
    // `user` (and a drive's or all drives' items): what is shared with the caller
    // directly or through a group; `domain`: also what the domain may find.
    let reach = if corpora == "domain" { access::Reach::Discoverable } else { access::Reach::Direct };
    let mut hits: Vec<&File> = Vec::new();
    // A query that names the folder (`'F' in parents and …`) looks at its
    // children only, one with `name contains 'x'` at the files with a word
    // starting with x; anything else scans every file.
    let query = req.query.as_ref();
    let folder = query.and_then(Query::required_parent).map(|p| match p {
        "root" => viewer.root_id.as_str(),
        p => p,
    });
    let word = if folder.is_none() { query.and_then(Query::required_name_word) } else { None };
    let candidates: Box<dyn Iterator<Item = &File>> = match (folder, word) {
        (Some(p), _) => Box::new(s.drive.files.children_of(p).filter_map(|id| s.drive.files.get(id))),
        (None, Some(w)) => {
            Box::new(s.drive.files.named_with_word_prefix(&w).into_iter().filter_map(|id| s.drive.files.get(id)))
        }
        (None, None) => Box::new(s.drive.files.values()),
    };
    if req.drive_space {
        for f in candidates {
            if f.is_root {
                continue;
            }
            match (&f.drive_id, corpora) {
                (Some(d), "drive") if Some(d.as_str()) != drive_id => continue,
                (None, "drive") => continue,
                (Some(_), _) if !req.include_drives => continue,
                _ => {}
            }
            // The query first: it is cheaper than walking the folders for access.
            if let Some(q) = query {
                if !q.eval(&FileFacts { s, f, viewer }) {
                    continue;
                }
            }
            if access::role_in(s, f, viewer, reach).is_none() {
                continue;
            }
            hits.push(f);
        }
    }
    hits.sort_by(|a, b| compare(a, b, &req.order));
    Ok(page(&hits, req.offset, req.size, &req.key))
}

pub fn list(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.fields("FileList", DEFAULT_LIST_FIELDS)?;
    let file_sel = sel.child("files");
    let req = search_request(call, &viewer, Dialect::V3)?;
    let (files, next) = call.read(|s| {
        let (page_files, next) = search(s, &viewer, &req)?;
        let rendered: Vec<Value> = match &file_sel {
            Some(fs) => page_files
                .iter()
                .map(|f| {
                    let role = access::role(s, f, &viewer, false).unwrap_or(Role::Reader);
                    fs.apply(file_json_for(s, f, &viewer, role, Some(fs)))
                })
                .collect(),
            None => Vec::new(),
        };
        Ok::<_, GoogleError>((rendered, next))
    })??;
    let mut body = json!({"kind": "drive#fileList", "incompleteSearch": false, "files": files});
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    Ok(ok(&sel.apply(body)))
}

/// Trashes or restores a file and, for a folder, everything under it.
fn set_trashed(s: &mut GoogleState, id: &str, trashed: bool, who: &str, now: DateTime<Utc>) {
    let mut affected = vec![id.to_string()];
    affected.extend(s.drive.descendants(id));
    for (i, fid) in affected.iter().enumerate() {
        let Some(mut f) = s.drive.files.get(fid).cloned() else { continue };
        if i > 0 && !trashed && f.explicitly_trashed {
            continue; // trashed on its own: stays in the trash
        }
        if i > 0 && trashed && f.trashed {
            continue;
        }
        f.trashed = trashed;
        f.explicitly_trashed = trashed && i == 0;
        f.trashed_time = trashed.then_some(now);
        f.trashing_user = trashed.then(|| who.to_string());
        if i == 0 {
            f.version += 1;
        }
        s.drive.files.insert(fid.clone(), f);
        s.drive.record_change(Some(fid), None, false, now);
    }
}

pub fn update(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let all = all_drives(call)?;
    let keep = call.flag("keepRevisionForever")?;
    call.fields("File", DEFAULT_FILE_FIELDS)?;
    let id = call.param("fileId").to_string();
    let now = call.now();
    let (meta, media) = match read_upload(call)? {
        Upload::Resumable(meta) => {
            let real = call.read(|s| visible(s, &viewer, &id, all).map(|(f, role)| (f.id.clone(), role)))??;
            if real.1 < Role::Writer {
                return Err(GoogleError::insufficient(&id));
            }
            return uploads::start(call, &viewer, Some(real.0), meta, uploads::V3_SESSIONS);
        }
        Upload::Metadata(meta) => (meta, None),
        Upload::WithMedia(meta, media) => (meta, Some(media)),
    };
    let add: Vec<String> = call
        .q("addParents")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let remove: Vec<String> = call
        .q("removeParents")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let real_id = call.write(|s, ids| {
        update_file(
            s,
            ids,
            &viewer,
            &id,
            (&meta, media),
            (&add, &remove),
            Opts { all_drives: all, keep_forever: keep, now },
        )
    })?;
    respond_file(call, &viewer, &real_id, 200, None)
}

/// Applies an update: `body` is the metadata and any media, `parents` the
/// `addParents` and `removeParents` ids.
pub fn update_file(
    s: &mut GoogleState,
    ids: &mut IdGen,
    viewer: &Viewer,
    id: &str,
    body: (&Value, Option<Media>),
    parents: (&[String], &[String]),
    opts: Opts,
) -> Result<String> {
    let (meta, media) = body;
    let (add, remove) = parents;
    let Opts { all_drives: all, keep_forever: keep, now } = opts;
    if meta.get("parents").is_some() {
        return Err(GoogleError::forbidden(
            "fieldNotWritable",
            "The parents field is not directly writable in update requests. Use the addParents and removeParents parameters instead.",
        ));
    }
    reject_read_only(meta)?;
    if meta.get("id").is_some() {
        return Err(GoogleError::forbidden(
            "fieldNotWritable",
            "The resource body includes fields which are not directly writable. (id)",
        ));
    }
    let (file, role) = visible(s, viewer, id, all)?;
    let mut f = file.clone();
    let can = Can { role, in_shared_drive: f.drive_id.is_some(), writers_can_share: f.writers_can_share };
    let only_personal = meta.as_object().is_some_and(|m| m.keys().all(|k| k == "starred"))
        && media.is_none()
        && add.is_empty()
        && remove.is_empty();
    if !can.edit() && !only_personal {
        return Err(GoogleError::insufficient(&f.id));
    }
    if f.is_root && (meta.get("name").is_some() || meta.get("trashed").is_some() || !add.is_empty()) {
        return Err(GoogleError::forbidden("cannotModifyRoot", "The root folder cannot be modified."));
    }
    let mut changed_content = false;
    if let Some(name) = str_field(meta, "name")? {
        f.name = name.to_string();
    }
    if meta.get("description").is_some() {
        f.description = str_field(meta, "description")?.map(str::to_string);
    }
    if let Some(b) = bool_field(meta, "starred")? {
        f.starred = b;
    }
    if let Some(b) = bool_field(meta, "writersCanShare")? {
        f.writers_can_share = b;
    }
    if let Some(b) = bool_field(meta, "copyRequiresWriterPermission")? {
        f.copy_requires_writer_permission = b;
    }
    if let Some(n) = str_field(meta, "originalFilename")? {
        f.original_filename = Some(n.to_string());
    }
    merge_props(&mut f.properties, meta.get("properties"), "properties")?;
    merge_props(&mut f.app_properties, meta.get("appProperties"), "appProperties")?;
    if let Some(m) = str_field(meta, "mimeType")? {
        if m != f.mime_type {
            if media.is_none() {
                return Err(GoogleError::forbidden(
                    "fieldNotWritable",
                    "The mimeType of a file cannot be changed without new content.",
                ));
            }
            f.mime_type = m.to_string();
        }
    }
    // Parents.
    let mut parents = f.parents.clone();
    let root_alias = |p: &String| if p == "root" { viewer.root_id.clone() } else { p.clone() };
    for p in remove.iter().map(root_alias) {
        if !parents.contains(&p) {
            return Err(
                GoogleError::bad_request(format!("The parent {p} is not a parent of this file.")).at("removeParents")
            );
        }
        parents.retain(|x| *x != p);
    }
    let mut new_drive = f.drive_id.clone();
    for p in add.iter().map(root_alias) {
        if parents.contains(&p) {
            continue;
        }
        let (pid, drive) = check_parent(s, viewer, &p, all)?;
        if pid == f.id || (f.is_folder() && s.drive.descendants(&f.id).contains(&pid)) {
            return Err(GoogleError::forbidden(
                "cannotMoveIntoDescendant",
                "A folder cannot be moved into itself or one of its descendants.",
            ));
        }
        parents.push(pid);
        new_drive = drive;
    }
    if parents.len() > 1 {
        return Err(GoogleError::forbidden("cannotAddParent", "Increasing the number of parents is not allowed."));
    }
    if parents != f.parents {
        if parents.is_empty() {
            parents.push(viewer.root_id.clone());
            new_drive = None;
        }
        if new_drive != f.drive_id {
            if f.is_folder() {
                return Err(GoogleError::forbidden(
                    "teamDrivesFolderMoveInNotSupported",
                    "Moving folders between My Drive and shared drives is not supported.",
                ));
            }
            f.owner = if new_drive.is_none() { Some(viewer.email.clone()) } else { None };
            f.drive_id = new_drive;
        }
        f.parents = parents;
    }
    if let Some(t) = time_field(meta, "modifiedTime")? {
        f.modified_time = t;
    } else {
        f.modified_time = now;
    }
    if let Some(m) = media {
        set_media(s, ids, &mut f, m, &viewer.email, now, keep)?;
        changed_content = true;
    }
    let _ = changed_content;
    f.version += 1;
    f.last_modifying_user = Some(viewer.email.clone());
    let trash = bool_field(meta, "trashed")?;
    let real_id = f.id.clone();
    s.drive.files.insert(real_id.clone(), f.clone());
    s.drive.record_change(Some(&real_id), None, false, now);
    if let Some(t) = trash {
        if t != file_trashed(s, &real_id) {
            if !can.trash() {
                return Err(GoogleError::insufficient(&real_id));
            }
            set_trashed(s, &real_id, t, &viewer.email, now);
        }
    }
    Ok(real_id)
}

fn file_trashed(s: &GoogleState, id: &str) -> bool {
    s.drive.files.get(id).is_some_and(|f| f.trashed)
}

pub fn copy(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let all = all_drives(call)?;
    let keep = call.flag("keepRevisionForever")?;
    call.fields("File", DEFAULT_FILE_FIELDS)?;
    let meta = call.json()?;
    let id = call.param("fileId").to_string();
    let now = call.now();
    let new_id =
        call.write(|s, ids| copy_file(s, ids, &viewer, &id, &meta, Opts { all_drives: all, keep_forever: keep, now }))?;
    respond_file(call, &viewer, &new_id, 200, None)
}

/// Copies a file (`meta` overrides the copy's metadata); returns the copy's id.
pub fn copy_file(
    s: &mut GoogleState,
    ids: &mut IdGen,
    viewer: &Viewer,
    id: &str,
    meta: &Value,
    opts: Opts,
) -> Result<String> {
    let all = opts.all_drives;
    let (src, role) = visible(s, viewer, id, all)?;
    if src.is_folder() {
        return Err(GoogleError::forbidden("cannotCopyFile", "This file cannot be copied by the user."));
    }
    if src.copy_requires_writer_permission && role < Role::Writer {
        return Err(GoogleError::insufficient(&src.id));
    }
    let src = src.clone();
    let mut m = Map::new();
    m.insert("name".into(), json!(format!("Copy of {}", src.name)));
    m.insert("mimeType".into(), json!(src.mime_type));
    if let Some(d) = &src.description {
        m.insert("description".into(), json!(d));
    }
    if !src.properties.is_empty() {
        m.insert("properties".into(), json!(src.properties));
    }
    if !src.app_properties.is_empty() {
        m.insert("appProperties".into(), json!(src.app_properties));
    }
    // The copy lands next to the original when the caller may write there, else in root.
    let parent = src.parents.first().cloned();
    let parent_ok = parent.as_deref().is_some_and(|p| check_parent(s, viewer, p, all).is_ok());
    if parent_ok {
        m.insert("parents".into(), json!(src.parents));
    }
    if let Value::Object(over) = meta {
        for (k, v) in over {
            m.insert(k.clone(), v.clone());
        }
    }
    let meta = Value::Object(m);
    let media = match &src.content {
        Content::Blob { bytes, .. } => Some(Media::new(bytes.0.to_vec(), src.mime_type.clone())),
        _ => None,
    };
    let new_id = create_file(s, ids, viewer, &meta, media, opts)?;
    if let (Content::Editor(c), Some(f)) = (&src.content, s.drive.files.get(&new_id).cloned()) {
        let mut f = f;
        if f.mime_type == src.mime_type {
            f.content = Content::Editor(c.clone());
            s.drive.files.insert(new_id.clone(), f);
        }
    }
    Ok(new_id)
}

/// Deletes a file (and a folder's descendants) for good, releasing their bytes.
pub fn purge(s: &mut GoogleState, id: &str, now: DateTime<Utc>) {
    let mut doomed = s.drive.descendants(id);
    doomed.push(id.to_string());
    for fid in doomed {
        s.drive.record_change(Some(&fid), None, true, now);
        if let Some(f) = s.drive.files.remove(&fid) {
            release(s, f.stored_bytes());
        }
        let comments: Vec<String> =
            s.drive.comments.values().filter(|c| c.file_id == fid).map(|c| c.id.clone()).collect();
        for c in comments {
            s.drive.comments.remove(&c);
        }
    }
}

pub fn delete(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let all = all_drives(call)?;
    let id = call.param("fileId").to_string();
    let now = call.now();
    call.write(|s, _| {
        let (f, role) = visible(s, &viewer, &id, all)?;
        let can = Can { role, in_shared_drive: f.drive_id.is_some(), writers_can_share: f.writers_can_share };
        if f.is_root {
            return Err(GoogleError::forbidden("cannotDeleteRoot", "The root folder cannot be deleted."));
        }
        if !can.delete() {
            return Err(GoogleError::insufficient(&f.id));
        }
        let fid = f.id.clone();
        purge(s, &fid, now);
        Ok(())
    })?;
    Ok(no_content())
}

pub fn empty_trash(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let drive_id = call.q("driveId").filter(|d| !d.is_empty()).map(str::to_string);
    let now = call.now();
    call.write(|s, _| {
        let doomed: Vec<String> = match &drive_id {
            Some(d) => {
                let drive = s.drive.drives.get(d).ok_or_else(|| GoogleError::drive_not_found(d))?;
                match access::drive_role(drive, &viewer) {
                    None => return Err(GoogleError::drive_not_found(d)),
                    Some(r) if r < Role::Organizer => return Err(GoogleError::insufficient(d)),
                    Some(_) => {}
                }
                s.drive
                    .files
                    .values()
                    .filter(|f| f.explicitly_trashed && f.drive_id.as_deref() == Some(d))
                    .map(|f| f.id.clone())
                    .collect()
            }
            None => s
                .drive
                .files
                .values()
                .filter(|f| f.explicitly_trashed && f.owner.as_deref() == Some(viewer.email.as_str()))
                .map(|f| f.id.clone())
                .collect(),
        };
        for id in doomed {
            if s.drive.files.contains_key(&id) {
                purge(s, &id, now);
            }
        }
        Ok(())
    })?;
    Ok(no_content())
}

pub fn export(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let target =
        call.q("mimeType").filter(|m| !m.is_empty()).ok_or_else(|| GoogleError::required("mimeType"))?.to_string();
    let id = call.param("fileId");
    let (content, mime) =
        call.read(|s| visible(s, &viewer, id, true).map(|(f, _)| (f.content.clone(), f.mime_type.clone())))??;
    if !mime.starts_with(GOOGLE_APPS) || mime == FOLDER {
        return Err(
            GoogleError::forbidden("fileNotExportable", "Export only supports Docs Editors files.").at("fileId")
        );
    }
    let (bytes_out, ct) = content
        .export(&mime, &target)
        .ok_or_else(|| GoogleError::bad_request("The requested conversion is not supported.").at("convertTo"))?;
    if bytes_out.len() > EXPORT_LIMIT {
        return Err(GoogleError::forbidden("exportSizeLimitExceeded", "This file is too large to be exported."));
    }
    Ok(bytes(200, &ct, bytes_out))
}

pub fn generate_ids(call: &Call) -> Result<Response> {
    call.user()?;
    let count = call.int("count")?.unwrap_or(10);
    if !(1..=1000).contains(&count) {
        return Err(GoogleError::invalid_value("count"));
    }
    let space = call.q("space").unwrap_or("drive");
    if space != "drive" && space != "appDataFolder" {
        return Err(GoogleError::invalid_value("space"));
    }
    let sel = call.fields("GeneratedIds", "kind,space,ids")?;
    let generated = call.write(|_, idgen| Ok((0..count).map(|_| ids::file_id(idgen)).collect::<Vec<_>>()))?;
    Ok(ok(&sel.apply(json!({"kind": "drive#generatedIds", "space": space, "ids": generated}))))
}

pub fn watch(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let all = all_drives(call)?;
    let id = call.param("fileId");
    call.read(|s| visible(s, &viewer, id, all).map(|_| ()))??;
    super::changes::channel(call, &format!("files/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders() {
        assert!(parse_order("folder,modifiedTime desc,name", Dialect::V3).is_ok());
        assert!(parse_order("bogus", Dialect::V3).is_err());
        assert!(parse_order("name sideways", Dialect::V3).is_err());
        assert_eq!(parse_order("title desc", Dialect::V2).ok(), Some(vec![(OrderKey::Name, true)]));
        assert!(parse_order("name", Dialect::V2).is_err());
        assert_eq!(natural_cmp("file 2", "file 12"), Ordering::Less);
        assert_eq!("file 12".cmp("file 2"), Ordering::Less);
    }
}
