//! What hangs off an issue: comments, worklogs, watchers, attachments, links,
//! entity properties, the changelog, and the issue picker.

use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::issues::{ver, visible};
use super::render;
use super::Call;
use crate::adf;
use crate::errors::JiraError;
use crate::model::*;
use crate::wire::{body_object, body_value, created, encode, no_content, ok, page_envelope, parse_ts, slice};

type R = Result<axum::response::Response, JiraError>;

/// The largest attachment accepted.
pub const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;

fn rich_body(v: Option<&Value>, v3: bool) -> Result<Value, JiraError> {
    match v {
        Some(Value::String(s)) if !v3 && !s.trim().is_empty() => Ok(adf::from_wiki(s)),
        Some(d @ Value::Object(_)) if v3 && adf::is_doc(d) => Ok(d.clone()),
        Some(Value::String(s)) if !v3 && s.trim().is_empty() => {
            Err(JiraError::field("comment", "Comment body can not be empty!"))
        }
        None | Some(Value::Null) => Err(JiraError::field("comment", "Comment body can not be empty!")),
        Some(_) if v3 => Err(JiraError::field(
            "comment",
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)",
        )),
        Some(_) => Err(JiraError::field("comment", "Operation value must be a string")),
    }
}

// --- Comments -------------------------------------------------------------

pub async fn comments(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let base = call.base().to_string();
    let (start, max) = call.query.paging(100, 5000)?;
    let rendered = call.expand().iter().any(|e| e == "renderedBody");
    let desc = call.query.text("orderBy").is_some_and(|o| o.starts_with('-'));
    let v3 = call.v3;
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        let mut all: Vec<&Comment> = i.comments.iter().filter_map(|c| s.comments.get(c)).collect();
        if desc {
            all.reverse();
        }
        let page: Vec<Value> =
            all.iter().skip(start).take(max).map(|c| render::comment(s, &base, c, v3, rendered)).collect();
        Ok(ok(&json!({"startAt": start, "maxResults": max, "total": all.len(), "comments": page})))
    })?
}

pub async fn add_comment(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let body = body_object(&call.body)?;
    let now = call.now();
    let v3 = call.v3;
    let doc = rich_body(body.get("body"), v3)?;
    let visibility = body.get("visibility").filter(|v| !v.is_null()).cloned();
    let base = call.base().to_string();
    let out = call.write(|s, _| {
        let mut issue = visible(s, &user, &key)?.clone();
        let ids = super::issues::add_comments(
            s,
            &mut issue,
            vec![super::issues::PendingComment { body: doc, visibility }],
            &user.account_id,
            now,
        );
        issue.updated = now;
        s.issues.insert(issue.id.clone(), issue);
        let c = ids.first().and_then(|id| s.comments.get(id)).ok_or_else(JiraError::internal)?;
        Ok(render::comment(s, &base, c, v3, false))
    })?;
    Ok(created(&out))
}

fn comment_of<'a>(s: &'a JiraState, issue: &Issue, id: &str) -> Result<&'a Comment, JiraError> {
    s.comments
        .get(id)
        .filter(|c| c.issue_id == issue.id)
        .ok_or_else(|| JiraError::not_found(format!("Can not find a comment for the id: {id}.")))
}

pub async fn comment(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let id = call.param("id").to_string();
    let base = call.base().to_string();
    let rendered = call.expand().iter().any(|e| e == "renderedBody");
    let v3 = call.v3;
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        let c = comment_of(s, i, &id)?;
        Ok(ok(&render::comment(s, &base, c, v3, rendered)))
    })?
}

pub async fn update_comment(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let id = call.param("id").to_string();
    let body = body_object(&call.body)?;
    let now = call.now();
    let v3 = call.v3;
    let doc = rich_body(body.get("body"), v3)?;
    let base = call.base().to_string();
    let out = call.write(|s, _| {
        let issue = visible(s, &user, &key)?.clone();
        let mut c = comment_of(s, &issue, &id)?.clone();
        if c.author != user.account_id && !s.is_admin(&user) {
            return Err(JiraError::forbidden("You do not have the permission to edit this comment."));
        }
        c.body = doc;
        c.update_author = user.account_id.clone();
        c.updated = now;
        if let Some(v) = body.get("visibility") {
            c.visibility = (!v.is_null()).then(|| v.clone());
        }
        s.comments.insert(c.id.clone(), c.clone());
        let mut issue = issue;
        issue.updated = now;
        s.issues.insert(issue.id.clone(), issue);
        Ok(render::comment(s, &base, &c, v3, false))
    })?;
    Ok(ok(&out))
}

