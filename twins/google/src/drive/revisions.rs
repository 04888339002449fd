//! `revisions.*`: the versions of a binary file's bytes (each media upload makes
//! one). Editor files show one revision per version of their content.

use axum::response::Response;
use serde_json::{json, Value};

use super::access::Viewer;
use super::files::{download, release, viewer};
use super::model::{File, Revision, Role};
use super::{page, page_offset, page_size, time, user_json, visible};
use crate::api::{no_content, ok, Call};
use crate::errors::{GoogleError, Result};
use crate::model::GoogleState;

const DEFAULT: &str = "kind,id,mimeType,modifiedTime";

pub fn revision_json(s: &GoogleState, r: &Revision, viewer: &Viewer) -> Value {
    let mut out = json!({
        "kind": "drive#revision",
        "id": r.id,
        "mimeType": r.mime_type,
        "modifiedTime": time(&r.modified_time),
        "keepForever": r.keep_forever,
        "published": false,
        "md5Checksum": r.md5,
        "size": r.bytes.len().to_string(),
    });
    if let Some(u) = &r.last_modifying_user {
        out["lastModifyingUser"] = user_json(s, u, viewer);
    }
    if let Some(n) = &r.original_filename {
        out["originalFilename"] = json!(n);
    }
    out
}

/// The file whose revisions `viewer` may read (writers only, as Drive has it).
pub fn file_for(s: &GoogleState, viewer: &Viewer, id: &str) -> Result<File> {
    let (f, role) = visible(s, viewer, id, true)?;
    if role < Role::Writer {
        return Err(GoogleError::insufficient(&f.id));
    }
    Ok(f.clone())
}

pub fn list(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.fields("RevisionList", "kind,nextPageToken,revisions(kind,id,mimeType,modifiedTime)")?;
    let size = page_size(call, 200, 1000)?;
    let fid = call.param("fileId").to_string();
    let key = format!("revisions|{fid}");
    let offset = page_offset(call.q("pageToken"), &key)?;
    let (items, next) = call.read(|s| {
        let f = file_for(s, &viewer, &fid)?;
        let all: Vec<Value> = f.revisions.iter().map(|r| revision_json(s, r, &viewer)).collect();
        Ok::<_, GoogleError>(page(&all, offset, size, &key))
    })??;
    let mut body = json!({"kind": "drive#revisionList", "revisions": items});
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    Ok(ok(&sel.apply(body)))
}

pub fn get(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let (fid, rid) = (call.param("fileId").to_string(), call.param("revisionId").to_string());
    let rev = call.read(|s| {
        let f = file_for(s, &viewer, &fid)?;
        let r = if rid == "head" { f.revisions.last() } else { f.revisions.iter().find(|r| r.id == rid) };
        r.cloned()
            .map(|r| (revision_json(s, &r, &viewer), r))
            .ok_or_else(|| GoogleError::not_found("Revision", &rid, "revisionId"))
    })??;
    if call.q("alt") == Some("media") {
        return Ok(download(call, &rev.1.bytes, &rev.1.mime_type));
    }
    let sel = call.fields("Revision", DEFAULT)?;
    Ok(ok(&sel.apply(rev.0)))
}

pub fn update(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.fields("Revision", DEFAULT)?;
    let body = call.json()?;
    let (fid, rid) = (call.param("fileId").to_string(), call.param("revisionId").to_string());
    let out = call.write(|s, _| {
        let mut f = file_for(s, &viewer, &fid)?;
        let r = f
            .revisions
            .iter_mut()
            .find(|r| r.id == rid)
            .ok_or_else(|| GoogleError::not_found("Revision", &rid, "revisionId"))?;
        if let Some(b) = body.get("keepForever").and_then(Value::as_bool) {
            r.keep_forever = b;
        }
        let r = r.clone();
        s.drive.files.insert(f.id.clone(), f);
        Ok(revision_json(s, &r, &viewer))
    })?;
    Ok(ok(&sel.apply(out)))
}

pub fn delete(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let (fid, rid) = (call.param("fileId").to_string(), call.param("revisionId").to_string());
    call.write(|s, _| {
        let mut f = file_for(s, &viewer, &fid)?;
        let pos = f
            .revisions
            .iter()
            .position(|r| r.id == rid)
            .ok_or_else(|| GoogleError::not_found("Revision", &rid, "revisionId"))?;
        if pos + 1 == f.revisions.len() {
            return Err(GoogleError::forbidden("revisionDeletionNotSupported", "The head revision cannot be deleted."));
        }
        let gone = f.revisions.remove(pos);
        release(s, gone.bytes.len());
        s.drive.files.insert(f.id.clone(), f);
        Ok(())
    })?;
    Ok(no_content())
}
