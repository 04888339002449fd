//! chat.*: posting, editing, deleting, ephemeral and scheduled messages.

use serde_json::{json, Value};

use super::{ok, rendered, Call, Reply};
use crate::errors::SlackError;
use crate::model::{fmt_ts, Access, Message, NewMessage, Scheduled, MAX_TEXT};
use crate::paging::{metadata, page_request, paginate, DEFAULT_LIMITS};
use crate::views::{message_json, permalink, MessageView};

/// Most blocks in one message.
const MAX_BLOCKS: usize = 50;
const MAX_ATTACHMENTS: usize = 100;
/// How far ahead chat.scheduleMessage accepts (120 days).
const MAX_SCHEDULE_AHEAD_S: i64 = 120 * 86_400;

/// The content arguments of a message.
#[derive(Debug, Default)]
struct Content {
    text: Option<String>,
    blocks: Option<Value>,
    attachments: Option<Value>,
    metadata: Option<Value>,
}

impl Content {
    fn is_empty(&self) -> bool {
        let empty = |v: &Option<Value>| v.as_ref().is_none_or(|v| v.as_array().is_some_and(|a| a.is_empty()));
        self.text.as_deref().is_none_or(|t| t.trim().is_empty()) && empty(&self.blocks) && empty(&self.attachments)
    }
}

/// Reads and checks `text`, `markdown_text`, `blocks`, `attachments`, `metadata`.
/// `require` adds `no_text` when there is nothing to show.
fn content(call: &Call<'_>, require: bool) -> Result<Content, SlackError> {
    let p = call.params;
    let mut text = p.str("text");
    let blocks = match p.json("blocks") {
        Err(_) => return Err(SlackError::Code("invalid_blocks_format")),
        Ok(None) => None,
        Ok(Some(Value::Array(items))) => {
            if items.len() > MAX_BLOCKS {
                return Err(SlackError::Code("invalid_blocks"));
            }
            if !items.iter().all(|b| b.get("type").and_then(Value::as_str).is_some_and(|t| !t.is_empty())) {
                return Err(SlackError::Code("invalid_blocks"));
            }
            Some(Value::Array(items))
        }
        Ok(Some(_)) => return Err(SlackError::Code("invalid_blocks_format")),
    };
    if let Some(markdown) = p.nonempty("markdown_text") {
        if text.as_deref().is_some_and(|t| !t.is_empty()) || blocks.is_some() {
            return Err(SlackError::Code("markdown_text_conflict"));
        }
        text = Some(markdown);
    }
    let attachments = match p.json("attachments") {
        Err(_) => return Err(SlackError::Code("invalid_attachments")),
        Ok(None) => None,
        Ok(Some(Value::Array(items))) if items.len() > MAX_ATTACHMENTS => {
            return Err(SlackError::Code("too_many_attachments"))
        }
        Ok(Some(Value::Array(items))) => Some(Value::Array(items)),
        Ok(Some(_)) => return Err(SlackError::Code("invalid_attachments")),
    };
    let metadata = match p.json("metadata") {
        Err(_) => return Err(SlackError::Code("invalid_metadata_format")),
        Ok(None) => None,
        Ok(Some(m)) => {
            if !valid_metadata(&m) {
                return Err(SlackError::Code("invalid_metadata_schema"));
            }
            Some(m)
        }
    };
    let content = Content { text, blocks, attachments, metadata };
    if require && content.is_empty() {
        return Err(SlackError::Code("no_text"));
    }
    if content.text.as_deref().is_some_and(|t| t.chars().count() > MAX_TEXT) {
        return Err(SlackError::Code("msg_too_long"));
    }
    Ok(content)
}

/// Message metadata: an event (`event_type` + an `event_payload` object), work object
/// `entities` (each with an `entity_type` and an `entity_payload` object), or both.
fn valid_metadata(m: &Value) -> bool {
    let Some(obj) = m.as_object() else { return false };
    let has_event = obj.contains_key("event_type") || obj.contains_key("event_payload");
    let event_ok = obj.get("event_type").and_then(Value::as_str).is_some_and(|t| !t.is_empty())
        && obj.get("event_payload").is_some_and(Value::is_object);
    let entity_ok = |e: &Value| {
        e.get("entity_type").and_then(Value::as_str).is_some_and(|t| !t.is_empty())
            && e.get("entity_payload").is_some_and(Value::is_object)
    };
    let entities = match obj.get("entities") {
        None => None,
        Some(Value::Array(items)) if !items.is_empty() && items.iter().all(entity_ok) => Some(true),
        Some(_) => Some(false),
    };
    match (has_event, entities) {
        (true, None) => event_ok,
        (true, Some(entities)) => event_ok && entities,
        (false, Some(entities)) => entities,
        (false, None) => false,
    }
}

