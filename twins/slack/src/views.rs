//! The JSON objects Slack returns (user, conversation, message, file, …), built from
//! the model for a given viewer.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc, Weekday};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use crate::model::{Actor, Bookmark, Bot, Channel, ChannelKind, File, Message, SlackState, User, Usergroup};

/// Daylight-saving rules the timezone table knows.
#[derive(Clone, Copy)]
enum Dst {
    None,
    /// Second Sunday of March to the first Sunday of November, 02:00 local.
    Us,
    /// Last Sunday of March to the last Sunday of October, 01:00 UTC.
    Eu,
    /// First Sunday of October to the first Sunday of April, 02:00/03:00 local.
    Au,
}

/// (name, standard offset in minutes, standard label, daylight label, rule)
const ZONES: &[(&str, i64, &str, &str, Dst)] = &[
    ("America/Los_Angeles", -480, "Pacific Standard Time", "Pacific Daylight Time", Dst::Us),
    ("America/Denver", -420, "Mountain Standard Time", "Mountain Daylight Time", Dst::Us),
    ("America/Phoenix", -420, "Mountain Standard Time", "Mountain Standard Time", Dst::None),
    ("America/Chicago", -360, "Central Standard Time", "Central Daylight Time", Dst::Us),
    ("America/New_York", -300, "Eastern Standard Time", "Eastern Daylight Time", Dst::Us),
    ("America/Anchorage", -540, "Alaska Standard Time", "Alaska Daylight Time", Dst::Us),
    ("Pacific/Honolulu", -600, "Hawaii-Aleutian Standard Time", "Hawaii-Aleutian Standard Time", Dst::None),
    ("America/Toronto", -300, "Eastern Standard Time", "Eastern Daylight Time", Dst::Us),
    ("America/Vancouver", -480, "Pacific Standard Time", "Pacific Daylight Time", Dst::Us),
    ("America/Sao_Paulo", -180, "Brasilia Standard Time", "Brasilia Standard Time", Dst::None),
    ("America/Mexico_City", -360, "Central Standard Time", "Central Standard Time", Dst::None),
    ("Europe/London", 0, "Greenwich Mean Time", "British Summer Time", Dst::Eu),
    ("Europe/Dublin", 0, "Greenwich Mean Time", "Irish Standard Time", Dst::Eu),
    ("Europe/Lisbon", 0, "Western European Time", "Western European Summer Time", Dst::Eu),
    ("Europe/Paris", 60, "Central European Time", "Central European Summer Time", Dst::Eu),
    ("Europe/Berlin", 60, "Central European Time", "Central European Summer Time", Dst::Eu),
    ("Europe/Madrid", 60, "Central European Time", "Central European Summer Time", Dst::Eu),
    ("Europe/Rome", 60, "Central European Time", "Central European Summer Time", Dst::Eu),
    ("Europe/Amsterdam", 60, "Central European Time", "Central European Summer Time", Dst::Eu),
    ("Europe/Stockholm", 60, "Central European Time", "Central European Summer Time", Dst::Eu),
    ("Europe/Warsaw", 60, "Central European Time", "Central European Summer Time", Dst::Eu),
    ("Europe/Zurich", 60, "Central European Time", "Central European Summer Time", Dst::Eu),
    ("Europe/Helsinki", 120, "Eastern European Time", "Eastern European Summer Time", Dst::Eu),
    ("Europe/Athens", 120, "Eastern European Time", "Eastern European Summer Time", Dst::Eu),
    ("Europe/Kyiv", 120, "Eastern European Time", "Eastern European Summer Time", Dst::Eu),
    ("Europe/Istanbul", 180, "Turkey Time", "Turkey Time", Dst::None),
    ("Europe/Moscow", 180, "Moscow Standard Time", "Moscow Standard Time", Dst::None),
    ("Asia/Dubai", 240, "Gulf Standard Time", "Gulf Standard Time", Dst::None),
    ("Asia/Kolkata", 330, "India Standard Time", "India Standard Time", Dst::None),
    ("Asia/Singapore", 480, "Singapore Standard Time", "Singapore Standard Time", Dst::None),
    ("Asia/Shanghai", 480, "China Standard Time", "China Standard Time", Dst::None),
    ("Asia/Hong_Kong", 480, "Hong Kong Standard Time", "Hong Kong Standard Time", Dst::None),
    ("Asia/Tokyo", 540, "Japan Standard Time", "Japan Standard Time", Dst::None),
    ("Asia/Seoul", 540, "Korean Standard Time", "Korean Standard Time", Dst::None),
    ("Australia/Sydney", 600, "Australian Eastern Standard Time", "Australian Eastern Daylight Time", Dst::Au),
    ("Australia/Melbourne", 600, "Australian Eastern Standard Time", "Australian Eastern Daylight Time", Dst::Au),
    ("Pacific/Auckland", 720, "New Zealand Standard Time", "New Zealand Standard Time", Dst::None),
    ("UTC", 0, "Coordinated Universal Time", "Coordinated Universal Time", Dst::None),
];

