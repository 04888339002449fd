//! calls.*: Calls a calling app registers with Slack, their participants and their end.

use serde_json::{json, Value};

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::model::{CallRecord, SlackState};

/// A Call object as the methods return it.
pub fn call_json(c: &CallRecord) -> Value {
    let mut v = json!({
        "id": c.id,
        "date_start": c.date_start,
        "external_unique_id": c.external_unique_id,
        "join_url": c.join_url,
        "users": c.users,
    });
    for (key, value) in [
        ("desktop_app_join_url", &c.desktop_app_join_url),
        ("external_display_id", &c.external_display_id),
        ("title", &c.title),
    ] {
        if let Some(value) = value {
            v[key] = json!(value);
        }
    }
    if let Some(end) = c.date_end {
        v["date_end"] = json!(end);
    }
    if let Some(duration) = c.duration {
        v["duration"] = json!(duration);
    }
    v
}

/// A participant: `{"slack_id"}` of a member, or `{"external_id"}` with an optional
/// `display_name` and `avatar_url`. Its identity is the id it carries.
fn participant(s: &SlackState, raw: &Value, bad: &'static str) -> Result<(String, Value), SlackError> {
    let obj = raw.as_object().ok_or(SlackError::Code(bad))?;
    let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty());
    if let Some(id) = text("slack_id") {
        if s.users.get(id).is_none_or(|u| u.deleted) {
            return Err(SlackError::UserNotFound);
        }
        return Ok((format!("slack:{id}"), json!({ "slack_id": id })));
    }
    let Some(external) = text("external_id") else { return Err(SlackError::Code(bad)) };
    let mut user = json!({ "external_id": external });
    for key in ["display_name", "avatar_url"] {
        if let Some(value) = text(key) {
            user[key] = json!(value);
        }
    }
    Ok((format!("external:{external}"), user))
}

fn key_of(user: &Value) -> String {
    match (user.get("slack_id").and_then(Value::as_str), user.get("external_id").and_then(Value::as_str)) {
        (Some(id), _) => format!("slack:{id}"),
        (None, Some(id)) => format!("external:{id}"),
        _ => String::new(),
    }
}

/// The `users` argument: a JSON array of participants.
fn users_arg(call: &Call<'_>, bad: &'static str) -> Result<Option<Vec<Value>>, SlackError> {
    match call.params.json("users") {
        Ok(None) => Ok(None),
        Ok(Some(Value::Array(items))) => Ok(Some(items)),
        Ok(Some(_)) | Err(_) => Err(SlackError::Code(bad)),
    }
}

fn call_of<'s>(s: &'s SlackState, call: &Call<'_>) -> Result<&'s CallRecord, SlackError> {
    let id = call.arg("id")?;
    s.calls.get(id.trim()).ok_or(SlackError::Code("invalid_call_id"))
}

pub fn calls_add(call: &Call<'_>) -> Result<Reply, SlackError> {
    let external_unique_id = call.arg("external_unique_id")?;
    let join_url = call.arg("join_url")?;
    let date_start = call.params.int("date_start").map_err(|_| SlackError::Code("invalid_start_time"))?;
    if date_start.is_some_and(|d| d < 0) {
        return Err(SlackError::Code("invalid_start_time"));
    }
    let date_start = date_start.unwrap_or_else(|| call.now_s());
    let users = users_arg(call, "invalid_arguments").map_err(|_| SlackError::invalid("users"))?.unwrap_or_default();
    // Defaults to the caller (the authed user, or the app's bot user).
    let created_by = call.params.nonempty("created_by").unwrap_or_else(|| call.actor.user.clone());
    call.write(|s, ids| {
        if s.users.get(created_by.trim()).is_none_or(|u| u.deleted) {
            return Err(SlackError::Code("invalid_created_by"));
        }
        let mut participants: Vec<Value> = Vec::new();
        for raw in &users {
            let (key, user) = participant(s, raw, "invalid_arguments").map_err(|e| match e {
                SlackError::Code(_) => SlackError::invalid("users"),
                other => other,
            })?;
            if !participants.iter().any(|p| key_of(p) == key) {
                participants.push(user);
            }
        }
        let id = loop {
            let id = ids.upper_id("R", 10);
            if !s.calls.contains_key(&id) {
                break id;
            }
        };
        let record = CallRecord {
            id: id.clone(),
            app_id: call.actor.app_id.clone(),
            external_unique_id: external_unique_id.clone(),
            external_display_id: call.params.nonempty("external_display_id"),
            join_url: join_url.clone(),
            desktop_app_join_url: call.params.nonempty("desktop_app_join_url"),
            title: call.params.nonempty("title"),
            created_by: created_by.trim().to_string(),
            date_start,
            date_end: None,
            duration: None,
            users: participants,
        };
        s.calls.insert(id, record.clone());
        Ok(ok(json!({ "call": call_json(&record) })))
    })
}

pub fn calls_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.read(|s| Ok(ok(json!({ "call": call_json(call_of(s, call)?) }))))
}

pub fn calls_update(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.write(|s, _| {
        let mut record = call_of(s, call)?.clone();
        if let Some(title) = call.params.str("title") {
            record.title = Some(title).filter(|t| !t.is_empty());
        }
        if let Some(url) = call.params.nonempty("join_url") {
            record.join_url = url;
        }
        if let Some(url) = call.params.str("desktop_app_join_url") {
            record.desktop_app_join_url = Some(url).filter(|u| !u.is_empty());
        }
        s.calls.insert(record.id.clone(), record.clone());
        Ok(ok(json!({ "call": call_json(&record) })))
    })
}

pub fn calls_end(call: &Call<'_>) -> Result<Reply, SlackError> {
    let duration = call.params.int("duration")?;
    if duration.is_some_and(|d| d < 0) {
        return Err(SlackError::invalid("duration"));
    }
    let now = call.now_s();
    call.write(|s, _| {
        let mut record = call_of(s, call)?.clone();
        if record.date_end.is_some() {
            return Err(SlackError::Code("inactive_call"));
        }
        let duration = duration.unwrap_or_else(|| (now - record.date_start).max(0));
        record.duration = Some(duration);
        record.date_end = Some(record.date_start.saturating_add(duration));
        s.calls.insert(record.id.clone(), record);
        Ok(ok(json!({})))
    })
}

fn change_participants(call: &Call<'_>, add: bool) -> Result<Reply, SlackError> {
    let users = users_arg(call, "bad_users")?.filter(|u| !u.is_empty()).ok_or(SlackError::missing("users"))?;
    call.write(|s, _| {
        let mut record = call_of(s, call)?.clone();
        if record.date_end.is_some() {
            return Err(SlackError::Code("inactive_call"));
        }
        for raw in &users {
            let (key, user) = participant(s, raw, "bad_users")?;
            let present = record.users.iter().any(|p| key_of(p) == key);
            if add && !present {
                record.users.push(user);
            } else if !add {
                record.users.retain(|p| key_of(p) != key);
            }
        }
        s.calls.insert(record.id.clone(), record);
        Ok(ok(json!({})))
    })
}

pub fn calls_participants_add(call: &Call<'_>) -> Result<Reply, SlackError> {
    change_participants(call, true)
}

pub fn calls_participants_remove(call: &Call<'_>) -> Result<Reply, SlackError> {
    change_participants(call, false)
}
