//! conversations.* and users.conversations.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{ok, rendered, Call, Reply};
use crate::errors::SlackError;
use crate::model::{
    fmt_ts, member_key, parse_ts, validate_channel_name, Access, Channel, ChannelKind, SlackState, MAX_MPIM_USERS,
    MAX_TOPIC,
};
use crate::paging::{metadata, page_request, paginate, Limits, Metadata};
use crate::views::{channel_json, BotProfiles, MessageView};

const LIST_LIMITS: Limits = Limits { default: 100, max: 1000, strict: true };
const HISTORY_LIMITS: Limits = Limits { default: 100, max: 999, strict: false };
const REPLIES_LIMITS: Limits = Limits { default: 1000, max: 1000, strict: false };

/// `types`: a list of `public_channel`, `private_channel`, `mpim`, `im`.
fn types_arg(call: &Call<'_>) -> Result<Vec<ChannelKind>, SlackError> {
    let names = call.params.list("types");
    if names.is_empty() {
        return Ok(vec![ChannelKind::Public]);
    }
    names.iter().map(|n| ChannelKind::from_type_name(n).ok_or(SlackError::Code("invalid_types"))).collect()
}

/// Conversations the caller can see, of the asked types, optionally only those `member` is in.
fn list_channels(call: &Call<'_>, member: Option<String>) -> Result<Reply, SlackError> {
    let types = types_arg(call)?;
    let exclude_archived = call.params.flag("exclude_archived");
    let req = page_request(call.params, "channel", LIST_LIMITS)?;
    let viewer = call.actor.user.clone();
    call.read(|s| {
        if let Some(member) = &member {
            s.user(member)?;
        }
        let items = s
            .channels
            .values()
            .filter(|c| types.contains(&c.kind))
            .filter(|c| !(exclude_archived && c.is_archived))
            .filter(|c| c.is_public() || s.is_member(&c.id, &viewer))
            .filter(|c| member.as_ref().is_none_or(|m| s.is_member(&c.id, m)))
            .map(|c| (c.id.clone(), c));
        let page = paginate(items, &req, "channel", false);
        let channels: Vec<Value> = page.items.iter().map(|c| channel_json(s, c, &viewer, !c.is_dm())).collect();
        Ok(ok(json!({"channels": channels, "response_metadata": metadata(&page.next_cursor)})))
    })
}

pub fn conversations_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    list_channels(call, None)
}

pub fn users_conversations(call: &Call<'_>) -> Result<Reply, SlackError> {
    let user = call.params.nonempty("user").unwrap_or_else(|| call.actor.user.clone());
    list_channels(call, Some(user))
}

pub fn conversations_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    call.read(|s| {
        let ch = s.access(&channel, &call.actor, Access::See)?;
        call.require_type_scope(ch.kind, call.accepted("conversations.info"))?;
        let mut v = channel_json(s, ch, &call.actor.user, call.params.flag("include_num_members"));
        if call.params.flag("include_locale") {
            v["locale"] = json!("en-US");
        }
        Ok(ok(json!({ "channel": v })))
    })
}

/// `oldest`/`latest`/`inclusive` as a ts range (microseconds, inclusive bounds).
fn ts_range(call: &Call<'_>) -> Result<(u64, u64), SlackError> {
    let bound = |key: &str, error: &'static str| -> Result<Option<u64>, SlackError> {
        match call.params.nonempty(key) {
            None => Ok(None),
            Some(v) => parse_ts(&v).map(Some).ok_or(SlackError::Code(error)),
        }
    };
    let oldest = bound("oldest", "invalid_ts_oldest")?.unwrap_or(0);
    let latest = bound("latest", "invalid_ts_latest")?.unwrap_or(u64::MAX);
    if call.params.flag("inclusive") {
        Ok((oldest, latest))
    } else {
        Ok((oldest.saturating_add(1), latest.saturating_sub(1)))
    }
}

fn in_range(ts: &str, (lo, hi): (u64, u64)) -> bool {
    parse_ts(ts).is_some_and(|t| t >= lo && t <= hi)
}

