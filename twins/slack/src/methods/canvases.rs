//! canvases.* and conversations.canvases.create: canvases as markdown split into
//! sections (headers and blocks of text), edited section by section, shared with users
//! and channels.

use serde_json::{json, Map, Value};
use twin_core::ids::IdGen;

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::model::{Access, Canvas, Grants, Level, Section, SlackState};

/// Markdown limit of one document or change (1 MiB).
const MAX_MARKDOWN: usize = 1024 * 1024;
const MAX_TITLE: usize = 255;

/// Splits markdown into sections: each `#`, `##`, `###` header line is one, and each run
/// of other lines up to a blank line is one.
pub fn parse_sections(markdown: &str, ids: &mut IdGen) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut text: Vec<&str> = Vec::new();
    let flush = |text: &mut Vec<&str>, sections: &mut Vec<Section>, ids: &mut IdGen| {
        if !text.is_empty() {
            sections.push(Section { id: section_id(ids), kind: "text".into(), markdown: text.join("\n") });
            text.clear();
        }
    };
    for line in markdown.lines() {
        let header = ["### ", "## ", "# "].iter().zip(["h3", "h2", "h1"]).find(|(p, _)| line.starts_with(**p));
        if let Some((_, kind)) = header {
            flush(&mut text, &mut sections, ids);
            sections.push(Section { id: section_id(ids), kind: kind.into(), markdown: line.to_string() });
        } else if line.trim().is_empty() {
            flush(&mut text, &mut sections, ids);
        } else {
            text.push(line);
        }
    }
    flush(&mut text, &mut sections, ids);
    sections
}

fn section_id(ids: &mut IdGen) -> String {
    format!("temp:C:{}", ids.lower_alnum(28))
}

/// `{"type": "markdown", "markdown": "…"}` (a JSON value or a JSON string).
fn markdown_of(value: &Value, field: &str) -> Result<String, SlackError> {
    let obj = value.as_object().ok_or_else(|| SlackError::invalid(field))?;
    if obj.get("type").and_then(Value::as_str) != Some("markdown") {
        return Err(SlackError::invalid(field));
    }
    let markdown = obj.get("markdown").and_then(Value::as_str).ok_or_else(|| SlackError::invalid(field))?;
    if markdown.len() > MAX_MARKDOWN {
        return Err(SlackError::Code("canvas_too_large"));
    }
    Ok(markdown.to_string())
}

fn document_content(call: &Call<'_>) -> Result<Option<String>, SlackError> {
    match call.params.json("document_content") {
        Ok(None) => Ok(None),
        Ok(Some(v)) => markdown_of(&v, "document_content").map(Some),
        Err(_) => Err(SlackError::invalid("document_content")),
    }
}

fn title_arg(call: &Call<'_>) -> Result<String, SlackError> {
    let title = call.params.str("title").unwrap_or_default();
    if title.chars().count() > MAX_TITLE {
        return Err(SlackError::invalid("title"));
    }
    Ok(if title.trim().is_empty() { "Untitled".into() } else { title })
}

/// The canvas `canvas_id` names, as the caller may use it: `canvas_not_found` when they
/// cannot see it, `restricted_action` below `level`.
fn canvas<'s>(s: &'s SlackState, call: &Call<'_>, level: Level) -> Result<&'s Canvas, SlackError> {
    let id = call.arg("canvas_id")?;
    let c = s.canvases.get(id.trim()).ok_or(SlackError::Code("canvas_not_found"))?;
    let mine = c.grants.level(s, &c.owner, &call.actor.user);
    if mine == Level::None {
        return Err(SlackError::Code("canvas_not_found"));
    }
    if mine < level {
        return Err(SlackError::Code("restricted_action"));
    }
    Ok(c)
}

