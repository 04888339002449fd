//! apps.connections.open: a single-use Socket Mode URL on the twin's own origin.

use serde_json::json;

use super::{ok, Call, Reply};
use crate::errors::SlackError;

/// `{"ok": true, "url": "ws://<host>/u/<universe>/link/?ticket=…&app_id=…"}`. The ticket
/// names the universe too, so the URL works with or without the `/u/{id}` prefix.
pub fn apps_connections_open(call: &Call<'_>) -> Result<Reply, SlackError> {
    let app_id = call.actor.app_id.clone().unwrap_or_default();
    let ticket = crate::delivery::hub(&call.ctx.universe).mint_ticket();
    let base = call.ctx.universe_url();
    let base = match base.split_once("://") {
        Some(("https", rest)) => format!("wss://{rest}"),
        Some((_, rest)) => format!("ws://{rest}"),
        None => base,
    };
    Ok(ok(json!({ "url": format!("{base}/link/?ticket={ticket}&app_id={app_id}") })))
}

/// An `app_id` argument: `invalid_app_id` when it is not an app id at all,
/// `invalid_app` when it is not this workspace's app.
fn own_app(call: &Call<'_>, app_id: &str) -> Result<(), SlackError> {
    let app_id = app_id.trim();
    let shaped = app_id.len() > 1
        && app_id.starts_with('A')
        && app_id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !shaped {
        return Err(SlackError::Code("invalid_app_id"));
    }
    call.read(|s| match s.bot().is_some_and(|b| b.app_id == app_id) {
        true => Ok(()),
        false => Err(SlackError::Code("invalid_app")),
    })
}

const LOG_LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error", "fatal"];
const LOG_SOURCES: &[&str] = &["slack", "developer"];
const COMPONENT_TYPES: &[&str] = &["events_api", "workflows", "functions", "tables"];

/// apps.activities.list: the activity log of a Slack-hosted app's functions and
/// workflows. The twin's app runs none, so its log is empty; the filters are checked.
pub fn apps_activities_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let invalid = SlackError::Code("invalid_args");
    let app_id = call.params.nonempty("app_id").ok_or(invalid.clone())?;
    own_app(call, &app_id)?;
    for (key, allowed) in [
        ("min_log_level", LOG_LEVELS),
        ("source", LOG_SOURCES),
        ("component_type", COMPONENT_TYPES),
        ("sort_direction", &["asc", "desc"][..]),
    ] {
        if call.params.nonempty(key).is_some_and(|v| !allowed.contains(&v.trim())) {
            return Err(invalid);
        }
    }
    for key in ["limit", "min_date_created", "max_date_created"] {
        if call.params.int(key).is_err() {
            return Err(invalid);
        }
    }
    if call.params.int("limit").ok().flatten().is_some_and(|n| n < 0) {
        return Err(invalid);
    }
    if let Some(team) = call.params.nonempty("team_id") {
        if call.read(|s| Ok(s.team_id()))? != team.trim() {
            return Err(invalid);
        }
    }
    // No log entry exists, so no cursor can point into the log.
    if call.params.nonempty("cursor").is_some() {
        return Err(SlackError::Code("invalid_cursor"));
    }
    Ok(ok(json!({ "activities": [], "response_metadata": { "next_cursor": "" } })))
}

/// Slack's bounds on an app icon's sides (pixels).
const ICON_SIDES: std::ops::RangeInclusive<u32> = 512..=2000;
const MAX_ICON_URL: usize = 3000;

/// Width and height of a PNG, GIF or JPEG; `None` when the bytes are none of those.
pub fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let be16 = |i: usize| Some(u32::from(u16::from_be_bytes([*bytes.get(i)?, *bytes.get(i + 1)?])));
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let be32 = |i: usize| Some(u32::from_be_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
        return Some((be32(16)?, be32(20)?));
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        let le16 = |i: usize| Some(u32::from(u16::from_le_bytes([*bytes.get(i)?, *bytes.get(i + 1)?])));
        return Some((le16(6)?, le16(8)?));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        // Walk the segments to the first start-of-frame marker.
        let mut at = 2;
        while at + 4 <= bytes.len() {
            if bytes[at] != 0xFF {
                return None;
            }
            let marker = bytes[at + 1];
            let length = be16(at + 2)? as usize;
            let frame = (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
            if frame {
                return Some((be16(at + 7)?, be16(at + 5)?));
            }
            at += 2 + length;
        }
    }
    None
}

/// apps.icon.set: a workspace admin sets the app's icon, from an uploaded image (PNG,
/// GIF or JPEG, each side 512 to 2000 pixels) or a public URL (the twin fetches
/// nothing, so a well-formed http(s) URL is taken as reachable). The icon itself is
/// not kept: no method the twin serves shows an app's icon.
pub fn apps_icon_set(call: &Call<'_>) -> Result<Reply, SlackError> {
    let app_id = call.arg("app_id")?;
    own_app(call, &app_id)?;
    if !call.actor.is_admin {
        return Err(SlackError::Code("no_permission"));
    }
    let url = call.params.nonempty("url");
    let file = call.params.file("file").map(<[u8]>::to_vec).or_else(|| call.params.str("file").map(String::into_bytes));
    match (url, file) {
        (None, None) => Err(SlackError::Code("missing_arguments")),
        (Some(_), Some(_)) => Err(SlackError::Code("invalid_parameters")),
        (Some(url), None) => {
            let url = url.trim();
            let reachable = url.len() <= MAX_ICON_URL
                && reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
            match reachable {
                true => Ok(ok(json!({}))),
                false => Err(SlackError::Code("icon_not_accessible")),
            }
        }
        (None, Some(bytes)) => {
            if bytes.is_empty() {
                return Err(SlackError::Code("unable_to_open_file"));
            }
            let (width, height) = image_size(&bytes).ok_or(SlackError::Code("error_bad_format"))?;
            if !ICON_SIDES.contains(&width) || !ICON_SIDES.contains(&height) {
                return Err(SlackError::Code("invalid_icon_size"));
            }
            Ok(ok(json!({})))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::image_size;

    #[test]
    fn image_sizes_of_png_gif_and_jpeg() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&600u32.to_be_bytes());
        png.extend_from_slice(&700u32.to_be_bytes());
        assert_eq!(image_size(&png), Some((600, 700)));
        let gif = [b"GIF89a".as_slice(), &[0x00, 0x02, 0x10, 0x00]].concat();
        assert_eq!(image_size(&gif), Some((512, 16)));
        // SOI, an APP0 segment of 4 bytes, then SOF0: precision 8, height 0x0300, width 0x0200.
        let jpeg =
            [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x03, 0x00, 0x02, 0x00];
        assert_eq!(image_size(&jpeg), Some((512, 768)));
        assert_eq!(image_size(b"not an image"), None);
        assert_eq!(image_size(b"\x89PNG\r\n\x1a\n"), None);
    }
}
