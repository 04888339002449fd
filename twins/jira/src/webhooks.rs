//! Webhooks: events derived from what a write did to the site, delivered to the
//! registered URLs as Jira does (`jira:issue_created`, `jira:issue_updated` with the
//! request's `changelog`, `jira:issue_deleted`, `comment_created`, `comment_updated`,
//! `comment_deleted`, `worklog_created`, …).
//!
//! Like Slack's events, they are derived from the states before and after a write (two
//! O(1) persistent copies, compared with imbl's diff, which skips what both share), so
//! no operation can forget its event. Delivery is a simple loopback sender local to this
//! crate (a POST per event and webhook, three attempts with a short back-off, optional
//! `X-Hub-Signature`): it is not twin-core's shared delivery mechanism, which does not
//! exist yet, and it keeps nothing about deliveries in the universe's state.

use std::sync::LazyLock;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::api::issues::render_issue;
use crate::api::render::{self, FieldSel};
use crate::jql::{self, Env};
use crate::model::{History, Issue, JiraState, SprintState, User, Webhook};

/// The events the twin produces, by Jira's names.
pub const EVENTS: &[&str] = &[
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
    "worklog_created",
    "worklog_updated",
    "worklog_deleted",
    "sprint_created",
    "sprint_updated",
    "sprint_started",
    "sprint_closed",
    "sprint_deleted",
    "issuelink_created",
    "issuelink_deleted",
];

/// Attempts per delivery.
pub const ATTEMPTS: u32 = 3;

/// One event for one webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub url: String,
    pub secret: Option<String>,
    pub event: String,
    pub body: Value,
}

fn wants(w: &Webhook, event: &str) -> bool {
    w.enabled && w.events.iter().any(|e| e == event || (e == "*"))
}

fn issue_matches(
    s: &JiraState,
    w: &Webhook,
    issue: &Issue,
    actor: Option<&User>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    let Some(text) = w.jql.as_deref().filter(|j| !j.trim().is_empty()) else { return true };
    let Ok(q) = jql::parse(text) else { return false };
    let env = Env { state: s, current_user: actor.map(|u| u.account_id.as_str()), now };
    env.compile(&q).is_ok_and(|c| c.matches(&env, issue))
}

fn issue_body(s: &JiraState, base: &str, issue: &Issue, actor: &User) -> Value {
    render_issue(
        &crate::api::render::PageMemo::default(),
        s,
        base,
        issue,
        false,
        &FieldSel::parse(&[], true),
        &[],
        actor,
    )
}

fn changelog(h: &History) -> Value {
    json!({
        "id": h.id,
        "items": h.items.iter().map(|it| json!({
            "field": it.field, "fieldtype": it.field_type, "fieldId": it.field_id,
            "from": it.from, "fromString": it.from_string, "to": it.to, "toString": it.to_string,
        })).collect::<Vec<_>>(),
    })
}

/// The `issue_event_type_name` of an update, from what it changed.
fn update_kind(h: Option<&History>, commented: bool) -> &'static str {
    let fields: Vec<&str> = h.map(|h| h.items.iter().map(|i| i.field_id.as_str()).collect()).unwrap_or_default();
    if fields.contains(&"assignee") {
        "issue_assigned"
    } else if fields.contains(&"status") || fields.contains(&"resolution") {
        "issue_generic"
    } else if commented && fields.is_empty() {
        "issue_commented"
    } else {
        "issue_updated"
    }
}

