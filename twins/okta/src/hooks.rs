//! Event hooks and inline hooks: their records, and the loopback sender.
//!
//! Event hooks receive System Log events of the types they subscribe to, as Okta
//! POSTs them (`eventType: com.okta.event_hook`, `data.events`). The events a write
//! appended are found by comparing the log's sequence before and after it, so no
//! operation can forget to notify. Delivery runs off the request path, one attempt
//! and one retry (Okta retries once after a failure or timeout), with a bound on
//! deliveries in flight. Inline hooks (the token hook) are called synchronously by
//! the token endpoint, with Okta's three-second timeout.
//!
//! Safety: the twin only ever sends to loopback addresses (127.0.0.0/8, ::1,
//! `localhost` as 127.0.0.1). Hooks naming anything else are refused at creation,
//! and every send checks again.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::model::OktaState;

/// Bounds on hooks per org and deliveries in flight per process.
pub const MAX_EVENT_HOOKS: usize = 25;
pub const MAX_INLINE_HOOKS: usize = 50;
pub const MAX_EVENTS_PER_HOOK: usize = 100;
pub const MAX_IN_FLIGHT: usize = 512;
/// Events in one delivery's `data.events`.
pub const MAX_EVENTS_PER_DELIVERY: usize = 50;
/// Okta's inline hook timeout.
pub const INLINE_TIMEOUT: Duration = Duration::from_secs(3);
/// Okta's event hook timeout.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long after a failed first attempt the retry goes.
pub const RETRY_AFTER: Duration = Duration::from_millis(300);

/// Where and how to call a hook (`channel.config`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    pub uri: String,
    /// `headers`: sent with every call.
    pub headers: Vec<(String, String)>,
    /// `authScheme`: `type` (HEADER), `key` (a header name), `value` (write-only).
    pub auth_key: Option<String>,
    pub auth_value: Option<String>,
    pub auth_type: Option<String>,
    pub version: String,
    /// Inline hooks: `POST`.
    pub method: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventHook {
    pub id: String,
    pub name: String,
    pub status: String,
    pub verification_status: String,
    pub events: Vec<String>,
    pub channel: Channel,
    pub created: DateTime<Utc>,
    pub created_by: String,
    pub last_updated: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InlineHook {
    pub id: String,
    pub name: String,
    pub status: String,
    pub kind: String,
    pub version: String,
    pub channel: Channel,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
}

/// The event types an event hook may subscribe to: those the twin writes to the
/// System Log (Okta's eligible list is longer; these are the ones that can occur).
pub const EVENT_TYPES: &[&str] = &[
    "user.lifecycle.create",
    "user.lifecycle.activate",
    "user.lifecycle.deactivate",
    "user.lifecycle.suspend",
    "user.lifecycle.unsuspend",
    "user.lifecycle.delete.initiated",
    "user.lifecycle.reactivate",
    "user.account.lock",
    "user.account.unlock",
    "user.account.update_profile",
    "user.account.update_password",
    "user.account.reset_password",
    "user.session.start",
    "user.session.end",
    "user.authentication.sso",
    "group.user_membership.add",
    "group.user_membership.remove",
    "group.lifecycle.create",
    "group.lifecycle.delete",
    "group.profile.update",
    "application.lifecycle.create",
    "application.lifecycle.update",
    "application.lifecycle.activate",
    "application.lifecycle.deactivate",
    "application.lifecycle.delete",
    "application.user_membership.add",
    "application.user_membership.remove",
    "app.oauth2.as.token.grant.access_token",
    "app.oauth2.as.token.grant.id_token",
    "app.oauth2.as.consent.grant",
    "app.oauth2.as.consent.revoke",
    "app.oauth2.as.lifecycle.create",
    "app.oauth2.as.lifecycle.update",
    "app.oauth2.as.lifecycle.delete",
    "app.oauth2.as.lifecycle.activate",
    "app.oauth2.as.lifecycle.deactivate",
    "app.oauth2.as.key.rollover",
    "event_hook.created",
    "event_hook.activated",
    "event_hook.deactivated",
    "event_hook.verified",
    "event_hook.deleted",
    "inline_hook.created",
    "inline_hook.deleted",
    "inline_hook.executed",
    "inline_hook.response.processed",
    "system.mfa.factor.activate",
    "user.mfa.factor.activate",
    "user.mfa.factor.deactivate",
];

/// Is `uri` an http(s) URL on a loopback address, without credentials? Returns the
/// URL to send to (`localhost` pinned to 127.0.0.1, so no resolver is asked).
pub fn loopback_url(uri: &str) -> Option<String> {
    let mut url = reqwest::Url::parse(uri).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
        || !twin_core::outbound::is_loopback_host(&url)
    {
        return None;
    }
    if url.host_str().is_some_and(|h| h.eq_ignore_ascii_case("localhost")) {
        url.set_host(Some("127.0.0.1")).ok()?;
    }
    Some(url.to_string())
}

static CLIENT: LazyLock<Option<reqwest::Client>> =
    LazyLock::new(|| twin_core::outbound::client(Duration::from_secs(2), None));

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

fn request(
    channel: &Channel,
    method: reqwest::Method,
    url: &str,
    timeout: Duration,
) -> Option<reqwest::RequestBuilder> {
    let client = CLIENT.as_ref()?;
    let mut req = client.request(method, url).timeout(timeout).header("user-agent", "Okta Hooks");
    for (k, v) in &channel.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    if let (Some(k), Some(v)) = (&channel.auth_key, &channel.auth_value) {
        req = req.header(k.as_str(), v.as_str());
    }
    Some(req)
}

/// Okta's one-time verification: a GET carrying `x-okta-verification-challenge`,
/// answered by `{"verification": "<challenge>"}`.
pub async fn verify(channel: &Channel, challenge: &str) -> bool {
    let Some(url) = loopback_url(&channel.uri) else { return false };
    let Some(req) = request(channel, reqwest::Method::GET, &url, EVENT_TIMEOUT) else { return false };
    let Ok(resp) = req.header("x-okta-verification-challenge", challenge).send().await else { return false };
    if !resp.status().is_success() {
        return false;
    }
    let Ok(body) = resp.json::<Value>().await else { return false };
    body.get("verification").and_then(Value::as_str) == Some(challenge)
}

/// One POST of an event hook's body, off the request path.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub hook_id: String,
    pub channel: Channel,
    pub body: Value,
}