fn new_canvas(
    s: &mut SlackState,
    ids: &mut IdGen,
    call: &Call<'_>,
    title: String,
    markdown: Option<String>,
    channel: Option<String>,
    is_channel_canvas: bool,
) -> String {
    let id = s.fresh_file_id(ids);
    let sections = markdown.map(|m| parse_sections(&m, ids)).unwrap_or_default();
    let mut grants = Grants::default();
    if let Some(channel) = &channel {
        grants.channels.insert(channel.clone(), "write".into());
    }
    let now = call.now_s();
    let canvas = Canvas {
        id: id.clone(),
        title,
        owner: call.actor.user.clone(),
        created: now,
        updated: now,
        channel_id: channel,
        is_channel_canvas,
        sections,
        grants,
    };
    s.canvases.insert(id.clone(), canvas);
    id
}

pub fn canvases_create(call: &Call<'_>) -> Result<Reply, SlackError> {
    let title = title_arg(call)?;
    let markdown = document_content(call)?;
    let channel = call.params.nonempty("channel_id");
    call.write(|s, ids| {
        let channel = match &channel {
            Some(c) => Some(s.access(c.trim(), &call.actor, Access::Manage)?.id.clone()),
            None => None,
        };
        let id = new_canvas(s, ids, call, title.clone(), markdown.clone(), channel, false);
        Ok(ok(json!({ "canvas_id": id })))
    })
}

pub fn conversations_canvases_create(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel_id")?;
    let title = title_arg(call)?;
    let markdown = document_content(call)?;
    call.write(|s, ids| {
        let ch = s.access(&channel, &call.actor, Access::See)?.clone();
        if ch.is_archived {
            return Err(SlackError::IsArchived);
        }
        if s.canvases.values().any(|c| c.is_channel_canvas && c.channel_id.as_deref() == Some(ch.id.as_str())) {
            return Err(SlackError::Code("channel_canvas_already_exists"));
        }
        let title = if call.params.nonempty("title").is_some() { title.clone() } else { ch.name.clone() };
        let id = new_canvas(s, ids, call, title, markdown.clone(), Some(ch.id.clone()), true);
        Ok(ok(json!({ "canvas_id": id })))
    })
}

fn editing_failed(detail: &str) -> SlackError {
    let mut extra = Map::new();
    extra.insert("detail".into(), json!(detail));
    SlackError::Detailed { error: "canvas_editing_failed", extra }
}

/// Applies one change of `canvases.edit`.
fn apply_change(c: &mut Canvas, change: &Value, ids: &mut IdGen) -> Result<(), SlackError> {
    let obj = change.as_object().ok_or_else(|| SlackError::invalid("changes"))?;
    let op = obj.get("operation").and_then(Value::as_str).ok_or_else(|| SlackError::invalid("changes"))?;
    let section = obj.get("section_id").and_then(Value::as_str);
    let position = |c: &Canvas, id: Option<&str>| -> Result<usize, SlackError> {
        let id = id.ok_or_else(|| SlackError::missing("section_id"))?;
        c.sections.iter().position(|s| s.id == id).ok_or_else(|| editing_failed("section_id not found"))
    };
    let content = |ids: &mut IdGen| -> Result<Vec<Section>, SlackError> {
        let doc = obj.get("document_content").ok_or_else(|| SlackError::missing("document_content"))?;
        Ok(parse_sections(&markdown_of(doc, "document_content")?, ids))
    };
    match op {
        "insert_after" => {
            let at = position(c, section)? + 1;
            let new = content(ids)?;
            c.sections.splice(at..at, new);
        }
        "insert_before" => {
            let at = position(c, section)?;
            let new = content(ids)?;
            c.sections.splice(at..at, new);
        }
        "insert_at_start" => {
            let new = content(ids)?;
            c.sections.splice(0..0, new);
        }
        "insert_at_end" => {
            let new = content(ids)?;
            c.sections.extend(new);
        }
        "replace" => match section {
            Some(_) => {
                let at = position(c, section)?;
                let new = content(ids)?;
                c.sections.splice(at..at + 1, new);
            }
            None => c.sections = content(ids)?,
        },
        "delete" => {
            let at = position(c, section)?;
            c.sections.remove(at);
        }
        "rename" => {
            let title = obj.get("title_content").ok_or_else(|| SlackError::missing("title_content"))?;
            let title = markdown_of(title, "title_content")?;
            if title.trim().is_empty() || title.chars().count() > MAX_TITLE {
                return Err(SlackError::invalid("title_content"));
            }
            c.title = title;
        }
        _ => return Err(SlackError::invalid("changes")),
    }
    Ok(())
}