pub async fn delete_comment(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let id = call.param("id").to_string();
    let now = call.now();
    call.write(|s, _| {
        let mut issue = visible(s, &user, &key)?.clone();
        let c = comment_of(s, &issue, &id)?.clone();
        if c.author != user.account_id && !s.is_admin(&user) {
            return Err(JiraError::forbidden("You do not have the permission to delete this comment."));
        }
        s.comments.remove(&c.id);
        issue.comments.retain(|x| *x != c.id);
        issue.updated = now;
        s.issues.insert(issue.id.clone(), issue);
        Ok(())
    })?;
    Ok(no_content())
}

// --- Worklogs -------------------------------------------------------------

fn worklog_input(
    body: &Map<String, Value>,
    v3: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(i64, chrono::DateTime<chrono::Utc>, Option<Value>), JiraError> {
    let seconds = match (body.get("timeSpentSeconds"), body.get("timeSpent")) {
        (Some(Value::Number(n)), _) => {
            n.as_i64().ok_or_else(|| JiraError::field("timeLogged", "Time Spent must be a number."))?
        }
        (_, Some(Value::String(t))) => super::issues::duration_seconds(t)
            .ok_or_else(|| JiraError::field("timeLogged", "Invalid time duration entered."))?,
        _ => return Err(JiraError::field("timeLogged", "You must indicate the time spent working.")),
    };
    if seconds <= 0 {
        return Err(JiraError::field("timeLogged", "Time Spent must be greater than zero."));
    }
    let started = match body.get("started") {
        Some(Value::String(t)) => parse_ts(t).ok_or_else(|| JiraError::field("started", "Invalid start date."))?,
        _ => now,
    };
    let comment = match body.get("comment") {
        None | Some(Value::Null) => None,
        Some(v) => Some(rich_body(Some(v), v3).map_err(|e| JiraError {
            errors: e.errors.into_values().map(|m| ("comment".to_string(), m)).collect(),
            ..e
        })?),
    };
    Ok((seconds, started, comment))
}

pub async fn worklogs(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let base = call.base().to_string();
    let (start, max) = call.query.paging(5000, 5000)?;
    let v3 = call.v3;
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        let all: Vec<&Worklog> = i.worklogs.iter().filter_map(|w| s.worklogs.get(w)).collect();
        let page: Vec<Value> = all.iter().skip(start).take(max).map(|w| render::worklog(s, &base, w, v3)).collect();
        Ok(ok(&json!({"startAt": start, "maxResults": max, "total": all.len(), "worklogs": page})))
    })?
}

fn adjust(issue: &mut Issue, mode: &str, delta: i64, new: Option<&str>) -> Result<(), JiraError> {
    match mode {
        "leave" | "manual" => {}
        "new" => {
            let v = new
                .and_then(super::issues::duration_seconds)
                .ok_or_else(|| JiraError::bad_request("The new estimate must be given with adjustEstimate=new."))?;
            issue.remaining_estimate = Some(v);
        }
        _ => {
            if let Some(r) = issue.remaining_estimate {
                issue.remaining_estimate = Some((r - delta).max(0));
            }
        }
    }
    Ok(())
}

pub async fn add_worklog(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let body = body_object(&call.body)?;
    let now = call.now();
    let v3 = call.v3;
    let (seconds, started, comment) = worklog_input(&body, v3, now)?;
    let mode = call.query.text("adjustEstimate").unwrap_or("auto").to_string();
    let new_estimate = call.query.text("newEstimate").map(str::to_string);
    let base = call.base().to_string();
    let out = call.write(|s, _| {
        let mut issue = visible(s, &user, &key)?.clone();
        adjust(&mut issue, &mode, seconds, new_estimate.as_deref())?;
        let id = (10_000 + JiraState::next(&mut s.counters.worklog) - 1).to_string();
        let w = Worklog {
            id: id.clone(),
            issue_id: issue.id.clone(),
            author: user.account_id.clone(),
            update_author: user.account_id.clone(),
            comment,
            started,
            seconds,
            created: now,
            updated: now,
        };
        s.worklogs.insert(id.clone(), w.clone());
        issue.worklogs.push(id);
        issue.updated = now;
        let spent_before: i64 =
            issue.worklogs.iter().filter_map(|x| s.worklogs.get(x)).map(|x| x.seconds).sum::<i64>() - seconds;
        let iid = issue.id.clone();
        s.issues.insert(iid.clone(), issue);
        s.record_history(
            &iid,
            &user.account_id,
            now,
            vec![HistoryItem {
                field: "timespent".into(),
                field_type: "jira".into(),
                field_id: "timespent".into(),
                from: (spent_before > 0).then(|| spent_before.to_string()),
                from_string: (spent_before > 0).then(|| spent_before.to_string()),
                to: Some((spent_before + seconds).to_string()),
                to_string: Some((spent_before + seconds).to_string()),
            }],
        );
        Ok(render::worklog(s, &base, &w, v3))
    })?;
    Ok(created(&out))
}