/// A message by the caller with this content.
fn authored(call: &Call<'_>, content: Content) -> Message {
    let actor = &call.actor;
    Message {
        user: Some(actor.user.clone()),
        bot_id: actor.bot_id.clone(),
        app_id: actor.app_id.clone(),
        text: content.text.unwrap_or_default(),
        blocks: content.blocks.filter(|b| b.as_array().is_some_and(|a| !a.is_empty())),
        attachments: content.attachments.filter(|a| a.as_array().is_some_and(|a| !a.is_empty())),
        metadata: content.metadata,
        ..Message::default()
    }
}

/// `username`/`icon_emoji`/`icon_url` (bots with `chat:write.customize`).
fn customize(call: &Call<'_>, message: &mut Message) {
    if !(call.actor.is_bot() && call.actor.has("chat:write.customize")) {
        return;
    }
    message.username = call.params.nonempty("username");
    if let Some(emoji) = call.params.nonempty("icon_emoji") {
        message.icons = Some(json!({ "emoji": emoji }));
    } else if let Some(url) = call.params.nonempty("icon_url") {
        message.icons = Some(json!({ "image_48": url }));
    }
}

pub fn chat_post_message(call: &Call<'_>) -> Result<Reply, SlackError> {
    let target = call.channel_arg("channel")?;
    let content = content(call, true)?;
    let mut message = authored(call, content);
    customize(call, &mut message);
    let thread_ts = call.params.nonempty("thread_ts");
    let reply_broadcast = call.params.flag("reply_broadcast");
    let (now, micros) = (call.now_s(), call.now_micros());
    let (channel, posted, state) = call.write(|s, ids| {
        let channel = s.resolve_target(ids, &target, &call.actor, now)?;
        s.access(&channel, &call.actor, Access::Post)?;
        let posted = s.post(&channel, NewMessage { message, thread_ts, reply_broadcast }, micros)?;
        Ok((channel, posted, s.clone()))
    })?;
    // Rendered from the state the post made, after the write lock is released.
    rendered(&Posted { ok: true, channel: &channel, ts: &posted.ts, message: MessageView::new(&state, &posted) })
}

#[derive(serde::Serialize)]
struct Posted<'a> {
    ok: bool,
    channel: &'a str,
    ts: &'a str,
    message: MessageView<'a>,
}

/// The caller may change or delete only their own messages (workspace admins using a
/// user token may delete anyone's).
fn own_message(call: &Call<'_>, m: &Message, error: &'static str, admin_ok: bool) -> Result<(), SlackError> {
    let system = m.subtype.as_deref().is_some_and(|s| s.starts_with("channel_") || s == "tombstone");
    let mine = m.author() == Some(call.actor.user.as_str());
    let admin = admin_ok && call.actor.is_admin && !call.actor.is_bot();
    if system || !(mine || admin) {
        return Err(SlackError::Code(error));
    }
    Ok(())
}

pub fn chat_update(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let ts = call.params.nonempty("ts").ok_or(SlackError::MessageNotFound)?;
    let content = content(call, false)?;
    let nothing = content.text.is_none() && content.blocks.is_none() && content.attachments.is_none();
    if nothing && content.metadata.is_none() {
        return Err(SlackError::Code("no_text"));
    }
    let me = call.actor.user.clone();
    let edited_ts = fmt_ts(call.now_micros());
    call.write(|s, _| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        if ch.is_archived {
            return Err(SlackError::Code("is_inactive"));
        }
        let mut m = s.message(&ch.id, ts.trim())?.clone();
        own_message(call, &m, "cant_update_message", false)?;
        if let Some(text) = content.text {
            m.text = text;
        }
        if let Some(blocks) = content.blocks {
            m.blocks = blocks.as_array().is_some_and(|a| !a.is_empty()).then_some(blocks);
        }
        if let Some(attachments) = content.attachments {
            m.attachments = attachments.as_array().is_some_and(|a| !a.is_empty()).then_some(attachments);
        }
        if content.metadata.is_some() {
            m.metadata = content.metadata;
        }
        m.edited = Some(crate::model::Edited { user: me.clone(), ts: edited_ts });
        s.messages.insert(crate::model::message_key(&ch.id, &m.ts).into(), std::sync::Arc::new(m.clone()));
        Ok(ok(json!({"channel": ch.id, "ts": m.ts, "text": m.text, "message": message_json(s, &m)})))
    })
}