fn nth_sunday(year: i32, month: u32, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n)
}

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    (1..=5).rev().find_map(|n| nth_sunday(year, month, n))
}

fn at_utc(date: Option<NaiveDate>, hour: u32, offset_min: i64) -> Option<DateTime<Utc>> {
    let naive = date?.and_hms_opt(hour, 0, 0)?;
    Some(Utc.from_utc_datetime(&naive) - chrono::Duration::minutes(offset_min))
}

fn in_dst(rule: Dst, std_offset: i64, now: DateTime<Utc>) -> bool {
    let y = now.year();
    let between = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| match (a, b) {
        (Some(a), Some(b)) => now >= a && now < b,
        _ => false,
    };
    match rule {
        Dst::None => false,
        Dst::Us => {
            between(at_utc(nth_sunday(y, 3, 2), 2, std_offset), at_utc(nth_sunday(y, 11, 1), 2, std_offset + 60))
        }
        Dst::Eu => between(at_utc(last_sunday(y, 3), 1, 0), at_utc(last_sunday(y, 10), 1, 0)),
        Dst::Au => {
            let ends = at_utc(nth_sunday(y, 4, 1), 3, std_offset + 60);
            let starts = at_utc(nth_sunday(y, 10, 1), 2, std_offset);
            !between(ends, starts)
        }
    }
}

/// `(tz_label, tz_offset seconds)` of a timezone at `now`.
pub fn tz_info(tz: &str, now: DateTime<Utc>) -> (String, i64) {
    match ZONES.iter().find(|z| z.0 == tz) {
        Some(&(_, offset, std_label, dst_label, rule)) => {
            if in_dst(rule, offset, now) {
                (dst_label.to_string(), (offset + 60) * 60)
            } else {
                (std_label.to_string(), offset * 60)
            }
        }
        None => (tz.to_string(), 0),
    }
}

fn avatar_hash(id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:012x}", h & 0xffff_ffff_ffff)
}

fn images(hash: &str) -> Map<String, Value> {
    let mut m = Map::new();
    for size in [24, 32, 48, 72, 192, 512] {
        m.insert(
            format!("image_{size}"),
            json!(format!("https://secure.gravatar.com/avatar/{hash}.jpg?s={size}&d=mp")),
        );
    }
    m
}

/// The URLs of a photo set with `users.setPhoto`.
fn photo_images(team: &str, hash: &str) -> Map<String, Value> {
    let mut m = Map::new();
    for size in [24, 32, 48, 72, 192, 512, 1024] {
        m.insert(format!("image_{size}"), json!(format!("https://avatars.slack-edge.com/{team}-{hash}_{size}.png")));
    }
    m.insert("image_original".into(), json!(format!("https://avatars.slack-edge.com/{team}-{hash}_original.png")));
    m
}

/// A user's `profile` object.
pub fn profile_json(user: &User, show_email: bool) -> Value {
    let hash = user.photo.clone().unwrap_or_else(|| avatar_hash(&user.id));
    let mut p = json!({
        "title": user.title,
        "phone": user.phone,
        "skype": "",
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.display_name,
        "display_name_normalized": user.display_name,
        "fields": {},
        "status_text": user.status_text,
        "status_emoji": user.status_emoji,
        "status_emoji_display_info": [],
        "status_expiration": user.status_expiration,
        "avatar_hash": hash,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "team": user.team_id,
    });
    if let Value::Object(map) = &mut p {
        match &user.photo {
            Some(photo) => {
                map.extend(photo_images(&user.team_id, photo));
                map.insert("is_custom_image".into(), json!(true));
            }
            None => map.extend(images(&hash)),
        }
        if let (true, Some(email)) = (show_email, &user.email) {
            map.insert("email".into(), json!(email));
        }
        if let Some(bot_id) = &user.bot_id {
            map.insert("bot_id".into(), json!(bot_id));
            map.insert("api_app_id".into(), json!(user.app_id));
            map.insert("always_active".into(), json!(true));
        }
    }
    p
}

