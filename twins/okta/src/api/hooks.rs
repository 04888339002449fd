//! `/api/v1/eventHooks` and `/api/v1/inlineHooks`: CRUD and lifecycle, event hook
//! verification (Okta's one-time challenge GET). Delivery and the token hook call
//! are in `crate::hooks`.

use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::routes::{route, Cov, Route};
use super::{Call, Caller};
use crate::errors::OktaError;
use crate::hooks::{self, Channel, EventHook, InlineHook};
use crate::ids::{alnum, okta_id};
use crate::model::{Event, OktaState, Target};
use crate::wire::{self, body_object, ts};

pub const ROUTES: &[Route] = &[
    route("GET", "/api/v1/eventHooks", "okta.event_hooks.list", Cov::Implemented),
    route(
        "POST",
        "/api/v1/eventHooks",
        "okta.event_hooks.create",
        Cov::Partial("loopback URIs only; EVENT_TYPE subscriptions"),
    ),
    route("GET", "/api/v1/eventHooks/{eventHookId}", "okta.event_hooks.get", Cov::Implemented),
    route(
        "PUT",
        "/api/v1/eventHooks/{eventHookId}",
        "okta.event_hooks.replace",
        Cov::Partial("loopback URIs only; EVENT_TYPE subscriptions"),
    ),
    route("DELETE", "/api/v1/eventHooks/{eventHookId}", "okta.event_hooks.delete", Cov::Implemented),
    route("POST", "/api/v1/eventHooks/{eventHookId}/lifecycle/activate", "okta.event_hooks.activate", Cov::Implemented),
    route(
        "POST",
        "/api/v1/eventHooks/{eventHookId}/lifecycle/deactivate",
        "okta.event_hooks.deactivate",
        Cov::Implemented,
    ),
    route("POST", "/api/v1/eventHooks/{eventHookId}/lifecycle/verify", "okta.event_hooks.verify", Cov::Implemented),
    route("GET", "/api/v1/inlineHooks", "okta.inline_hooks.list", Cov::Implemented),
    route(
        "POST",
        "/api/v1/inlineHooks",
        "okta.inline_hooks.create",
        Cov::Partial("HTTP channel, loopback URIs; only the token hook is ever called"),
    ),
    route("GET", "/api/v1/inlineHooks/{inlineHookId}", "okta.inline_hooks.get", Cov::Implemented),
    route(
        "PUT",
        "/api/v1/inlineHooks/{inlineHookId}",
        "okta.inline_hooks.replace",
        Cov::Partial("HTTP channel, loopback URIs; only the token hook is ever called"),
    ),
    route("DELETE", "/api/v1/inlineHooks/{inlineHookId}", "okta.inline_hooks.delete", Cov::Implemented),
    route(
        "POST",
        "/api/v1/inlineHooks/{inlineHookId}/execute",
        "okta.inline_hooks.execute",
        Cov::Partial("a hook that fails answers 400 E0000001"),
    ),
    route(
        "POST",
        "/api/v1/inlineHooks/{inlineHookId}/lifecycle/activate",
        "okta.inline_hooks.activate",
        Cov::Implemented,
    ),
    route(
        "POST",
        "/api/v1/inlineHooks/{inlineHookId}/lifecycle/deactivate",
        "okta.inline_hooks.deactivate",
        Cov::Implemented,
    ),
];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/eventHooks", get(list_event_hooks).post(create_event_hook))
        .route(
            "/api/v1/eventHooks/{eventHookId}",
            get(get_event_hook).put(replace_event_hook).delete(delete_event_hook),
        )
        .route(
            "/api/v1/eventHooks/{eventHookId}/lifecycle/activate",
            post(|p: Path<String>, c: Call| event_hook_lifecycle(p, c, true)),
        )
        .route(
            "/api/v1/eventHooks/{eventHookId}/lifecycle/deactivate",
            post(|p: Path<String>, c: Call| event_hook_lifecycle(p, c, false)),
        )
        .route("/api/v1/eventHooks/{eventHookId}/lifecycle/verify", post(verify_event_hook))
        .route("/api/v1/inlineHooks", get(list_inline_hooks).post(create_inline_hook))
        .route(
            "/api/v1/inlineHooks/{inlineHookId}",
            get(get_inline_hook).put(replace_inline_hook).delete(delete_inline_hook),
        )
        .route("/api/v1/inlineHooks/{inlineHookId}/execute", post(execute_inline_hook))
        .route(
            "/api/v1/inlineHooks/{inlineHookId}/lifecycle/activate",
            post(|p: Path<String>, c: Call| inline_hook_lifecycle(p, c, true)),
        )
        .route(
            "/api/v1/inlineHooks/{inlineHookId}/lifecycle/deactivate",
            post(|p: Path<String>, c: Call| inline_hook_lifecycle(p, c, false)),
        )
}