pub fn chat_delete(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let ts = call.params.nonempty("ts").ok_or(SlackError::MessageNotFound)?;
    call.write(|s, _| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        let m = s.message(&ch.id, ts.trim())?.clone();
        own_message(call, &m, "cant_delete_message", true)?;
        s.delete_message(&ch.id, &m.ts)?;
        Ok(ok(json!({"channel": ch.id, "ts": m.ts})))
    })
}

pub fn chat_post_ephemeral(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let user = call.arg("user")?;
    content(call, true)?;
    call.read(|s| {
        let ch = s.access(&channel, &call.actor, Access::Post)?;
        s.user(&user)?;
        if !s.is_member(&ch.id, &user) {
            return Err(SlackError::Code("user_not_in_channel"));
        }
        let ts = fmt_ts(call.now_micros().max(s.last_ts(&ch.id).saturating_add(1)));
        Ok(ok(json!({ "message_ts": ts })))
    })
}

pub fn chat_get_permalink(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let ts = call.params.nonempty("message_ts").ok_or(SlackError::MessageNotFound)?;
    call.read(|s| {
        let ch = s.access(&channel, &call.actor, Access::See)?;
        let m = s.message(&ch.id, ts.trim())?;
        Ok(ok(json!({"channel": ch.id, "permalink": permalink(s, &ch.id, m)})))
    })
}

pub fn chat_me_message(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let text = call.params.nonempty("text").ok_or(SlackError::Code("no_text"))?;
    if text.chars().count() > MAX_TEXT {
        return Err(SlackError::Code("msg_too_long"));
    }
    let mut message = authored(call, Content { text: Some(text), ..Content::default() });
    message.subtype = Some("me_message".into());
    let (now, micros) = (call.now_s(), call.now_micros());
    call.write(|s, ids| {
        let channel = s.resolve_target(ids, &channel, &call.actor, now)?;
        s.access(&channel, &call.actor, Access::Post)?;
        let posted = s.post(&channel, NewMessage { message, ..NewMessage::default() }, micros)?;
        Ok(ok(json!({"channel": channel, "ts": posted.ts})))
    })
}

pub fn chat_schedule_message(call: &Call<'_>) -> Result<Reply, SlackError> {
    let target = call.channel_arg("channel")?;
    let post_at = match call.params.int("post_at") {
        Ok(Some(t)) => t,
        Ok(None) | Err(_) => return Err(SlackError::Code("invalid_time")),
    };
    let now = call.now_s();
    if post_at <= now {
        return Err(SlackError::Code("time_in_past"));
    }
    if post_at > now + MAX_SCHEDULE_AHEAD_S {
        return Err(SlackError::Code("time_too_far"));
    }
    let content = content(call, true)?;
    let mut message = authored(call, content);
    message.thread_ts = call.params.nonempty("thread_ts");
    let reply_broadcast = call.params.flag("reply_broadcast");
    call.write(|s, ids| {
        let channel = s.resolve_target(ids, &target, &call.actor, now)?;
        s.access(&channel, &call.actor, Access::Post)?;
        let id = loop {
            let id = ids.upper_id("Q", 10);
            if !s.scheduled_messages.contains_key(&id) {
                break id;
            }
        };
        let mut shown = message_json(s, &message);
        if let Value::Object(map) = &mut shown {
            map.remove("ts");
        }
        s.scheduled_messages.insert(
            id.clone(),
            Scheduled { id: id.clone(), channel: channel.clone(), post_at, created: now, message, reply_broadcast },
        );
        Ok(ok(json!({"channel": channel, "scheduled_message_id": id, "post_at": post_at, "message": shown})))
    })
}

