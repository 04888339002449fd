//! usergroups.*, search.*, emoji.list.

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::model::{parse_ts, Message, SlackState, Usergroup};
use crate::paging::{decode_cursor, encode_cursor};
use crate::views::{permalink, usergroup_json};

const MAX_GROUP_NAME: usize = 255;
const MAX_HANDLE: usize = 21;
const MAX_GROUP_DESCRIPTION: usize = 140;

fn valid_handle(handle: &str) -> bool {
    !handle.is_empty()
        && handle.chars().count() <= MAX_HANDLE
        && handle.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

/// The group `usergroup` names, or `no_such_subteam`.
fn group<'s>(s: &'s SlackState, call: &Call<'_>) -> Result<&'s Usergroup, SlackError> {
    let id = call.arg("usergroup")?;
    s.usergroups.get(id.trim()).ok_or(SlackError::Code("no_such_subteam"))
}

fn group_body(call: &Call<'_>, g: &Usergroup) -> Reply {
    ok(json!({ "usergroup": usergroup_json(g, true, call.params.flag("include_count")) }))
}

pub fn usergroups_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let include_disabled = call.params.flag("include_disabled");
    let include_users = call.params.flag("include_users");
    let include_count = call.params.flag("include_count");
    call.read(|s| {
        let mut groups: Vec<&Usergroup> =
            s.usergroups.values().filter(|g| include_disabled || g.deleted_at == 0).collect();
        groups.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        let list: Vec<Value> = groups.into_iter().map(|g| usergroup_json(g, include_users, include_count)).collect();
        Ok(ok(json!({ "usergroups": list })))
    })
}

/// Applies `name`, `handle`, `description`, `channels` to a group, checking each.
fn apply_group_args(s: &SlackState, call: &Call<'_>, g: &mut Usergroup) -> Result<(), SlackError> {
    if let Some(name) = call.params.nonempty("name") {
        let name = name.trim().to_string();
        if name.chars().count() > MAX_GROUP_NAME {
            return Err(SlackError::Code("name_too_long"));
        }
        if s.usergroups.values().any(|o| o.id != g.id && o.name.eq_ignore_ascii_case(&name)) {
            return Err(SlackError::Code("name_already_exists"));
        }
        g.name = name;
    }
    if let Some(handle) = call.params.nonempty("handle") {
        let handle = handle.trim().trim_start_matches('@').to_string();
        if !valid_handle(&handle) {
            return Err(SlackError::Code("bad_handle"));
        }
        if matches!(handle.as_str(), "here" | "channel" | "everyone" | "group") {
            return Err(SlackError::Code("forbidden_handle"));
        }
        let taken = s.usergroups.values().any(|o| o.id != g.id && o.handle == handle)
            || s.users.values().any(|u| u.name == handle);
        if taken {
            return Err(SlackError::Code("handle_already_exists"));
        }
        g.handle = handle;
    }
    if let Some(description) = call.params.str("description") {
        if description.chars().count() > MAX_GROUP_DESCRIPTION {
            return Err(SlackError::Code("description_too_long"));
        }
        g.description = description;
    }
    if call.params.get("channels").is_some() {
        let channels = call.params.list("channels");
        if channels.iter().any(|c| s.channels.get(c).is_none_or(|c| c.is_dm())) {
            return Err(SlackError::Code("invalid_channel_provided"));
        }
        g.channels = channels;
    }
    Ok(())
}

pub fn usergroups_create(call: &Call<'_>) -> Result<Reply, SlackError> {
    let name = call.params.nonempty("name").ok_or(SlackError::Code("missing_subteam_name"))?;
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, ids| {
        let id = loop {
            let id = ids.upper_id("S", 10);
            if !s.usergroups.contains_key(&id) {
                break id;
            }
        };
        let default_handle: String = name
            .trim()
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '-' })
            .take(MAX_HANDLE)
            .collect();
        let mut g = Usergroup {
            id: id.clone(),
            team_id: s.team_id(),
            name: String::new(),
            handle: String::new(),
            description: String::new(),
            created: now,
            updated: now,
            deleted_at: 0,
            created_by: me.clone(),
            updated_by: me.clone(),
            deleted_by: None,
            users: Vec::new(),
            channels: Vec::new(),
        };
        apply_group_args(s, call, &mut g)?;
        if g.handle.is_empty() {
            if s.usergroups.values().any(|o| o.handle == default_handle) || !valid_handle(&default_handle) {
                return Err(SlackError::Code("handle_already_exists"));
            }
            g.handle = default_handle;
        }
        s.usergroups.insert(id, g.clone());
        Ok(group_body(call, &g))
    })
}

