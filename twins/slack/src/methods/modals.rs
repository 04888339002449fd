//! views.* and dialog.open: modals opened from a person's interaction (its trigger id,
//! good once for three seconds), pushed onto and updated, App Home tabs published per
//! person, legacy dialogs. A person's submissions and closes are simulated by the
//! control plane (`crate::surfaces`), which checks an ack's views with [`check_view`].

use serde_json::{json, Map, Value};

use super::{ok, Call, Reply};
use crate::delivery::{hub, TriggerRefused};
use crate::errors::SlackError;
use crate::model::{SlackState, ViewRecord};

const MAX_BLOCKS: usize = 100;
/// Largest view (bytes of JSON).
const MAX_VIEW_BYTES: usize = 250 * 1024;
const MAX_TITLE: usize = 24;
/// Most modals on one stack (the root and two pushed).
pub const MAX_STACK: usize = 3;
const MAX_DIALOG_ELEMENTS: usize = 10;

fn plain_text_len(v: Option<&Value>) -> Option<usize> {
    let v = v?;
    (v.get("type").and_then(Value::as_str) == Some("plain_text"))
        .then(|| v.get("text").and_then(Value::as_str).map(|t| t.chars().count()))
        .flatten()
}

/// The `view` argument, checked for its type (`modal` or `home`).
fn view_arg(call: &Call<'_>, kind: &str) -> Result<Map<String, Value>, SlackError> {
    match call.params.json("view") {
        Ok(Some(view)) => check_view(view, kind),
        Ok(None) => Err(SlackError::missing("view")),
        _ => Err(SlackError::invalid("view")),
    }
}

/// A view as the app gives it (to a method or in an ack's `response_action`), checked
/// for its type (`modal` or `home`), blocks, title and size.
pub fn check_view(view: Value, kind: &str) -> Result<Map<String, Value>, SlackError> {
    let Value::Object(view) = view else { return Err(SlackError::invalid("view")) };
    if view.get("type").and_then(Value::as_str) != Some(kind) {
        return Err(SlackError::invalid("view"));
    }
    let blocks = view.get("blocks").and_then(Value::as_array).ok_or_else(|| SlackError::missing("view.blocks"))?;
    if blocks.len() > MAX_BLOCKS || !blocks.iter().all(|b| b.get("type").and_then(Value::as_str).is_some()) {
        return Err(SlackError::invalid("view.blocks"));
    }
    if kind == "modal" {
        match plain_text_len(view.get("title")) {
            Some(n) if n > 0 && n <= MAX_TITLE => {}
            _ => return Err(SlackError::invalid("view.title")),
        }
    }
    if serde_json::to_vec(&view).map(|b| b.len()).unwrap_or(0) > MAX_VIEW_BYTES {
        return Err(SlackError::Code("view_too_large"));
    }
    Ok(view)
}

/// The person a trigger id (or `interactivity_pointer`) came from, spending it.
fn trigger_user(call: &Call<'_>) -> Result<String, SlackError> {
    let trigger = call
        .params
        .nonempty("trigger_id")
        .or_else(|| call.params.nonempty("interactivity_pointer"))
        .ok_or_else(|| SlackError::missing("trigger_id"))?;
    hub(&call.ctx.universe).use_trigger(trigger.trim(), call.now).map_err(|e| {
        SlackError::Code(match e {
            TriggerRefused::Invalid => "invalid_trigger_id",
            TriggerRefused::Expired => "expired_trigger_id",
            TriggerRefused::Used => "exchanged_trigger_id",
        })
    })
}

