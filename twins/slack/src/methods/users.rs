//! users.*.

use serde_json::{json, Map, Value};

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::paging::{metadata, page_request, paginate, Limits};
use crate::views::{profile_json, user_json};

const USER_LIMITS: Limits = Limits { default: 1000, max: 1000, strict: false };

pub fn users_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let req = page_request(call.params, "user", USER_LIMITS)?;
    call.read(|s| {
        let page = paginate(s.users.values().map(|u| (u.id.clone(), u)), &req, "user", false);
        let mut members: Vec<Value> = page.items.iter().map(|u| user_json(u, &call.actor, call.now)).collect();
        if call.params.flag("include_locale") {
            for m in &mut members {
                m["locale"] = json!("en-US");
            }
        }
        Ok(ok(json!({
            "members": members,
            "cache_ts": call.now_s(),
            "response_metadata": metadata(&page.next_cursor),
        })))
    })
}

pub fn users_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    let id = call.params.nonempty("user").ok_or(SlackError::UserNotFound)?;
    call.read(|s| {
        let mut user = user_json(s.user(id.trim())?, &call.actor, call.now);
        if call.params.flag("include_locale") {
            user["locale"] = json!("en-US");
        }
        Ok(ok(json!({ "user": user })))
    })
}

pub fn users_lookup_by_email(call: &Call<'_>) -> Result<Reply, SlackError> {
    let email = call.arg("email")?;
    call.read(|s| {
        let user = s
            .users
            .values()
            .find(|u| !u.deleted && u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email.trim())))
            .ok_or(SlackError::Code("users_not_found"))?;
        Ok(ok(json!({ "user": user_json(user, &call.actor, call.now) })))
    })
}

pub fn users_get_presence(call: &Call<'_>) -> Result<Reply, SlackError> {
    let id = call.params.nonempty("user").unwrap_or_else(|| call.actor.user.clone());
    call.read(|s| {
        let user = s.user(&id)?;
        let away = user.deleted || user.manual_away;
        let presence = if away { "away" } else { "active" };
        if id != call.actor.user {
            return Ok(ok(json!({ "presence": presence })));
        }
        Ok(ok(json!({
            "presence": presence,
            "online": !away,
            "auto_away": false,
            "manual_away": user.manual_away,
            "connection_count": if away { 0 } else { 1 },
            "last_activity": call.now_s(),
        })))
    })
}

pub fn users_set_presence(call: &Call<'_>) -> Result<Reply, SlackError> {
    let presence = call.arg("presence")?;
    let away = match presence.trim() {
        "away" => true,
        "auto" => false,
        _ => return Err(SlackError::Code("invalid_presence")),
    };
    let me = call.actor.user.clone();
    call.write(|s, _| {
        let mut user = s.user(&me)?.clone();
        user.manual_away = away;
        s.users.insert(me.clone(), user);
        Ok(ok(json!({})))
    })
}

pub fn users_profile_get(call: &Call<'_>) -> Result<Reply, SlackError> {
    let id = call.params.nonempty("user").unwrap_or_else(|| call.actor.user.clone());
    call.read(|s| {
        let user = s.user(id.trim())?;
        let show_email = call.actor.has("users:read.email") || user.id == call.actor.user;
        Ok(ok(json!({ "profile": profile_json(user, show_email) })))
    })
}

/// The profile fields users.profile.set changes, and their length limits.
const PROFILE_FIELDS: &[(&str, usize)] = &[
    ("first_name", 35),
    ("last_name", 35),
    ("real_name", 80),
    ("display_name", 80),
    ("title", 150),
    ("phone", 50),
    ("status_text", 100),
    ("status_emoji", 100),
    ("status_expiration", 20),
    ("email", 254),
];

pub fn users_profile_set(call: &Call<'_>) -> Result<Reply, SlackError> {
    let mut changes: Map<String, Value> = match call.params.json("profile") {
        Ok(Some(Value::Object(map))) => map,
        Ok(Some(_)) | Err(_) => return Err(SlackError::Code("invalid_profile")),
        Ok(None) => Map::new(),
    };
    if let (Some(name), Some(value)) = (call.params.nonempty("name"), call.params.str("value")) {
        changes.insert(name, Value::String(value));
    }
    if changes.is_empty() {
        return Err(SlackError::Code("invalid_profile"));
    }
    let target = call.params.nonempty("user").unwrap_or_else(|| call.actor.user.clone());
    if target != call.actor.user && !call.actor.is_admin {
        return Err(SlackError::Code("not_admin"));
    }
    let now = call.now_s();
    call.write(|s, _| {
        let mut user = s.user(&target)?.clone();
        if user.is_primary_owner && target != call.actor.user {
            return Err(SlackError::Code("cannot_update_admin_user"));
        }
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let mut names_changed = false;
        for (key, value) in &changes {
            let Some((_, max)) = PROFILE_FIELDS.iter().find(|(k, _)| k == key) else { continue };
            let value = text(value);
            if value.chars().count() > *max {
                return Err(SlackError::Code("too_long"));
            }
            match key.as_str() {
                "first_name" => {
                    user.first_name = value;
                    names_changed = true;
                }
                "last_name" => {
                    user.last_name = value;
                    names_changed = true;
                }
                "real_name" => user.real_name = value,
                "display_name" => {
                    if value.starts_with('@') {
                        return Err(SlackError::Code("invalid_starts_with_at"));
                    }
                    user.display_name = value;
                }
                "title" => user.title = value,
                "phone" => user.phone = value,
                "status_text" => user.status_text = value,
                "status_emoji" => {
                    let trimmed = value.trim_matches(':');
                    if !value.is_empty() && (trimmed.is_empty() || trimmed.contains(char::is_whitespace)) {
                        return Err(SlackError::Code("invalid_emoji_not_allowed"));
                    }
                    user.status_emoji = if value.is_empty() { value } else { format!(":{trimmed}:") };
                }
                "status_expiration" => user.status_expiration = value.trim().parse().unwrap_or(0),
                "email" => {
                    let taken = s
                        .users
                        .values()
                        .any(|u| u.id != user.id && u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&value)));
                    if taken {
                        return Err(SlackError::Code("email_taken"));
                    }
                    user.email = Some(value);
                }
                _ => {}
            }
        }
        if names_changed && !changes.contains_key("real_name") {
            user.real_name = format!("{} {}", user.first_name, user.last_name).trim().to_string();
        }
        user.updated = now;
        s.users.insert(user.id.clone(), user.clone());
        Ok(ok(json!({"profile": profile_json(&user, true), "username": user.name})))
    })
}