pub fn usergroups_update(call: &Call<'_>) -> Result<Reply, SlackError> {
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, _| {
        let mut g = group(s, call)?.clone();
        apply_group_args(s, call, &mut g)?;
        g.updated = now;
        g.updated_by = me.clone();
        s.usergroups.insert(g.id.clone(), g.clone());
        Ok(group_body(call, &g))
    })
}

fn set_enabled(call: &Call<'_>, enabled: bool) -> Result<Reply, SlackError> {
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, _| {
        let mut g = group(s, call)?.clone();
        if enabled {
            g.deleted_at = 0;
            g.deleted_by = None;
        } else if g.deleted_at == 0 {
            g.deleted_at = now;
            g.deleted_by = Some(me.clone());
        }
        g.updated = now;
        g.updated_by = me.clone();
        s.usergroups.insert(g.id.clone(), g.clone());
        Ok(group_body(call, &g))
    })
}

pub fn usergroups_disable(call: &Call<'_>) -> Result<Reply, SlackError> {
    set_enabled(call, false)
}

pub fn usergroups_enable(call: &Call<'_>) -> Result<Reply, SlackError> {
    set_enabled(call, true)
}

pub fn usergroups_users_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let include_disabled = call.params.flag("include_disabled");
    call.read(|s| {
        let g = group(s, call)?;
        if g.deleted_at != 0 && !include_disabled {
            return Err(SlackError::Code("no_such_subteam"));
        }
        Ok(ok(json!({ "users": g.users })))
    })
}

pub fn usergroups_users_update(call: &Call<'_>) -> Result<Reply, SlackError> {
    let users = call.params.list("users");
    if users.is_empty() {
        return Err(SlackError::Code("no_users_provided"));
    }
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, _| {
        let mut g = group(s, call)?.clone();
        if users.iter().any(|u| s.users.get(u).is_none_or(|u| u.deleted || u.is_bot)) {
            return Err(SlackError::Code("invalid_users"));
        }
        let mut unique: Vec<String> = Vec::new();
        for u in users.iter() {
            if !unique.contains(u) {
                unique.push(u.clone());
            }
        }
        g.users = unique;
        g.updated = now;
        g.updated_by = me.clone();
        s.usergroups.insert(g.id.clone(), g.clone());
        Ok(group_body(call, &g))
    })
}

/// A parsed search query: words, phrases and the `in:`, `from:`, `before:`, `after:`,
/// `on:` modifiers.
#[derive(Debug, Default, PartialEq)]
pub struct Query {
    pub terms: Vec<String>,
    pub channels: Vec<String>,
    pub users: Vec<String>,
    pub after: Option<i64>,
    pub before: Option<i64>,
}

fn day_start(date: &str) -> Option<i64> {
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?).timestamp())
}