pub fn view_json(s: &SlackState, v: &ViewRecord) -> Value {
    let mut out = v.view.clone();
    let text = |k: &str| v.view.get(k).cloned().unwrap_or(Value::Null);
    let bot = s.bot();
    out.insert("id".into(), json!(v.id));
    out.insert("team_id".into(), json!(s.team_id()));
    out.insert("private_metadata".into(), json!(text("private_metadata").as_str().unwrap_or("")));
    out.insert("callback_id".into(), json!(text("callback_id").as_str().unwrap_or("")));
    out.insert("external_id".into(), json!(v.external_id.clone().unwrap_or_default()));
    out.insert("state".into(), json!({ "values": v.state_values }));
    out.insert("hash".into(), json!(v.hash));
    out.insert("clear_on_close".into(), json!(text("clear_on_close").as_bool().unwrap_or(false)));
    out.insert("notify_on_close".into(), json!(text("notify_on_close").as_bool().unwrap_or(false)));
    out.insert("root_view_id".into(), json!(v.root_view_id));
    out.insert("previous_view_id".into(), json!(v.previous_view_id));
    out.insert("app_id".into(), json!(bot.map(|b| b.app_id.clone())));
    out.insert("app_installed_team_id".into(), json!(s.team_id()));
    out.insert("bot_id".into(), json!(bot.map(|b| b.id.clone())));
    Value::Object(out)
}

/// A view's `hash`, new at each change (`hash_conflict` guards against stale updates).
pub fn fresh_hash(now_s: i64, ids: &mut twin_core::ids::IdGen) -> String {
    format!("{now_s}.{}", ids.lower_alnum(8))
}

fn check_external_id(s: &SlackState, external: &Option<String>, except: Option<&str>) -> Result<(), SlackError> {
    if let Some(ext) = external {
        if s.views.values().any(|v| v.external_id.as_ref() == Some(ext) && Some(v.id.as_str()) != except) {
            return Err(SlackError::Code("duplicate_external_id"));
        }
    }
    Ok(())
}

/// Element kinds a person acts on, which Slack gives an `action_id` when the app gave
/// none: those holding a value, and the ones only clicked.
fn is_interactive(kind: &str) -> bool {
    crate::surfaces::STATEFUL.contains(&kind) || matches!(kind, "button" | "overflow" | "workflow_button")
}

/// Names what the app left unnamed, as Slack does when it takes a view: every block a
/// `block_id`, every interactive element an `action_id`. `view.state.values` is keyed
/// by them, so without names a person's entries could not be told apart.
pub fn name_blocks(view: &mut Map<String, Value>, ids: &mut twin_core::ids::IdGen) {
    fn name_element(e: &mut Value, ids: &mut twin_core::ids::IdGen) {
        let kind = e.get("type").and_then(Value::as_str).unwrap_or_default();
        if is_interactive(kind) && e.get("action_id").and_then(Value::as_str).is_none_or(str::is_empty) {
            e["action_id"] = json!(ids.lower_alnum(5));
        }
    }
    for block in view.get_mut("blocks").and_then(Value::as_array_mut).into_iter().flatten() {
        let Some(block) = block.as_object_mut() else { continue };
        if block.get("block_id").and_then(Value::as_str).is_none_or(str::is_empty) {
            block.insert("block_id".into(), json!(ids.lower_alnum(5)));
        }
        for key in ["element", "accessory"] {
            if let Some(e) = block.get_mut(key) {
                name_element(e, ids);
            }
        }
        for e in block.get_mut("elements").and_then(Value::as_array_mut).into_iter().flatten() {
            name_element(e, ids);
        }
    }
}

/// A new view record for `user`: the root of its own stack until placed on another.
pub fn new_view(
    s: &SlackState,
    now_s: i64,
    ids: &mut twin_core::ids::IdGen,
    user: &str,
    kind: &str,
    mut view: Map<String, Value>,
) -> ViewRecord {
    if kind != "dialog" {
        name_blocks(&mut view, ids);
    }
    let id = loop {
        let id = ids.upper_id("V", 10);
        if !s.views.contains_key(&id) {
            break id;
        }
    };
    let external_id = view.get("external_id").and_then(Value::as_str).filter(|e| !e.is_empty()).map(str::to_string);
    ViewRecord {
        id: id.clone(),
        user: user.to_string(),
        kind: kind.to_string(),
        hash: fresh_hash(now_s, ids),
        root_view_id: Some(id),
        previous_view_id: None,
        external_id,
        view,
        created: now_s,
        seq: s.views.values().map(|v| v.seq).max().map_or(0, |m| m + 1),
        state_values: Map::new(),
    }
}

