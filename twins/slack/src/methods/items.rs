//! Things attached to messages and channels: reactions.*, pins.*, bookmarks.*.

use serde_json::{json, Value};

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::model::{message_key, parse_ts, Access, Bookmark, Message, Pin, Reaction, SlackState};
use crate::paging::{metadata, page_request, paginate, DEFAULT_LIMITS};
use crate::views::{bookmark_json, message_json, permalink};

/// Most distinct emoji on one message.
const MAX_DISTINCT_REACTIONS: usize = 50;
const MAX_BOOKMARKS: usize = 100;

/// An emoji name without colons (`thumbsup`, `+1`, `wave::skin-tone-2`).
pub fn emoji_name(raw: &str) -> Result<String, SlackError> {
    let name = raw.trim().trim_matches(':');
    let (base, skin) = match name.split_once("::") {
        Some((base, skin)) => (base, Some(skin)),
        None => (name, None),
    };
    let valid_part = |s: &str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_+-'".contains(c))
    };
    if !valid_part(base) || skin.is_some_and(|s| !valid_part(s)) {
        return Err(SlackError::Code("invalid_name"));
    }
    Ok(name.to_string())
}

/// The message `channel` + `timestamp` name, for reactions and pins.
fn target<'s>(
    s: &'s SlackState,
    call: &Call<'_>,
    access: Access,
) -> Result<(&'s crate::model::Channel, &'s Message), SlackError> {
    let channel = call.params.nonempty("channel");
    let ts = call.params.nonempty("timestamp");
    let (Some(channel), Some(ts)) = (channel, ts) else {
        if call.params.nonempty("file").is_some() || call.params.nonempty("file_comment").is_some() {
            return Err(SlackError::Code("file_not_found"));
        }
        return Err(SlackError::Code("no_item_specified"));
    };
    if parse_ts(&ts).is_none() {
        return Err(SlackError::Code("bad_timestamp"));
    }
    let ch = s.access(channel.trim(), &call.actor, access)?;
    let m = s.message(&ch.id, ts.trim())?;
    Ok((ch, m))
}

fn with_permalink(s: &SlackState, m: &Message) -> Value {
    let mut v = message_json(s, m);
    v["permalink"] = json!(permalink(s, &m.channel, m));
    v
}

pub fn reactions_add(call: &Call<'_>) -> Result<Reply, SlackError> {
    let name = emoji_name(&call.arg("name")?)?;
    let me = call.actor.user.clone();
    call.write(|s, _| {
        let (ch, m) = target(s, call, Access::See)?;
        if ch.is_archived {
            return Err(SlackError::IsArchived);
        }
        let mut m = m.clone();
        let distinct = m.reactions.len();
        match m.reactions.iter_mut().find(|r| r.name == name) {
            Some(r) if r.users.contains(&me) => return Err(SlackError::Code("already_reacted")),
            Some(r) => r.users.push(me.clone()),
            None if distinct >= MAX_DISTINCT_REACTIONS => return Err(SlackError::Code("too_many_emoji")),
            None => m.reactions.push(Reaction { name: name.clone(), users: vec![me.clone()] }),
        }
        s.messages.insert(message_key(&m.channel, &m.ts).into(), std::sync::Arc::new(m));
        Ok(ok(json!({})))
    })
}

pub fn reactions_remove(call: &Call<'_>) -> Result<Reply, SlackError> {
    let name = emoji_name(&call.arg("name")?)?;
    let me = call.actor.user.clone();
    call.write(|s, _| {
        let (_, m) = target(s, call, Access::See)?;
        let mut m = m.clone();
        let r = m
            .reactions
            .iter_mut()
            .find(|r| r.name == name && r.users.contains(&me))
            .ok_or(SlackError::Code("no_reaction"))?;
        r.users.retain(|u| *u != me);
        m.reactions.retain(|r| !r.users.is_empty());
        s.messages.insert(message_key(&m.channel, &m.ts).into(), std::sync::Arc::new(m));
        Ok(ok(json!({})))
    })
}