/// A user object as `viewer` sees it (emails need `users:read.email`).
pub fn user_json(user: &User, viewer: &Actor, now: DateTime<Utc>) -> Value {
    let (tz_label, tz_offset) = tz_info(&user.tz, now);
    let show_email = viewer.has("users:read.email") || viewer.user == user.id;
    let mut u = json!({
        "id": user.id,
        "team_id": user.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "color": user.color,
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": tz_label,
        "tz_offset": tz_offset,
        "profile": profile_json(user, show_email),
        "is_admin": user.is_admin,
        "is_owner": user.is_owner,
        "is_primary_owner": user.is_primary_owner,
        "is_restricted": false,
        "is_ultra_restricted": false,
        "is_bot": user.is_bot,
        "is_app_user": user.is_app_user,
        "updated": user.updated,
        "is_email_confirmed": user.email.is_some(),
        "who_can_share_contact_card": "EVERYONE",
    });
    if user.is_bot {
        u["is_workflow_bot"] = json!(false);
    }
    u
}

fn topic_json(t: &crate::model::Topic) -> Value {
    json!({"value": t.value, "creator": t.creator, "last_set": t.last_set})
}

/// A conversation object as `viewer` (a user id) sees it.
pub fn channel_json(state: &SlackState, ch: &Channel, viewer: &str, num_members: bool) -> Value {
    let membership = state.membership(&ch.id, viewer);
    if ch.kind == ChannelKind::Im {
        let user = state.im_user(&ch.id, viewer);
        let deleted = state.users.get(&user).is_some_and(|u| u.deleted);
        let mut v = json!({
            "id": ch.id,
            "created": ch.created,
            "is_archived": ch.is_archived,
            "is_im": true,
            "is_org_shared": false,
            "context_team_id": state.team_id(),
            "updated": ch.updated,
            "user": user,
            "is_user_deleted": deleted,
            "priority": 0,
        });
        if let Some(m) = membership {
            v["is_open"] = json!(m.is_open);
            v["last_read"] = json!(m.last_read);
        }
        return v;
    }
    let mut v = json!({
        "id": ch.id,
        "name": ch.name,
        "is_channel": ch.kind == ChannelKind::Public || ch.kind == ChannelKind::Private,
        "is_group": false,
        "is_im": false,
        "is_mpim": ch.kind == ChannelKind::Mpim,
        "is_private": ch.kind != ChannelKind::Public,
        "created": ch.created,
        "is_archived": ch.is_archived,
        "is_general": ch.is_general,
        "unlinked": 0,
        "name_normalized": ch.name,
        "is_shared": false,
        "is_org_shared": false,
        "is_pending_ext_shared": false,
        "pending_shared": [],
        "context_team_id": state.team_id(),
        "updated": ch.updated,
        "parent_conversation": null,
        "creator": ch.creator,
        "is_ext_shared": false,
        "shared_team_ids": [state.team_id()],
        "pending_connected_team_ids": [],
        "is_member": membership.is_some(),
        "topic": topic_json(&ch.topic),
        "purpose": topic_json(&ch.purpose),
        "previous_names": ch.previous_names,
    });
    if let Some(m) = membership {
        v["last_read"] = json!(m.last_read);
        if ch.kind == ChannelKind::Mpim {
            v["is_open"] = json!(m.is_open);
        }
    }
    if num_members {
        v["num_members"] = json!(state.member_count(&ch.id));
    }
    v
}

/// The `bot_profile` of a bot, as messages carry it.
struct BotProfile<'a> {
    bot: &'a Bot,
    team: &'a str,
}

impl Serialize for BotProfile<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let bot = self.bot;
        let mut map = ser.serialize_map(Some(7))?;
        map.serialize_entry("id", &bot.id)?;
        map.serialize_entry("deleted", &bot.deleted)?;
        map.serialize_entry("name", &bot.name)?;
        map.serialize_entry("updated", &bot.updated)?;
        map.serialize_entry("app_id", &bot.app_id)?;
        map.serialize_entry("icons", &BotIcons(avatar_hash(&bot.id)))?;
        map.serialize_entry("team_id", self.team)?;
        map.end()
    }
}

