//! files.remote.*: files an app keeps elsewhere, registered by their link and the app's
//! own id for them (`external_id`), then shared into conversations like any file.

use serde_json::{json, Value};

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::methods::files::{delete_file, visible_file};
use crate::model::{Access, File, Message, NewMessage, RemoteFile, Share, SlackState};
use crate::paging::{metadata, page_request, paginate, Limits};
use crate::views::file_json;

const MAX_EXTERNAL_ID: usize = 255;
const MAX_TITLE: usize = 255;
/// Largest preview image or search text taken (bytes).
const MAX_PART: usize = 1024 * 1024;
const REMOTE_LIMITS: Limits = Limits { default: 100, max: 1000, strict: false };

fn valid_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "http://".len()
        && !url.contains(char::is_whitespace)
}

/// `preview_image`: a JPG, PNG or GIF.
fn preview(call: &Call<'_>) -> Result<Option<bool>, SlackError> {
    let Some(data) = call.params.file("preview_image") else { return Ok(None) };
    if data.len() > MAX_PART {
        return Err(SlackError::Code("too_large"));
    }
    let image = data.starts_with(b"\x89PNG") || data.starts_with(&[0xFF, 0xD8, 0xFF]) || data.starts_with(b"GIF8");
    if !image {
        return Err(SlackError::Code("bad_image"));
    }
    Ok(Some(true))
}

/// `indexable_file_contents`: a file part or a plain argument, kept as text.
fn indexable(call: &Call<'_>) -> Result<Option<String>, SlackError> {
    let text = match call.params.file("indexable_file_contents") {
        Some(data) => Some(String::from_utf8_lossy(data).into_owned()),
        None => call.params.str("indexable_file_contents"),
    };
    if text.as_ref().is_some_and(|t| t.len() > MAX_PART) {
        return Err(SlackError::Code("too_large"));
    }
    Ok(text)
}

/// `(mimetype, filetype, pretty_type)` of a remote file: `remote` unless the app names a type.
fn remote_type(filetype: Option<&str>) -> (String, String, String) {
    match filetype {
        Some(t) => {
            let (mime, _, pretty) = crate::methods::files::file_type(&format!("x.{t}"));
            let pretty = if mime == "application/octet-stream" { t.to_uppercase() } else { pretty.to_string() };
            (mime.to_string(), t.to_string(), pretty)
        }
        None => ("application/vnd.slack-remote".into(), "remote".into(), "Remote".into()),
    }
}

/// The remote file named by `file` or `external_id` (exactly one of them unless
/// `both_ok`), among the caller's app's files for `external_id`.
fn find_remote<'s>(s: &'s SlackState, call: &Call<'_>, both_ok: bool) -> Result<&'s File, SlackError> {
    let file = call.params.nonempty("file");
    let external = call.params.nonempty("external_id");
    let found = match (&file, &external) {
        (None, None) => return Err(SlackError::Code("invalid_args")),
        (Some(_), Some(_)) if !both_ok => return Err(SlackError::Code("too_many_ids")),
        (Some(id), _) => visible_file(s, call, id).ok().filter(|f| f.external.is_some()),
        (None, Some(ext)) => {
            let app = call.actor.app_id.clone().unwrap_or_default();
            s.files.values().find(|f| {
                !f.deleted && f.external.as_ref().is_some_and(|e| e.external_id == ext.trim() && e.app_id == app)
            })
        }
    };
    let f = found.ok_or(SlackError::Code("file_not_found"))?;
    if let (Some(ext), Some(e)) = (&external, &f.external) {
        if e.external_id != ext.trim() {
            return Err(SlackError::Code("file_not_found"));
        }
    }
    Ok(f)
}

pub fn files_remote_add(call: &Call<'_>) -> Result<Reply, SlackError> {
    let external_id = call.arg("external_id")?;
    let external_url = call.arg("external_url")?;
    let title = call.arg("title")?;
    if external_id.chars().count() > MAX_EXTERNAL_ID {
        return Err(SlackError::Code("invalid_external_id"));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(SlackError::Code("bad_title"));
    }
    if !valid_url(external_url.trim()) {
        return Err(SlackError::invalid("external_url"));
    }
    let has_preview = preview(call)?.unwrap_or(false);
    let indexable = indexable(call)?;
    let (mimetype, filetype, pretty_type) = remote_type(call.params.nonempty("filetype").as_deref());
    let app_id = call.actor.app_id.clone().unwrap_or_default();
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, ids| {
        // The app's id for a file names one file: adding it again registers it anew in place.
        let existing = s
            .files
            .values()
            .find(|f| {
                !f.deleted && f.external.as_ref().is_some_and(|e| e.app_id == app_id && e.external_id == external_id)
            })
            .map(|f| (f.id.clone(), f.shares.clone(), f.created));
        let (id, shares, created) = match existing {
            Some(found) => found,
            None => (s.fresh_file_id(ids), Vec::new(), now),
        };
        let file = File {
            id: id.clone(),
            name: title.clone(),
            title: title.clone(),
            mimetype: mimetype.clone(),
            filetype: filetype.clone(),
            pretty_type: pretty_type.clone(),
            user: me.clone(),
            size: 0,
            created,
            alt_txt: None,
            snippet_type: None,
            shares,
            deleted: false,
            public_url_shared: false,
            external: Some(RemoteFile {
                app_id: app_id.clone(),
                external_id: external_id.clone(),
                external_url: external_url.trim().to_string(),
                indexable: indexable.clone(),
                has_preview,
                updated: now,
            }),
        };
        s.files.insert(id, file.clone());
        Ok(ok(json!({ "file": file_json(s, &file) })))
    })
}

