//! api.test, team.billing.info, team.preferences.list, users.setPhoto, users.deletePhoto.

use serde_json::{json, Map, Value};

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::views::profile_json;

pub const API_TEST: &str = "api.test";

/// Methods that answer without a token (the OAuth exchanges take client credentials).
pub const NO_TOKEN: &[&str] =
    &[API_TEST, "oauth.access", "oauth.v2.access", "oauth.v2.user.access", "oauth.v2.exchange", "openid.connect.token"];

/// The workspace's plan as `team.billing.info` names it (`std` is Slack's Pro plan).
pub const TEAM_PLAN: &str = "std";

/// Largest profile photo accepted (bytes).
pub const MAX_PHOTO: usize = 10 * 1024 * 1024;

/// Echoes its arguments as `args`; an `error` argument makes it fail with that error.
/// It needs no token.
pub fn api_test(call: &Call<'_>) -> Result<Reply, SlackError> {
    let args: Map<String, Value> = call.params.all().map(|(k, v)| (k.clone(), v.clone())).collect();
    let args = Value::Object(args);
    if let Some(error) = call.params.nonempty("error") {
        return Err(SlackError::Echo { error, args });
    }
    if args.as_object().is_some_and(Map::is_empty) {
        return Ok(ok(json!({})));
    }
    Ok(ok(json!({ "args": args })))
}

pub fn team_billing_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.read(|s| {
        s.team().ok_or(SlackError::Code("invalid_team"))?;
        Ok(ok(json!({ "plan": TEAM_PLAN })))
    })
}

/// The workspace preferences the method reports: the defaults of a new workspace.
pub fn team_preferences_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.read(|s| {
        s.team().ok_or(SlackError::Code("invalid_team"))?;
        Ok(ok(json!({
            "display_real_names": false,
            "disable_file_uploads": "allow_all",
            "msg_edit_window_mins": -1,
            "who_can_post_general": "everyone",
            "allow_message_deletion": true,
        })))
    })
}

/// The image formats Slack takes for profile photos, by their first bytes.
fn image_kind(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Some("gif")
    } else {
        None
    }
}

/// Frames of a GIF: its image descriptors, counted by walking its blocks.
fn gif_frames(data: &[u8]) -> usize {
    let mut i = 13;
    if let Some(&flags) = data.get(10) {
        if flags & 0x80 != 0 {
            i += 3 * (1usize << ((flags & 0x07) + 1));
        }
    }
    let mut frames = 0;
    let skip_sub_blocks = |mut j: usize| -> Option<usize> {
        loop {
            let len = *data.get(j)? as usize;
            j += 1;
            if len == 0 {
                return Some(j);
            }
            j += len;
        }
    };
    while let Some(&b) = data.get(i) {
        match b {
            0x2C => {
                frames += 1;
                let Some(&flags) = data.get(i + 9) else { break };
                i += 10;
                if flags & 0x80 != 0 {
                    i += 3 * (1usize << ((flags & 0x07) + 1));
                }
                i += 1; // LZW minimum code size
                match skip_sub_blocks(i) {
                    Some(j) => i = j,
                    None => break,
                }
            }
            0x21 => match skip_sub_blocks(i + 2) {
                Some(j) => i = j,
                None => break,
            },
            _ => break,
        }
    }
    frames
}

/// FNV-1a of the bytes, as the photo's hash in its URLs.
fn photo_hash(data: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:012x}", h & 0xffff_ffff_ffff)
}

pub fn users_set_photo(call: &Call<'_>) -> Result<Reply, SlackError> {
    let data = call.params.file("image").ok_or(SlackError::Code("bad_image"))?;
    if data.len() > MAX_PHOTO {
        return Err(SlackError::Code("too_large"));
    }
    let kind = image_kind(data).ok_or(SlackError::Code("bad_image"))?;
    if kind == "gif" && gif_frames(data) > 1 {
        return Err(SlackError::Code("too_many_frames"));
    }
    for key in ["crop_x", "crop_y", "crop_w"] {
        if call.params.int(key)?.is_some_and(|n| n < 0) {
            return Err(SlackError::invalid(key));
        }
    }
    let hash = photo_hash(data);
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, _| {
        let mut user = s.user(&me)?.clone();
        user.photo = Some(hash.clone());
        user.updated = now;
        let profile = profile_json(&user, true);
        s.users.insert(me.clone(), user);
        let mut body = Map::new();
        for (k, v) in profile.as_object().into_iter().flatten() {
            if k.starts_with("image_") {
                body.insert(k.clone(), v.clone());
            }
        }
        body.insert("avatar_hash".into(), json!(hash));
        Ok(ok(json!({ "profile": body })))
    })
}

pub fn users_delete_photo(call: &Call<'_>) -> Result<Reply, SlackError> {
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, _| {
        let mut user = s.user(&me)?.clone();
        if user.photo.take().is_some() {
            user.updated = now;
            s.users.insert(me.clone(), user);
        }
        Ok(ok(json!({})))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_kinds_and_gif_frames() {
        assert_eq!(image_kind(b"\x89PNG\r\n\x1a\nrest"), Some("png"));
        assert_eq!(image_kind(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("jpg"));
        assert_eq!(image_kind(b"hello"), None);
        // header, no colour table, one frame (descriptor, no local table, code size, one
        // sub-block, terminator), trailer
        let mut gif = b"GIF89a".to_vec();
        gif.extend([1, 0, 1, 0, 0, 0, 0]);
        let frame = [0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 1, 0x44, 0];
        gif.extend(frame);
        assert_eq!(gif_frames(&gif), 1);
        gif.extend(frame);
        gif.push(0x3B);
        assert_eq!(gif_frames(&gif), 2);
        assert_eq!(gif_frames(b"GIF89a"), 0);
    }
}