/// The deliveries a write owes: what changed from `before` to `after`, for every
/// enabled webhook that subscribes to it and whose JQL the issue matches.
pub fn derive(
    before: &JiraState,
    after: &JiraState,
    base: &str,
    actor_id: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Delivery> {
    let hooks: Vec<&Webhook> = after.webhooks.values().filter(|w| w.enabled).collect();
    if hooks.is_empty() {
        return vec![];
    }
    let actor = actor_id.and_then(|a| after.user(a).or_else(|| before.user(a))).cloned();
    let Some(actor) = actor else { return vec![] };
    let ts = now.timestamp_millis();
    let user = render::user(base, &actor);
    let mut events: Vec<(String, Value, Issue, bool)> = Vec::new();
    let new_comments: Vec<String> = before
        .comments
        .diff(&after.comments)
        .filter_map(|d| match d {
            imbl::ordmap::DiffItem::Add(id, _) => Some(id.clone()),
            _ => None,
        })
        .collect();
    for d in before.issues.diff(&after.issues) {
        match d {
            imbl::ordmap::DiffItem::Add(_, issue) => {
                let body = json!({
                    "timestamp": ts, "webhookEvent": "jira:issue_created", "issue_event_type_name": "issue_created",
                    "user": user, "issue": issue_body(after, base, issue, &actor),
                });
                events.push(("jira:issue_created".into(), body, Issue::clone(issue), false));
            }
            imbl::ordmap::DiffItem::Update { new: (_, issue), .. } => {
                let history =
                    after.histories.of_issue(&issue.id).rev().find(|h| !before.histories.contains_key(h.id.as_str()));
                let commented = issue.comments.iter().any(|c| new_comments.contains(c));
                if history.is_none() && !commented {
                    continue; // Watching, voting, properties: not issue updates.
                }
                let mut body = json!({
                    "timestamp": ts, "webhookEvent": "jira:issue_updated",
                    "issue_event_type_name": update_kind(history, commented),
                    "user": user, "issue": issue_body(after, base, issue, &actor),
                });
                if let Some(h) = history {
                    body["changelog"] = changelog(h);
                }
                events.push(("jira:issue_updated".into(), body, Issue::clone(issue), false));
            }
            imbl::ordmap::DiffItem::Remove(_, issue) => {
                let body = json!({
                    "timestamp": ts, "webhookEvent": "jira:issue_deleted", "issue_event_type_name": "issue_deleted",
                    "user": user, "issue": issue_body(before, base, issue, &actor),
                });
                events.push(("jira:issue_deleted".into(), body, Issue::clone(issue), true));
            }
        }
    }
    for d in before.comments.diff(&after.comments) {
        let (event, c, state) = match d {
            imbl::ordmap::DiffItem::Add(_, c) => ("comment_created", c, after),
            imbl::ordmap::DiffItem::Update { new: (_, c), .. } => ("comment_updated", c, after),
            imbl::ordmap::DiffItem::Remove(_, c) => ("comment_deleted", c, before),
        };
        let Some(issue) = state.issues.get(&c.issue_id).or_else(|| before.issues.get(&c.issue_id)) else { continue };
        let body = json!({
            "timestamp": ts, "webhookEvent": event, "user": user,
            "comment": render::comment(state, base, c, false, false),
            "issue": render::issue_ref(state, base, issue),
        });
        events.push((event.into(), body, issue.clone(), std::ptr::eq(state, before)));
    }
    for d in before.worklogs.diff(&after.worklogs) {
        let (event, w, state) = match d {
            imbl::ordmap::DiffItem::Add(_, w) => ("worklog_created", w, after),
            imbl::ordmap::DiffItem::Update { new: (_, w), .. } => ("worklog_updated", w, after),
            imbl::ordmap::DiffItem::Remove(_, w) => ("worklog_deleted", w, before),
        };
        let Some(issue) = state.issues.get(&w.issue_id).or_else(|| before.issues.get(&w.issue_id)) else { continue };
        let body = json!({"timestamp": ts, "webhookEvent": event, "worklog": render::worklog(state, base, w, false)});
        events.push((event.into(), body, issue.clone(), std::ptr::eq(state, before)));
    }
    let mut out = Vec::new();
    // Sprint and link events concern no single issue: JQL filters do not apply to them.
    let mut plain: Vec<(String, Value)> = Vec::new();
    for d in before.sprints.diff(&after.sprints) {
        let (event, sp) = match d {
            imbl::ordmap::DiffItem::Add(_, sp) => ("sprint_created", sp),
            imbl::ordmap::DiffItem::Update { old: (_, old), new: (_, sp) } => {
                let event = match (old.state, sp.state) {
                    (SprintState::Future, SprintState::Active) => "sprint_started",
                    (SprintState::Active, SprintState::Closed) => "sprint_closed",
                    _ => "sprint_updated",
                };
                (event, sp)
            }
            imbl::ordmap::DiffItem::Remove(_, sp) => ("sprint_deleted", sp),
        };
        plain.push((event.into(), json!({"timestamp": ts, "webhookEvent": event, "sprint": render::sprint(base, sp)})));
    }
    for d in before.links.diff(&after.links) {
        let (event, l, state) = match d {
            imbl::ordmap::DiffItem::Add(_, l) => ("issuelink_created", l, after),
            imbl::ordmap::DiffItem::Remove(_, l) => ("issuelink_deleted", l, before),
            imbl::ordmap::DiffItem::Update { new: (_, l), .. } => ("issuelink_created", l, after),
        };
        let type_name = state.link_types.get(&l.type_id).map(|t| t.name.clone()).unwrap_or_default();
        plain.push((
            event.into(),
            json!({"timestamp": ts, "webhookEvent": event, "issueLink": {
                "id": l.id.parse::<u64>().unwrap_or(0),
                "sourceIssueId": l.outward.parse::<u64>().unwrap_or(0),
                "destinationIssueId": l.inward.parse::<u64>().unwrap_or(0),
                "issueLinkType": {"id": l.type_id.parse::<u64>().unwrap_or(0), "name": type_name},
            }}),
        ));
    }
    for (event, body) in plain {
        for w in &hooks {
            if wants(w, &event) {
                let body = if w.exclude_body { json!({"timestamp": ts, "webhookEvent": event}) } else { body.clone() };
                out.push(Delivery { url: w.url.clone(), secret: w.secret.clone(), event: event.clone(), body });
            }
        }
    }
    for (event, body, issue, gone) in events {
        for w in &hooks {
            let state = if gone { before } else { after };
            if wants(w, &event) && issue_matches(state, w, &issue, Some(&actor), now) {
                let mut body = body.clone();
                if w.exclude_body {
                    body = json!({"timestamp": ts, "webhookEvent": event});
                }
                out.push(Delivery { url: w.url.clone(), secret: w.secret.clone(), event: event.clone(), body });
            }
        }
    }
    out
}

/// `sha256=` + hex(HMAC-SHA256(secret, body)): the `X-Hub-Signature`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

static CLIENT: LazyLock<Option<reqwest::Client>> =
    LazyLock::new(|| twin_core::outbound::client(Duration::from_secs(3), Some(Duration::from_secs(10))));

/// Sends the deliveries in the background (each on its own, with retries).
pub fn send(deliveries: Vec<Delivery>) {
    if deliveries.is_empty() {
        return;
    }
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no runtime: {} webhook deliveries dropped", deliveries.len());
        return;
    };
    for d in deliveries {
        handle.spawn(deliver(d));
    }
}

