//! Resumable uploads: the initiating request answers 200 with an absolute
//! `Location` (naming the universe, so it works without a credential); each `PUT`
//! appends a chunk (`Content-Range: bytes a-b/total`) and answers 308 with
//! `Range: bytes=0-N` until the last one creates or updates the file. A status
//! query (`Content-Range: bytes */total`) answers where the session stands.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::access::Viewer;
use super::files::{create_file, release, reserve, respond_file, update_file, viewer, Media, Opts};
use super::model::{Blob, UploadSession};
use crate::api::Call;
use crate::errors::{GoogleError, Result};
use crate::ids;

/// Where a version's session `PUT`s go (under the universe's public base).
pub const V3_SESSIONS: &str = "/upload/drive/v3/files";

/// Renders the file a finished upload made: the call, the viewer, the file's id and the `fields` of the initiating request.
pub type Render = fn(&Call, &Viewer, &str, &str) -> Result<Response>;

/// Opens a session; its chunks go to `sessions` (a path that routes to [`put`] or its v2 twin).
pub fn start(call: &Call, viewer: &Viewer, file_id: Option<String>, meta: Value, sessions: &str) -> Result<Response> {
    let mime = call
        .header("x-upload-content-type")
        .map(str::to_string)
        .or_else(|| meta.get("mimeType").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let total = match call.header("x-upload-content-length") {
        Some(v) => {
            Some(v.trim().parse::<u64>().map_err(|_| GoogleError::bad_request("Invalid X-Upload-Content-Length."))?)
        }
        None => None,
    };
    let now = call.now();
    let user = viewer.email.clone();
    let query: Vec<(String, String)> = call.query.iter().filter(|(k, _)| k != "uploadType").cloned().collect();
    let id = call.write(|s, idgen| {
        if let Some(n) = total {
            if s.drive.bytes_used.saturating_add(n) > s.storage_cap {
                return Err(GoogleError::storage_quota());
            }
        }
        let id = ids::upload_id(idgen);
        let session = UploadSession {
            id: id.clone(),
            user,
            file_id,
            metadata: meta,
            query,
            mime_type: mime,
            total,
            received: Blob::default(),
            created: now,
        };
        s.drive.uploads.insert(id.clone(), session);
        Ok(id)
    })?;
    let location = format!("{}{sessions}?uploadType=resumable&upload_id={id}", call.public_base());
    let mut response = StatusCode::OK.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
        .headers_mut()
        .insert("x-guploader-uploadid", HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("")));
    Ok(response)
}

fn incomplete(received: u64) -> Response {
    let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
    if received > 0 {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes=0-{}", received - 1)) {
            response.headers_mut().insert(header::RANGE, v);
        }
    }
    response
}

enum ContentRange {
    /// `bytes */total` (or `*/*`): a status query.
    Status(Option<u64>),
    Chunk {
        start: u64,
        total: Option<u64>,
    },
}

fn content_range(value: Option<&str>, body_len: u64) -> Result<ContentRange> {
    let Some(v) = value else {
        // No Content-Range: the whole body at once.
        return Ok(ContentRange::Chunk { start: 0, total: Some(body_len) });
    };
    let bad = || GoogleError::bad_request("Failed to parse Content-Range header.");
    let rest = v.trim().strip_prefix("bytes").ok_or_else(bad)?.trim();
    let (range, total) = rest.split_once('/').ok_or_else(bad)?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse::<u64>().map_err(|_| bad())?),
    };
    if range.trim() == "*" {
        return Ok(ContentRange::Status(total));
    }
    let (a, b) = range.split_once('-').ok_or_else(bad)?;
    let start: u64 = a.trim().parse().map_err(|_| bad())?;
    let end: u64 = b.trim().parse().map_err(|_| bad())?;
    if end < start || end - start + 1 != body_len {
        return Err(bad());
    }
    Ok(ContentRange::Chunk { start, total })
}

/// `PUT` on a session's Location.
pub fn put(call: &Call) -> Result<Response> {
    put_rendered(call, |call, viewer, id, fields| respond_file(call, viewer, id, 200, Some(fields)))
}

/// `PUT` on a session's Location, the finished file rendered by `render`.
pub fn put_rendered(call: &Call, render: Render) -> Result<Response> {
    let upload_id =
        call.q("upload_id").filter(|s| !s.is_empty()).ok_or_else(|| GoogleError::required("upload_id"))?.to_string();
    let session = call.read(|s| s.drive.uploads.get(&upload_id).cloned())?;
    let session = session.ok_or_else(|| GoogleError::not_found("Upload session", &upload_id, "upload_id"))?;
    let body_len = call.body.len() as u64;
    let range = content_range(call.header("content-range"), body_len)?;
    let received = session.received.len();
    let (start, total) = match range {
        ContentRange::Status(total) => {
            if total.is_some_and(|t| t == received) && total.is_some() && received > 0 {
                // Everything is there but the file was never made (a lost final response): finish now.
                return finish(call, session, render);
            }
            return Ok(incomplete(received));
        }
        ContentRange::Chunk { start, total } => (start, total),
    };
    if start > received {
        return Err(GoogleError::bad_request(format!(
            "Invalid request. According to the Content-Range header, the upload offset is {start} byte(s), which exceeds already uploaded size of {received} byte(s)."
        )));
    }
    let total = total.or(session.total);
    // Bytes the session already holds are skipped (a resent chunk).
    let skip = (received - start) as usize;
    let fresh = call.body.get(skip..).unwrap_or(&[]).to_vec();
    if let Some(t) = total {
        if received + fresh.len() as u64 > t {
            return Err(GoogleError::bad_request("The uploaded bytes exceed the declared total size."));
        }
    }
    let session = call.write(|s, _| {
        reserve(s, fresh.len() as u64)?;
        let mut session = session.clone();
        let mut bytes = session.received.0.as_ref().clone();
        bytes.extend_from_slice(&fresh);
        session.received = Blob::new(bytes);
        session.total = total;
        s.drive.uploads.insert(session.id.clone(), session.clone());
        Ok(session)
    })?;
    match total {
        Some(t) if session.received.len() == t => finish(call, session, render),
        _ => Ok(incomplete(session.received.len())),
    }
}

fn finish(call: &Call, session: UploadSession, render: Render) -> Result<Response> {
    let viewer = viewer(call)?;
    if viewer.email != session.user {
        return Err(GoogleError::unauthenticated());
    }
    let flag = |name: &str| session.query.iter().any(|(k, v)| k == name && v == "true");
    let all = flag("supportsAllDrives") || flag("supportsTeamDrives");
    let keep = flag("keepRevisionForever");
    let fields = session.query.iter().find(|(k, _)| k == "fields").map(|(_, v)| v.clone()).unwrap_or_default();
    let list = |name: &str| -> Vec<String> {
        session
            .query
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect::<Vec<_>>())
            .collect()
    };
    let (add, remove) = (list("addParents"), list("removeParents"));
    let now = call.now();
    let media = Media::new(session.received.0.as_ref().clone(), session.mime_type.clone());
    let id = call.write(|s, ids| {
        let held = session.received.len();
        s.drive.uploads.remove(&session.id);
        release(s, held);
        match &session.file_id {
            None => create_file(
                s,
                ids,
                &viewer,
                &session.metadata,
                Some(media),
                Opts { all_drives: all, keep_forever: keep, now },
            ),
            Some(fid) => update_file(
                s,
                ids,
                &viewer,
                fid,
                (&session.metadata, Some(media)),
                (&add, &remove),
                Opts { all_drives: all, keep_forever: keep, now },
            ),
        }
    })?;
    render(call, &viewer, &id, &fields)
}