pub fn views_open(call: &Call<'_>) -> Result<Reply, SlackError> {
    let view = view_arg(call, "modal")?;
    let user = trigger_user(call)?;
    call.write(|s, ids| {
        let record = new_view(s, call.now_s(), ids, &user, "modal", view.clone());
        check_external_id(s, &record.external_id, None)?;
        s.views.insert(record.id.clone(), record.clone());
        Ok(ok(json!({ "view": view_json(s, &record) })))
    })
}

pub fn views_push(call: &Call<'_>) -> Result<Reply, SlackError> {
    let view = view_arg(call, "modal")?;
    let user = trigger_user(call)?;
    call.write(|s, ids| {
        // The person's newest modal is the one open.
        let top = s
            .views
            .values()
            .filter(|v| v.kind == "modal" && v.user == user)
            .max_by_key(|v| v.seq)
            .cloned()
            .ok_or(SlackError::Code("not_found"))?;
        let root = top.root_view_id.clone().unwrap_or_else(|| top.id.clone());
        let depth = s.views.values().filter(|v| v.root_view_id.as_deref() == Some(root.as_str())).count();
        if depth >= MAX_STACK {
            return Err(SlackError::Code("push_limit_reached"));
        }
        let mut record = new_view(s, call.now_s(), ids, &user, "modal", view.clone());
        check_external_id(s, &record.external_id, None)?;
        record.root_view_id = Some(root);
        record.previous_view_id = Some(top.id.clone());
        s.views.insert(record.id.clone(), record.clone());
        Ok(ok(json!({ "view": view_json(s, &record) })))
    })
}

pub fn views_update(call: &Call<'_>) -> Result<Reply, SlackError> {
    let view_id = call.params.nonempty("view_id");
    let external_id = call.params.nonempty("external_id");
    if view_id.is_none() && external_id.is_none() {
        return Err(SlackError::missing("view_id"));
    }
    let hash = call.params.nonempty("hash");
    let raw_kind = call.params.json("view").ok().flatten();
    let kind = raw_kind.as_ref().and_then(|v| v.get("type")).and_then(Value::as_str).unwrap_or("modal").to_string();
    let view = view_arg(call, if kind == "home" { "home" } else { "modal" })?;
    call.write(|s, ids| {
        let found = match (&view_id, &external_id) {
            (Some(id), _) => s.views.get(id.trim()),
            (None, Some(ext)) => s.views.values().find(|v| v.external_id.as_deref() == Some(ext.trim())),
            (None, None) => None,
        };
        let mut record = found.cloned().ok_or(SlackError::Code("not_found"))?;
        if hash.as_ref().is_some_and(|h| *h != record.hash) {
            return Err(SlackError::Code("hash_conflict"));
        }
        let new_external =
            view.get("external_id").and_then(Value::as_str).filter(|e| !e.is_empty()).map(str::to_string);
        if new_external.is_some() {
            check_external_id(s, &new_external, Some(&record.id))?;
            record.external_id = new_external;
        }
        record.view = view.clone();
        name_blocks(&mut record.view, ids);
        // As on Slack, what the person entered stays where the block and action ids do.
        let blocks = record.view.get("blocks").cloned().unwrap_or(Value::Null);
        record.state_values = crate::surfaces::kept_values(&blocks, &record.state_values);
        record.hash = fresh_hash(call.now_s(), ids);
        s.views.insert(record.id.clone(), record.clone());
        Ok(ok(json!({ "view": view_json(s, &record) })))
    })
}