pub fn chat_delete_scheduled_message(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let id = call.arg("scheduled_message_id")?;
    let me = call.actor.user.clone();
    call.write(|s, _| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        let found = s
            .scheduled_messages
            .get(id.trim())
            .filter(|m| m.channel == ch.id && m.message.user.as_deref() == Some(&me));
        if found.is_none() {
            return Err(SlackError::Code("invalid_scheduled_message_id"));
        }
        s.scheduled_messages.remove(id.trim());
        Ok(ok(json!({})))
    })
}

pub fn chat_scheduled_messages_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.params.nonempty("channel");
    let bound = |key: &str| call.params.int(key).map_err(|_| SlackError::invalid(key));
    let oldest = bound("oldest")?.unwrap_or(i64::MIN);
    let latest = bound("latest")?.unwrap_or(i64::MAX);
    let req = page_request(call.params, "scheduled", DEFAULT_LIMITS)?;
    let me = call.actor.user.clone();
    call.read(|s| {
        if let Some(c) = &channel {
            s.access(c, &call.actor, Access::See).map_err(|_| SlackError::Code("invalid_channel"))?;
        }
        let mut items: Vec<(String, Value)> = s
            .scheduled_messages
            .values()
            .filter(|m| m.message.user.as_deref() == Some(&me))
            .filter(|m| channel.as_ref().is_none_or(|c| *c == m.channel))
            .filter(|m| m.post_at >= oldest && m.post_at <= latest)
            .map(|m| {
                (
                    format!("{:012}:{}", m.post_at, m.id),
                    json!({"id": m.id, "channel_id": m.channel, "post_at": m.post_at,
                           "date_created": m.created, "text": m.message.text}),
                )
            })
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let page = paginate(items, &req, "scheduled", false);
        Ok(ok(json!({"scheduled_messages": page.items, "response_metadata": metadata(&page.next_cursor)})))
    })
}

/// `markdown_text` and `chunks` (`{"type": "markdown_text", "text": …}`) as text.
fn stream_text(call: &Call<'_>) -> Result<String, SlackError> {
    let mut text = call.params.str("markdown_text").unwrap_or_default();
    match call.params.json("chunks") {
        Ok(None) => {}
        Ok(Some(Value::Array(chunks))) => {
            for chunk in chunks {
                match (chunk.get("type").and_then(Value::as_str), chunk.get("text").and_then(Value::as_str)) {
                    (Some("markdown_text"), Some(t)) => text.push_str(t),
                    (Some(_), _) => {}
                    _ => return Err(SlackError::Code("invalid_chunks")),
                }
            }
        }
        _ => return Err(SlackError::Code("invalid_chunks")),
    }
    if text.chars().count() > MAX_TEXT {
        return Err(SlackError::Code("msg_too_long"));
    }
    Ok(text)
}

/// Starts a message the app writes in pieces (an AI answer): posted now, grown by
/// chat.appendStream, finished by chat.stopStream.
pub fn chat_start_stream(call: &Call<'_>) -> Result<Reply, SlackError> {
    let target = call.channel_arg("channel")?;
    let text = stream_text(call)?;
    let thread_ts = call.params.nonempty("thread_ts");
    let mut message = authored(call, Content { text: Some(text), ..Content::default() });
    customize(call, &mut message);
    let (now, micros) = (call.now_s(), call.now_micros());
    call.write(|s, ids| {
        let channel = s.resolve_target(ids, &target, &call.actor, now)?;
        s.access(&channel, &call.actor, Access::Post)?;
        let posted = s.post(&channel, NewMessage { message, thread_ts, reply_broadcast: false }, micros)?;
        s.streams.insert(crate::model::message_key(&channel, &posted.ts), call.actor.user.clone());
        Ok(ok(json!({"channel": channel, "ts": posted.ts})))
    })
}

/// The streaming message `channel` + `ts` of the caller's.
fn streaming(s: &crate::model::SlackState, call: &Call<'_>) -> Result<(String, crate::model::Message), SlackError> {
    let channel = call.channel_arg("channel")?;
    let ts = call.params.nonempty("ts").ok_or_else(|| SlackError::missing("ts"))?;
    let ch = s.access(&channel, &call.actor, Access::See)?;
    let m = s.message(&ch.id, ts.trim())?.clone();
    let key = crate::model::message_key(&ch.id, &m.ts);
    match s.streams.get(&key) {
        Some(owner) if *owner == call.actor.user => Ok((key, m)),
        Some(_) => Err(SlackError::Code("message_not_owned_by_app")),
        None => Err(SlackError::Code("message_not_in_streaming_state")),
    }
}

