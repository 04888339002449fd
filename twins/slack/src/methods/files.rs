//! files.*: the v2 upload flow (getUploadURLExternal → upload URL → completeUploadExternal),
//! info, list, delete, and the retired files.upload.

use serde_json::{json, Value};

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::model::{message_key, Access, File, Message, NewMessage, Share, SlackState, Upload};
use crate::views::file_json;

/// Largest file Slack accepts (1 GB, its documented per-file limit): what
/// `length` may announce here, and what the upload URL takes.
pub const MAX_UPLOAD: i64 = 1024 * 1024 * 1024;
const MAX_ALT_TXT: usize = 1000;

/// (extension, mimetype, filetype, pretty type)
const TYPES: &[(&str, &str, &str, &str)] = &[
    ("txt", "text/plain", "text", "Plain Text"),
    ("log", "text/plain", "text", "Plain Text"),
    ("csv", "text/csv", "csv", "CSV"),
    ("json", "application/json", "json", "JSON"),
    ("md", "text/markdown", "markdown", "Markdown (raw)"),
    ("html", "text/html", "html", "HTML"),
    ("yaml", "text/yaml", "yaml", "YAML"),
    ("yml", "text/yaml", "yaml", "YAML"),
    ("py", "text/x-python", "python", "Python"),
    ("pdf", "application/pdf", "pdf", "PDF"),
    ("png", "image/png", "png", "PNG"),
    ("jpg", "image/jpeg", "jpg", "JPEG"),
    ("jpeg", "image/jpeg", "jpg", "JPEG"),
    ("gif", "image/gif", "gif", "GIF"),
    ("webp", "image/webp", "webp", "WebP"),
    ("zip", "application/zip", "zip", "Zip"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word Document"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel Spreadsheet"),
];

pub(crate) fn file_type(name: &str) -> (&'static str, &'static str, &'static str) {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    TYPES.iter().find(|t| t.0 == ext).map(|t| (t.1, t.2, t.3)).unwrap_or((
        "application/octet-stream",
        "binary",
        "Binary",
    ))
}

pub fn files_get_upload_url_external(call: &Call<'_>) -> Result<Reply, SlackError> {
    let filename = call.arg("filename")?;
    let length = call.params.int("length")?.ok_or_else(|| SlackError::missing("length"))?;
    if length < 0 {
        return Err(SlackError::invalid("length"));
    }
    if length > MAX_UPLOAD {
        return Err(SlackError::Code("file_upload_size_restricted"));
    }
    let alt_txt = call.params.nonempty("alt_txt");
    if alt_txt.as_deref().is_some_and(|a| a.chars().count() > MAX_ALT_TXT) {
        return Err(SlackError::Code("alt_txt_too_large"));
    }
    let snippet_type = call.params.nonempty("snippet_type");
    let me = call.actor.user.clone();
    let now = call.now_s();
    let base = call.ctx.universe_url();
    call.write(|s, ids| {
        let file_id = loop {
            let id = ids.upper_id("F", 10);
            if !s.files.contains_key(&id) && !s.uploads.contains_key(&id) {
                break id;
            }
        };
        let secret = ids.lower_alnum(32);
        s.uploads.insert(
            file_id.clone(),
            Upload {
                file_id: file_id.clone(),
                secret: secret.clone(),
                filename: filename.clone(),
                length: length as u64,
                alt_txt,
                snippet_type,
                user: me.clone(),
                created: now,
                received: None,
            },
        );
        Ok(ok(json!({"upload_url": format!("{base}{}{secret}", crate::api::UPLOAD_PREFIX), "file_id": file_id})))
    })
}