/// A bot's `bot_profile` as text, rendered once per bot and team.
fn bot_profile_json(bot: &Bot, team: &str) -> Option<Arc<(String, Box<RawValue>)>> {
    if let Some(kept) = bot.profile_json.get() {
        if kept.0 == team {
            return Some(kept);
        }
    }
    let raw = serde_json::value::to_raw_value(&BotProfile { bot, team }).ok()?;
    let kept = Arc::new((team.to_string(), raw));
    bot.profile_json.set(kept.clone());
    Some(kept)
}

/// A bot's `icons`, by its avatar hash.
struct BotIcons(String);

impl Serialize for BotIcons {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        const BASE: &str = "https://secure.gravatar.com/avatar/";
        // One buffer for the three URLs: this runs for every bot message of a page.
        let mut url = String::with_capacity(BASE.len() + self.0.len() + 16);
        let mut map = ser.serialize_map(Some(3))?;
        for (key, size) in [("image_36", "36"), ("image_48", "48"), ("image_72", "72")] {
            url.clear();
            url.push_str(BASE);
            url.push_str(&self.0);
            url.push_str(".jpg?s=");
            url.push_str(size);
            url.push_str("&d=mp");
            map.serialize_entry(key, &url)?;
        }
        map.end()
    }
}

pub fn bot_icons(bot_id: &str) -> Value {
    serde_json::to_value(BotIcons(avatar_hash(bot_id))).unwrap_or_default()
}

/// A message object.
pub fn message_json(state: &SlackState, m: &Message) -> Value {
    serde_json::to_value(MessageView::new(state, m)).unwrap_or_default()
}

/// A message object, serialized straight from the state: the big reads render pages of
/// these without building a `Value` per message.
pub struct MessageView<'a> {
    state: &'a SlackState,
    message: &'a Message,
    /// Renders the `root` of a broadcast reply (not nested further).
    with_root: bool,
    profiles: Option<&'a BotProfiles>,
}

impl<'a> MessageView<'a> {
    pub fn new(state: &'a SlackState, message: &'a Message) -> Self {
        MessageView { state, message, with_root: true, profiles: None }
    }

    /// A message of a page whose bots' profiles are rendered already.
    pub fn in_page(state: &'a SlackState, message: &'a Message, profiles: &'a BotProfiles) -> Self {
        MessageView { state, message, with_root: true, profiles: Some(profiles) }
    }
}

/// The `bot_profile`s of a page of messages, each rendered once: a page of a bot's
/// posts repeats the same profile, which was most of the text to escape.
#[derive(Default)]
pub struct BotProfiles(BTreeMap<String, Arc<(String, Box<RawValue>)>>);

impl BotProfiles {
    pub fn of<'m>(state: &SlackState, messages: impl IntoIterator<Item = &'m Message>) -> Self {
        let team = state.team().map(|t| t.id.as_str()).unwrap_or_default();
        let mut rendered = BTreeMap::new();
        for bot_id in messages.into_iter().filter_map(|m| m.bot_id.as_ref()) {
            if rendered.contains_key(bot_id) {
                continue;
            }
            let Some(bot) = state.bots.get(bot_id) else { continue };
            if let Some(raw) = bot_profile_json(bot, team) {
                rendered.insert(bot_id.clone(), raw);
            }
        }
        BotProfiles(rendered)
    }
}

/// A reaction with its count.
#[derive(serde::Serialize)]
struct ReactionView<'a> {
    name: &'a str,
    users: &'a [String],
    count: usize,
}

