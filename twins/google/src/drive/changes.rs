//! `changes.*`: a start token, then the files that changed since, visible to the
//! caller (removals of files it owned), with `newStartPageToken` on the last page.
//! `watch` and `channels.stop` are accepted; nothing is ever delivered.

use axum::response::Response;
use serde_json::{json, Value};

use super::access;
use super::files::viewer;
use super::model::{DriveState, Role};
use super::{drive_json, file_json, page_size, time};
use crate::api::{no_content, ok, Call};
use crate::errors::{GoogleError, Result};

pub fn start_page_token(call: &Call) -> Result<Response> {
    viewer(call)?;
    let sel = call.fields("StartPageToken", "kind,startPageToken")?;
    let next = call.read(|s| s.drive.next_change.max(1))?;
    Ok(ok(&sel.apply(json!({"kind": "drive#startPageToken", "startPageToken": next.to_string()}))))
}

pub fn list(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.fields(
        "ChangeList",
        "kind,nextPageToken,newStartPageToken,changes(kind,changeType,time,removed,fileId,driveId,file(kind,id,name,mimeType),drive(kind,id,name))",
    )?;
    let token = call.q("pageToken").filter(|t| !t.is_empty()).ok_or_else(|| GoogleError::required("pageToken"))?;
    let start: u64 = token.parse().map_err(|_| GoogleError::invalid_value("pageToken"))?;
    let size = page_size(call, 100, 1000)?;
    let include_removed = call.q("includeRemoved").is_none_or(|v| v != "false");
    let include_drives = call.flag("includeItemsFromAllDrives")? || call.flag("includeTeamDriveItems")?;
    let restrict = call.flag("restrictToMyDrive")?;
    let drive_filter = call.q("driveId").filter(|d| !d.is_empty()).map(str::to_string);
    let body = call.read(|s| {
        let mut changes = Vec::new();
        let mut next_token = None;
        let from = DriveState::change_key(start);
        let mut last = start;
        for (_, c) in s.drive.changes.range(from..) {
            last = c.seq + 1;
            let file = c.file_id.as_deref().and_then(|id| s.drive.files.get(id));
            let mut entry =
                json!({"kind": "drive#change", "changeType": "file", "time": time(&c.time), "removed": c.removed});
            if let Some(id) = &c.file_id {
                entry["fileId"] = json!(id);
            }
            match (file, c.removed) {
                (Some(f), false) => {
                    if f.drive_id.is_some() && (!include_drives || restrict) {
                        continue;
                    }
                    if drive_filter.is_some() && f.drive_id != drive_filter {
                        continue;
                    }
                    // The caller's corpus: owned, shared directly or through a group, or a member's shared drive.
                    let Some(role) = access::role_in(s, f, &viewer, access::Reach::Direct) else { continue };
                    if f.is_root {
                        continue;
                    }
                    entry["file"] = file_json(s, f, &viewer, role.max(Role::Reader));
                    if let Some(d) = &f.drive_id {
                        entry["driveId"] = json!(d);
                    }
                }
                (None, true) if include_removed && c.owner.as_deref() == Some(viewer.email.as_str()) => {}
                _ => continue,
            }
            changes.push(entry);
            if changes.len() >= size {
                break;
            }
        }
        let end = s.drive.next_change.max(1);
        let more = changes.len() >= size && last < end;
        let mut body = json!({"kind": "drive#changeList", "changes": changes});
        if more {
            next_token = Some(last.to_string());
        }
        match next_token {
            Some(t) => body["nextPageToken"] = json!(t),
            None => body["newStartPageToken"] = json!(end.to_string()),
        }
        let _ = drive_json;
        body
    })?;
    Ok(ok(&sel.apply(body)))
}

/// A notification channel as `watch` answers it (never delivered to).
pub fn channel(call: &Call, resource: &str) -> Result<Response> {
    let body = call.json()?;
    let id = body.get("id").and_then(Value::as_str).ok_or_else(|| GoogleError::required("id"))?;
    let kind = body.get("type").and_then(Value::as_str).unwrap_or("web_hook");
    let sel = call.fields("Channel", "kind,id,resourceId,resourceUri,expiration")?;
    let expiration = (call.now() + chrono::Duration::hours(1)).timestamp_millis().to_string();
    let resource_id = format!("{:x}", super::fnv(resource));
    let mut out = json!({
        "kind": "api#channel",
        "id": id,
        "resourceId": resource_id,
        "resourceUri": format!("{}/drive/v3/{resource}?alt=json", call.public_base()),
        "expiration": expiration,
        "type": kind,
    });
    if let Some(a) = body.get("address") {
        out["address"] = a.clone();
    }
    if let Some(t) = body.get("token") {
        out["token"] = t.clone();
    }
    Ok(ok(&sel.apply(out)))
}

pub fn watch(call: &Call) -> Result<Response> {
    viewer(call)?;
    call.q("pageToken").filter(|t| !t.is_empty()).ok_or_else(|| GoogleError::required("pageToken"))?;
    channel(call, "changes")
}

pub fn stop(call: &Call) -> Result<Response> {
    viewer(call)?;
    call.json()?;
    Ok(no_content())
}
