//! Events API payloads, derived from what a change did to the workspace: a new message
//! is a `message` event (and an `app_mention` when it names the bot), a new reaction a
//! `reaction_added`, a new membership a `member_joined_channel`, and so on. Deriving
//! them from the state diff covers every method that changes the workspace (posts,
//! joins, scheduled messages, uploads) without a hook in each.
//!
//! The app sees what its bot user may see: message, reaction and membership events only
//! for conversations the bot is a member of; channel events for public channels.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::model::{fmt_ts, App, Channel, ChannelKind, Membership, Message, SlackState};
use crate::views::message_json;
use crate::wire::base64_encode;

/// The event subscriptions the twin produces, by the names an app's manifest uses.
pub const EVENT_TYPES: &[&str] = &[
    "app_home_opened",
    "app_mention",
    "channel_archive",
    "channel_created",
    "channel_rename",
    "channel_unarchive",
    "member_joined_channel",
    "member_left_channel",
    "message.channels",
    "message.groups",
    "message.im",
    "message.mpim",
    "reaction_added",
    "reaction_removed",
];

/// An event the app may receive: its inner `event` object and the subscription it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub subscription: &'static str,
    pub event: Value,
}

impl Event {
    /// `message`, `app_mention`, `reaction_added`, …
    pub fn kind(&self) -> &str {
        self.event.get("type").and_then(Value::as_str).unwrap_or("")
    }

    fn channel(&self) -> Option<&str> {
        match self.event.get("channel") {
            Some(Value::String(c)) => Some(c),
            Some(Value::Object(c)) => c.get("id").and_then(Value::as_str),
            _ => self.event.pointer("/item/channel").and_then(Value::as_str),
        }
    }
}

/// Expands `message` to the four message subscriptions; checks every name.
pub fn parse_event_types(names: &[String]) -> Result<Vec<String>, String> {
    let mut out = BTreeSet::new();
    for name in names {
        let name = name.trim();
        if name == "message" {
            out.extend(EVENT_TYPES.iter().filter(|t| t.starts_with("message.")).map(|t| t.to_string()));
        } else if EVENT_TYPES.contains(&name) {
            out.insert(name.to_string());
        } else {
            return Err(format!("unknown event type '{name}'; the twin produces: message, {}", EVENT_TYPES.join(", ")));
        }
    }
    Ok(out.into_iter().collect())
}

/// `channel` / `group` / `im` / `mpim`, as message events name conversation types.
fn channel_type(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Public => "channel",
        ChannelKind::Private => "group",
        ChannelKind::Im => "im",
        ChannelKind::Mpim => "mpim",
    }
}

fn message_subscription(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Public => "message.channels",
        ChannelKind::Private => "message.groups",
        ChannelKind::Im => "message.im",
        ChannelKind::Mpim => "message.mpim",
    }
}

/// Whether `text` mentions `user` (`<@U123>` or `<@U123|name>`).
pub fn mentions(text: &str, user: &str) -> bool {
    !user.is_empty() && (text.contains(&format!("<@{user}>")) || text.contains(&format!("<@{user}|")))
}

/// Messages that are not shown as posts: deleted-parent placeholders and hidden ones.
fn is_hidden(m: &Message) -> bool {
    m.subtype.as_deref() == Some("tombstone") || m.extra.get("hidden").is_some_and(|h| h == &Value::Bool(true))
}

/// Subtypes an `app_mention` is raised for (people's and bots' posts, not system messages).
fn mentionable(m: &Message) -> bool {
    matches!(m.subtype.as_deref(), None | Some("thread_broadcast" | "file_share" | "bot_message" | "me_message"))
}

/// A message as a `message` event shows it.
fn message_event(state: &SlackState, ch: &Channel, m: &Message) -> Value {
    let mut v = message_json(state, m);
    if let Value::Object(map) = &mut v {
        map.insert("channel".into(), json!(ch.id));
        map.insert("event_ts".into(), json!(m.ts));
        map.insert("channel_type".into(), json!(channel_type(ch.kind)));
    }
    v
}

/// A message inside a `message_changed`/`message_deleted` event (no routing fields).
fn inner_message(state: &SlackState, m: &Message) -> Value {
    message_json(state, m)
}