/// A person's App Home tab: one view each, replaced by each publish.
pub fn views_publish(call: &Call<'_>) -> Result<Reply, SlackError> {
    let user = call.arg("user_id")?;
    let view = view_arg(call, "home")?;
    let hash = call.params.nonempty("hash");
    call.write(|s, ids| {
        let u = s.user(user.trim())?;
        if u.deleted || u.is_bot {
            return Err(SlackError::UserNotFound);
        }
        let existing = s.views.values().find(|v| v.kind == "home" && v.user == u.id).cloned();
        if let (Some(h), Some(e)) = (&hash, &existing) {
            if *h != e.hash {
                return Err(SlackError::Code("hash_conflict"));
            }
        }
        let mut record = match existing {
            Some(mut e) => {
                e.view = view.clone();
                name_blocks(&mut e.view, ids);
                e.hash = fresh_hash(call.now_s(), ids);
                e.external_id =
                    view.get("external_id").and_then(Value::as_str).filter(|x| !x.is_empty()).map(str::to_string);
                e
            }
            None => new_view(s, call.now_s(), ids, &u.id.clone(), "home", view.clone()),
        };
        record.root_view_id = None;
        check_external_id(s, &record.external_id, Some(&record.id))?;
        s.views.insert(record.id.clone(), record.clone());
        Ok(ok(json!({ "view": view_json(s, &record) })))
    })
}

fn validation_errors(errors: Vec<(String, &str)>) -> SlackError {
    let list: Vec<Value> = errors.into_iter().map(|(name, error)| json!({"name": name, "error": error})).collect();
    let mut extra = Map::new();
    extra.insert("dialog_errors".into(), Value::Array(list));
    SlackError::Detailed { error: "validation_errors", extra }
}

/// A legacy dialog: title, callback_id, up to ten elements each with a `type`, `label`
/// and `name`.
pub fn dialog_open(call: &Call<'_>) -> Result<Reply, SlackError> {
    let dialog = match call.params.json("dialog") {
        Ok(Some(Value::Object(map))) => map,
        Ok(None) => return Err(SlackError::Code("missing_dialog")),
        _ => return Err(SlackError::Code("validation_errors")),
    };
    if call.params.nonempty("trigger_id").is_none() {
        return Err(SlackError::Code("missing_trigger"));
    }
    let mut errors = Vec::new();
    let title = dialog.get("title").and_then(Value::as_str).unwrap_or("");
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        errors.push(("title".to_string(), "must be 1 to 24 characters"));
    }
    if dialog.get("callback_id").and_then(Value::as_str).is_none_or(str::is_empty) {
        errors.push(("callback_id".to_string(), "is required"));
    }
    let elements = dialog.get("elements").and_then(Value::as_array).cloned().unwrap_or_default();
    if elements.is_empty() || elements.len() > MAX_DIALOG_ELEMENTS {
        errors.push(("elements".to_string(), "must hold 1 to 10 elements"));
    }
    for (i, e) in elements.iter().enumerate() {
        let ok_type = matches!(e.get("type").and_then(Value::as_str), Some("text" | "textarea" | "select"));
        let named = ["label", "name"].iter().all(|k| e.get(k).and_then(Value::as_str).is_some_and(|v| !v.is_empty()));
        if !ok_type || !named {
            errors.push((format!("elements[{i}]"), "needs a type (text, textarea, select), a label and a name"));
        }
    }
    if !errors.is_empty() {
        return Err(validation_errors(errors));
    }
    let user = trigger_user(call).map_err(|e| match e {
        SlackError::Code("invalid_trigger_id") => SlackError::Code("invalid_trigger"),
        SlackError::Code("expired_trigger_id") => SlackError::Code("trigger_expired"),
        SlackError::Code("exchanged_trigger_id") => SlackError::Code("trigger_exchanged"),
        other => other,
    })?;
    call.write(|s, ids| {
        let record = new_view(s, call.now_s(), ids, &user, "dialog", dialog.clone());
        s.views.insert(record.id.clone(), record);
        Ok(ok(json!({})))
    })
}
