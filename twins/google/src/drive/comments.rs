//! `comments.*` and `replies.*`: commenters and above may comment; authors edit
//! and delete their own. Every method but delete requires `fields`, as Drive does.

use axum::response::Response;
use serde_json::{json, Value};

use super::access::Viewer;
use super::files::viewer;
use super::model::{Comment, Reply, Role};
use super::{page, page_offset, page_size, time, visible};
use crate::api::{no_content, ok, Call};
use crate::errors::{GoogleError, Result};
use crate::ids;
use crate::model::GoogleState;

fn author(s: &GoogleState, email: &str, viewer: &Viewer) -> Value {
    let name = s.user(email).map(|u| u.display_name()).unwrap_or_else(|| email.to_string());
    json!({"kind": "drive#user", "displayName": name, "me": email == viewer.email, "emailAddress": email})
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\n', "<br>")
}

fn reply_json(s: &GoogleState, r: &Reply, viewer: &Viewer) -> Value {
    let mut out = json!({
        "kind": "drive#reply",
        "id": r.id,
        "createdTime": time(&r.created_time),
        "modifiedTime": time(&r.modified_time),
        "author": author(s, &r.author, viewer),
        "deleted": r.deleted,
    });
    if !r.deleted {
        out["content"] = json!(r.content);
        out["htmlContent"] = json!(html(&r.content));
    }
    if let Some(a) = &r.action {
        out["action"] = json!(a);
    }
    out
}

fn comment_json(s: &GoogleState, c: &Comment, viewer: &Viewer, include_deleted: bool) -> Value {
    let replies: Vec<Value> =
        c.replies.iter().filter(|r| include_deleted || !r.deleted).map(|r| reply_json(s, r, viewer)).collect();
    let mut out = json!({
        "kind": "drive#comment",
        "id": c.id,
        "createdTime": time(&c.created_time),
        "modifiedTime": time(&c.modified_time),
        "author": author(s, &c.author, viewer),
        "deleted": c.deleted,
        "resolved": c.resolved,
        "replies": replies,
    });
    if !c.deleted {
        out["content"] = json!(c.content);
        out["htmlContent"] = json!(html(&c.content));
    }
    if let Some(a) = &c.anchor {
        out["anchor"] = json!(a);
    }
    if let Some(q) = &c.quoted {
        out["quotedFileContent"] = json!({"mimeType": "text/html", "value": q});
    }
    out
}

fn content(body: &Value, required: bool) -> Result<Option<String>> {
    match body.get("content") {
        Some(Value::String(c)) if !c.trim().is_empty() => Ok(Some(c.clone())),
        None if !required => Ok(None),
        _ => Err(GoogleError::required("content")),
    }
}

/// The file (visible, commenter or above) a comment call is about.
fn file_for(s: &GoogleState, viewer: &Viewer, id: &str, need: Role) -> Result<String> {
    let (f, role) = visible(s, viewer, id, true)?;
    if role < need {
        return Err(GoogleError::insufficient(&f.id));
    }
    Ok(f.id.clone())
}

fn comment_of<'a>(s: &'a GoogleState, file: &str, id: &str) -> Result<&'a Comment> {
    s.drive
        .comments
        .get(id)
        .filter(|c| c.file_id == file)
        .ok_or_else(|| GoogleError::not_found("Comment", id, "commentId"))
}

pub fn create(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.required_fields("Comment")?;
    let body = call.json()?;
    let text = content(&body, true)?.unwrap_or_default();
    let fid = call.param("fileId").to_string();
    let now = call.now();
    let out = call.write(|s, idgen| {
        let file = file_for(s, &viewer, &fid, Role::Commenter)?;
        let c = Comment {
            id: ids::comment_id(idgen),
            file_id: file,
            author: viewer.email.clone(),
            content: text,
            created_time: now,
            modified_time: now,
            resolved: false,
            deleted: false,
            anchor: body.get("anchor").and_then(Value::as_str).map(str::to_string),
            quoted: body
                .get("quotedFileContent")
                .and_then(|q| q.get("value"))
                .and_then(Value::as_str)
                .map(str::to_string),
            replies: vec![],
        };
        s.drive.comments.insert(c.id.clone(), c.clone());
        Ok(comment_json(s, &c, &viewer, false))
    })?;
    Ok(ok(&sel.apply(out)))
}