pub fn reactions_get(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.read(|s| {
        let (ch, m) = target(s, call, Access::See)?;
        Ok(ok(json!({"type": "message", "channel": ch.id, "message": with_permalink(s, m)})))
    })
}

pub fn reactions_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let user = call.params.nonempty("user").unwrap_or_else(|| call.actor.user.clone());
    let req = page_request(call.params, "reaction", DEFAULT_LIMITS)?;
    let viewer = call.actor.user.clone();
    call.read(|s| {
        s.user(&user)?;
        let mut items: Vec<(String, Value)> = s
            .messages
            .values()
            .filter(|m| m.reactions.iter().any(|r| r.users.contains(&user)))
            .filter(|m| s.channels.get(&m.channel).is_some_and(|c| c.is_public() || s.is_member(&c.id, &viewer)))
            .map(|m| {
                let item = json!({"type": "message", "channel": m.channel, "message": with_permalink(s, m)});
                (format!("{}:{}", m.ts, m.channel), item)
            })
            .collect();
        items.sort_by(|a, b| b.0.cmp(&a.0));
        let page = paginate(items, &req, "reaction", true);
        Ok(ok(json!({"items": page.items, "response_metadata": metadata(&page.next_cursor)})))
    })
}

pub fn pins_add(call: &Call<'_>) -> Result<Reply, SlackError> {
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, _| {
        let (ch, m) = target(s, call, Access::See)?;
        if !s.is_member(&ch.id, &me) {
            return Err(SlackError::NotInChannel);
        }
        let key = message_key(&ch.id, &m.ts);
        if s.pins.contains_key(&key) {
            return Err(SlackError::Code("already_pinned"));
        }
        let pin = Pin { channel: ch.id.clone(), ts: m.ts.clone(), created: now, created_by: me.clone() };
        s.pins.insert(key, pin);
        Ok(ok(json!({})))
    })
}

pub fn pins_remove(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.write(|s, _| {
        let (ch, m) = target(s, call, Access::See)?;
        let key = message_key(&ch.id, &m.ts);
        if s.pins.remove(&key).is_none() {
            return Err(SlackError::Code("not_pinned"));
        }
        Ok(ok(json!({})))
    })
}

pub fn pins_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    call.read(|s| {
        let ch = s.access(&channel, &call.actor, Access::See)?;
        let mut pins: Vec<&Pin> = s.pins.range(format!("{}:", ch.id)..format!("{};", ch.id)).map(|(_, p)| p).collect();
        pins.sort_by(|a, b| (b.created, &b.ts).cmp(&(a.created, &a.ts)));
        let items: Vec<Value> = pins
            .into_iter()
            .filter_map(|p| {
                let m = s.message(&p.channel, &p.ts).ok()?;
                Some(json!({"type": "message", "created": p.created, "created_by": p.created_by,
                            "channel": p.channel, "message": with_permalink(s, m)}))
            })
            .collect();
        Ok(ok(json!({ "items": items })))
    })
}

pub fn bookmarks_add(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel_id")?;
    let title = call.arg("title")?;
    let kind = call.arg("type")?;
    if kind != "link" {
        return Err(SlackError::Code("invalid_bookmark_type"));
    }
    let link = call.params.nonempty("link").unwrap_or_default();
    if !valid_link(&link) {
        return Err(SlackError::Code("invalid_link"));
    }
    let emoji = match call.params.nonempty("emoji") {
        Some(e) => Some(format!(":{}:", emoji_name(&e).map_err(|_| SlackError::Code("invalid_emoji"))?)),
        None => None,
    };
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, ids| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        if ch.is_archived {
            return Err(SlackError::IsArchived);
        }
        let count = s.bookmarks.values().filter(|b| b.channel_id == ch.id).count();
        if count >= MAX_BOOKMARKS {
            return Err(SlackError::Code("too_many_bookmarks"));
        }
        let id = loop {
            let id = ids.upper_id("Bk", 10);
            if !s.bookmarks.contains_key(&id) {
                break id;
            }
        };
        let bookmark = Bookmark {
            id: id.clone(),
            channel_id: ch.id.clone(),
            title: title.clone(),
            link: link.clone(),
            emoji: emoji.clone(),
            kind: kind.clone(),
            created: now,
            updated: now,
            created_by: me.clone(),
            updated_by: me.clone(),
            rank: format!("{:04}", count),
        };
        s.bookmarks.insert(id, bookmark.clone());
        Ok(ok(json!({ "bookmark": bookmark_json(&bookmark, &s.team_id()) })))
    })
}