pub fn canvases_edit(call: &Call<'_>) -> Result<Reply, SlackError> {
    let changes = match call.params.json("changes") {
        Ok(Some(Value::Array(items))) if !items.is_empty() => items,
        Ok(None) => return Err(SlackError::missing("changes")),
        _ => return Err(SlackError::invalid("changes")),
    };
    if changes.len() > 1 {
        return Err(SlackError::invalid("changes"));
    }
    let now = call.now_s();
    call.write(|s, ids| {
        let mut c = canvas(s, call, Level::Write)?.clone();
        for change in &changes {
            apply_change(&mut c, change, ids)?;
        }
        c.updated = now;
        s.canvases.insert(c.id.clone(), c);
        Ok(ok(json!({})))
    })
}

pub fn canvases_delete(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.write(|s, _| {
        let c = canvas(s, call, Level::Owner)?.clone();
        s.canvases.remove(&c.id);
        Ok(ok(json!({})))
    })
}

/// `channel_ids` or `user_ids`, exactly one of them.
pub enum Targets {
    Channels(Vec<String>),
    Users(Vec<String>),
}

pub fn targets(call: &Call<'_>) -> Result<Targets, SlackError> {
    let channels = call.params.list("channel_ids");
    let users = call.params.list("user_ids");
    match (channels.is_empty(), users.is_empty()) {
        (false, true) => Ok(Targets::Channels(channels)),
        (true, false) => Ok(Targets::Users(users)),
        _ => Err(SlackError::Code("invalid_parameters")),
    }
}

/// Checks the ids and applies `level` to them (`None`: removes their access).
pub fn change_grants(
    s: &SlackState,
    call: &Call<'_>,
    grants: &mut Grants,
    targets: &Targets,
    level: Option<&str>,
) -> Result<(), SlackError> {
    match targets {
        Targets::Channels(channels) => {
            if level == Some("owner") {
                return Err(SlackError::Code("invalid_parameters"));
            }
            for c in channels {
                let ch = s.access(c, &call.actor, Access::See)?;
                match level {
                    Some(level) => grants.channels.insert(ch.id.clone(), level.to_string()),
                    None => grants.channels.remove(&ch.id),
                };
            }
        }
        Targets::Users(users) => {
            for u in users {
                let user = s.user(u)?;
                if user.deleted {
                    return Err(SlackError::UserNotFound);
                }
                match level {
                    Some(level) => grants.users.insert(user.id.clone(), level.to_string()),
                    None => grants.users.remove(&user.id),
                };
            }
        }
    }
    Ok(())
}

fn access_level(call: &Call<'_>) -> Result<String, SlackError> {
    let level = call.arg("access_level")?;
    match level.trim() {
        "read" | "write" | "owner" => Ok(level.trim().to_string()),
        _ => Err(SlackError::invalid("access_level")),
    }
}

pub fn canvases_access_set(call: &Call<'_>) -> Result<Reply, SlackError> {
    let level = access_level(call)?;
    let targets = targets(call)?;
    call.write(|s, _| {
        let mut c = canvas(s, call, Level::Owner)?.clone();
        change_grants(s, call, &mut c.grants, &targets, Some(&level))?;
        if level == "owner" {
            // One owner: the new one takes it, the old one keeps write access.
            if let Targets::Users(users) = &targets {
                if let Some(new_owner) = users.last() {
                    c.grants.users.remove(new_owner);
                    c.grants.users.insert(c.owner.clone(), "write".into());
                    c.owner = new_owner.clone();
                }
            }
        }
        s.canvases.insert(c.id.clone(), c);
        Ok(ok(json!({})))
    })
}