pub fn conversations_history(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let range = ts_range(call)?;
    let req = page_request(call.params, "next_ts", HISTORY_LIMITS)?;
    call.read(|s| {
        let ch = s.access(&channel, &call.actor, Access::Read)?;
        call.require_type_scope(ch.kind, call.accepted("conversations.history"))?;
        let items = s
            .channel_messages(&ch.id)
            .rev()
            .filter(|m| m.in_history() && in_range(&m.ts, range))
            .map(|m| (m.ts.clone(), m));
        let page = paginate(items, &req, "next_ts", true);
        let pin_count = s.pins.range(format!("{}:", ch.id)..format!("{};", ch.id)).count();
        let profiles = BotProfiles::of(s, page.items.iter().copied());
        rendered(&History {
            ok: true,
            messages: page.items.iter().map(|m| MessageView::in_page(s, m, &profiles)).collect(),
            has_more: page.has_more(),
            pin_count,
            channel_actions_ts: (),
            channel_actions_count: 0,
            response_metadata: Metadata { next_cursor: &page.next_cursor },
        })
    })
}

#[derive(serde::Serialize)]
struct History<'a> {
    ok: bool,
    messages: Vec<MessageView<'a>>,
    has_more: bool,
    pin_count: usize,
    /// Always null here.
    channel_actions_ts: (),
    channel_actions_count: u32,
    response_metadata: Metadata<'a>,
}

#[derive(serde::Serialize)]
struct Replies<'a> {
    ok: bool,
    messages: Vec<MessageView<'a>>,
    has_more: bool,
    response_metadata: Metadata<'a>,
}

pub fn conversations_replies(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let ts = call.arg("ts")?;
    let range = ts_range(call)?;
    let req = page_request(call.params, "next_ts", REPLIES_LIMITS)?;
    call.read(|s| {
        let ch = s.access(&channel, &call.actor, Access::Read)?;
        call.require_type_scope(ch.kind, call.accepted("conversations.replies"))?;
        let message = s.message(&ch.id, ts.trim()).map_err(|_| SlackError::Code("thread_not_found"))?;
        let root_ts =
            if message.is_reply() { message.thread_ts.clone().unwrap_or_default() } else { message.ts.clone() };
        let root = s.message(&ch.id, &root_ts).map_err(|_| SlackError::Code("thread_not_found"))?;
        let replies = s.replies(&ch.id, &root_ts).into_iter().filter(|m| in_range(&m.ts, range));
        let items = std::iter::once(root).chain(replies).map(|m| (m.ts.clone(), m));
        let page = paginate(items, &req, "next_ts", false);
        let profiles = BotProfiles::of(s, page.items.iter().copied());
        rendered(&Replies {
            ok: true,
            messages: page.items.iter().map(|m| MessageView::in_page(s, m, &profiles)).collect(),
            has_more: page.has_more(),
            response_metadata: Metadata { next_cursor: &page.next_cursor },
        })
    })
}

fn join_text(user: &str) -> String {
    format!("<@{user}> has joined the channel")
}

pub fn conversations_create(call: &Call<'_>) -> Result<Reply, SlackError> {
    let name = call.params.str("name").unwrap_or_default();
    let private = call.params.flag("is_private");
    let me = call.actor.user.clone();
    let (now, micros) = (call.now_s(), call.now_micros());
    call.write(|s, ids| {
        let ch = s.create_channel(ids, name.trim(), private, &me, now)?;
        s.system_message(&ch.id, &me, "channel_join", join_text(&me), BTreeMap::new(), micros)?;
        let ch = s.channel(&ch.id)?;
        Ok(ok(json!({ "channel": channel_json(s, ch, &me, false) })))
    })
}

pub fn conversations_join(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let me = call.actor.user.clone();
    let (now, micros) = (call.now_s(), call.now_micros());
    call.write(|s, _| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        if !ch.is_public() {
            return Err(SlackError::Code("method_not_supported_for_channel_type"));
        }
        if ch.is_archived {
            return Err(SlackError::IsArchived);
        }
        let joined = s.add_member(&ch.id, &me, now);
        if joined {
            s.system_message(&ch.id, &me, "channel_join", join_text(&me), BTreeMap::new(), micros)?;
        }
        let ch = s.channel(&ch.id)?;
        let mut body = json!({ "channel": channel_json(s, ch, &me, false) });
        if !joined {
            body["warning"] = json!("already_in_channel");
            body["response_metadata"] = json!({"warnings": ["already_in_channel"]});
        }
        Ok(ok(body))
    })
}