pub fn files_remote_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.read(|s| {
        let f = find_remote(s, call, false)?;
        Ok(ok(json!({ "file": file_json(s, f) })))
    })
}

pub fn files_remote_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let req = page_request(call.params, "file", REMOTE_LIMITS)?;
    let channel = call.params.nonempty("channel");
    let ts_from = call.params.int("ts_from")?.unwrap_or(0);
    let ts_to = call.params.int("ts_to")?.unwrap_or(i64::MAX);
    call.read(|s| {
        let mut list: Vec<(String, &File)> = s
            .files
            .values()
            .filter(|f| f.external.is_some() && visible_file(s, call, &f.id).is_ok())
            .filter(|f| f.created >= ts_from && f.created <= ts_to)
            .filter(|f| channel.as_ref().is_none_or(|c| f.shares.iter().any(|sh| sh.channel == *c)))
            .map(|f| (format!("{:012}:{}", f.created, f.id), f))
            .collect();
        list.sort_by(|a, b| b.0.cmp(&a.0));
        let page = paginate(list, &req, "file", true);
        let files: Vec<Value> = page.items.iter().map(|f| file_json(s, f)).collect();
        Ok(ok(json!({ "files": files, "response_metadata": metadata(&page.next_cursor) })))
    })
}

pub fn files_remote_update(call: &Call<'_>) -> Result<Reply, SlackError> {
    let title = call.params.str("title");
    if title.as_deref().is_some_and(|t| t.trim().is_empty() || t.chars().count() > MAX_TITLE) {
        return Err(SlackError::Code("invalid_title"));
    }
    let url = call.params.str("external_url");
    if url.as_deref().is_some_and(|u| !valid_url(u.trim())) {
        return Err(SlackError::Code("invalid_url"));
    }
    let filetype = call.params.str("filetype");
    if filetype.as_deref().is_some_and(|t| t.trim().is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric())) {
        return Err(SlackError::Code("invalid_type"));
    }
    let has_preview = preview(call)?;
    let indexable = indexable(call)?;
    let now = call.now_s();
    call.write(|s, _| {
        let mut f = find_remote(s, call, true)?.clone();
        if f.external.as_ref().is_some_and(|e| Some(&e.app_id) != call.actor.app_id.as_ref()) {
            return Err(SlackError::Code("file_not_found"));
        }
        if let Some(title) = &title {
            f.title = title.clone();
            f.name = title.clone();
        }
        if let Some(t) = &filetype {
            let (mimetype, filetype, pretty) = remote_type(Some(t.trim()));
            (f.mimetype, f.filetype, f.pretty_type) = (mimetype, filetype, pretty);
        }
        if let Some(ext) = &mut f.external {
            if let Some(url) = &url {
                ext.external_url = url.trim().to_string();
            }
            if let Some(p) = has_preview {
                ext.has_preview = p;
            }
            if indexable.is_some() {
                ext.indexable = indexable.clone();
            }
            ext.updated = now;
        }
        s.files.insert(f.id.clone(), f.clone());
        Ok(ok(json!({ "file": file_json(s, &f) })))
    })
}

pub fn files_remote_remove(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.write(|s, _| {
        let f = find_remote(s, call, false)?.clone();
        if f.external.as_ref().is_some_and(|e| Some(&e.app_id) != call.actor.app_id.as_ref()) {
            return Err(SlackError::Code("file_not_found"));
        }
        delete_file(s, f)?;
        Ok(ok(json!({})))
    })
}

/// Shares the file into each channel as a message from the caller.
pub fn files_remote_share(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channels = call.params.list("channels");
    if channels.is_empty() {
        return Err(SlackError::missing("channels"));
    }
    let me = call.actor.user.clone();
    let micros = call.now_micros();
    call.write(|s, _| {
        let mut f = find_remote(s, call, true)?.clone();
        for channel in &channels {
            let ch = s.access(channel, &call.actor, Access::See)?.clone();
            if !s.is_member(&ch.id, &me) {
                return Err(SlackError::NotInChannel);
            }
            if ch.is_archived {
                return Err(SlackError::IsArchived);
            }
            let message = Message {
                user: Some(me.clone()),
                bot_id: call.actor.bot_id.clone(),
                app_id: call.actor.app_id.clone(),
                subtype: Some("file_share".into()),
                files: vec![f.id.clone()],
                ..Message::default()
            };
            let posted = s.post(&ch.id, NewMessage { message, ..NewMessage::default() }, micros)?;
            f.shares.push(Share { channel: ch.id.clone(), ts: posted.ts.clone() });
        }
        s.files.insert(f.id.clone(), f.clone());
        Ok(ok(json!({ "file": file_json(s, &f) })))
    })
}
