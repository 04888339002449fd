//! `about.get`: the user, the storage quota (the universe's upload cap) and the
//! formats Drive converts. `fields` is required, as Drive requires it.

use axum::response::Response;
use serde_json::json;

use super::files::viewer;
use super::user_json;
use crate::api::{ok, Call};
use crate::errors::Result;

pub fn get(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.required_fields("About")?;
    let body = call.read(|s| {
        let usage: u64 = s
            .drive
            .files
            .values()
            .filter(|f| f.owner.as_deref() == Some(viewer.email.as_str()))
            .map(|f| f.stored_bytes())
            .sum();
        let trash: u64 = s
            .drive
            .files
            .values()
            .filter(|f| f.trashed && f.owner.as_deref() == Some(viewer.email.as_str()))
            .map(|f| f.stored_bytes())
            .sum();
        json!({
            "kind": "drive#about",
            "user": user_json(s, &viewer.email, &viewer),
            "storageQuota": {
                "limit": s.storage_cap.to_string(),
                "usage": usage.to_string(),
                "usageInDrive": usage.to_string(),
                "usageInDriveTrash": trash.to_string(),
            },
            "importFormats": {
                "text/plain": ["application/vnd.google-apps.document"],
                "text/html": ["application/vnd.google-apps.document"],
                "text/markdown": ["application/vnd.google-apps.document"],
                "text/csv": ["application/vnd.google-apps.spreadsheet"],
            },
            "exportFormats": {
                "application/vnd.google-apps.document": ["text/plain", "text/html", "text/markdown"],
                "application/vnd.google-apps.spreadsheet": ["text/csv", "text/tab-separated-values"],
            },
            "maxImportSizes": {
                "application/vnd.google-apps.document": "10485760",
                "application/vnd.google-apps.spreadsheet": "104857600",
            },
            "maxUploadSize": s.storage_cap.to_string(),
            "appInstalled": false,
            "folderColorPalette": ["#ac725e", "#d06b64", "#f83a22", "#fa573c", "#ff7537", "#ffad46"],
            "driveThemes": [],
            "canCreateDrives": true,
            "canCreateTeamDrives": true,
        })
    })?;
    Ok(ok(&sel.apply(body)))
}