static DELIVERY_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

async fn deliver(d: Delivery) {
    let Some(client) = CLIENT.as_ref() else { return };
    // A webhook imported with a URL off this machine is never called.
    if !reqwest::Url::parse(&d.url).is_ok_and(|url| twin_core::outbound::is_loopback_host(&url)) {
        tracing::warn!(url = %d.url, "webhook delivery skipped: not a loopback URL");
        return;
    }
    let body = d.body.to_string();
    let id = DELIVERY_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    for attempt in 0..ATTEMPTS {
        let mut req = client
            .post(&d.url)
            .header("content-type", "application/json; charset=utf-8")
            .header("user-agent", "Atlassian Webhook HTTP Client")
            .header("x-atlassian-webhook-identifier", id.to_string())
            .header("x-atlassian-webhook-retry", attempt.to_string())
            .body(body.clone());
        if let Some(secret) = &d.secret {
            req = req.header("x-hub-signature", sign(secret, body.as_bytes()));
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => tracing::debug!(url = %d.url, status = r.status().as_u16(), "webhook answered an error"),
            Err(e) => tracing::debug!(url = %d.url, "webhook delivery failed: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(250 * 2u64.pow(attempt))).await;
    }
    tracing::info!(url = %d.url, event = %d.event, "webhook delivery given up after {ATTEMPTS} attempts");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn update_kinds() {
        assert_eq!(update_kind(None, true), "issue_commented");
        assert_eq!(update_kind(None, false), "issue_updated");
    }
}