/// A bookmark's link: http(s), no spaces.
fn valid_link(link: &str) -> bool {
    (link.starts_with("https://") || link.starts_with("http://")) && !link.contains(char::is_whitespace)
}

/// `title`, `link`, `emoji`: whichever are given change; the others stay.
pub fn bookmarks_edit(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel_id")?;
    let id = call.arg("bookmark_id")?;
    let title = call.params.str("title");
    let link = call.params.str("link");
    if link.as_deref().is_some_and(|l| !valid_link(l)) {
        return Err(SlackError::Code("invalid_link"));
    }
    let emoji = match call.params.str("emoji") {
        Some(e) if e.trim().is_empty() => Some(None),
        Some(e) => Some(Some(format!(":{}:", emoji_name(&e).map_err(|_| SlackError::Code("invalid_emoji"))?))),
        None => None,
    };
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, _| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        if ch.is_archived {
            return Err(SlackError::IsArchived);
        }
        let mut b = match s.bookmarks.get(id.trim()) {
            Some(b) if b.channel_id == ch.id => b.clone(),
            _ => return Err(SlackError::Code("not_found")),
        };
        if let Some(title) = &title {
            if title.trim().is_empty() {
                return Err(SlackError::missing("title"));
            }
            b.title = title.clone();
        }
        if let Some(link) = &link {
            b.link = link.clone();
        }
        if let Some(emoji) = &emoji {
            b.emoji = emoji.clone();
        }
        b.updated = now;
        b.updated_by = me.clone();
        s.bookmarks.insert(b.id.clone(), b.clone());
        Ok(ok(json!({ "bookmark": bookmark_json(&b, &s.team_id()) })))
    })
}

pub fn bookmarks_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel_id")?;
    call.read(|s| {
        let ch = s.access(&channel, &call.actor, Access::See)?;
        let mut list: Vec<&Bookmark> = s.bookmarks.values().filter(|b| b.channel_id == ch.id).collect();
        list.sort_by(|a, b| (&a.rank, a.created, &a.id).cmp(&(&b.rank, b.created, &b.id)));
        let team = s.team_id();
        let bookmarks: Vec<Value> = list.into_iter().map(|b| bookmark_json(b, &team)).collect();
        Ok(ok(json!({ "bookmarks": bookmarks })))
    })
}

pub fn bookmarks_remove(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel_id")?;
    let id = call.arg("bookmark_id")?;
    call.write(|s, _| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        match s.bookmarks.get(id.trim()) {
            Some(b) if b.channel_id == ch.id => {}
            _ => return Err(SlackError::Code("not_found")),
        }
        s.bookmarks.remove(id.trim());
        Ok(ok(json!({})))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_names() {
        assert_eq!(emoji_name(":thumbsup:").unwrap(), "thumbsup");
        assert_eq!(emoji_name("+1").unwrap(), "+1");
        assert_eq!(emoji_name("wave::skin-tone-2").unwrap(), "wave::skin-tone-2");
        assert_eq!(emoji_name("two words"), Err(SlackError::Code("invalid_name")));
        assert_eq!(emoji_name("::"), Err(SlackError::Code("invalid_name")));
        assert_eq!(emoji_name("Caps"), Err(SlackError::Code("invalid_name")));
    }
}