pub fn files_complete_upload_external(call: &Call<'_>) -> Result<Reply, SlackError> {
    let files = match call.params.json("files") {
        Ok(Some(Value::Array(items))) if !items.is_empty() => items,
        Ok(None) => return Err(SlackError::missing("files")),
        _ => return Err(SlackError::invalid("files")),
    };
    let mut wanted = Vec::new();
    for f in &files {
        let id = f.get("id").and_then(Value::as_str).ok_or_else(|| SlackError::invalid("files"))?;
        let title = f.get("title").and_then(Value::as_str).map(str::to_string);
        wanted.push((id.to_string(), title));
    }
    let mut channels: Vec<String> = call.params.nonempty("channel_id").into_iter().collect();
    for c in call.params.list("channels") {
        if !channels.contains(&c) {
            channels.push(c);
        }
    }
    let thread_ts = call.params.nonempty("thread_ts");
    let comment = call.params.str("initial_comment").unwrap_or_default();
    let blocks = call.params.json("blocks").map_err(|_| SlackError::Code("invalid_blocks"))?;
    let me = call.actor.user.clone();
    let (now, micros) = (call.now_s(), call.now_micros());
    call.write(|s, ids| {
        let mut created = Vec::new();
        for (id, title) in &wanted {
            let upload =
                s.uploads.get(id).filter(|u| u.user == me).cloned().ok_or(SlackError::Code("file_not_found"))?;
            // A file is complete only once its bytes have arrived at the upload URL.
            let Some(received) = upload.received else { return Err(SlackError::Code("file_not_found")) };
            let (mimetype, filetype, pretty) = file_type(&upload.filename);
            let file = File {
                id: id.clone(),
                name: upload.filename.clone(),
                title: title.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| upload.filename.clone()),
                mimetype: mimetype.into(),
                filetype: filetype.into(),
                pretty_type: pretty.into(),
                user: me.clone(),
                size: received,
                created: now,
                alt_txt: upload.alt_txt.clone(),
                snippet_type: upload.snippet_type.clone(),
                shares: Vec::new(),
                deleted: false,
                public_url_shared: false,
                external: None,
            };
            s.uploads.remove(id);
            s.files.insert(id.clone(), file);
            created.push(id.clone());
        }
        for target in &channels {
            let channel = s.resolve_target(ids, target, &call.actor, now)?;
            s.access(&channel, &call.actor, Access::Post)?;
            let message = Message {
                user: Some(me.clone()),
                text: comment.clone(),
                subtype: Some("file_share".into()),
                blocks: blocks.clone(),
                files: created.clone(),
                ..Message::default()
            };
            let posted =
                s.post(&channel, NewMessage { message, thread_ts: thread_ts.clone(), reply_broadcast: false }, micros)?;
            for id in &created {
                if let Some(mut f) = s.files.get(id).cloned() {
                    f.shares.push(Share { channel: channel.clone(), ts: posted.ts.clone() });
                    s.files.insert(id.clone(), f);
                }
            }
        }
        let files: Vec<Value> = created.iter().filter_map(|id| s.files.get(id)).map(|f| file_json(s, f)).collect();
        Ok(ok(json!({ "files": files })))
    })
}

/// A file the caller may see: their own, or shared where they can see it.
pub(crate) fn visible_file<'s>(s: &'s SlackState, call: &Call<'_>, id: &str) -> Result<&'s File, SlackError> {
    let f = s.files.get(id.trim()).ok_or(SlackError::Code("file_not_found"))?;
    if f.deleted {
        return Err(SlackError::Code("file_deleted"));
    }
    let me = &call.actor.user;
    let shared_visible =
        f.shares.iter().any(|sh| s.channels.get(&sh.channel).is_some_and(|c| c.is_public() || s.is_member(&c.id, me)));
    if f.user != *me && !shared_visible {
        return Err(SlackError::Code("file_not_found"));
    }
    Ok(f)
}

pub fn files_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    let id = call.arg("file")?;
    call.read(|s| {
        let f = visible_file(s, call, &id)?;
        Ok(ok(json!({"file": file_json(s, f), "comments": [], "response_metadata": {"next_cursor": ""}})))
    })
}

fn type_matches(types: &[String], f: &File) -> Result<bool, SlackError> {
    if types.is_empty() {
        return Ok(true);
    }
    let mut any = false;
    for t in types {
        any |= match t.as_str() {
            "all" => true,
            "images" => f.mimetype.starts_with("image/"),
            "snippets" => f.snippet_type.is_some(),
            "pdfs" => f.filetype == "pdf",
            "zips" => f.filetype == "zip",
            "gdocs" => f.filetype == "gdoc",
            "spaces" => f.filetype == "post" || f.filetype == "space",
            _ => return Err(SlackError::Code("unknown_type")),
        };
    }
    Ok(any)
}