const INLINE_TYPES: [&str; 5] = [
    "com.okta.import.transform",
    "com.okta.oauth2.tokens.transform",
    "com.okta.saml.tokens.transform",
    "com.okta.user.credential.password.import",
    "com.okta.user.pre-registration",
];

/// Hooks send the org's data elsewhere: an OAuth token needs Okta's hook scopes,
/// which the org server does not grant, so only API tokens manage them here.
fn manage(call: &Call, scope: &str) -> Result<Caller, OktaError> {
    let caller = call.caller()?;
    caller.require_scope(scope)?;
    Ok(caller)
}

fn text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
}

/// `channel` of a request body: a loopback `uri`, headers, an auth scheme.
fn channel_input(body: &Value, inline: bool, causes: &mut Vec<String>) -> Channel {
    let uri = text(body, "/channel/config/uri").unwrap_or_default();
    if uri.is_empty() {
        causes.push("channel.config.uri: The field cannot be left blank".into());
    } else if hooks::loopback_url(&uri).is_none() {
        // The twin never sends beyond this machine: a hook elsewhere could not work.
        causes.push(
            "channel.config.uri: The URI must be a loopback http(s) address (127.0.0.1, ::1 or localhost) in the twin"
                .into(),
        );
    }
    match text(body, "/channel/type").as_deref() {
        Some("HTTP") => {}
        None => causes.push("channel.type: The field cannot be left blank".into()),
        Some(other) => causes.push(format!("channel.type: '{other}' is not supported")),
    }
    let version = text(body, "/channel/version").unwrap_or_else(|| "1.0.0".into());
    let headers = body
        .pointer("/channel/config/headers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|h| Some((h.get("key")?.as_str()?.to_string(), h.get("value")?.as_str()?.to_string())))
                .take(16)
                .collect()
        })
        .unwrap_or_default();
    let auth_type = text(body, "/channel/config/authScheme/type");
    if auth_type.as_deref().is_some_and(|t| t != "HEADER") {
        causes.push("channel.config.authScheme.type: Only HEADER is supported".into());
    }
    let auth_key = text(body, "/channel/config/authScheme/key");
    let auth_value = text(body, "/channel/config/authScheme/value");
    let method = inline.then(|| text(body, "/channel/config/method").unwrap_or_else(|| "POST".into()));
    Channel { uri, headers, auth_key, auth_value, auth_type, version, method }
}

/// `channel` as Okta answers it: the auth scheme's value is never returned.
fn channel_json(c: &Channel) -> Value {
    let mut config = json!({
        "uri": c.uri,
        "headers": c.headers.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
    });
    if c.auth_key.is_some() || c.auth_type.is_some() {
        config["authScheme"] = json!({"type": c.auth_type.as_deref().unwrap_or("HEADER"), "key": c.auth_key});
    }
    if let Some(m) = &c.method {
        config["method"] = json!(m);
    }
    json!({"type": "HTTP", "version": c.version, "config": config})
}

// --- event hooks ------------------------------------------------------------------------

fn event_hook_json(h: &EventHook, base: &str) -> Value {
    let self_href = format!("{base}/api/v1/eventHooks/{}", h.id);
    let lifecycle = if h.status == "ACTIVE" { "deactivate" } else { "activate" };
    json!({
        "id": h.id,
        "status": h.status,
        "verificationStatus": h.verification_status,
        "name": h.name,
        "created": ts(h.created),
        "createdBy": h.created_by,
        "lastUpdated": ts(h.last_updated),
        "events": {"type": "EVENT_TYPE", "items": h.events},
        "channel": channel_json(&h.channel),
        "_links": {
            "self": {"href": self_href, "hints": {"allow": ["GET", "PUT", "DELETE"]}},
            "verify": {"href": format!("{self_href}/lifecycle/verify"), "hints": {"allow": ["POST"]}},
            lifecycle: {"href": format!("{self_href}/lifecycle/{lifecycle}"), "hints": {"allow": ["POST"]}},
        },
    })
}