pub fn canvases_access_delete(call: &Call<'_>) -> Result<Reply, SlackError> {
    let targets = targets(call)?;
    call.write(|s, _| {
        let mut c = canvas(s, call, Level::Owner)?.clone();
        change_grants(s, call, &mut c.grants, &targets, None)?;
        s.canvases.insert(c.id.clone(), c);
        Ok(ok(json!({})))
    })
}

pub fn canvases_sections_lookup(call: &Call<'_>) -> Result<Reply, SlackError> {
    let criteria = match call.params.json("criteria") {
        Ok(Some(Value::Object(map))) => map,
        Ok(None) => return Err(SlackError::missing("criteria")),
        _ => return Err(SlackError::invalid("criteria")),
    };
    let types: Option<Vec<String>> = match criteria.get("section_types") {
        None => None,
        Some(Value::Array(items)) => {
            let mut types = Vec::new();
            for t in items {
                match t.as_str() {
                    Some(t @ ("h1" | "h2" | "h3" | "any_header")) => types.push(t.to_string()),
                    _ => return Err(SlackError::invalid("criteria")),
                }
            }
            Some(types)
        }
        Some(_) => return Err(SlackError::invalid("criteria")),
    };
    let text = match criteria.get("contains_text") {
        None => None,
        Some(Value::String(t)) => Some(t.to_lowercase()),
        Some(_) => return Err(SlackError::invalid("criteria")),
    };
    if types.as_ref().is_none_or(Vec::is_empty) && text.is_none() {
        return Err(SlackError::invalid("criteria"));
    }
    call.read(|s| {
        let c = canvas(s, call, Level::Read)?;
        let sections: Vec<Value> = c
            .sections
            .iter()
            .filter(|sec| {
                types.as_ref().is_none_or(|types| {
                    types.iter().any(|t| *t == sec.kind || (t == "any_header" && sec.kind.starts_with('h')))
                })
            })
            .filter(|sec| text.as_ref().is_none_or(|t| sec.markdown.to_lowercase().contains(t.as_str())))
            .map(|sec| json!({ "id": sec.id }))
            .collect();
        Ok(ok(json!({ "sections": sections })))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_splits_into_sections() {
        let mut ids = IdGen::new(7);
        let sections = parse_sections("# Title\nintro line\nmore\n\n## Part\n\nbody\n### Deep", &mut ids);
        let kinds: Vec<&str> = sections.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, vec!["h1", "text", "h2", "text", "h3"]);
        assert_eq!(sections[1].markdown, "intro line\nmore");
        assert!(sections.iter().all(|s| s.id.starts_with("temp:C:")));
        let mut c = Canvas {
            id: "F1".into(),
            title: "t".into(),
            owner: "U1".into(),
            created: 0,
            updated: 0,
            channel_id: None,
            is_channel_canvas: false,
            sections,
            grants: Grants::default(),
        };
        let first = c.sections[0].id.clone();
        let change = json!({"operation": "insert_after", "section_id": first,
                            "document_content": {"type": "markdown", "markdown": "new"}});
        apply_change(&mut c, &change, &mut ids).unwrap();
        assert_eq!(c.sections[1].markdown, "new");
        let bad = json!({"operation": "delete", "section_id": "temp:C:nope"});
        assert_eq!(apply_change(&mut c, &bad, &mut ids).unwrap_err().code(), "canvas_editing_failed");
        let rename = json!({"operation": "rename", "title_content": {"type": "markdown", "markdown": "New"}});
        apply_change(&mut c, &rename, &mut ids).unwrap();
        assert_eq!(c.title, "New");
        let unknown = json!({"operation": "explode"});
        assert_eq!(apply_change(&mut c, &unknown, &mut ids).unwrap_err().code(), "invalid_arguments");
    }
}