pub fn files_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.params.nonempty("channel");
    let user = call.params.nonempty("user");
    let types = call.params.list("types");
    let ts_from = call.params.int("ts_from")?.unwrap_or(0);
    let ts_to = call.params.int("ts_to")?.unwrap_or(i64::MAX);
    let count = call.params.int("count")?.unwrap_or(100).clamp(1, 1000) as usize;
    let page = call.params.int("page")?.unwrap_or(1).max(1) as usize;
    call.read(|s| {
        if let Some(u) = &user {
            s.user(u)?;
        }
        let mut list = Vec::new();
        for f in s.files.values() {
            if visible_file(s, call, &f.id).is_err() || !type_matches(&types, f)? {
                continue;
            }
            if user.as_ref().is_some_and(|u| *u != f.user) || f.created < ts_from || f.created > ts_to {
                continue;
            }
            if channel.as_ref().is_some_and(|c| !f.shares.iter().any(|sh| sh.channel == *c)) {
                continue;
            }
            list.push(f);
        }
        list.sort_by(|a, b| (b.created, &b.id).cmp(&(a.created, &a.id)));
        let total = list.len();
        let files: Vec<Value> =
            list.into_iter().skip((page - 1).saturating_mul(count)).take(count).map(|f| file_json(s, f)).collect();
        Ok(ok(json!({
            "files": files,
            "paging": {"count": count, "total": total, "page": page, "pages": total.div_ceil(count).max(1)},
        })))
    })
}

pub fn files_delete(call: &Call<'_>) -> Result<Reply, SlackError> {
    let id = call.arg("file")?;
    call.write(|s, _| {
        let f = visible_file(s, call, &id)?.clone();
        let admin = call.actor.is_admin && !call.actor.is_bot();
        if f.user != call.actor.user && !admin {
            return Err(SlackError::Code("cant_delete_file"));
        }
        delete_file(s, f)?;
        Ok(ok(json!({})))
    })
}

/// Takes a file out of the messages that share it (a message left with nothing goes)
/// and marks it deleted.
pub(crate) fn delete_file(s: &mut SlackState, mut f: File) -> Result<(), SlackError> {
    for share in &f.shares {
        let key = message_key(&share.channel, &share.ts);
        if let Some(mut m) = s.messages.get(key.as_str()).map(|m| crate::model::Message::clone(m)) {
            m.files.retain(|x| *x != f.id);
            if m.files.is_empty() && m.text.trim().is_empty() && m.reply_count == 0 {
                s.delete_message(&share.channel, &share.ts)?;
            } else {
                s.messages.insert(key.into(), std::sync::Arc::new(m));
            }
        }
    }
    f.deleted = true;
    s.file_contents.remove(&f.id);
    s.files.insert(f.id.clone(), f);
    Ok(())
}

/// A file comment: files no longer take comments through the API (files.comments.add
/// is gone), so none exists to delete.
pub fn files_comments_delete(call: &Call<'_>) -> Result<Reply, SlackError> {
    let file = call.arg("file")?;
    call.arg("id")?;
    call.read(|s| {
        visible_file(s, call, &file)?;
        Err(SlackError::Code("cant_delete"))
    })
}

/// Makes a file public by link (its `permalink_public`); the owner's to do.
pub fn files_shared_public_url(call: &Call<'_>) -> Result<Reply, SlackError> {
    set_public(call, true)
}

pub fn files_revoke_public_url(call: &Call<'_>) -> Result<Reply, SlackError> {
    set_public(call, false)
}

fn set_public(call: &Call<'_>, public: bool) -> Result<Reply, SlackError> {
    let id = call.arg("file")?;
    call.write(|s, _| {
        let mut f = visible_file(s, call, &id)?.clone();
        if f.user != call.actor.user {
            return Err(SlackError::Code(if public { "not_allowed" } else { "file_not_found" }));
        }
        if f.external.is_some() {
            return Err(SlackError::Code("public_file_type_not_allowed"));
        }
        f.public_url_shared = public;
        s.files.insert(f.id.clone(), f.clone());
        Ok(ok(json!({ "file": file_json(s, &f) })))
    })
}

/// Retired by Slack (files.upload stopped working for everyone in November 2025): it
/// answers `method_deprecated`, pointing clients at the v2 flow.
pub fn files_upload(_call: &Call<'_>) -> Result<Reply, SlackError> {
    Err(SlackError::Code("method_deprecated"))
}