pub fn parse_query(q: &str) -> Query {
    let mut query = Query::default();
    let mut rest = q.trim();
    while !rest.is_empty() {
        let token;
        if let Some(stripped) = rest.strip_prefix('"') {
            let end = stripped.find('"').unwrap_or(stripped.len());
            token = stripped[..end].to_string();
            rest = stripped.get(end + 1..).unwrap_or("").trim_start();
            if !token.is_empty() {
                query.terms.push(token.to_lowercase());
            }
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        token = rest[..end].to_string();
        rest = rest[end..].trim_start();
        let clean = |v: &str| v.trim_start_matches(['#', '@', '<']).trim_end_matches('>').to_string();
        match token.split_once(':') {
            Some(("in", v)) => query.channels.push(clean(v).split('|').next().unwrap_or("").to_string()),
            Some(("from", v)) => query.users.push(clean(v).split('|').next().unwrap_or("").to_string()),
            Some(("after", v)) => query.after = day_start(v).map(|t| t + 86_400),
            Some(("before", v)) => query.before = day_start(v),
            Some(("on", v)) => {
                query.after = day_start(v);
                query.before = day_start(v).map(|t| t + 86_400);
            }
            _ => query.terms.push(token.to_lowercase()),
        }
    }
    query
}

pub(crate) fn matches(s: &SlackState, q: &Query, m: &Message) -> bool {
    let searchable = m.subtype.as_deref().is_none_or(|t| matches!(t, "thread_broadcast" | "me_message" | "file_share"));
    if !searchable {
        return false;
    }
    let text = m.text.to_lowercase();
    if !q.terms.iter().all(|t| text.contains(t.as_str())) {
        return false;
    }
    let secs = parse_ts(&m.ts).map(|t| (t / 1_000_000) as i64).unwrap_or(0);
    if q.after.is_some_and(|a| secs < a) || q.before.is_some_and(|b| secs >= b) {
        return false;
    }
    let in_channel =
        |c: &String| *c == m.channel || s.channels.get(&m.channel).is_some_and(|ch| !ch.is_dm() && ch.name == *c);
    if !q.channels.is_empty() && !q.channels.iter().any(in_channel) {
        return false;
    }
    let author = m.user.as_deref().and_then(|u| s.users.get(u));
    let from = |u: &String| author.is_some_and(|a| a.id == *u || a.name == *u);
    q.users.is_empty() || q.users.iter().any(from)
}

/// What every search method reads: the query, `count`, the page (or cursor), the order.
struct Search {
    text: String,
    query: Query,
    count: usize,
    page: usize,
    cursor: bool,
    ascending: bool,
}

fn search_args(call: &Call<'_>) -> Result<Search, SlackError> {
    let text = call.params.nonempty("query").ok_or(SlackError::Code("no_query"))?;
    let count = call.params.int("count")?.unwrap_or(20).clamp(1, 100) as usize;
    let cursor = call.params.nonempty("cursor");
    let page = match cursor.as_deref() {
        None => call.params.int("page")?.unwrap_or(1).max(1) as usize,
        Some("*") => 1,
        Some(c) => decode_cursor("page", c)?.parse::<usize>().map_err(|_| SlackError::InvalidCursor)?,
    };
    let ascending = call.params.str("sort_dir").as_deref() == Some("asc");
    Ok(Search { query: parse_query(&text), text, count, page, cursor: cursor.is_some(), ascending })
}

/// One section of results (`messages` or `files`): its matches, paging and pagination.
fn section(matches: Vec<Value>, search: &Search) -> (Value, usize) {
    let total = matches.len();
    let count = search.count;
    let offset = (search.page - 1).saturating_mul(count);
    let pages = total.div_ceil(count).max(1);
    let shown: Vec<Value> = matches.into_iter().skip(offset).take(count).collect();
    let first = if total == 0 { 0 } else { offset.saturating_add(1) };
    let last = offset.saturating_add(shown.len()).max(first);
    let body = json!({
        "total": total,
        "matches": shown,
        "paging": {"count": count, "total": total, "page": search.page, "pages": pages},
        "pagination": {"total_count": total, "page": search.page, "per_page": count, "page_count": pages,
                       "first": first, "last": last},
    });
    (body, pages)
}

fn message_matches(s: &SlackState, search: &Search, viewer: &str) -> Vec<Value> {
    let q = &search.query;
    let mut found: Vec<&Message> = s
        .messages
        .values()
        .map(|m| m.as_ref())
        .filter(|m| s.channels.get(&m.channel).is_some_and(|c| c.is_public() || s.is_member(&c.id, viewer)))
        .filter(|m| matches(s, q, m))
        .collect();
    // `sort=score` ranks by recency too: the twin has no relevance model.
    found.sort_by(|a, b| (&b.ts, &b.channel).cmp(&(&a.ts, &a.channel)));
    if search.ascending {
        found.reverse();
    }
    found
        .iter()
        .map(|m| {
            let ch = s.channels.get(&m.channel);
            let name = ch.map(|c| c.name.clone()).unwrap_or_default();
            let kind = ch.map(|c| c.kind);
            let username = m.user.as_deref().and_then(|u| s.users.get(u)).map(|u| u.name.clone());
            json!({
                "iid": format!("{}-{}", m.channel, m.ts),
                "team": s.team_id(),
                "score": 0,
                "channel": {
                    "id": m.channel, "name": name,
                    "is_channel": kind.is_some_and(|k| !matches!(k, crate::model::ChannelKind::Im | crate::model::ChannelKind::Mpim)),
                    "is_group": false,
                    "is_im": kind == Some(crate::model::ChannelKind::Im),
                    "is_mpim": kind == Some(crate::model::ChannelKind::Mpim),
                    "is_private": ch.is_some_and(|c| !c.is_public()),
                    "is_shared": false, "is_org_shared": false, "is_ext_shared": false,
                    "is_pending_ext_shared": false, "pending_shared": [],
                },
                "type": "message",
                "user": m.user,
                "username": username,
                "ts": m.ts,
                "text": m.text,
                "permalink": permalink(s, &m.channel, m),
            })
        })
        .collect()
}

/// Files the viewer may see whose name or title (or a remote file's search text) holds
/// every term; `in:` and `from:` as for messages, dates on the file's creation.
fn file_matches(s: &SlackState, search: &Search, call: &Call<'_>) -> Vec<Value> {
    let q = &search.query;
    let mut found: Vec<&crate::model::File> = s
        .files
        .values()
        .filter(|f| crate::methods::files::visible_file(s, call, &f.id).is_ok())
        .filter(|f| {
            let mut text = format!("{} {}", f.name, f.title).to_lowercase();
            if let Some(extra) = f.external.as_ref().and_then(|e| e.indexable.as_ref()) {
                text.push(' ');
                text.push_str(&extra.to_lowercase());
            }
            let in_channel = |c: &String| {
                f.shares.iter().any(|sh| {
                    sh.channel == *c || s.channels.get(&sh.channel).is_some_and(|ch| !ch.is_dm() && ch.name == *c)
                })
            };
            let author = s.users.get(&f.user);
            let from = |u: &String| author.is_some_and(|a| a.id == *u || a.name == *u);
            q.terms.iter().all(|t| text.contains(t.as_str()))
                && !(q.after.is_some_and(|a| f.created < a) || q.before.is_some_and(|b| f.created >= b))
                && (q.channels.is_empty() || q.channels.iter().any(in_channel))
                && (q.users.is_empty() || q.users.iter().any(from))
        })
        .collect();
    found.sort_by(|a, b| (b.created, &b.id).cmp(&(a.created, &a.id)));
    if search.ascending {
        found.reverse();
    }
    found.into_iter().map(|f| crate::views::file_json(s, f)).collect()
}

fn next_cursor(body: &mut Value, search: &Search, pages: usize) {
    if search.cursor {
        let next =
            if search.page < pages { encode_cursor("page", &(search.page + 1).to_string()) } else { String::new() };
        body["response_metadata"] = json!({ "next_cursor": next });
    }
}

pub fn search_messages(call: &Call<'_>) -> Result<Reply, SlackError> {
    let search = search_args(call)?;
    let viewer = call.actor.user.clone();
    call.read(|s| {
        let (messages, pages) = section(message_matches(s, &search, &viewer), &search);
        let mut body = json!({ "query": search.text, "messages": messages });
        next_cursor(&mut body, &search, pages);
        Ok(ok(body))
    })
}

pub fn search_files(call: &Call<'_>) -> Result<Reply, SlackError> {
    let search = search_args(call)?;
    call.read(|s| {
        let (files, pages) = section(file_matches(s, &search, call), &search);
        let mut body = json!({ "query": search.text, "files": files });
        next_cursor(&mut body, &search, pages);
        Ok(ok(body))
    })
}

/// Messages and files together, each paged on its own.
pub fn search_all(call: &Call<'_>) -> Result<Reply, SlackError> {
    let search = search_args(call)?;
    let viewer = call.actor.user.clone();
    call.read(|s| {
        let (messages, message_pages) = section(message_matches(s, &search, &viewer), &search);
        let (files, file_pages) = section(file_matches(s, &search, call), &search);
        let mut body = json!({
            "query": search.text,
            "messages": messages,
            "files": files,
            "posts": {"total": 0, "matches": []},
        });
        next_cursor(&mut body, &search, message_pages.max(file_pages));
        Ok(ok(body))
    })
}

pub fn emoji_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.read(|s| {
        let emoji: serde_json::Map<String, Value> = s.emoji.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let mut body = json!({"emoji": emoji, "cache_ts": format!("{}.000000", call.now_s())});
        if call.params.flag("include_categories") {
            body["categories_version"] = json!("5");
            body["categories"] = json!([]);
        }
        Ok(ok(body))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_modifiers() {
        let q = parse_query(r#"release "export api" in:#engineering from:@carol after:2026-01-01"#);
        assert_eq!(q.terms, vec!["release", "export api"]);
        assert_eq!(q.channels, vec!["engineering"]);
        assert_eq!(q.users, vec!["carol"]);
        assert_eq!(q.after, day_start("2026-01-02"));
        let q = parse_query("from:<@U123|carol> in:<#C1|general>");
        assert_eq!((q.users, q.channels), (vec!["U123".to_string()], vec!["C1".to_string()]));
    }

    #[test]
    fn handles() {
        assert!(valid_handle("eng-oncall"));
        assert!(!valid_handle("Eng"));
        assert!(!valid_handle(&"a".repeat(22)));
    }
}