fn not_for_dms(ch: &Channel) -> Result<(), SlackError> {
    if ch.is_dm() {
        return Err(SlackError::Code("method_not_supported_for_channel_type"));
    }
    Ok(())
}

pub fn conversations_leave(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let me = call.actor.user.clone();
    let micros = call.now_micros();
    call.write(|s, _| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        if ch.kind == ChannelKind::Im {
            return Err(SlackError::Code("method_not_supported_for_channel_type"));
        }
        if ch.is_archived {
            return Err(SlackError::IsArchived);
        }
        if ch.is_general {
            return Err(SlackError::Code("cant_leave_general"));
        }
        if !s.is_member(&ch.id, &me) {
            return Ok(ok(json!({"not_in_channel": true})));
        }
        if !ch.is_public() && s.member_count(&ch.id) == 1 {
            return Err(SlackError::Code("last_member"));
        }
        s.system_message(
            &ch.id,
            &me,
            "channel_leave",
            format!("<@{me}> has left the channel"),
            BTreeMap::new(),
            micros,
        )?;
        s.remove_member(&ch.id, &me);
        Ok(ok(json!({})))
    })
}

pub fn conversations_invite(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let users = call.params.list("users");
    let force = call.params.flag("force");
    let me = call.actor.user.clone();
    let (now, micros) = (call.now_s(), call.now_micros());
    call.write(|s, _| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        if ch.kind == ChannelKind::Im {
            return Err(SlackError::Code("method_not_supported_for_channel_type"));
        }
        s.access(&ch.id, &call.actor, Access::Manage)?;
        if users.is_empty() {
            return Err(SlackError::Code("no_user"));
        }
        let mut errors = Vec::new();
        let mut invite = Vec::new();
        for user in &users {
            let error = match s.users.get(user) {
                None => Some("user_not_found"),
                Some(_) if *user == me => Some("cant_invite_self"),
                Some(u) if u.deleted || u.id == crate::model::SLACKBOT => Some("cant_invite"),
                Some(_) if s.is_member(&ch.id, user) || invite.contains(user) => Some("already_in_channel"),
                Some(_) => None,
            };
            match error {
                Some(error) => errors.push((user.clone(), error)),
                None => invite.push(user.clone()),
            }
        }
        let errors_json: Vec<Value> = errors.iter().map(|(u, e)| json!({"user": u, "ok": false, "error": e})).collect();
        if let Some((_, first)) = errors.first() {
            if !force || invite.is_empty() {
                let mut extra = serde_json::Map::new();
                extra.insert("errors".into(), json!(errors_json));
                return Err(SlackError::Detailed { error: first, extra });
            }
        }
        for user in &invite {
            s.add_member(&ch.id, user, now);
            let extra = BTreeMap::from([("inviter".to_string(), json!(me))]);
            s.system_message(&ch.id, user, "channel_join", join_text(user), extra, micros)?;
        }
        let ch = s.channel(&ch.id)?;
        let mut body = json!({ "channel": channel_json(s, ch, &me, false) });
        if !errors_json.is_empty() {
            body["errors"] = json!(errors_json);
        }
        Ok(ok(body))
    })
}

pub fn conversations_kick(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let user = call.params.nonempty("user").ok_or(SlackError::UserNotFound)?;
    let me = call.actor.user.clone();
    let micros = call.now_micros();
    call.write(|s, _| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        not_for_dms(&ch)?;
        if ch.is_general {
            return Err(SlackError::Code("cant_kick_from_general"));
        }
        if user == me {
            return Err(SlackError::Code("cant_kick_self"));
        }
        s.user(&user)?;
        if !s.is_member(&ch.id, &me) || !s.is_member(&ch.id, &user) {
            return Err(SlackError::NotInChannel);
        }
        let extra = BTreeMap::from([("remover".to_string(), json!(me))]);
        s.system_message(&ch.id, &user, "channel_leave", format!("<@{user}> has left the channel"), extra, micros)?;
        s.remove_member(&ch.id, &user);
        Ok(ok(json!({})))
    })
}