pub fn get(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.required_fields("Comment")?;
    let include_deleted = call.flag("includeDeleted")?;
    let (fid, cid) = (call.param("fileId"), call.param("commentId"));
    let out = call.read(|s| {
        let file = file_for(s, &viewer, fid, Role::Reader)?;
        let c = comment_of(s, &file, cid)?;
        if c.deleted && !include_deleted {
            return Err(GoogleError::not_found("Comment", cid, "commentId"));
        }
        Ok(comment_json(s, c, &viewer, include_deleted))
    })??;
    Ok(ok(&sel.apply(out)))
}

pub fn list(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.required_fields("CommentList")?;
    let include_deleted = call.flag("includeDeleted")?;
    let size = page_size(call, 20, 100)?;
    let fid = call.param("fileId").to_string();
    let key = format!("comments|{fid}|{include_deleted}");
    let offset = page_offset(call.q("pageToken"), &key)?;
    let (items, next) = call.read(|s| {
        let file = file_for(s, &viewer, &fid, Role::Reader)?;
        let mut cs: Vec<&Comment> =
            s.drive.comments.values().filter(|c| c.file_id == file && (include_deleted || !c.deleted)).collect();
        cs.sort_by(|a, b| a.created_time.cmp(&b.created_time).then(a.id.cmp(&b.id)));
        let all: Vec<Value> = cs.iter().map(|c| comment_json(s, c, &viewer, include_deleted)).collect();
        Ok::<_, GoogleError>(page(&all, offset, size, &key))
    })??;
    let mut body = json!({"kind": "drive#commentList", "comments": items});
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    Ok(ok(&sel.apply(body)))
}

pub fn update(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.required_fields("Comment")?;
    let body = call.json()?;
    let text = content(&body, true)?.unwrap_or_default();
    let (fid, cid) = (call.param("fileId").to_string(), call.param("commentId").to_string());
    let now = call.now();
    let out = call.write(|s, _| {
        let file = file_for(s, &viewer, &fid, Role::Commenter)?;
        let mut c = comment_of(s, &file, &cid)?.clone();
        if c.author != viewer.email {
            return Err(GoogleError::forbidden("insufficientFilePermissions", "Only the author may edit a comment."));
        }
        c.content = text;
        c.modified_time = now;
        s.drive.comments.insert(cid.clone(), c.clone());
        Ok(comment_json(s, &c, &viewer, false))
    })?;
    Ok(ok(&sel.apply(out)))
}

pub fn delete(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let (fid, cid) = (call.param("fileId").to_string(), call.param("commentId").to_string());
    let now = call.now();
    call.write(|s, _| {
        let (file, role) = visible(s, &viewer, &fid, true).map(|(f, r)| (f.id.clone(), r))?;
        let mut c = comment_of(s, &file, &cid)?.clone();
        if c.author != viewer.email && role < Role::Writer {
            return Err(GoogleError::insufficient(&file));
        }
        c.deleted = true;
        c.modified_time = now;
        s.drive.comments.insert(cid.clone(), c);
        Ok(())
    })?;
    Ok(no_content())
}

pub fn reply_create(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.required_fields("Reply")?;
    let body = call.json()?;
    let action = body.get("action").and_then(Value::as_str).map(str::to_string);
    if let Some(a) = &action {
        if a != "resolve" && a != "reopen" {
            return Err(GoogleError::invalid_value("action"));
        }
    }
    let text = content(&body, action.is_none())?.unwrap_or_default();
    let (fid, cid) = (call.param("fileId").to_string(), call.param("commentId").to_string());
    let now = call.now();
    let out = call.write(|s, idgen| {
        let file = file_for(s, &viewer, &fid, Role::Commenter)?;
        let mut c = comment_of(s, &file, &cid)?.clone();
        if c.deleted {
            return Err(GoogleError::not_found("Comment", &cid, "commentId"));
        }
        let r = Reply {
            id: ids::comment_id(idgen),
            author: viewer.email.clone(),
            content: text,
            created_time: now,
            modified_time: now,
            deleted: false,
            action: action.clone(),
        };
        match action.as_deref() {
            Some("resolve") => c.resolved = true,
            Some("reopen") => c.resolved = false,
            _ => {}
        }
        c.replies.push(r.clone());
        c.modified_time = now;
        s.drive.comments.insert(cid.clone(), c);
        Ok(reply_json(s, &r, &viewer))
    })?;
    Ok(ok(&sel.apply(out)))
}