fn worklog_of<'a>(s: &'a JiraState, issue: &Issue, id: &str) -> Result<&'a Worklog, JiraError> {
    s.worklogs
        .get(id)
        .filter(|w| w.issue_id == issue.id)
        .ok_or_else(|| JiraError::not_found(format!("Cannot find worklog with id: '{id}'.")))
}

pub async fn worklog(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let id = call.param("id").to_string();
    let base = call.base().to_string();
    let v3 = call.v3;
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        Ok(ok(&render::worklog(s, &base, worklog_of(s, i, &id)?, v3)))
    })?
}

pub async fn update_worklog(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let id = call.param("id").to_string();
    let body = body_object(&call.body)?;
    let now = call.now();
    let v3 = call.v3;
    let base = call.base().to_string();
    let out = call.write(|s, _| {
        let mut issue = visible(s, &user, &key)?.clone();
        let mut w = worklog_of(s, &issue, &id)?.clone();
        let mut merged = Map::new();
        merged.insert("timeSpentSeconds".into(), json!(w.seconds));
        merged.insert("started".into(), json!(crate::wire::ts(w.started)));
        for (k, v) in &body {
            merged.insert(k.clone(), v.clone());
        }
        if body.contains_key("timeSpent") && !body.contains_key("timeSpentSeconds") {
            merged.remove("timeSpentSeconds");
        }
        let (seconds, started, comment) = worklog_input(&merged, v3, now)?;
        let mode = call.query.text("adjustEstimate").unwrap_or("auto");
        adjust(&mut issue, mode, seconds - w.seconds, call.query.text("newEstimate"))?;
        w.seconds = seconds;
        w.started = started;
        if body.contains_key("comment") {
            w.comment = comment;
        }
        w.update_author = user.account_id.clone();
        w.updated = now;
        s.worklogs.insert(w.id.clone(), w.clone());
        issue.updated = now;
        s.issues.insert(issue.id.clone(), issue);
        Ok(render::worklog(s, &base, &w, v3))
    })?;
    Ok(ok(&out))
}

pub async fn delete_worklog(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let id = call.param("id").to_string();
    let now = call.now();
    let mode = call.query.text("adjustEstimate").unwrap_or("auto").to_string();
    let increase = call.query.text("increaseBy").map(str::to_string);
    call.write(|s, _| {
        let mut issue = visible(s, &user, &key)?.clone();
        let w = worklog_of(s, &issue, &id)?.clone();
        match mode.as_str() {
            "auto" => {
                if let Some(r) = issue.remaining_estimate {
                    issue.remaining_estimate = Some(r + w.seconds);
                }
            }
            "manual" => {
                let by = increase.as_deref().and_then(super::issues::duration_seconds).unwrap_or(0);
                issue.remaining_estimate = Some(issue.remaining_estimate.unwrap_or(0) + by);
            }
            _ => adjust(&mut issue, &mode, 0, call.query.text("newEstimate"))?,
        }
        s.worklogs.remove(&w.id);
        issue.worklogs.retain(|x| *x != w.id);
        issue.updated = now;
        s.issues.insert(issue.id.clone(), issue);
        Ok(())
    })?;
    Ok(no_content())
}

// --- Watchers -------------------------------------------------------------

pub async fn watchers(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let base = call.base().to_string();
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        let ws: Vec<Value> = i.watchers.iter().filter_map(|w| s.user(w)).map(|u| render::user(&base, u)).collect();
        Ok(ok(&json!({
            "self": format!("{base}/rest/api/3/issue/{}/watchers", i.key),
            "isWatching": i.watchers.contains(&user.account_id),
            "watchCount": ws.len(),
            "watchers": ws,
        })))
    })?
}