fn event_hook_input(body: &Map<String, Value>) -> Result<(String, Vec<String>, Channel), OktaError> {
    let v = Value::Object(body.clone());
    let mut causes = Vec::new();
    let name = text(&v, "/name").unwrap_or_default();
    if name.is_empty() {
        causes.push("name: The field cannot be left blank".into());
    }
    match text(&v, "/events/type").as_deref() {
        Some("EVENT_TYPE") => {}
        None => causes.push("events.type: The field cannot be left blank".into()),
        Some(other) => causes.push(format!("events.type: '{other}' is not supported")),
    }
    let events: Vec<String> = v
        .pointer("/events/items")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    if events.is_empty() {
        causes.push("events.items: The field cannot be left blank".into());
    }
    if events.len() > hooks::MAX_EVENTS_PER_HOOK {
        causes.push(format!("events.items: At most {} event types may be subscribed to", hooks::MAX_EVENTS_PER_HOOK));
    }
    for e in events.iter().filter(|e| !hooks::EVENT_TYPES.contains(&e.as_str())) {
        causes.push(format!("events.items: Invalid event type: {e}"));
    }
    let channel = channel_input(&v, false, &mut causes);
    if !causes.is_empty() {
        return Err(OktaError::Validation { field: "EventHook".into(), causes });
    }
    Ok((name, events, channel))
}

fn event_hook_of<'a>(s: &'a OktaState, id: &str) -> Result<&'a EventHook, OktaError> {
    s.event_hooks.get(id).ok_or_else(|| OktaError::not_found(id, "EventHook"))
}

fn hook_target(id: &str, name: &str, kind: &str) -> Target {
    Target { id: id.into(), kind: kind.into(), alternate_id: name.into(), display_name: name.into() }
}

async fn list_event_hooks(call: Call) -> Result<Response, OktaError> {
    manage(&call, "okta.eventHooks.manage")?;
    let base = call.base().to_string();
    let items = call.read(|s| s.event_hooks.values().map(|h| event_hook_json(h, &base)).collect::<Vec<_>>())?;
    Ok(wire::ok(&Value::Array(items)))
}

async fn create_event_hook(call: Call) -> Result<Response, OktaError> {
    let caller = manage(&call, "okta.eventHooks.manage")?;
    let (name, events, channel) = event_hook_input(&body_object(&call.body)?)?;
    let (now, base) = (call.now(), call.base().to_string());
    let out = call.write(|s, ids| {
        if s.event_hooks.len() >= hooks::MAX_EVENT_HOOKS {
            return Err(OktaError::validation("EventHook", "You have reached the maximum number of event hooks."));
        }
        let hook = EventHook {
            id: okta_id(ids, "who"),
            name: name.clone(),
            status: "ACTIVE".into(),
            verification_status: "UNVERIFIED".into(),
            events: events.clone(),
            channel: channel.clone(),
            created: now,
            created_by: caller.actor.id.clone(),
            last_updated: now,
        };
        s.event_hooks.insert(hook.id.clone(), hook.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new(
                "event_hook.created",
                "Event hook created",
                vec![hook_target(&hook.id, &hook.name, "EventHook")],
            ),
        );
        Ok(event_hook_json(&hook, &base))
    })?;
    // The vendor document answers 200 to a create here.
    Ok(wire::ok(&out))
}

async fn get_event_hook(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    manage(&call, "okta.eventHooks.manage")?;
    let base = call.base().to_string();
    let out = call.read(|s| event_hook_of(s, &id).map(|h| event_hook_json(h, &base)))??;
    Ok(wire::ok(&out))
}