struct Deriver<'a> {
    before: &'a SlackState,
    after: &'a SlackState,
    bot_user: String,
    actor: Option<&'a str>,
    event_ts: String,
    team: String,
}

impl Deriver<'_> {
    fn bot_in(&self, state: &SlackState, channel: &str) -> bool {
        state.is_member(channel, &self.bot_user)
    }

    fn channels(&self, created: &mut Vec<Event>, changed: &mut Vec<Event>, archived: &mut Vec<Event>) {
        for item in self.before.channels.diff(&self.after.channels) {
            match item {
                imbl::ordmap::DiffItem::Add(_, ch) if ch.is_public() => created.push(Event {
                    subscription: "channel_created",
                    event: json!({
                        "type": "channel_created",
                        "channel": {
                            "id": ch.id,
                            "name": ch.name,
                            "name_normalized": ch.name,
                            "created": ch.created,
                            "creator": ch.creator,
                            "is_channel": true,
                            "is_private": false,
                            "is_shared": false,
                            "is_org_shared": false,
                            "context_team_id": self.team,
                        },
                        "event_ts": self.event_ts,
                    }),
                }),
                imbl::ordmap::DiffItem::Update { old: (_, was), new: (_, ch) } if ch.is_public() => {
                    if was.name != ch.name {
                        changed.push(Event {
                            subscription: "channel_rename",
                            event: json!({
                                "type": "channel_rename",
                                "channel": {"id": ch.id, "name": ch.name, "name_normalized": ch.name,
                                            "created": ch.created, "is_channel": true, "is_mpim": false},
                                "event_ts": self.event_ts,
                            }),
                        });
                    }
                    if was.is_archived != ch.is_archived {
                        let (kind, list) = if ch.is_archived {
                            ("channel_archive", &mut *archived)
                        } else {
                            ("channel_unarchive", &mut *changed)
                        };
                        let mut event = json!({"type": kind, "channel": ch.id, "event_ts": self.event_ts});
                        if let Some(actor) = self.actor {
                            event["user"] = json!(actor);
                        }
                        list.push(Event { subscription: kind, event });
                    }
                }
                _ => {}
            }
        }
    }

    fn membership_event(&self, state: &SlackState, kind: &'static str, m: &Membership) -> Option<Event> {
        let ch = state.channels.get(&m.channel)?;
        if ch.is_dm() || !self.bot_in(state, &ch.id) {
            return None;
        }
        let mut event = json!({
            "type": kind,
            "user": m.user,
            "channel": ch.id,
            "channel_type": if ch.is_public() { "C" } else { "G" },
            "team": self.team,
            "event_ts": self.event_ts,
        });
        if let (Some(actor), "member_joined_channel") = (self.actor, kind) {
            if actor != m.user {
                event["inviter"] = json!(actor);
            }
        }
        Some(Event { subscription: kind, event })
    }

    fn members(&self, joined: &mut Vec<Event>, left: &mut Vec<Event>) {
        for item in self.before.members.diff(&self.after.members) {
            match item {
                imbl::ordmap::DiffItem::Add(_, m) => {
                    joined.extend(self.membership_event(self.after, "member_joined_channel", m))
                }
                // The bot sees its own departure too: it was a member when it happened.
                imbl::ordmap::DiffItem::Remove(_, m) => {
                    left.extend(self.membership_event(self.before, "member_left_channel", m))
                }
                imbl::ordmap::DiffItem::Update { .. } => {}
            }
        }
    }

    fn messages(&self, posted: &mut Vec<Event>, reactions: &mut Vec<Event>) {
        for item in self.before.messages.diff(&self.after.messages) {
            match item {
                imbl::ordmap::DiffItem::Add(_, m) => self.added(m, posted),
                imbl::ordmap::DiffItem::Update { old: (_, was), new: (_, m) } => {
                    self.updated(was, m, posted);
                    self.reactions(was, m, reactions);
                }
                imbl::ordmap::DiffItem::Remove(_, was) => {
                    if !is_hidden(was) {
                        self.deleted(was, posted);
                    }
                }
            }
        }
    }

    fn added(&self, m: &Message, out: &mut Vec<Event>) {
        let Some(ch) = self.after.channels.get(&m.channel) else { return };
        if is_hidden(m) || !self.bot_in(self.after, &ch.id) {
            return;
        }
        out.push(Event { subscription: message_subscription(ch.kind), event: message_event(self.after, ch, m) });
        let author_is_bot = m.user.as_deref() == Some(self.bot_user.as_str());
        if mentionable(m) && !author_is_bot && mentions(&m.text, &self.bot_user) {
            let mut event = message_event(self.after, ch, m);
            if let Value::Object(map) = &mut event {
                map.insert("type".into(), json!("app_mention"));
                for key in ["subtype", "channel_type", "bot_profile", "root"] {
                    map.remove(key);
                }
            }
            out.push(Event { subscription: "app_mention", event });
        }
    }

    fn updated(&self, was: &Message, m: &Message, out: &mut Vec<Event>) {
        let Some(ch) = self.after.channels.get(&m.channel) else { return };
        if is_hidden(was) || !self.bot_in(self.after, &ch.id) {
            return;
        }
        if is_hidden(m) {
            // A parent with replies leaves a placeholder: for the app it is deleted.
            self.deleted(was, out);
            return;
        }
        let edited = was.text != m.text
            || was.blocks != m.blocks
            || was.attachments != m.attachments
            || was.metadata != m.metadata
            || was.edited != m.edited;
        if !edited {
            return;
        }
        out.push(Event {
            subscription: message_subscription(ch.kind),
            event: json!({
                "type": "message",
                "subtype": "message_changed",
                "hidden": true,
                "message": inner_message(self.after, m),
                "previous_message": inner_message(self.before, was),
                "channel": ch.id,
                "channel_type": channel_type(ch.kind),
                "ts": self.event_ts,
                "event_ts": self.event_ts,
            }),
        });
    }

    fn deleted(&self, was: &Message, out: &mut Vec<Event>) {
        let Some(ch) = self.before.channels.get(&was.channel) else { return };
        if !self.bot_in(self.before, &ch.id) {
            return;
        }
        let mut event = json!({
            "type": "message",
            "subtype": "message_deleted",
            "hidden": true,
            "deleted_ts": was.ts,
            "previous_message": inner_message(self.before, was),
            "channel": ch.id,
            "channel_type": channel_type(ch.kind),
            "ts": self.event_ts,
            "event_ts": self.event_ts,
        });
        if let (true, Some(thread_ts)) = (was.is_reply(), &was.thread_ts) {
            event["thread_ts"] = json!(thread_ts);
        }
        out.push(Event { subscription: message_subscription(ch.kind), event });
    }

    fn reactions(&self, was: &Message, m: &Message, out: &mut Vec<Event>) {
        if !self.bot_in(self.after, &m.channel) {
            return;
        }
        let users = |msg: &Message, name: &str| -> Vec<String> {
            msg.reactions.iter().find(|r| r.name == name).map(|r| r.users.clone()).unwrap_or_default()
        };
        let mut names: Vec<&str> = was.reactions.iter().chain(&m.reactions).map(|r| r.name.as_str()).collect();
        let mut seen = BTreeSet::new();
        names.retain(|n| seen.insert(*n));
        for name in names {
            let (old, new) = (users(was, name), users(m, name));
            let changes = new
                .iter()
                .filter(|u| !old.contains(u))
                .map(|u| ("reaction_added", u))
                .chain(old.iter().filter(|u| !new.contains(u)).map(|u| ("reaction_removed", u)));
            for (kind, user) in changes {
                let mut event = json!({
                    "type": kind,
                    "user": user,
                    "reaction": name,
                    "item": {"type": "message", "channel": m.channel, "ts": m.ts},
                    "event_ts": self.event_ts,
                });
                if let Some(author) = &m.user {
                    event["item_user"] = json!(author);
                }
                out.push(Event { subscription: kind, event });
            }
        }
    }
}