pub async fn add_watcher(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let target = match body_value(&call.body)? {
        Value::Null => user.account_id.clone(),
        Value::String(s) => s,
        _ => return Err(JiraError::bad_request("The body must be the accountId of the user, as a JSON string.")),
    };
    call.write(|s, _| {
        let mut issue = visible(s, &user, &key)?.clone();
        let project = s.projects.get(&issue.project_id).cloned().ok_or_else(JiraError::issue_not_found)?;
        let who = s
            .user(&target)
            .filter(|u| u.active)
            .ok_or_else(|| JiraError::not_found(format!("The user with account ID '{target}' does not exist.")))?;
        if !s.can_browse(who, &project) {
            return Err(JiraError::bad_request(format!("The user \"{}\" does not have permission to view this issue. This user will not be added to the watch list.", who.display_name)));
        }
        if !issue.watchers.contains(&target) {
            issue.watchers.push(target.clone());
            s.issues.insert(issue.id.clone(), issue);
        }
        Ok(())
    })?;
    Ok(no_content())
}

pub async fn remove_watcher(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let Some(target) = call.query.text("accountId").map(str::to_string) else {
        return Err(JiraError::bad_request("The accountId parameter is required."));
    };
    call.write(|s, _| {
        let mut issue = visible(s, &user, &key)?.clone();
        if s.user(&target).is_none() {
            return Err(JiraError::not_found(format!("The user with account ID '{target}' does not exist.")));
        }
        if target != user.account_id && !s.is_admin(&user) {
            return Err(JiraError::forbidden("You do not have the permission to manage the watcher list."));
        }
        issue.watchers.retain(|w| *w != target);
        s.issues.insert(issue.id.clone(), issue);
        Ok(())
    })?;
    Ok(no_content())
}

// --- Attachments ----------------------------------------------------------

/// A part of a multipart body: its name, filename, content type and bytes.
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

fn param(header: &str, name: &str) -> Option<String> {
    header.split(';').map(str::trim).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Splits a `multipart/form-data` body.
pub fn multipart(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let boundary = param(content_type, "boundary")?;
    let delim = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut at = find(body, &delim, 0)? + delim.len();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            break;
        }
        let head_start = at + 2;
        let head_end = find(body, b"\r\n\r\n", head_start)?;
        let head = String::from_utf8_lossy(&body[head_start..head_end]).to_string();
        let data_start = head_end + 4;
        let next = find(body, &delim, data_start)?;
        let data_end = next.saturating_sub(2).max(data_start);
        let mut part =
            Part { name: String::new(), filename: None, content_type: None, data: body[data_start..data_end].to_vec() };
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else { continue };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                part.name = param(v, "name").unwrap_or_default();
                part.filename = param(v, "filename");
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(v.trim().to_string());
            }
        }
        parts.push(part);
        at = next + delim.len();
    }
    Some(parts)
}

pub async fn add_attachment(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let token = call.headers.get("x-atlassian-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !token.eq_ignore_ascii_case("no-check") && !token.eq_ignore_ascii_case("nocheck") {
        return Err(JiraError::forbidden("XSRF check failed"));
    }
    let content_type = call.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if !content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(JiraError::new(415, "Unsupported Media Type: the request must be multipart/form-data."));
    }
    let parts = multipart(&content_type, &call.body)
        .ok_or_else(|| JiraError::bad_request("The multipart body could not be read."))?;
    let files: Vec<Part> = parts.into_iter().filter(|p| p.name == "file").collect();
    if files.is_empty() {
        return Err(JiraError::bad_request("No file was given: the part must be named 'file'."));
    }
    if files.iter().any(|f| f.data.len() > MAX_ATTACHMENT) {
        return Err(JiraError::new(
            413,
            format!("The file is larger than the attachment limit of {MAX_ATTACHMENT} bytes."),
        ));
    }
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, _| {
        let mut issue = visible(s, &user, &key)?.clone();
        let mut out = Vec::new();
        let mut items = Vec::new();
        for f in &files {
            let id = (10_000 + JiraState::next(&mut s.counters.attachment) - 1).to_string();
            let filename = f.filename.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| "file".into());
            let a = Attachment {
                id: id.clone(),
                issue_id: issue.id.clone(),
                filename: filename.clone(),
                author: user.account_id.clone(),
                created: now,
                mime_type: f.content_type.clone().unwrap_or_else(|| "application/octet-stream".into()),
                content: base64::engine::general_purpose::STANDARD.encode(&f.data),
                size: f.data.len(),
            };
            out.push(render::attachment(s, &base, &a));
            s.attachments.insert(id.clone(), a);
            issue.attachments.push(id.clone());
            items.push(item_ids("Attachment", "attachment", None, Some((id, filename))));
        }
        issue.updated = now;
        let iid = issue.id.clone();
        s.issues.insert(iid.clone(), issue);
        s.record_history(&iid, &user.account_id, now, items);
        Ok(out)
    })?;
    Ok(ok(&Value::Array(out)))
}