pub fn chat_append_stream(call: &Call<'_>) -> Result<Reply, SlackError> {
    let text = stream_text(call)?;
    if text.is_empty() {
        return Err(SlackError::Code("no_text"));
    }
    call.write(|s, _| {
        let (key, mut m) = streaming(s, call)?;
        if m.text.chars().count() + text.chars().count() > MAX_TEXT {
            return Err(SlackError::Code("msg_too_long"));
        }
        m.text.push_str(&text);
        s.messages.insert(key.into(), std::sync::Arc::new(m.clone()));
        Ok(ok(json!({"channel": m.channel, "ts": m.ts})))
    })
}

pub fn chat_stop_stream(call: &Call<'_>) -> Result<Reply, SlackError> {
    let text = stream_text(call)?;
    let extra = content(call, false)?;
    call.write(|s, _| {
        let (key, mut m) = streaming(s, call)?;
        m.text.push_str(&text);
        if let Some(blocks) = extra.blocks.clone() {
            m.blocks = blocks.as_array().is_some_and(|a| !a.is_empty()).then_some(blocks);
        }
        if extra.metadata.is_some() {
            m.metadata = extra.metadata.clone();
        }
        s.streams.remove(&key);
        s.messages.insert(key.into(), std::sync::Arc::new(m.clone()));
        Ok(ok(json!({"channel": m.channel, "ts": m.ts, "message": message_json(s, &m)})))
    })
}

/// Unfurls for links of a message: each URL must be in the message; its attachment is
/// added to the message (`from_url`, `original_url`), replacing an earlier one.
pub fn chat_unfurl(call: &Call<'_>) -> Result<Reply, SlackError> {
    if call.params.nonempty("unfurl_id").is_some() && call.params.nonempty("source").is_none() {
        return Err(SlackError::Code("missing_source"));
    }
    if call.params.nonempty("unfurl_id").is_some() {
        // Composer unfurls come from link_shared events the twin does not send.
        return Err(SlackError::Code("invalid_unfurl_id"));
    }
    let channel = call.params.nonempty("channel").ok_or(SlackError::Code("missing_channel"))?;
    let ts = call.params.nonempty("ts").ok_or(SlackError::Code("missing_ts"))?;
    let unfurls = match call.params.json("unfurls") {
        Ok(Some(Value::Object(map))) if !map.is_empty() => map,
        Ok(None) => return Err(SlackError::Code("missing_unfurls")),
        _ => return Err(SlackError::Code("invalid_unfurls_format")),
    };
    if !unfurls.values().all(Value::is_object) {
        return Err(SlackError::Code("cannot_parse_attachment"));
    }
    call.write(|s, _| {
        let ch =
            s.access(channel.trim(), &call.actor, Access::See).map_err(|_| SlackError::Code("cannot_find_channel"))?;
        let ch_id = ch.id.clone();
        let mut m = s.message(&ch_id, ts.trim()).map_err(|_| SlackError::Code("cannot_find_message"))?.clone();
        let mut attachments: Vec<Value> = m.attachments.as_ref().and_then(Value::as_array).cloned().unwrap_or_default();
        for (url, unfurl) in &unfurls {
            if !m.text.contains(url.as_str()) {
                return Err(SlackError::Code("cannot_unfurl_url"));
            }
            attachments.retain(|a| a.get("from_url").and_then(Value::as_str) != Some(url.as_str()));
            let mut a = unfurl.clone();
            a["from_url"] = json!(url);
            a["original_url"] = json!(url);
            a["app_unfurl_url"] = json!(url);
            a["is_app_unfurl"] = json!(true);
            a["app_id"] = json!(call.actor.app_id);
            attachments.push(a);
        }
        m.attachments = Some(Value::Array(attachments));
        s.messages.insert(crate::model::message_key(&ch_id, &m.ts).into(), std::sync::Arc::new(m));
        Ok(ok(json!({})))
    })
}