pub fn conversations_archive(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let me = call.actor.user.clone();
    let (now, micros) = (call.now_s(), call.now_micros());
    call.write(|s, _| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        not_for_dms(&ch)?;
        if ch.is_archived {
            return Err(SlackError::Code("already_archived"));
        }
        if ch.is_general {
            return Err(SlackError::Code("cant_archive_general"));
        }
        if !s.is_member(&ch.id, &me) {
            return Err(SlackError::NotInChannel);
        }
        s.system_message(
            &ch.id,
            &me,
            "channel_archive",
            format!("<@{me}> archived the channel"),
            BTreeMap::new(),
            micros,
        )?;
        let mut ch = s.channel(&ch.id)?.clone();
        ch.is_archived = true;
        ch.updated = now * 1000;
        s.channels.insert(ch.id.clone(), std::sync::Arc::new(ch));
        Ok(ok(json!({})))
    })
}

pub fn conversations_unarchive(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let me = call.actor.user.clone();
    let (now, micros) = (call.now_s(), call.now_micros());
    call.write(|s, _| {
        let mut ch = s.access(&channel, &call.actor, Access::See)?.clone();
        not_for_dms(&ch)?;
        if !ch.is_archived {
            return Err(SlackError::Code("not_archived"));
        }
        ch.is_archived = false;
        ch.updated = now * 1000;
        let id = ch.id.clone();
        s.channels.insert(id.clone(), std::sync::Arc::new(ch));
        s.system_message(
            &id,
            &me,
            "channel_unarchive",
            format!("<@{me}> un-archived the channel"),
            BTreeMap::new(),
            micros,
        )?;
        Ok(ok(json!({})))
    })
}

pub fn conversations_rename(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let name = call.params.str("name").unwrap_or_default().trim().to_string();
    let me = call.actor.user.clone();
    let (now, micros) = (call.now_s(), call.now_micros());
    call.write(|s, _| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        not_for_dms(&ch)?;
        s.access(&ch.id, &call.actor, Access::Manage)?;
        validate_channel_name(&name)?;
        if ch.name != name {
            if s.channel_by_name(&name).is_some() {
                return Err(SlackError::Code("name_taken"));
            }
            let mut renamed = ch.clone();
            renamed.previous_names.insert(0, ch.name.clone());
            renamed.name = name.clone();
            renamed.updated = now * 1000;
            s.channels.insert(ch.id.clone(), std::sync::Arc::new(renamed));
            let extra = BTreeMap::from([("old_name".to_string(), json!(ch.name)), ("name".to_string(), json!(name))]);
            let text = format!("<@{me}> renamed the channel from \"{}\" to \"{name}\"", ch.name);
            s.system_message(&ch.id, &me, "channel_name", text, extra, micros)?;
        }
        let ch = s.channel(&ch.id)?;
        Ok(ok(json!({ "channel": channel_json(s, ch, &me, false) })))
    })
}

/// setTopic and setPurpose.
fn set_topic(call: &Call<'_>, field: &'static str) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let value = call.params.str(field).ok_or_else(|| SlackError::missing(field))?;
    if value.chars().count() > MAX_TOPIC {
        return Err(SlackError::Code("too_long"));
    }
    let me = call.actor.user.clone();
    let (now, micros) = (call.now_s(), call.now_micros());
    call.write(|s, _| {
        let mut ch = s.access(&channel, &call.actor, Access::Manage)?.clone();
        let topic = crate::model::Topic { value: value.clone(), creator: me.clone(), last_set: now };
        let (subtype, text) = if field == "topic" {
            ch.topic = topic;
            ("channel_topic", format!("set the channel topic: {value}"))
        } else {
            ch.purpose = topic;
            ("channel_purpose", format!("set the channel description: {value}"))
        };
        ch.updated = now * 1000;
        let id = ch.id.clone();
        s.channels.insert(id.clone(), std::sync::Arc::new(ch));
        let extra = BTreeMap::from([(field.to_string(), json!(value))]);
        s.system_message(&id, &me, subtype, text, extra, micros)?;
        let ch = s.channel(&id)?;
        Ok(ok(json!({ "channel": channel_json(s, ch, &me, false) })))
    })
}