fn attachment_visible<'a>(s: &'a JiraState, user: &User, id: &str) -> Result<&'a Attachment, JiraError> {
    let a = s
        .attachments
        .get(id)
        .ok_or_else(|| JiraError::not_found(format!("The attachment with id '{id}' does not exist")))?;
    visible(s, user, &a.issue_id)
        .map_err(|_| JiraError::not_found(format!("The attachment with id '{id}' does not exist")))?;
    Ok(a)
}

pub async fn attachment(call: Call) -> R {
    let user = call.user()?;
    let id = call.param("id").to_string();
    let base = call.base().to_string();
    call.read(|s| {
        // The metadata endpoint gives the id as a number (the issue's field, as a string).
        let mut v = render::attachment(s, &base, attachment_visible(s, &user, &id)?);
        v["id"] = json!(id.parse::<u64>().unwrap_or(0));
        Ok(ok(&v))
    })?
}

pub async fn attachment_content(call: Call) -> R {
    let user = call.user()?;
    let id = call.param("id").to_string();
    let (bytes, mime, name) = call.read(|s| {
        let a = attachment_visible(s, &user, &id)?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(&a.content).map_err(|_| JiraError::internal())?;
        Ok::<_, JiraError>((bytes, a.mime_type.clone(), a.filename.clone()))
    })??;
    Ok((
        StatusCode::OK,
        [(CONTENT_TYPE, mime), (CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", name.replace('"', "")))],
        bytes,
    )
        .into_response())
}

pub async fn delete_attachment(call: Call) -> R {
    let user = call.user()?;
    let id = call.param("id").to_string();
    let now = call.now();
    call.write(|s, _| {
        let a = attachment_visible(s, &user, &id)?.clone();
        if a.author != user.account_id && !s.is_admin(&user) {
            return Err(JiraError::forbidden("You do not have permission to delete this attachment."));
        }
        s.attachments.remove(&a.id);
        if let Some(mut i) = s.issues.get(&a.issue_id).cloned() {
            i.attachments.retain(|x| *x != a.id);
            i.updated = now;
            s.issues.insert(i.id.clone(), i);
        }
        s.record_history(
            &a.issue_id,
            &user.account_id,
            now,
            vec![item_ids("Attachment", "attachment", Some((a.id.clone(), a.filename.clone())), None)],
        );
        Ok(())
    })?;
    Ok(no_content())
}

// --- Links ----------------------------------------------------------------

fn issue_arg(v: Option<&Value>) -> Option<String> {
    let v = v?;
    v.get("key")
        .or_else(|| v.get("id"))
        .and_then(|x| x.as_str().map(str::to_string).or_else(|| x.as_u64().map(|n| n.to_string())))
}

pub async fn create_link(call: Call) -> R {
    let user = call.user()?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let v3 = call.v3;
    let type_arg = body.get("type").cloned().unwrap_or(Value::Null);
    let (Some(inward), Some(outward)) = (issue_arg(body.get("inwardIssue")), issue_arg(body.get("outwardIssue")))
    else {
        return Err(JiraError::bad_request("Both inwardIssue and outwardIssue must be given."));
    };
    let comment = match body.get("comment").and_then(|c| c.get("body")) {
        None | Some(Value::Null) => None,
        Some(b) => Some(rich_body(Some(b), v3)?),
    };
    call.write(|s, _| {
        let t = s
            .link_types
            .values()
            .find(|t| {
                type_arg.get("id").and_then(Value::as_str) == Some(t.id.as_str())
                    || type_arg.get("name").and_then(Value::as_str).is_some_and(|n| n.eq_ignore_ascii_case(&t.name))
            })
            .cloned()
            .ok_or_else(|| {
                let name = type_arg
                    .get("name")
                    .and_then(Value::as_str)
                    .or(type_arg.get("id").and_then(Value::as_str))
                    .unwrap_or("");
                JiraError::not_found(format!("No issue link type with name '{name}' found."))
            })?;
        let a = visible(s, &user, &inward)?.clone();
        let b = visible(s, &user, &outward)?.clone();
        if a.id == b.id {
            return Err(JiraError::bad_request("You cannot link an issue to itself."));
        }
        let exists = s.links.values().any(|l| l.type_id == t.id && l.inward == a.id && l.outward == b.id);
        if !exists {
            crate::seed::add_link(s, &t.id, &a.id, &b.id);
            s.record_history(
                &a.id,
                &user.account_id,
                now,
                vec![item("Link", "issuelinks", None, Some(format!("This issue {} {}", t.inward, b.key)))],
            );
            s.record_history(
                &b.id,
                &user.account_id,
                now,
                vec![item("Link", "issuelinks", None, Some(format!("This issue {} {}", t.outward, a.key)))],
            );
        }
        if let Some(body) = comment {
            let mut issue = s.issues.get(&a.id).cloned().ok_or_else(JiraError::internal)?;
            super::issues::add_comments(
                s,
                &mut issue,
                vec![super::issues::PendingComment { body, visibility: None }],
                &user.account_id,
                now,
            );
            s.issues.insert(issue.id.clone(), issue);
        }
        for id in [&a.id, &b.id] {
            if let Some(mut i) = s.issues.get(id).cloned() {
                i.updated = now;
                s.issues.insert(id.clone(), i);
            }
        }
        Ok(())
    })?;
    Ok((StatusCode::CREATED, [(CONTENT_TYPE, crate::wire::JSON)], "").into_response())
}

pub async fn link(call: Call) -> R {
    let user = call.user()?;
    let id = call.param("linkId").to_string();
    let base = call.base().to_string();
    call.read(|s| {
        let l =
            s.links.get(&id).ok_or_else(|| JiraError::not_found(format!("No issue link with id '{id}' exists.")))?;
        visible(s, &user, &l.inward)?;
        visible(s, &user, &l.outward)?;
        render::link_full(s, &base, l).map(|v| ok(&v)).ok_or_else(JiraError::internal)
    })?
}

pub async fn delete_link(call: Call) -> R {
    let user = call.user()?;
    let id = call.param("linkId").to_string();
    let now = call.now();
    call.write(|s, _| {
        let l = s
            .links
            .get(&id)
            .cloned()
            .ok_or_else(|| JiraError::not_found(format!("No issue link with id '{id}' exists.")))?;
        visible(s, &user, &l.inward)?;
        visible(s, &user, &l.outward)?;
        s.links.remove(&id);
        for side in [&l.inward, &l.outward] {
            if let Some(mut i) = s.issues.get(side).cloned() {
                i.links.retain(|x| *x != id);
                i.updated = now;
                s.issues.insert(side.clone(), i);
            }
        }
        Ok(())
    })?;
    Ok(no_content())
}

// --- Entity properties ----------------------------------------------------

pub async fn property_keys(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let base = call.base().to_string();
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        let keys: Vec<Value> = i
            .properties
            .keys()
            .map(|k| json!({"key": k, "self": format!("{base}/rest/api/3/issue/{}/properties/{}", i.id, encode(k))}))
            .collect();
        Ok(ok(&json!({"keys": keys})))
    })?
}