impl Serialize for MessageView<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (state, m) = (self.state, self.message);
        let team = state.team().map(|t| t.id.as_str()).unwrap_or_default();
        let mut map = ser.serialize_map(None)?;
        // A key of `extra` (system messages' own fields, or an imported state's) wins
        // over the computed one, so no key is written twice.
        macro_rules! entry {
            ($key:expr, $value:expr) => {
                if !m.extra.contains_key($key) {
                    map.serialize_entry($key, $value)?;
                }
            };
        }
        entry!("type", &"message");
        if let Some(subtype) = &m.subtype {
            entry!("subtype", subtype);
        }
        if let Some(user) = &m.user {
            entry!("user", user);
        }
        entry!("text", &m.text);
        entry!("ts", &m.ts);
        entry!("team", &team);
        if let Some(bot_id) = &m.bot_id {
            entry!("bot_id", bot_id);
            if let Some(app_id) = &m.app_id {
                entry!("app_id", app_id);
            }
            if let Some(raw) = self.profiles.and_then(|p| p.0.get(bot_id)) {
                entry!("bot_profile", &*raw.1);
            } else if let Some(raw) = state.bots.get(bot_id).and_then(|bot| bot_profile_json(bot, team)) {
                entry!("bot_profile", &*raw.1);
            }
        }
        for (key, value) in [("blocks", &m.blocks), ("attachments", &m.attachments), ("metadata", &m.metadata)] {
            if let Some(value) = value {
                entry!(key, value);
            }
        }
        if let Some(username) = &m.username {
            entry!("username", username);
        }
        if let Some(icons) = &m.icons {
            entry!("icons", icons);
        }
        if let Some(thread_ts) = &m.thread_ts {
            entry!("thread_ts", thread_ts);
            if m.is_reply() {
                if let Some(parent_user) = &m.parent_user_id {
                    entry!("parent_user_id", parent_user);
                }
            } else {
                entry!("reply_count", &m.reply_count);
                entry!("reply_users_count", &m.reply_users.len());
                entry!("reply_users", &&m.reply_users[..m.reply_users.len().min(5)]);
                entry!("latest_reply", &m.latest_reply);
                entry!("is_locked", &false);
                entry!("subscribed", &false);
            }
        }
        if let Some(edited) = &m.edited {
            entry!("edited", edited);
        }
        if !m.reactions.is_empty() {
            let reactions: Vec<ReactionView> = m
                .reactions
                .iter()
                .map(|r| ReactionView { name: &r.name, users: &r.users, count: r.users.len() })
                .collect();
            entry!("reactions", &reactions);
        }
        if !m.files.is_empty() {
            let files: Vec<Value> =
                m.files.iter().filter_map(|id| state.files.get(id)).map(|f| file_json(state, f)).collect();
            entry!("files", &files);
            entry!("upload", &true);
            entry!("display_as_bot", &false);
        }
        if !state.pins.is_empty() && state.pins.contains_key(&crate::model::message_key(&m.channel, &m.ts)) {
            entry!("pinned_to", &[&m.channel]);
        }
        let root = if self.with_root && m.subtype.as_deref() == Some("thread_broadcast") {
            m.thread_ts.as_deref().and_then(|t| state.message(&m.channel, t).ok())
        } else {
            None
        };
        for (key, value) in &m.extra {
            if !(root.is_some() && key == "root") {
                map.serialize_entry(key, value)?;
            }
        }
        if let Some(root) = root {
            let profiles = self.profiles;
            map.serialize_entry("root", &MessageView { state, message: root, with_root: false, profiles })?;
        }
        map.end()
    }
}

pub fn permalink(state: &SlackState, channel: &str, m: &Message) -> String {
    let domain = state.team().map(|t| t.domain.clone()).unwrap_or_default();
    let mut link = format!("https://{domain}.slack.com/archives/{channel}/p{}", m.ts.replace('.', ""));
    if let (true, Some(thread_ts)) = (m.is_reply(), &m.thread_ts) {
        link.push_str(&format!("?thread_ts={thread_ts}&cid={channel}"));
    }
    link
}