fn find_reply<'a>(c: &'a Comment, rid: &str) -> Result<&'a Reply> {
    c.replies.iter().find(|r| r.id == rid).ok_or_else(|| GoogleError::not_found("Reply", rid, "replyId"))
}

pub fn reply_get(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.required_fields("Reply")?;
    let include_deleted = call.flag("includeDeleted")?;
    let (fid, cid, rid) = (call.param("fileId"), call.param("commentId"), call.param("replyId"));
    let out = call.read(|s| {
        let file = file_for(s, &viewer, fid, Role::Reader)?;
        let r = find_reply(comment_of(s, &file, cid)?, rid)?;
        if r.deleted && !include_deleted {
            return Err(GoogleError::not_found("Reply", rid, "replyId"));
        }
        Ok(reply_json(s, r, &viewer))
    })??;
    Ok(ok(&sel.apply(out)))
}

pub fn reply_list(call: &Call) -> Result<Response> {
    let viewer = viewer(call)?;
    let sel = call.required_fields("ReplyList")?;
    let include_deleted = call.flag("includeDeleted")?;
    let size = page_size(call, 20, 100)?;
    let (fid, cid) = (call.param("fileId").to_string(), call.param("commentId").to_string());
    let key = format!("replies|{fid}|{cid}|{include_deleted}");
    let offset = page_offset(call.q("pageToken"), &key)?;
    let (items, next) = call.read(|s| {
        let file = file_for(s, &viewer, &fid, Role::Reader)?;
        let c = comment_of(s, &file, &cid)?;
        let all: Vec<Value> =
            c.replies.iter().filter(|r| include_deleted || !r.deleted).map(|r| reply_json(s, r, &viewer)).collect();
        Ok::<_, GoogleError>(page(&all, offset, size, &key))
    })??;
    let mut body = json!({"kind": "drive#replyList", "replies": items});
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    Ok(ok(&sel.apply(body)))
}

fn change_reply(call: &Call, delete: bool) -> Result<Option<Value>> {
    let viewer = viewer(call)?;
    let body = if delete { Value::Null } else { call.json()? };
    let text = if delete { None } else { content(&body, true)? };
    let (fid, cid, rid) =
        (call.param("fileId").to_string(), call.param("commentId").to_string(), call.param("replyId").to_string());
    let now = call.now();
    call.write(|s, _| {
        let file = file_for(s, &viewer, &fid, Role::Commenter)?;
        let mut c = comment_of(s, &file, &cid)?.clone();
        let r = c
            .replies
            .iter_mut()
            .find(|r| r.id == rid)
            .ok_or_else(|| GoogleError::not_found("Reply", &rid, "replyId"))?;
        if r.author != viewer.email {
            return Err(GoogleError::forbidden("insufficientFilePermissions", "Only the author may change a reply."));
        }
        if delete {
            r.deleted = true;
        } else if let Some(t) = &text {
            r.content = t.clone();
        }
        r.modified_time = now;
        let out = reply_json(s, r, &viewer);
        s.drive.comments.insert(cid.clone(), c);
        Ok((!delete).then_some(out))
    })
}

pub fn reply_update(call: &Call) -> Result<Response> {
    let sel = call.required_fields("Reply")?;
    let out = change_reply(call, false)?.unwrap_or(Value::Null);
    Ok(ok(&sel.apply(out)))
}

pub fn reply_delete(call: &Call) -> Result<Response> {
    change_reply(call, true)?;
    Ok(no_content())
}