pub async fn property(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let prop = call.param("propertyKey").to_string();
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        let v = i
            .properties
            .get(&prop)
            .ok_or_else(|| JiraError::not_found(format!("The property with key '{prop}' does not exist.")))?;
        Ok(ok(&json!({"key": prop, "value": v})))
    })?
}

pub async fn set_property(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let prop = call.param("propertyKey").to_string();
    if prop.is_empty() || prop.chars().count() > 255 {
        return Err(JiraError::bad_request("The property key must be between 1 and 255 characters long."));
    }
    let value = body_value(&call.body)?;
    if call.body.len() > 32 * 1024 {
        return Err(JiraError::bad_request("The property value cannot be longer than 32768 bytes."));
    }
    let existed = call.write(|s, _| {
        let mut i = visible(s, &user, &key)?.clone();
        let existed = i.properties.insert(prop.clone(), value.clone()).is_some();
        s.issues.insert(i.id.clone(), i);
        Ok(existed)
    })?;
    Ok(if existed { StatusCode::OK.into_response() } else { StatusCode::CREATED.into_response() })
}

pub async fn delete_property(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let prop = call.param("propertyKey").to_string();
    call.write(|s, _| {
        let mut i = visible(s, &user, &key)?.clone();
        if i.properties.remove(&prop).is_none() {
            return Err(JiraError::not_found(format!("The property with key '{prop}' does not exist.")));
        }
        s.issues.insert(i.id.clone(), i);
        Ok(())
    })?;
    Ok(no_content())
}