/// A file object.
pub fn file_json(state: &SlackState, f: &File) -> Value {
    let team = state.team_id();
    let domain = state.team().map(|t| t.domain.clone()).unwrap_or_default();
    let mut channels = Vec::new();
    let mut groups = Vec::new();
    let mut ims = Vec::new();
    let mut public = Map::new();
    let mut private = Map::new();
    for share in &f.shares {
        let Some(ch) = state.channels.get(&share.channel) else { continue };
        let list = match ch.kind {
            ChannelKind::Public => &mut channels,
            ChannelKind::Private | ChannelKind::Mpim => &mut groups,
            ChannelKind::Im => &mut ims,
        };
        if !list.contains(&share.channel) {
            list.push(share.channel.clone());
        }
        let entry = json!({
            "reply_users": [], "reply_users_count": 0, "reply_count": 0, "ts": share.ts,
            "channel_name": ch.name, "team_id": team, "share_user_id": f.user, "source": "UNKNOWN",
        });
        let target = if ch.is_public() { &mut public } else { &mut private };
        if let Value::Array(items) = target.entry(share.channel.clone()).or_insert_with(|| json!([])) {
            items.push(entry);
        }
    }
    let mut shares = Map::new();
    if !public.is_empty() {
        shares.insert("public".into(), Value::Object(public));
    }
    if !private.is_empty() {
        shares.insert("private".into(), Value::Object(private));
    }
    let url = format!("https://files.slack.com/files-pri/{team}-{}/{}", f.id, f.name);
    let mut v = json!({
        "id": f.id,
        "created": f.created,
        "timestamp": f.created,
        "name": f.name,
        "title": f.title,
        "mimetype": f.mimetype,
        "filetype": f.filetype,
        "pretty_type": f.pretty_type,
        "user": f.user,
        "user_team": team,
        "editable": false,
        "size": f.size,
        "mode": "hosted",
        "is_external": false,
        "external_type": "",
        "is_public": !channels.is_empty(),
        "public_url_shared": f.public_url_shared,
        "display_as_bot": false,
        "username": "",
        "url_private": url,
        "url_private_download": format!("https://files.slack.com/files-pri/{team}-{}/download/{}", f.id, f.name),
        "permalink": format!("https://{domain}.slack.com/files/{}/{}/{}", f.user, f.id, f.name),
        "permalink_public": format!("https://slack-files.com/{team}-{}-{}", f.id, &f.id.to_ascii_lowercase()),
        "comments_count": 0,
        "is_starred": false,
        "shares": shares,
        "channels": channels,
        "groups": groups,
        "ims": ims,
        "has_rich_preview": false,
        "file_access": "visible",
    });
    if let Some(alt) = &f.alt_txt {
        v["alt_txt"] = json!(alt);
    }
    if let (Some(ext), Value::Object(map)) = (&f.external, &mut v) {
        map.insert("mode".into(), json!("external"));
        map.insert("is_external".into(), json!(true));
        map.insert("external_type".into(), json!("app"));
        map.insert("external_id".into(), json!(ext.external_id));
        map.insert("external_url".into(), json!(ext.external_url));
        map.insert("url_private".into(), json!(ext.external_url));
        map.insert("has_rich_preview".into(), json!(ext.has_preview));
        map.insert("updated".into(), json!(ext.updated));
        map.remove("url_private_download");
        map.remove("permalink_public");
    }
    v
}

pub fn usergroup_json(g: &Usergroup, include_users: bool, include_count: bool) -> Value {
    let mut v = json!({
        "id": g.id,
        "team_id": g.team_id,
        "is_usergroup": true,
        "is_subteam": true,
        "name": g.name,
        "description": g.description,
        "handle": g.handle,
        "is_external": false,
        "date_create": g.created,
        "date_update": g.updated,
        "date_delete": g.deleted_at,
        "auto_type": null,
        "auto_provision": false,
        "enterprise_subteam_id": "",
        "created_by": g.created_by,
        "updated_by": g.updated_by,
        "deleted_by": g.deleted_by,
        "prefs": {"channels": g.channels, "groups": []},
    });
    if include_users {
        v["users"] = json!(g.users);
    }
    if include_count {
        v["user_count"] = json!(g.users.len());
    }
    v
}

pub fn bookmark_json(b: &Bookmark, team_id: &str) -> Value {
    json!({
        "id": b.id,
        "channel_id": b.channel_id,
        "title": b.title,
        "link": b.link,
        "emoji": b.emoji,
        "icon_url": null,
        "type": b.kind,
        "entity_id": null,
        "date_created": b.created,
        "date_updated": b.updated,
        "rank": b.rank,
        "last_updated_by_user_id": b.updated_by,
        "last_updated_by_team_id": team_id,
        "shortcut_id": null,
        "app_id": null,
        "app_action_id": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn timezones_follow_daylight_saving() {
        assert_eq!(
            tz_info("America/Los_Angeles", at("2026-01-15T12:00:00Z")),
            ("Pacific Standard Time".into(), -28800)
        );
        assert_eq!(
            tz_info("America/Los_Angeles", at("2026-07-15T12:00:00Z")),
            ("Pacific Daylight Time".into(), -25200)
        );
        assert_eq!(tz_info("Europe/London", at("2026-07-01T00:00:00Z")).1, 3600);
        assert_eq!(tz_info("Europe/London", at("2026-11-21T00:00:00Z")).1, 0);
        assert_eq!(tz_info("Australia/Sydney", at("2026-01-01T00:00:00Z")).1, 39600);
        assert_eq!(tz_info("Australia/Sydney", at("2026-07-01T00:00:00Z")).1, 36000);
        assert_eq!(tz_info("Asia/Kolkata", at("2026-07-01T00:00:00Z")).1, 19800);
        assert_eq!(tz_info("Mars/Olympus", at("2026-07-01T00:00:00Z")), ("Mars/Olympus".into(), 0));
    }
}