pub fn conversations_set_topic(call: &Call<'_>) -> Result<Reply, SlackError> {
    set_topic(call, "topic")
}

pub fn conversations_set_purpose(call: &Call<'_>) -> Result<Reply, SlackError> {
    set_topic(call, "purpose")
}

pub fn conversations_open(call: &Call<'_>) -> Result<Reply, SlackError> {
    let me = call.actor.user.clone();
    let return_im = call.params.flag("return_im");
    let prevent_creation = call.params.flag("prevent_creation");
    let now = call.now_s();
    if let Some(channel) = call.params.nonempty("channel") {
        return call.write(|s, _| {
            let ch = s.access(channel.trim(), &call.actor, Access::See)?.clone();
            if !ch.is_dm() {
                return Err(SlackError::Code("method_not_supported_for_channel_type"));
            }
            let key = member_key(&ch.id, &me);
            let was_open = s.members.get(&key).is_some_and(|m| m.is_open);
            if let Some(mut m) = s.members.get(&key).cloned() {
                m.is_open = true;
                s.members.insert(key, m);
            }
            let mut body = json!({"channel": channel_json(s, &ch, &me, false)});
            if was_open {
                body["no_op"] = json!(true);
                body["already_open"] = json!(true);
            }
            Ok(ok(body))
        });
    }
    let users = call.params.list("users");
    if users.is_empty() {
        return Err(SlackError::Code("users_list_not_supplied"));
    }
    if users.len() > MAX_MPIM_USERS - 1 {
        return Err(SlackError::Code("too_many_users"));
    }
    call.write(|s, ids| {
        for user in &users {
            let u = s.users.get(user).ok_or(SlackError::UserNotFound)?;
            if u.deleted {
                return Err(SlackError::Code("user_disabled"));
            }
        }
        let mut participants = vec![me.clone()];
        participants.extend(users.iter().cloned());
        let (ch, existed) = s.open_dm(ids, &participants, now, prevent_creation)?;
        let was_open = existed;
        let full = return_im || ch.kind == ChannelKind::Mpim;
        let channel = if full { channel_json(s, &ch, &me, false) } else { json!({"id": ch.id}) };
        let mut body = json!({ "channel": channel });
        if was_open {
            body["no_op"] = json!(true);
            body["already_open"] = json!(true);
        }
        Ok(ok(body))
    })
}

pub fn conversations_close(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let me = call.actor.user.clone();
    call.write(|s, _| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        if !ch.is_dm() {
            return Err(SlackError::Code("method_not_supported_for_channel_type"));
        }
        let key = member_key(&ch.id, &me);
        let mut m = s.members.get(&key).cloned().ok_or(SlackError::ChannelNotFound)?;
        if !m.is_open {
            return Ok(ok(json!({"no_op": true, "already_closed": true})));
        }
        m.is_open = false;
        s.members.insert(key, m);
        Ok(ok(json!({})))
    })
}

pub fn conversations_members(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let req = page_request(call.params, "user", LIST_LIMITS)?;
    call.read(|s| {
        let ch = s.access(&channel, &call.actor, Access::See)?;
        call.require_type_scope(ch.kind, call.accepted("conversations.members"))?;
        let items: Vec<(String, String)> = s.member_ids(&ch.id).into_iter().map(|u| (u.clone(), u)).collect();
        let page = paginate(items, &req, "user", false);
        Ok(ok(json!({"members": page.items, "response_metadata": metadata(&page.next_cursor)})))
    })
}

pub fn conversations_mark(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let ts = call.arg("ts")?;
    let micros = parse_ts(&ts).ok_or(SlackError::Code("invalid_timestamp"))?;
    let me = call.actor.user.clone();
    call.write(|s: &mut SlackState, _| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        let key = member_key(&ch.id, &me);
        let mut m = s.members.get(&key).cloned().ok_or(SlackError::NotInChannel)?;
        m.last_read = fmt_ts(micros);
        s.members.insert(key, m);
        Ok(ok(json!({})))
    })
}