// --- Changelog and picker --------------------------------------------------

pub async fn changelog(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let base = call.base().to_string();
    let (start, max) = call.query.paging(100, 100)?;
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        let all: Vec<Value> = s.histories.of_issue(&i.id).map(|h| render::history(s, &base, h)).collect();
        let self_url = format!("{base}/rest/api/3/issue/{}/changelog?maxResults={max}&startAt={start}", i.key);
        let next = format!("{base}/rest/api/3/issue/{}/changelog?maxResults={max}&startAt={}", i.key, start + max);
        Ok(ok(&page_envelope(&self_url, Some(next), start, max, all.len(), slice(&all, start, max))))
    })?
}

pub async fn changelog_bulk(call: Call) -> R {
    let user = call.user()?;
    let body = body_object(&call.body)?;
    let keys: Vec<String> = body
        .get("issueIdsOrKeys")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if keys.is_empty() || keys.len() > 1000 {
        return Err(JiraError::bad_request("issueIdsOrKeys must name between 1 and 1000 issues."));
    }
    let base = call.base().to_string();
    let out: Vec<Value> = call.read(|s| {
        keys.iter()
            .filter_map(|k| visible(s, &user, k).ok())
            .map(|i| {
                let hs: Vec<Value> = s.histories.of_issue(&i.id).map(|h| render::history(s, &base, h)).collect();
                json!({"issueId": i.id, "changeHistories": hs})
            })
            .collect()
    })?;
    Ok(ok(&json!({"issueChangeLogs": out})))
}

pub async fn picker(call: Call) -> R {
    let user = call.user()?;
    let query = call.query.get("query").unwrap_or("").to_lowercase();
    let current = call.query.text("currentJQL").map(str::to_string);
    let now = call.now();
    let v3 = call.v3;
    let _ = v3;
    call.read(|s| {
        let allowed: Option<Vec<String>> = match &current {
            Some(j) => Some(super::search::run(s, &user, j, now, false)?),
            None => None,
        };
        let mut hits: Vec<&Issue> = s
            .issues
            .values()
            .filter(|i| s.projects.get(&i.project_id).is_some_and(|p| s.can_browse(&user, p)))
            .filter(|i| allowed.as_ref().is_none_or(|a| a.contains(&i.id)))
            .filter(|i| {
                query.is_empty() || i.key.to_lowercase().contains(&query) || i.summary.to_lowercase().contains(&query)
            })
            .collect();
        hits.sort_by_key(|i| std::cmp::Reverse(i.updated));
        let total = hits.len();
        let issues: Vec<Value> = hits
            .iter()
            .take(20)
            .map(|i| {
                json!({
                    "key": i.key,
                    "keyHtml": i.key,
                    "img": "/images/icons/issuetypes/task.svg",
                    "summary": i.summary,
                    "summaryText": i.summary,
                    "id": i.id.parse::<u64>().unwrap_or(0),
                })
            })
            .collect();
        Ok(ok(&json!({"sections": [{
            "label": "Current Search",
            "sub": format!("Showing {} of {} matching issues", issues.len(), total),
            "id": "cs",
            "issues": issues,
        }]})))
    })?
}

#[allow(dead_code)]
fn version_segment(v3: bool) -> &'static str {
    ver(v3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_parts_with_names_and_types() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--XyZ--\r\n";
        let parts = multipart("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "file");
        assert_eq!(parts[0].filename.as_deref(), Some("a.txt"));
        assert_eq!(parts[0].content_type.as_deref(), Some("text/plain"));
        assert_eq!(parts[0].data, b"hello");
        assert_eq!(parts[1].data, b"x");
        assert!(multipart("multipart/form-data", body).is_none());
        assert!(multipart("multipart/form-data; boundary=Q", b"junk").is_none());
    }
}