async fn replace_event_hook(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    manage(&call, "okta.eventHooks.manage")?;
    let (name, events, mut channel) = event_hook_input(&body_object(&call.body)?)?;
    let (now, base) = (call.now(), call.base().to_string());
    let out = call.write(|s, _ids| {
        let mut hook = event_hook_of(s, &id)?.clone();
        // A replace without the secret keeps it (Okta never returns it to send back).
        if channel.auth_value.is_none() && channel.auth_key == hook.channel.auth_key {
            channel.auth_value = hook.channel.auth_value.clone();
        }
        if channel.uri != hook.channel.uri {
            hook.verification_status = "UNVERIFIED".into();
        }
        hook.name = name.clone();
        hook.events = events.clone();
        hook.channel = channel.clone();
        hook.last_updated = now;
        s.event_hooks.insert(id.clone(), hook.clone());
        Ok(event_hook_json(&hook, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_event_hook(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = manage(&call, "okta.eventHooks.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let hook = event_hook_of(s, &id)?.clone();
        if hook.status == "ACTIVE" {
            return Err(OktaError::validation(
                "status",
                "The event hook must be deactivated before it can be deleted.",
            ));
        }
        s.event_hooks.remove(&id);
        caller.log(
            s,
            ids,
            now,
            Event::new(
                "event_hook.deleted",
                "Event hook deleted",
                vec![hook_target(&hook.id, &hook.name, "EventHook")],
            ),
        );
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn event_hook_lifecycle(Path(id): Path<String>, call: Call, activate: bool) -> Result<Response, OktaError> {
    let caller = manage(&call, "okta.eventHooks.manage")?;
    let (now, base) = (call.now(), call.base().to_string());
    let out = call.write(|s, ids| {
        let mut hook = event_hook_of(s, &id)?.clone();
        hook.status = if activate { "ACTIVE" } else { "INACTIVE" }.into();
        hook.last_updated = now;
        s.event_hooks.insert(id.clone(), hook.clone());
        let (event, message) = if activate {
            ("event_hook.activated", "Event hook activated")
        } else {
            ("event_hook.deactivated", "Event hook deactivated")
        };
        caller.log(s, ids, now, Event::new(event, message, vec![hook_target(&hook.id, &hook.name, "EventHook")]));
        Ok(event_hook_json(&hook, &base))
    })?;
    Ok(wire::ok(&out))
}

/// Sends the challenge GET (outside any lock) and records the outcome.
async fn verify_event_hook(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = manage(&call, "okta.eventHooks.manage")?;
    let (now, base) = (call.now(), call.base().to_string());
    let (channel, challenge) = call.write(|s, ids| Ok((event_hook_of(s, &id)?.channel.clone(), alnum(ids, 40))))?;
    let verified = hooks::verify(&channel, &challenge).await;
    let out = call.write(|s, ids| {
        let mut hook = event_hook_of(s, &id)?.clone();
        if !verified {
            return Err(OktaError::Other {
                status: 400,
                code: "E0000001".into(),
                summary: "Api validation failed: Verification of the event hook failed.".into(),
            });
        }
        hook.verification_status = "VERIFIED".into();
        hook.last_updated = now;
        s.event_hooks.insert(id.clone(), hook.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new(
                "event_hook.verified",
                "Event hook verified",
                vec![hook_target(&hook.id, &hook.name, "EventHook")],
            ),
        );
        Ok(event_hook_json(&hook, &base))
    })?;
    Ok(wire::ok(&out))
}

// --- inline hooks -----------------------------------------------------------------------

fn inline_hook_json(h: &InlineHook, base: &str) -> Value {
    let self_href = format!("{base}/api/v1/inlineHooks/{}", h.id);
    let lifecycle = if h.status == "ACTIVE" { "deactivate" } else { "activate" };
    json!({
        "id": h.id,
        "status": h.status,
        "name": h.name,
        "type": h.kind,
        "version": h.version,
        "channel": channel_json(&h.channel),
        "created": ts(h.created),
        "lastUpdated": ts(h.last_updated),
        "_links": {
            "self": {"href": self_href, "hints": {"allow": ["GET", "PUT", "DELETE"]}},
            lifecycle: {"href": format!("{self_href}/lifecycle/{lifecycle}"), "hints": {"allow": ["POST"]}},
        },
    })
}

fn inline_hook_input(body: &Map<String, Value>) -> Result<(String, String, String, Channel), OktaError> {
    let v = Value::Object(body.clone());
    let mut causes = Vec::new();
    let name = text(&v, "/name").unwrap_or_default();
    if name.is_empty() {
        causes.push("name: The field cannot be left blank".into());
    }
    let kind = text(&v, "/type").unwrap_or_default();
    if kind.is_empty() {
        causes.push("type: The field cannot be left blank".into());
    } else if !INLINE_TYPES.contains(&kind.as_str()) {
        causes.push(format!("type: '{kind}' is not a valid inline hook type"));
    }
    let version = text(&v, "/version").unwrap_or_else(|| "1.0.0".into());
    let channel = channel_input(&v, true, &mut causes);
    if !causes.is_empty() {
        return Err(OktaError::Validation { field: "InlineHook".into(), causes });
    }
    Ok((name, kind, version, channel))
}

fn inline_hook_of<'a>(s: &'a OktaState, id: &str) -> Result<&'a InlineHook, OktaError> {
    s.inline_hooks.get(id).ok_or_else(|| OktaError::not_found(id, "InlineHook"))
}

async fn list_inline_hooks(call: Call) -> Result<Response, OktaError> {
    manage(&call, "okta.inlineHooks.manage")?;
    let kind = call.query.text("type").map(str::to_string);
    let base = call.base().to_string();
    let items = call.read(|s| {
        s.inline_hooks
            .values()
            .filter(|h| kind.as_deref().is_none_or(|k| h.kind == k))
            .map(|h| inline_hook_json(h, &base))
            .collect::<Vec<_>>()
    })?;
    Ok(wire::ok(&Value::Array(items)))
}

async fn create_inline_hook(call: Call) -> Result<Response, OktaError> {
    let caller = manage(&call, "okta.inlineHooks.manage")?;
    let (name, kind, version, channel) = inline_hook_input(&body_object(&call.body)?)?;
    let (now, base) = (call.now(), call.base().to_string());
    let out = call.write(|s, ids| {
        if s.inline_hooks.len() >= hooks::MAX_INLINE_HOOKS {
            return Err(OktaError::validation("InlineHook", "You have reached the maximum number of inline hooks."));
        }
        let hook = InlineHook {
            id: okta_id(ids, "cal"),
            name: name.clone(),
            status: "ACTIVE".into(),
            kind: kind.clone(),
            version: version.clone(),
            channel: channel.clone(),
            created: now,
            last_updated: now,
        };
        s.inline_hooks.insert(hook.id.clone(), hook.clone());
        caller.log(
            s,
            ids,
            now,
            Event::new(
                "inline_hook.created",
                "Inline hook created",
                vec![hook_target(&hook.id, &hook.name, "InlineHook")],
            ),
        );
        Ok(inline_hook_json(&hook, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn get_inline_hook(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    manage(&call, "okta.inlineHooks.manage")?;
    let base = call.base().to_string();
    let out = call.read(|s| inline_hook_of(s, &id).map(|h| inline_hook_json(h, &base)))??;
    Ok(wire::ok(&out))
}

async fn replace_inline_hook(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    manage(&call, "okta.inlineHooks.manage")?;
    let (name, kind, version, mut channel) = inline_hook_input(&body_object(&call.body)?)?;
    let (now, base) = (call.now(), call.base().to_string());
    let out = call.write(|s, _ids| {
        let mut hook = inline_hook_of(s, &id)?.clone();
        if kind != hook.kind {
            return Err(OktaError::validation("type", "type: The type of an inline hook cannot be changed"));
        }
        if channel.auth_value.is_none() && channel.auth_key == hook.channel.auth_key {
            channel.auth_value = hook.channel.auth_value.clone();
        }
        hook.name = name.clone();
        hook.version = version.clone();
        hook.channel = channel.clone();
        hook.last_updated = now;
        s.inline_hooks.insert(id.clone(), hook.clone());
        Ok(inline_hook_json(&hook, &base))
    })?;
    Ok(wire::ok(&out))
}

async fn delete_inline_hook(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    let caller = manage(&call, "okta.inlineHooks.manage")?;
    let now = call.now();
    call.write(|s, ids| {
        let hook = inline_hook_of(s, &id)?.clone();
        if hook.status == "ACTIVE" {
            return Err(OktaError::validation(
                "status",
                "The inline hook must be deactivated before it can be deleted.",
            ));
        }
        if s.auth_rules.values().any(|r| r.inline_hook.as_deref() == Some(id.as_str())) {
            return Err(OktaError::validation(
                "id",
                "The inline hook is in use by an authorization server policy rule.",
            ));
        }
        s.inline_hooks.remove(&id);
        caller.log(
            s,
            ids,
            now,
            Event::new(
                "inline_hook.deleted",
                "Inline hook deleted",
                vec![hook_target(&hook.id, &hook.name, "InlineHook")],
            ),
        );
        Ok(())
    })?;
    Ok(wire::no_content())
}

async fn inline_hook_lifecycle(Path(id): Path<String>, call: Call, activate: bool) -> Result<Response, OktaError> {
    manage(&call, "okta.inlineHooks.manage")?;
    let (now, base) = (call.now(), call.base().to_string());
    let out = call.write(|s, _ids| {
        let mut hook = inline_hook_of(s, &id)?.clone();
        hook.status = if activate { "ACTIVE" } else { "INACTIVE" }.into();
        hook.last_updated = now;
        s.inline_hooks.insert(id.clone(), hook.clone());
        Ok(inline_hook_json(&hook, &base))
    })?;
    Ok(wire::ok(&out))
}

/// Sends the request body through the hook's channel (Okta's test call) and answers
/// what the hook answered.
async fn execute_inline_hook(Path(id): Path<String>, call: Call) -> Result<Response, OktaError> {
    manage(&call, "okta.inlineHooks.manage")?;
    let channel = call.read(|s| inline_hook_of(s, &id).map(|h| h.channel.clone()))??;
    let body: Value = serde_json::from_slice(&call.body).map_err(|_| OktaError::MalformedBody)?;
    match hooks::call_inline(&channel, &body).await {
        hooks::InlineOutcome::Answered(answer) => Ok(wire::ok(&answer)),
        hooks::InlineOutcome::Failed(why) => {
            Err(OktaError::validation("channel", format!("The inline hook call failed: {why}")))
        }
    }
}

/// The token hook's request body, as Okta sends it.
#[allow(clippy::too_many_arguments)]
pub fn token_hook_request(
    event_id: &str,
    now: DateTime<Utc>,
    base: &str,
    server: &crate::authz::AuthServerRecord,
    client_id: &str,
    grant_type: &str,
    scopes: &[String],
    user: Option<&crate::model::User>,
    access_claims: &Value,
    id_claims: Option<&Value>,
) -> Value {
    let mut tokens = json!({
        "access_token": {"claims": access_claims, "lifetime": {"expiration": access_claims.get("exp").and_then(Value::as_i64).unwrap_or(0) - access_claims.get("iat").and_then(Value::as_i64).unwrap_or(0)}, "scopes": scopes.iter().map(|s| (s.clone(), json!({"id": s, "action": "GRANT"}))).collect::<Map<String, Value>>()},
    });
    if let Some(id) = id_claims {
        tokens["id_token"] = json!({"claims": id, "lifetime": {"expiration": 3600}});
    }
    let mut data = json!({
        "context": {
            "request": {"id": event_id, "method": "POST", "url": {"value": format!("{base}/oauth2/{}/v1/token", server.id)}, "ipAddress": "127.0.0.1"},
            "protocol": {
                "type": "OAUTH2.0",
                "request": {"scope": scopes.join(" "), "grant_type": grant_type, "client_id": client_id},
                "issuer": {"uri": format!("{base}/oauth2/{}", server.id)},
                "client": {"id": client_id, "type": "PUBLIC"},
            },
            "policy": {"id": "", "rule": {"id": ""}},
        },
        "identity": {"claims": {}},
        "access": {"claims": access_claims, "scopes": {}},
        "tokens": tokens,
    });
    if let Some(u) = user {
        data["context"]["user"] = json!({"id": u.id, "profile": {"login": u.login(), "firstName": u.profile.get("firstName"), "lastName": u.profile.get("lastName")}});
        if let Some(id) = id_claims {
            data["identity"]["claims"] = id.clone();
        }
    }
    json!({
        "source": format!("{base}/oauth2/{}/v1/token", server.id),
        "eventId": event_id,
        "eventTime": ts(now),
        "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1",
        "contentType": "application/json",
        "eventType": "com.okta.oauth2.tokens.transform",
        "data": data,
    })
}