/// The events a change from `before` to `after` raises for the app, in the order Slack
/// would send them. `actor` is the user who made the change (for `inviter`, `user` of
/// archive events); `now_micros` gives the `event_ts` of events that are not messages.
pub fn derive(before: &SlackState, after: &SlackState, actor: Option<&str>, now_micros: u64) -> Vec<Event> {
    let Some(bot) = after.bot() else { return Vec::new() };
    let d = Deriver {
        before,
        after,
        bot_user: bot.user_id.clone(),
        actor,
        event_ts: fmt_ts(now_micros),
        team: after.team_id(),
    };
    let (mut created, mut changed, mut archived) = (Vec::new(), Vec::new(), Vec::new());
    let (mut joined, mut left, mut posted, mut reactions) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    d.channels(&mut created, &mut changed, &mut archived);
    d.members(&mut joined, &mut left);
    d.messages(&mut posted, &mut reactions);
    let mut out = created;
    out.extend(changed);
    out.extend(joined);
    out.extend(posted);
    out.extend(reactions);
    out.extend(left);
    out.extend(archived);
    out
}

/// The outer `event_callback` body, as Slack POSTs it (and wraps in Socket Mode envelopes).
pub fn envelope(state: &SlackState, app: &App, event: &Event, event_id: &str, event_time: i64) -> Value {
    let team = state.team_id();
    let bot_user = state.bot().map(|b| b.user_id.clone()).unwrap_or_default();
    let mut context = Map::new();
    context.insert("et".into(), json!(event.kind()));
    context.insert("tid".into(), json!(team));
    context.insert("aid".into(), json!(app.id));
    if let Some(channel) = event.channel() {
        context.insert("cid".into(), json!(channel));
    }
    let context = base64_encode(Value::Object(context).to_string().as_bytes());
    json!({
        "token": app.verification_token,
        "team_id": team,
        "context_team_id": team,
        "context_enterprise_id": null,
        "api_app_id": app.id,
        "event": event.event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [{
            "enterprise_id": null,
            "team_id": team,
            "user_id": bot_user,
            "is_bot": true,
            "is_enterprise_install": false,
        }],
        "is_ext_shared_channel": false,
        "event_context": format!("4-{}", context.trim_end_matches('=')),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Bot, NewMessage, Reaction, Team, Topic, User};

    const NOW: u64 = 1_700_000_000_000_000;

    /// alice (U1) and the bot (UB) in #general; bob (U2) alone in #side.
    fn workspace() -> SlackState {
        let mut s = SlackState::default();
        s.team.insert(
            "T1".into(),
            Team { id: "T1".into(), name: "T".into(), domain: "t".into(), email_domain: "t.test".into(), created: 0 },
        );
        s.bots.insert(
            "B1".into(),
            Bot {
                id: "B1".into(),
                app_id: "A1".into(),
                user_id: "UB".into(),
                name: "bot".into(),
                deleted: false,
                updated: 0,
                profile_json: Default::default(),
            },
        );
        for (id, name) in [("U1", "alice"), ("U2", "bob"), ("UB", "bot")] {
            s.users.insert(id.into(), User { id: id.into(), name: name.into(), ..User::default() });
        }
        for (id, name) in [("CGEN", "general"), ("CSIDE", "side")] {
            s.channels.insert(
                id.into(),
                std::sync::Arc::new(Channel {
                    id: id.into(),
                    name: name.into(),
                    kind: ChannelKind::Public,
                    created: 1,
                    creator: "U1".into(),
                    is_archived: false,
                    is_general: id == "CGEN",
                    topic: Topic::default(),
                    purpose: Topic::default(),
                    previous_names: Vec::new(),
                    updated: 0,
                }),
            );
        }
        s.add_member("CGEN", "U1", 1);
        s.add_member("CGEN", "UB", 1);
        s.add_member("CSIDE", "U2", 1);
        s
    }

    fn post(s: &mut SlackState, channel: &str, user: &str, text: &str, thread_ts: Option<String>) -> Message {
        let message = Message { user: Some(user.into()), text: text.into(), ..Message::default() };
        Message::clone(&s.post(channel, NewMessage { message, thread_ts, reply_broadcast: false }, NOW).unwrap())
    }

    fn app() -> App {
        App {
            id: "A1".into(),
            request_url: None,
            socket_mode: true,
            signing_secret: "s".into(),
            verification_token: "vt".into(),
            event_types: EVENT_TYPES.iter().map(|t| t.to_string()).collect(),
            delivery: Default::default(),
            client_secret: String::new(),
            token_rotation: false,
        }
    }

    #[test]
    fn a_post_in_a_bot_channel_is_a_message_event_in_the_vendor_envelope() {
        let before = workspace();
        let mut after = before.clone();
        let m = post(&mut after, "CGEN", "U1", "hello", None);
        let events = derive(&before, &after, Some("U1"), NOW);
        assert_eq!(events.len(), 1, "{events:?}");
        let e = &events[0];
        assert_eq!(e.subscription, "message.channels");
        assert_eq!(e.event["type"], "message");
        assert_eq!(e.event["channel"], "CGEN");
        assert_eq!(e.event["channel_type"], "channel");
        assert_eq!(e.event["user"], "U1");
        assert_eq!(e.event["text"], "hello");
        assert_eq!(e.event["ts"], json!(m.ts));
        assert_eq!(e.event["event_ts"], json!(m.ts));
        assert_eq!(e.event["team"], "T1");
        assert!(e.event.get("subtype").is_none());

        let body = envelope(&after, &app(), e, "Ev0001", 1_700_000_000);
        assert_eq!(body["type"], "event_callback");
        assert_eq!(body["token"], "vt");
        assert_eq!(body["team_id"], "T1");
        assert_eq!(body["api_app_id"], "A1");
        assert_eq!(body["event_id"], "Ev0001");
        assert_eq!(body["event_time"], 1_700_000_000);
        assert_eq!(body["is_ext_shared_channel"], false);
        assert_eq!(
            body["authorizations"],
            json!([{"enterprise_id": null, "team_id": "T1", "user_id": "UB", "is_bot": true,
                    "is_enterprise_install": false}])
        );
        let context = body["event_context"].as_str().unwrap();
        let decoded = crate::wire::base64_decode(context.strip_prefix("4-").unwrap()).unwrap();
        let decoded: Value = serde_json::from_slice(&decoded).unwrap();
        assert_eq!(decoded, json!({"et": "message", "tid": "T1", "aid": "A1", "cid": "CGEN"}));
        assert_eq!(body["event"], e.event);
    }

    #[test]
    fn the_bot_sees_only_conversations_it_is_in() {
        let before = workspace();
        let mut after = before.clone();
        post(&mut after, "CSIDE", "U2", "hello <@UB>", None);
        after.add_member("CSIDE", "U1", 2);
        assert!(derive(&before, &after, Some("U2"), NOW).is_empty());
    }

    #[test]
    fn mentions_raise_app_mention_and_threads_keep_thread_ts() {
        let mut before = workspace();
        let parent = post(&mut before, "CGEN", "U1", "root", None);
        let mut after = before.clone();
        post(&mut after, "CGEN", "U1", "hey <@UB|bot> look", Some(parent.ts.clone()));
        let events = derive(&before, &after, Some("U1"), NOW);
        let kinds: Vec<&str> = events.iter().map(Event::kind).collect();
        assert_eq!(kinds, ["message", "app_mention"]);
        assert_eq!(events[0].event["thread_ts"], json!(parent.ts));
        assert_eq!(events[0].event["parent_user_id"], "U1");
        assert_eq!(events[1].subscription, "app_mention");
        assert_eq!(events[1].event["thread_ts"], json!(parent.ts));
        assert!(events[1].event.get("channel_type").is_none());
        // the parent's reply counters changed, but that is no event of its own
        assert!(events.iter().all(|e| e.event.get("subtype").is_none()));
        // the bot mentioning itself is no app_mention
        let mut own = after.clone();
        let bot_post = Message {
            user: Some("UB".into()),
            bot_id: Some("B1".into()),
            text: "I am <@UB>".into(),
            ..Message::default()
        };
        own.post("CGEN", NewMessage { message: bot_post, ..Default::default() }, NOW).unwrap();
        let events = derive(&after, &own, Some("UB"), NOW);
        assert_eq!(events.iter().map(Event::kind).collect::<Vec<_>>(), ["message"]);
        assert_eq!(events[0].event["bot_id"], "B1");
    }

    #[test]
    fn edits_deletes_reactions_and_memberships() {
        let mut before = workspace();
        let m = post(&mut before, "CGEN", "U1", "first", None);
        let key = crate::model::message_key("CGEN", &m.ts);

        let mut edited = before.clone();
        let mut changed = m.clone();
        changed.text = "second".into();
        changed.edited = Some(crate::model::Edited { user: "U1".into(), ts: "1700000001.000000".into() });
        edited.messages.insert(key.clone().into(), std::sync::Arc::new(changed));
        let events = derive(&before, &edited, Some("U1"), NOW + 1);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event["subtype"], "message_changed");
        assert_eq!(events[0].event["message"]["text"], "second");
        assert_eq!(events[0].event["previous_message"]["text"], "first");
        assert_eq!(events[0].event["event_ts"], "1700000000.000001");

        let mut reacted = before.clone();
        let mut with = m.clone();
        with.reactions = vec![Reaction { name: "wave".into(), users: vec!["U1".into(), "U2".into()] }];
        reacted.messages.insert(key.clone().into(), std::sync::Arc::new(with));
        let events = derive(&before, &reacted, Some("U2"), NOW);
        let added: Vec<(&str, &Value)> = events.iter().map(|e| (e.kind(), &e.event["user"])).collect();
        assert_eq!(added, [("reaction_added", &json!("U1")), ("reaction_added", &json!("U2"))]);
        assert_eq!(events[0].event["item"], json!({"type": "message", "channel": "CGEN", "ts": m.ts}));
        assert_eq!(events[0].event["item_user"], "U1");
        let events = derive(&reacted, &before, Some("U2"), NOW);
        assert!(events.iter().all(|e| e.kind() == "reaction_removed") && events.len() == 2);

        let mut deleted = before.clone();
        deleted.delete_message("CGEN", &m.ts).unwrap();
        let events = derive(&before, &deleted, Some("U1"), NOW);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event["subtype"], "message_deleted");
        assert_eq!(events[0].event["deleted_ts"], json!(m.ts));

        let mut joined = before.clone();
        joined.add_member("CGEN", "U2", 5);
        let events = derive(&before, &joined, Some("U1"), NOW);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event["type"], "member_joined_channel");
        assert_eq!(events[0].event["user"], "U2");
        assert_eq!(events[0].event["inviter"], "U1");
        assert_eq!(events[0].event["channel_type"], "C");
        // joining a channel the bot is not in: nothing for the app
        let mut elsewhere = before.clone();
        elsewhere.add_member("CSIDE", "U1", 5);
        assert!(derive(&before, &elsewhere, Some("U1"), NOW).is_empty());
        let events = derive(&joined, &before, None, NOW);
        assert_eq!(events[0].event["type"], "member_left_channel");
    }

    #[test]
    fn channel_lifecycle_events() {
        let before = workspace();
        let mut after = before.clone();
        let mut ids = twin_core::ids::IdGen::new(3);
        let ch = after.create_channel(&mut ids, "launch", false, "U1", 10).unwrap();
        let private = after.create_channel(&mut ids, "secret", true, "U1", 10).unwrap();
        let events = derive(&before, &after, Some("U1"), NOW);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].event["type"], "channel_created");
        assert_eq!(events[0].event["channel"]["id"], json!(ch.id));
        assert_eq!(events[0].event["channel"]["name"], "launch");
        assert_eq!(events[0].event["channel"]["creator"], "U1");
        assert!(events.iter().all(|e| e.event["channel"]["id"] != json!(private.id)));

        let mut renamed = after.clone();
        let mut c = ch.clone();
        c.name = "liftoff".into();
        c.is_archived = true;
        renamed.channels.insert(c.id.clone(), std::sync::Arc::new(c));
        let kinds: Vec<String> =
            derive(&after, &renamed, Some("U1"), NOW).iter().map(|e| e.kind().to_string()).collect();
        assert_eq!(kinds, ["channel_rename", "channel_archive"]);
    }

    #[test]
    fn event_type_names_are_checked() {
        let all = parse_event_types(&["message".into(), "app_mention".into()]).unwrap();
        assert_eq!(all, ["app_mention", "message.channels", "message.groups", "message.im", "message.mpim"]);
        assert!(parse_event_types(&["team_join".into()]).unwrap_err().contains("team_join"));
        assert!(mentions("hi <@UB>", "UB") && mentions("<@UB|bot>", "UB"));
        assert!(!mentions("hi <@UBX>", "UB") && !mentions("hi", ""));
    }
}
