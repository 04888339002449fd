//! Admin webhooks: `/rest/webhooks/1.0/webhook` (list, register, get, update,
//! delete). Only site administrators may manage them, as in Jira.

use serde_json::{json, Map, Value};

use super::Call;
use crate::errors::JiraError;
use crate::model::{num_key, JiraState, User, Webhook};
use crate::webhooks::EVENTS;
use crate::wire::{body_object, created, no_content, ok, ts};

type R = Result<axum::response::Response, JiraError>;

fn admin(call: &Call) -> Result<User, JiraError> {
    let user = call.user()?;
    if !call.read(|s| s.is_admin(&user))? {
        return Err(JiraError::forbidden(
            "You are not authorized to perform this action. Administrator privileges are required.",
        ));
    }
    Ok(user)
}

fn render(base: &str, w: &Webhook) -> Value {
    let mut filters = Map::new();
    if let Some(j) = &w.jql {
        filters.insert("issue-related-events-section".into(), json!(j));
    }
    json!({
        "self": format!("{base}/rest/webhooks/1.0/webhook/{}", w.id),
        "name": w.name,
        "url": w.url,
        "events": w.events,
        "filters": filters,
        "enabled": w.enabled,
        "excludeBody": w.exclude_body,
        "lastUpdated": w.updated.timestamp_millis(),
        "lastUpdatedUser": w.creator,
        "lastUpdatedDisplayName": w.creator,
        "createdDate": ts(w.created),
    })
}

/// Reads a registration body onto `w`; checks the URL, events and JQL.
fn apply(
    s: &JiraState,
    w: &mut Webhook,
    body: &Map<String, Value>,
    user: &User,
    creating: bool,
) -> Result<(), JiraError> {
    if let Some(n) = body.get("name") {
        w.name = n
            .as_str()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| JiraError::field("name", "The name is required."))?
            .to_string();
    } else if creating {
        return Err(JiraError::field("name", "The name is required."));
    }
    if let Some(u) = body.get("url") {
        let u = u.as_str().unwrap_or("");
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(JiraError::field("url", "The URL must be an absolute http or https URL."));
        }
        // The twin's safety rule, not Jira's: deliveries never leave this machine.
        if !reqwest::Url::parse(u).is_ok_and(|url| twin_core::outbound::is_loopback_host(&url)) {
            return Err(JiraError::field(
                "url",
                "The twin delivers webhooks only to loopback URLs (127.0.0.0/8, localhost, [::1]).",
            ));
        }
        w.url = u.to_string();
    } else if creating {
        return Err(JiraError::field("url", "The URL is required."));
    }
    if let Some(e) = body.get("events") {
        let list: Vec<String> =
            e.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default();
        if let Some(bad) = list.iter().find(|x| !EVENTS.contains(&x.as_str()) && x.as_str() != "*") {
            return Err(JiraError::field(
                "events",
                format!("Unknown event '{bad}'. Known events: {}", EVENTS.join(", ")),
            ));
        }
        w.events = list;
    }
    if let Some(f) = body.get("filters") {
        let j = f
            .get("issue-related-events-section")
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|j| !j.trim().is_empty());
        if let Some(text) = &j {
            let q = crate::jql::parse(text).map_err(|e| JiraError::field("filters", e))?;
            let env = crate::jql::Env { state: s, current_user: Some(&user.account_id), now: w.updated };
            env.compile(&q).map_err(|e| JiraError::field("filters", e))?;
        }
        w.jql = j;
    }
    if let Some(e) = body.get("enabled") {
        w.enabled = e.as_bool().ok_or_else(|| JiraError::field("enabled", "enabled must be true or false."))?;
    }
    if let Some(e) = body.get("excludeBody") {
        w.exclude_body = e.as_bool().unwrap_or(false);
    }
    if let Some(secret) = body.get("secret") {
        w.secret = secret.as_str().filter(|x| !x.is_empty()).map(str::to_string);
    }
    Ok(())
}

pub async fn list(call: Call) -> R {
    admin(&call)?;
    let base = call.base().to_string();
    let out: Vec<Value> = call.read(|s| s.webhooks.values().map(|w| render(&base, w)).collect())?;
    Ok(ok(&Value::Array(out)))
}

pub async fn create(call: Call) -> R {
    let user = admin(&call)?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, _| {
        let id = JiraState::next(&mut s.counters.webhook);
        let mut w = Webhook {
            id,
            name: String::new(),
            url: String::new(),
            events: vec![],
            jql: None,
            enabled: true,
            secret: None,
            exclude_body: false,
            created: now,
            updated: now,
            creator: user.account_id.clone(),
        };
        apply(s, &mut w, &body, &user, true)?;
        s.webhooks.insert(num_key(id), w.clone());
        Ok(render(&base, &w))
    })?;
    Ok(created(&out))
}

fn id_of(call: &Call) -> Result<String, JiraError> {
    let id: u64 = call.param("webhookId").parse().map_err(|_| JiraError::not_found("Webhook not found."))?;
    Ok(num_key(id))
}

pub async fn get(call: Call) -> R {
    admin(&call)?;
    let key = id_of(&call)?;
    let base = call.base().to_string();
    call.read(|s| s.webhooks.get(&key).map(|w| ok(&render(&base, w))))?
        .ok_or_else(|| JiraError::not_found("Webhook not found."))
}

pub async fn update(call: Call) -> R {
    let user = admin(&call)?;
    let key = id_of(&call)?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let base = call.base().to_string();
    let out = call.write(|s, _| {
        let mut w = s.webhooks.get(&key).cloned().ok_or_else(|| JiraError::not_found("Webhook not found."))?;
        w.updated = now;
        apply(s, &mut w, &body, &user, false)?;
        s.webhooks.insert(key.clone(), w.clone());
        Ok(render(&base, &w))
    })?;
    Ok(ok(&out))
}

pub async fn delete(call: Call) -> R {
    admin(&call)?;
    let key = id_of(&call)?;
    call.write(|s, _| s.webhooks.remove(&key).map(|_| ()).ok_or_else(|| JiraError::not_found("Webhook not found.")))?;
    Ok(no_content())
}