/// The event hook bodies for the log events a write appended (`after` holds the
/// events past sequence `before_seq`).
pub fn derive(before_seq: u64, after: &OktaState, base: &str, now: DateTime<Utc>) -> Vec<Delivery> {
    if after.log_seq <= before_seq || after.event_hooks.is_empty() {
        return vec![];
    }
    let hooks: Vec<&EventHook> =
        after.event_hooks.values().filter(|h| h.status == "ACTIVE" && h.verification_status == "VERIFIED").collect();
    if hooks.is_empty() {
        return vec![];
    }
    let from = format!("{:012}", before_seq + 1);
    let events: Vec<&Value> = after
        .log_events
        .range::<_, str>((std::ops::Bound::Included(from.as_str()), std::ops::Bound::Unbounded))
        .map(|(_, e)| &**e)
        .collect();
    let mut out = Vec::new();
    for hook in hooks {
        let matching: Vec<&Value> = events
            .iter()
            .copied()
            .filter(|e| e.get("eventType").and_then(Value::as_str).is_some_and(|t| hook.events.iter().any(|x| x == t)))
            .collect();
        if matching.is_empty() {
            continue;
        }
        // A write that logs many events (a group rule's memberships) is sent in batches.
        for batch in matching.chunks(MAX_EVENTS_PER_DELIVERY) {
            let event_id = batch.first().and_then(|e| e.get("uuid")).cloned().unwrap_or(Value::Null);
            out.push(Delivery {
                hook_id: hook.id.clone(),
                channel: hook.channel.clone(),
                body: json!({
                    "eventType": "com.okta.event_hook",
                    "eventTypeVersion": "1.0",
                    "cloudEventsVersion": "0.1",
                    "source": format!("{base}/api/v1/eventHooks/{}", hook.id),
                    "eventId": event_id,
                    "data": {"events": batch},
                    "eventTime": crate::wire::ts(now),
                    "contentType": "application/json",
                }),
            });
        }
    }
    out
}

/// Sends deliveries in the background: each once, and once more after a failure.
/// Past [`MAX_IN_FLIGHT`] deliveries in flight, new ones are dropped (logged).
pub fn send(deliveries: Vec<Delivery>) {
    if deliveries.is_empty() {
        return;
    }
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no runtime: {} event hook deliveries dropped", deliveries.len());
        return;
    };
    for d in deliveries {
        if IN_FLIGHT.fetch_add(1, Ordering::AcqRel) >= MAX_IN_FLIGHT {
            IN_FLIGHT.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!(hook = %d.hook_id, "event hook queue full: delivery dropped");
            continue;
        }
        handle.spawn(async move {
            deliver(&d).await;
            IN_FLIGHT.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

async fn deliver(d: &Delivery) {
    let Some(url) = loopback_url(&d.channel.uri) else {
        tracing::warn!(hook = %d.hook_id, "event hook URL is not loopback: not delivered");
        return;
    };
    let body = d.body.to_string();
    for attempt in 0..2 {
        let Some(req) = request(&d.channel, reqwest::Method::POST, &url, EVENT_TIMEOUT) else { return };
        let sent = req.header("content-type", "application/json").body(body.clone()).send().await;
        match sent {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => {
                tracing::debug!(hook = %d.hook_id, status = r.status().as_u16(), attempt, "event hook answered an error")
            }
            Err(e) => tracing::debug!(hook = %d.hook_id, attempt, "event hook delivery failed: {e}"),
        }
        tokio::time::sleep(RETRY_AFTER).await;
    }
    tracing::info!(hook = %d.hook_id, "event hook delivery given up after a retry");
}

/// What calling an inline hook gave.
#[derive(Debug, Clone, PartialEq)]
pub enum InlineOutcome {
    /// The hook's response body.
    Answered(Value),
    /// Timeout, refused connection, non-2xx or unreadable body: Okta goes on unchanged.
    Failed(String),
}

/// Calls an inline hook synchronously (from an async handler, never under a lock).
pub async fn call_inline(channel: &Channel, body: &Value) -> InlineOutcome {
    let Some(url) = loopback_url(&channel.uri) else { return InlineOutcome::Failed("not a loopback URL".into()) };
    let Some(req) = request(channel, reqwest::Method::POST, &url, INLINE_TIMEOUT) else {
        return InlineOutcome::Failed("no HTTP client".into());
    };
    match req.header("content-type", "application/json").body(body.to_string()).send().await {
        Ok(r) if r.status().is_success() => match r.json::<Value>().await {
            Ok(v) => InlineOutcome::Answered(v),
            Err(e) => InlineOutcome::Failed(format!("unreadable response: {e}")),
        },
        Ok(r) => InlineOutcome::Failed(format!("status {}", r.status().as_u16())),
        Err(e) if e.is_timeout() => InlineOutcome::Failed("timeout".into()),
        Err(e) => InlineOutcome::Failed(e.to_string()),
    }
}

/// Applies a token hook's `commands` to the claims of the tokens: `com.okta.access.patch`
/// to the access token, `com.okta.identity.patch` to the id token; JSON Patch `add`,
/// `replace` and `remove` of `/claims/<name>` (reserved claims are left alone), and
/// `replace` of `/token/lifetime/expiration`.
pub fn apply_commands(response: &Value, access: &mut Value, identity: Option<&mut Value>) {
    let mut identity = identity;
    let Some(commands) = response.get("commands").and_then(Value::as_array) else { return };
    for command in commands {
        let target: &mut Value = match command.get("type").and_then(Value::as_str) {
            Some("com.okta.access.patch") => &mut *access,
            Some("com.okta.identity.patch") => match identity.as_deref_mut() {
                Some(v) => v,
                None => continue,
            },
            _ => continue,
        };
        for op in command.get("value").and_then(Value::as_array).into_iter().flatten() {
            let path = op.get("path").and_then(Value::as_str).unwrap_or("");
            // A token's lifetime (seconds): Okta takes 5 minutes to 1 day.
            if path == "/token/lifetime/expiration" && op.get("op").and_then(Value::as_str) == Some("replace") {
                let seconds = op.get("value").and_then(Value::as_i64).filter(|v| (300..=86_400).contains(v));
                let iat = target.get("iat").and_then(Value::as_i64);
                if let (Some(seconds), Some(iat)) = (seconds, iat) {
                    target["exp"] = json!(iat + seconds);
                }
                continue;
            }
            let Some(name) = path.strip_prefix("/claims/") else { continue };
            let name = name.replace("~1", "/").replace("~0", "~");
            if name.is_empty() || name.contains('/') || crate::authz::RESERVED_CLAIMS.contains(&name.as_str()) {
                continue;
            }
            let Some(claims) = target.as_object_mut() else { continue };
            match op.get("op").and_then(Value::as_str) {
                Some("add") => {
                    if let Some(v) = op.get("value") {
                        claims.insert(name, v.clone());
                    }
                }
                Some("replace") => {
                    if let (Some(v), true) = (op.get("value"), claims.contains_key(&name)) {
                        claims.insert(name, v.clone());
                    }
                }
                Some("remove") => {
                    claims.remove(&name);
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(status: &str, verification: &str, events: &[&str]) -> EventHook {
        let now = chrono::Utc::now();
        EventHook {
            id: format!("who{status}{verification}"),
            name: "h".into(),
            status: status.into(),
            verification_status: verification.into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            channel: Channel {
                uri: "http://127.0.0.1:9/".into(),
                headers: vec![],
                auth_key: None,
                auth_value: None,
                auth_type: None,
                version: "1.0.0".into(),
                method: None,
            },
            created: now,
            created_by: "00u1".into(),
            last_updated: now,
        }
    }

    #[test]
    fn deliveries_carry_new_matching_events_in_batches_to_verified_active_hooks() {
        use crate::model::{Actor, Event, RequestFacts};
        let mut ids = twin_core::ids::IdGen::new(1);
        let now = chrono::Utc::now();
        let mut s = OktaState::new("Acme", &mut ids);
        let actor = Actor { id: "a".into(), kind: "User".into(), alternate_id: "a".into(), display_name: "a".into() };
        s.log(&mut ids, now, &actor, &RequestFacts::default(), Event::new("user.lifecycle.create", "old", vec![]));
        let before = s.log_seq;
        for _ in 0..120 {
            s.log(&mut ids, now, &actor, &RequestFacts::default(), Event::new("user.lifecycle.create", "new", vec![]));
        }
        s.log(&mut ids, now, &actor, &RequestFacts::default(), Event::new("group.lifecycle.create", "other", vec![]));
        for h in [
            hook("ACTIVE", "VERIFIED", &["user.lifecycle.create"]),
            hook("INACTIVE", "VERIFIED", &["user.lifecycle.create"]),
            hook("ACTIVE", "UNVERIFIED", &["user.lifecycle.create"]),
        ] {
            s.event_hooks.insert(h.id.clone(), h);
        }
        let out = derive(before, &s, "http://org", now);
        let sizes: Vec<usize> = out.iter().map(|d| d.body["data"]["events"].as_array().map_or(0, Vec::len)).collect();
        assert_eq!(sizes, vec![50, 50, 20]);
        assert!(out.iter().all(|d| d.hook_id == "whoACTIVEVERIFIED"));
        assert!(out
            .iter()
            .flat_map(|d| d.body["data"]["events"].as_array().cloned().unwrap_or_default())
            .all(|e| e["displayMessage"] == "new"));
        assert_eq!(out[0].body["source"], "http://org/api/v1/eventHooks/whoACTIVEVERIFIED");
        assert!(derive(s.log_seq, &s, "http://org", now).is_empty());
    }

    #[test]
    fn only_loopback_urls_are_reachable() {
        assert_eq!(loopback_url("http://127.0.0.1:9/x").as_deref(), Some("http://127.0.0.1:9/x"));
        assert_eq!(loopback_url("http://[::1]:9/x").as_deref(), Some("http://[::1]:9/x"));
        assert_eq!(loopback_url("http://localhost:9/x").as_deref(), Some("http://127.0.0.1:9/x"));
        assert_eq!(loopback_url("https://127.1.2.3/x").as_deref(), Some("https://127.1.2.3/x"));
        for bad in [
            "http://example.com/x",
            "http://10.0.0.1/x",
            "ftp://127.0.0.1/x",
            "http://user@evil.com@127.0.0.1/",
            "http://127.0.0.1.evil.com/",
            "127.0.0.1",
            "http://[::2]/",
        ] {
            assert_eq!(loopback_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn patches_add_replace_and_remove_claims_but_not_reserved_ones() {
        let mut access = json!({"sub": "a", "keep": 1, "drop": 2, "iat": 1000, "exp": 4600});
        let mut id = json!({"sub": "00u1"});
        let response = json!({"commands": [
            {"type": "com.okta.access.patch", "value": [
                {"op": "add", "path": "/claims/extra", "value": "x"},
                {"op": "replace", "path": "/claims/keep", "value": 3},
                {"op": "replace", "path": "/claims/missing", "value": 3},
                {"op": "remove", "path": "/claims/drop"},
                {"op": "replace", "path": "/claims/sub", "value": "evil"}
            ]},
            {"type": "com.okta.access.patch", "value": [
                {"op": "replace", "path": "/token/lifetime/expiration", "value": 600},
                {"op": "replace", "path": "/token/lifetime/expiration", "value": 5}
            ]},
            {"type": "com.okta.identity.patch", "value": [{"op": "add", "path": "/claims/nick", "value": "n"}]}
        ]});
        apply_commands(&response, &mut access, Some(&mut id));
        assert_eq!(access, json!({"sub": "a", "keep": 3, "extra": "x", "iat": 1000, "exp": 1600}));
        assert_eq!(id, json!({"sub": "00u1", "nick": "n"}));
    }
}
