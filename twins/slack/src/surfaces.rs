//! What a person does in an app's surfaces besides messages, on the control plane
//! (`/_dtu/universes/{u}/slack/simulate/…`): clicks in a modal, submits it or closes it,
//! runs a global or message shortcut, types in an external select, opens the App Home.
//!
//! A submission waits for the app's ack, as the person waits for the modal to react:
//! its `response_action` (`errors`, `update`, `push`, `clear`, or none, which closes the
//! view) is applied to the view stack, and the answer is what the person now sees. An
//! external select's query waits the same way for the options the ack carries.
//!
//! The typing of entered values (`view.state.values`) and the stack rules are plain
//! functions of the workspace, tested below; the handlers only parse, deliver and render.

use std::time::Duration;

use axum::extract::Extension;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use twin_core::control::{json_body, ControlBody};
use twin_core::ids::IdGen;
use twin_core::{ControlCtx, ControlError};

use crate::control::{ctx, interaction_place, person, read, response_url, Workspace};
use crate::delivery::{self, Answer, ResponseTarget};
use crate::events::Event;
use crate::methods::modals::{check_view, fresh_hash, name_blocks, new_view, view_json, MAX_STACK};
use crate::model::{fmt_ts, Actor, SlackState, ViewRecord};

type Result<T> = std::result::Result<T, ControlError>;

/// Longest `callback_id` Slack accepts for a shortcut.
const MAX_CALLBACK_ID: usize = 255;
/// Most options (or option groups) an external select shows.
const MAX_OPTIONS: usize = 100;
/// Longest query a person types in an external select.
const MAX_QUERY: usize = 3000;
/// Characters typed before Slack asks the app for options, unless the element says.
const DEFAULT_MIN_QUERY: u64 = 3;
/// Longest plain-text input, unless the element says.
const DEFAULT_MAX_INPUT: u64 = 3000;
/// Added to the app's ack window before a waiting simulation gives up on its own.
const WAIT_MARGIN: Duration = Duration::from_secs(2);

/// Why a person's entries cannot be submitted (Slack's client would not send them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("the view has no input or interactive element '{action_id}' in block '{block_id}'")]
    NoSuchField { block_id: String, action_id: String },
    #[error("values must map block ids to objects of action ids to values (block '{0}')")]
    Shape(String),
    #[error("'{block_id}' is required (the input block is not optional)")]
    Required { block_id: String },
    #[error("{block_id}.{action_id} ({kind}): {why}")]
    Bad { block_id: String, action_id: String, kind: String, why: String },
}

/// A stateful element of a view: where it is and what it is.
#[derive(Debug, Clone)]
struct Field<'a> {
    block_id: String,
    action_id: String,
    element: &'a Value,
    kind: String,
    /// In an `input` block (so submitted, and required unless `optional`).
    input: bool,
    optional: bool,
}

/// Element kinds that hold a value in `view.state.values`.
pub(crate) const STATEFUL: &[&str] = &[
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "file_input",
];

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The stateful elements in `blocks` (input blocks, actions blocks, section accessories).
fn fields(blocks: &Value) -> Vec<Field<'_>> {
    let mut out = Vec::new();
    for block in blocks.as_array().into_iter().flatten() {
        let block_id = text(block, "block_id").unwrap_or_default().to_string();
        let input = text(block, "type") == Some("input");
        let optional = block.get("optional").and_then(Value::as_bool).unwrap_or(false);
        let mut elements: Vec<&Value> = Vec::new();
        if input {
            elements.extend(block.get("element"));
        } else {
            elements.extend(block.get("elements").and_then(Value::as_array).into_iter().flatten());
            elements.extend(block.get("accessory"));
        }
        for element in elements {
            let kind = text(element, "type").unwrap_or_default();
            if !STATEFUL.contains(&kind) {
                continue;
            }
            out.push(Field {
                block_id: block_id.clone(),
                action_id: text(element, "action_id").unwrap_or_default().to_string(),
                element,
                kind: kind.to_string(),
                input,
                optional,
            });
        }
    }
    out
}

/// The key in a state entry that holds an element's value, and its empty form.
fn value_key(kind: &str) -> (&'static str, Value) {
    match kind {
        "static_select" | "external_select" | "radio_buttons" => ("selected_option", Value::Null),
        "multi_static_select" | "multi_external_select" | "checkboxes" => ("selected_options", json!([])),
        "users_select" => ("selected_user", Value::Null),
        "multi_users_select" => ("selected_users", json!([])),
        "conversations_select" => ("selected_conversation", Value::Null),
        "multi_conversations_select" => ("selected_conversations", json!([])),
        "channels_select" => ("selected_channel", Value::Null),
        "multi_channels_select" => ("selected_channels", json!([])),
        "datepicker" => ("selected_date", Value::Null),
        "timepicker" => ("selected_time", Value::Null),
        "datetimepicker" => ("selected_date_time", Value::Null),
        "rich_text_input" => ("rich_text_value", Value::Null),
        "file_input" => ("files", json!([])),
        _ => ("value", Value::Null),
    }
}

/// What the element shows before the person touches it (its `initial_*`).
fn initial(field: &Field<'_>) -> Value {
    let e = field.element;
    let pick = |k: &str| e.get(k).cloned().unwrap_or(Value::Null);
    let (_, empty) = value_key(&field.kind);
    let found = match field.kind.as_str() {
        "static_select" | "external_select" | "radio_buttons" => pick("initial_option"),
        "multi_static_select" | "multi_external_select" | "checkboxes" => pick("initial_options"),
        "users_select" => pick("initial_user"),
        "multi_users_select" => pick("initial_users"),
        "conversations_select" => pick("initial_conversation"),
        "multi_conversations_select" => pick("initial_conversations"),
        "channels_select" => pick("initial_channel"),
        "multi_channels_select" => pick("initial_channels"),
        "datepicker" => pick("initial_date"),
        "timepicker" => pick("initial_time"),
        "datetimepicker" => pick("initial_date_time"),
        _ => pick("initial_value"),
    };
    if found.is_null() {
        empty
    } else {
        found
    }
}

/// The options a select or a checkbox group offers (its groups flattened).
fn offered(element: &Value) -> Vec<&Value> {
    let mut out: Vec<&Value> = element.get("options").and_then(Value::as_array).into_iter().flatten().collect();
    for group in element.get("option_groups").and_then(Value::as_array).into_iter().flatten() {
        out.extend(group.get("options").and_then(Value::as_array).into_iter().flatten());
    }
    out
}

/// An option the person picked: from the element's own options, or (external selects,
/// whose options come from the app) as given: a value, or an option object.
fn pick_option(field: &Field<'_>, given: &Value) -> std::result::Result<Value, String> {
    let external = field.kind.ends_with("external_select");
    if external {
        if given.is_object() && given.get("value").is_some() {
            return Ok(given.clone());
        }
        let value = given.as_str().ok_or("give the option's value (a string) or an option object")?;
        return Ok(json!({"text": {"type": "plain_text", "text": value, "emoji": true}, "value": value}));
    }
    let value = match given {
        Value::String(v) => v.as_str(),
        Value::Object(o) => o.get("value").and_then(Value::as_str).ok_or("an option object needs a value")?,
        _ => return Err("give the option's value".into()),
    };
    offered(field.element)
        .into_iter()
        .find(|o| text(o, "value") == Some(value))
        .cloned()
        .ok_or_else(|| format!("no option with value '{value}'"))
}

fn many(given: &Value) -> std::result::Result<&Vec<Value>, String> {
    given.as_array().ok_or_else(|| "give a list".to_string())
}

fn check_max_selected(field: &Field<'_>, n: usize) -> std::result::Result<(), String> {
    match field.element.get("max_selected_items").and_then(Value::as_u64) {
        Some(max) if n as u64 > max => Err(format!("at most {max} may be selected")),
        _ => Ok(()),
    }
}

/// A user the person picked, by id, handle or email (people only, as Slack's picker).
fn pick_user(s: &SlackState, given: &Value) -> std::result::Result<Value, String> {
    let raw = given.as_str().ok_or("give a user id, handle or email")?;
    let user = crate::control::find_user(s, raw).ok_or_else(|| format!("no user '{raw}'"))?;
    if user.deleted {
        return Err(format!("user '{raw}' is deactivated"));
    }
    Ok(json!(user.id))
}

/// A conversation the person picked, by id or `#name`; public channels only for
/// `channels_select`.
fn pick_conversation(s: &SlackState, given: &Value, channels_only: bool) -> std::result::Result<Value, String> {
    let raw = given.as_str().ok_or("give a conversation id or #name")?.trim();
    let ch = s
        .channels
        .get(raw)
        .map(|c| &**c)
        .or_else(|| s.channel_by_name(raw.strip_prefix('#').unwrap_or(raw)))
        .ok_or_else(|| format!("no conversation '{raw}'"))?;
    if channels_only && !ch.is_public() {
        return Err(format!("'{raw}' is not a public channel"));
    }
    Ok(json!(ch.id))
}

fn length_bounds(field: &Field<'_>, value: &str) -> std::result::Result<(), String> {
    let n = value.chars().count() as u64;
    let min = field.element.get("min_length").and_then(Value::as_u64).unwrap_or(0);
    let max = field.element.get("max_length").and_then(Value::as_u64).unwrap_or(DEFAULT_MAX_INPUT);
    if n < min {
        return Err(format!("at least {min} characters"));
    }
    if n > max {
        return Err(format!("at most {max} characters"));
    }
    Ok(())
}

fn number(field: &Field<'_>, value: &str) -> std::result::Result<(), String> {
    let n: f64 = value.trim().parse().map_err(|_| format!("'{value}' is not a number"))?;
    let decimal = field.element.get("is_decimal_allowed").and_then(Value::as_bool).unwrap_or(false);
    if !decimal && n.fract() != 0.0 {
        return Err(format!("'{value}' is not a whole number"));
    }
    let bound = |k: &str| field.element.get(k).and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()));
    if bound("min_value").is_some_and(|m| n < m) || bound("max_value").is_some_and(|m| n > m) {
        return Err(format!("{value} is out of the element's range"));
    }
    Ok(())
}

/// The value the person entered in `field`, typed as `view.state.values` holds it.
fn typed(s: &SlackState, field: &Field<'_>, given: &Value) -> std::result::Result<Value, String> {
    if given.is_null() {
        return Ok(value_key(&field.kind).1);
    }
    let as_text = || -> std::result::Result<String, String> {
        match given {
            Value::String(t) => Ok(t.clone()),
            Value::Number(n) if field.kind == "number_input" => Ok(n.to_string()),
            _ => Err("give text".into()),
        }
    };
    match field.kind.as_str() {
        "plain_text_input" => {
            let t = as_text()?;
            length_bounds(field, &t)?;
            Ok(json!(t))
        }
        "email_text_input" => {
            let t = as_text()?;
            let (local, domain) = t.split_once('@').unwrap_or(("", ""));
            if local.is_empty() || !domain.contains('.') {
                return Err(format!("'{t}' is not an email address"));
            }
            Ok(json!(t))
        }
        "url_text_input" => {
            let t = as_text()?;
            if !(t.starts_with("http://") || t.starts_with("https://")) {
                return Err(format!("'{t}' is not an http(s) URL"));
            }
            Ok(json!(t))
        }
        "number_input" => {
            let t = as_text()?;
            number(field, &t)?;
            Ok(json!(t.trim()))
        }
        "rich_text_input" => match given {
            Value::String(t) => Ok(crate::control::rich_text(t).get(0).cloned().unwrap_or(Value::Null)),
            Value::Object(_) if text(given, "type") == Some("rich_text") => Ok(given.clone()),
            _ => Err("give text or a rich_text block".into()),
        },
        "static_select" | "external_select" | "radio_buttons" => pick_option(field, given),
        "multi_static_select" | "multi_external_select" | "checkboxes" => {
            let list = many(given)?;
            check_max_selected(field, list.len())?;
            list.iter().map(|g| pick_option(field, g)).collect::<std::result::Result<Vec<_>, _>>().map(Value::Array)
        }
        "users_select" => pick_user(s, given),
        "multi_users_select" => {
            let list = many(given)?;
            check_max_selected(field, list.len())?;
            list.iter().map(|g| pick_user(s, g)).collect::<std::result::Result<Vec<_>, _>>().map(Value::Array)
        }
        "conversations_select" | "channels_select" => pick_conversation(s, given, field.kind == "channels_select"),
        "multi_conversations_select" | "multi_channels_select" => {
            let list = many(given)?;
            check_max_selected(field, list.len())?;
            let only = field.kind == "multi_channels_select";
            list.iter()
                .map(|g| pick_conversation(s, g, only))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        "datepicker" => {
            let t = as_text()?;
            chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(|_| format!("'{t}' is not a YYYY-MM-DD date"))?;
            Ok(json!(t))
        }
        "timepicker" => {
            let t = as_text()?;
            let valid = t.len() == 5 && chrono::NaiveTime::parse_from_str(&t, "%H:%M").is_ok();
            if !valid {
                return Err(format!("'{t}' is not an HH:MM time"));
            }
            Ok(json!(t))
        }
        "datetimepicker" => given.as_i64().map(|t| json!(t)).ok_or_else(|| "give a Unix time in seconds".to_string()),
        "file_input" => Err("file uploads in modals are not simulated".into()),
        other => Err(format!("'{other}' holds no value")),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// `view.state.values` after the person's entries: each field holds what was `given`,
/// else what it held before (`previous`), else its initial value. Input blocks are
/// always there; other elements only once they hold something. Refuses what Slack's
/// client would not send: an unknown field, a badly typed value, and, on submission
/// (`submitting`), an empty required input.
pub fn state_values(
    s: &SlackState,
    blocks: &Value,
    given: &Map<String, Value>,
    previous: &Map<String, Value>,
    submitting: bool,
) -> std::result::Result<Map<String, Value>, EntryError> {
    let fields = fields(blocks);
    for (block_id, actions) in given {
        let actions = actions.as_object().ok_or_else(|| EntryError::Shape(block_id.clone()))?;
        for action_id in actions.keys() {
            if !fields.iter().any(|f| &f.block_id == block_id && &f.action_id == action_id) {
                return Err(EntryError::NoSuchField { block_id: block_id.clone(), action_id: action_id.clone() });
            }
        }
    }
    let mut out: Map<String, Value> = Map::new();
    for field in &fields {
        let (key, _) = value_key(&field.kind);
        let given_value = given.get(&field.block_id).and_then(|a| a.get(&field.action_id));
        let value = match given_value {
            Some(g) => typed(s, field, g).map_err(|why| EntryError::Bad {
                block_id: field.block_id.clone(),
                action_id: field.action_id.clone(),
                kind: field.kind.clone(),
                why,
            })?,
            None => previous
                .get(&field.block_id)
                .and_then(|a| a.get(&field.action_id))
                .and_then(|entry| entry.get(key))
                .cloned()
                .unwrap_or_else(|| initial(field)),
        };
        if submitting && field.input && !field.optional && is_empty(&value) {
            return Err(EntryError::Required { block_id: field.block_id.clone() });
        }
        if !field.input && is_empty(&value) {
            continue;
        }
        let mut entry = Map::new();
        entry.insert("type".into(), json!(field.kind));
        entry.insert(key.into(), value);
        out.entry(field.block_id.clone())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .map(|m| m.insert(field.action_id.clone(), Value::Object(entry)));
    }
    Ok(out)
}

/// The entries of `values` whose element is still in `blocks` (same block and action
/// ids): what Slack keeps of a person's input when the view is replaced.
pub(crate) fn kept_values(blocks: &Value, values: &Map<String, Value>) -> Map<String, Value> {
    let fields = fields(blocks);
    let mut out = Map::new();
    for (block_id, actions) in values {
        let kept: Map<String, Value> = actions
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(action_id, _)| fields.iter().any(|f| &f.block_id == block_id && &f.action_id == *action_id))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !kept.is_empty() {
            out.insert(block_id.clone(), Value::Object(kept));
        }
    }
    out
}

/// The modal stack `view` is on, bottom (the root) to top (what the person sees).
pub fn stack(s: &SlackState, view: &ViewRecord) -> Vec<ViewRecord> {
    let root = view.root_view_id.clone().unwrap_or_else(|| view.id.clone());
    let members: Vec<&ViewRecord> =
        s.views.values().filter(|v| v.kind == "modal" && v.root_view_id.as_deref() == Some(root.as_str())).collect();
    let mut out: Vec<ViewRecord> = Vec::new();
    let Some(mut current) = members.iter().find(|v| v.id == root).copied() else { return vec![view.clone()] };
    loop {
        out.push(current.clone());
        if out.len() > members.len() {
            break;
        }
        match members
            .iter()
            .filter(|v| v.previous_view_id.as_deref() == Some(current.id.as_str()))
            .max_by_key(|v| v.seq)
        {
            Some(next) => current = next,
            None => break,
        }
    }
    out
}

/// What the app's ack asks of a submitted modal.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseAction {
    /// No `response_action`: the submitted view closes (the one under it shows).
    Close,
    /// Messages by input block id; the modal stays open.
    Errors(Map<String, Value>),
    Update(Map<String, Value>),
    Push(Map<String, Value>),
    /// Every view of the stack closes.
    Clear,
}

impl ResponseAction {
    fn name(&self) -> Option<&'static str> {
        match self {
            ResponseAction::Close => None,
            ResponseAction::Errors(_) => Some("errors"),
            ResponseAction::Update(_) => Some("update"),
            ResponseAction::Push(_) => Some("push"),
            ResponseAction::Clear => Some("clear"),
        }
    }
}

/// Reads the payload of the app's ack to a `view_submission`. An error is what Slack
/// shows the person instead ("We had some trouble connecting"), the modal staying open.
pub fn parse_ack(payload: Option<&Value>) -> std::result::Result<ResponseAction, String> {
    let payload = match payload {
        None | Some(Value::Null) => return Ok(ResponseAction::Close),
        Some(Value::String(t)) if t.trim().is_empty() => return Ok(ResponseAction::Close),
        Some(Value::Object(map)) => map,
        Some(_) => return Err("the ack's body is not a JSON object".into()),
    };
    let view = |key: &str| -> std::result::Result<Map<String, Value>, String> {
        let view = payload.get("view").cloned().ok_or_else(|| format!("response_action {key} needs a view"))?;
        check_view(view, "modal").map_err(|e| format!("the {key} view is invalid ({})", e.code()))
    };
    match payload.get("response_action") {
        None | Some(Value::Null) => Ok(ResponseAction::Close),
        Some(Value::String(action)) => match action.as_str() {
            "errors" => {
                let errors = payload.get("errors").and_then(Value::as_object).cloned().unwrap_or_default();
                if errors.is_empty() || !errors.values().all(Value::is_string) {
                    return Err("response_action errors needs errors: an object of block ids to messages".into());
                }
                Ok(ResponseAction::Errors(errors))
            }
            "update" => view("update").map(ResponseAction::Update),
            "push" => view("push").map(ResponseAction::Push),
            "clear" => Ok(ResponseAction::Clear),
            other => Err(format!("unknown response_action '{other}'")),
        },
        Some(_) => Err("response_action must be a string".into()),
    }
}

/// Applies the app's answer to the submitted view `top_id` (the top of its stack);
/// gives the ids of the views closed. An error leaves the state as it was.
pub fn apply(
    s: &mut SlackState,
    ids: &mut IdGen,
    now_s: i64,
    top_id: &str,
    action: &ResponseAction,
) -> std::result::Result<Vec<String>, String> {
    let top = s.views.get(top_id).cloned().ok_or("the view is no longer open")?;
    let on_stack = stack(s, &top);
    match action {
        ResponseAction::Close => {
            s.views.remove(top_id);
            Ok(vec![top.id])
        }
        ResponseAction::Clear => {
            let closed: Vec<String> = on_stack.into_iter().map(|v| v.id).collect();
            for id in &closed {
                s.views.remove(id);
            }
            Ok(closed)
        }
        ResponseAction::Errors(errors) => {
            let inputs = fields(top.view.get("blocks").unwrap_or(&Value::Null));
            if let Some(bad) = errors.keys().find(|k| !inputs.iter().any(|f| f.input && &f.block_id == *k)) {
                return Err(format!("errors names '{bad}', which is no input block of the view"));
            }
            Ok(Vec::new())
        }
        ResponseAction::Update(view) => {
            let mut record = top;
            let new_external =
                text(&Value::Object(view.clone()), "external_id").filter(|e| !e.is_empty()).map(str::to_string);
            if let Some(ext) = &new_external {
                if s.views.values().any(|v| v.external_id.as_ref() == Some(ext) && v.id != record.id) {
                    return Err("the update view's external_id is taken (duplicate_external_id)".into());
                }
                record.external_id = new_external;
            }
            let mut view = view.clone();
            name_blocks(&mut view, ids);
            record.state_values = kept_values(view.get("blocks").unwrap_or(&Value::Null), &record.state_values);
            record.view = view;
            record.hash = fresh_hash(now_s, ids);
            s.views.insert(record.id.clone(), record);
            Ok(Vec::new())
        }
        ResponseAction::Push(view) => {
            if on_stack.len() >= MAX_STACK {
                return Err(format!("the stack holds {MAX_STACK} views already (push_limit_reached)"));
            }
            let mut record = new_view(s, now_s, ids, &top.user, "modal", view.clone());
            if let Some(ext) = &record.external_id {
                if s.views.values().any(|v| v.external_id.as_ref() == Some(ext)) {
                    return Err("the pushed view's external_id is taken (duplicate_external_id)".into());
                }
            }
            record.root_view_id = Some(top.root_view_id.clone().unwrap_or(top.id.clone()));
            record.previous_view_id = Some(top.id.clone());
            s.views.insert(record.id.clone(), record);
            Ok(Vec::new())
        }
    }
}

/// Writes the workspace as `actor` would, so the change is recorded like any other.
fn write<R>(
    ctl: &ControlCtx,
    actor: &str,
    f: impl FnOnce(&mut SlackState, &mut IdGen) -> std::result::Result<R, String>,
) -> Result<std::result::Result<R, String>> {
    let now = ctl.universe.now();
    delivery::write_and_publish(&ctl.universe, Some(actor), now, f).map_err(|e| ControlError::BadRequest(e.to_string()))
}

/// The person as an interaction payload names them.
fn user_json(s: &SlackState, ws: &Workspace, user: &str) -> Value {
    let name = s.users.get(user).map(|u| u.name.clone()).unwrap_or_default();
    json!({"id": user, "username": name, "name": name, "team_id": ws.team_id})
}

fn action_ts(ctl: &ControlCtx) -> String {
    fmt_ts(u64::try_from(ctl.universe.now().timestamp_micros()).unwrap_or(0))
}

/// The open modal `view_id`, as the person `user` (when given) has it in front of them.
fn open_modal(ctl: &ControlCtx, view_id: &str, user: Option<&str>) -> Result<(ViewRecord, Actor)> {
    let view_id = view_id.trim();
    let record = read(&ctl.universe, |s| s.views.get(view_id).filter(|v| v.kind == "modal").cloned())?
        .ok_or_else(|| ControlError::BadRequest(format!("no open modal '{view_id}'")))?;
    let actor = person(&ctl.universe, user.unwrap_or(&record.user))?;
    if actor.user != record.user {
        return Err(ControlError::BadRequest(format!(
            "modal {view_id} is open for {}, not for {}",
            record.user,
            user.unwrap_or_default()
        )));
    }
    let top = read(&ctl.universe, |s| stack(s, &record).last().map(|v| v.id.clone()))?;
    if top.as_deref() != Some(record.id.as_str()) {
        return Err(ControlError::Conflict(format!(
            "modal {view_id} is under {} on its stack; only the top view can be used",
            top.unwrap_or_default()
        )));
    }
    Ok((record, actor))
}

/// How long to wait for the app's answer: its ack window, and a margin.
fn ack_window(ctl: &ControlCtx) -> Duration {
    let settings = read(&ctl.universe, |s| s.app().map(|a| a.delivery.clone())).ok().flatten().unwrap_or_default();
    Duration::from_millis(settings.ack_timeout_ms.max(settings.http_timeout_ms)) + WAIT_MARGIN
}

/// Delivers an interaction and waits for the app's answer.
async fn deliver_and_wait(ctl: &ControlCtx, kind: &str, payload: Value) -> Result<(String, &'static str, Answer)> {
    let (state, now) = (read(&ctl.universe, SlackState::clone)?, ctl.universe.now());
    let queued = delivery::hub(&ctl.universe).interact_awaiting(&state, kind, payload, now);
    drop(state);
    let (envelope_id, route, rx) = queued
        .ok_or_else(|| ControlError::Conflict("the app has neither Socket Mode on nor a request URL set".into()))?;
    let answer = match tokio::time::timeout(ack_window(ctl), rx).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(_)) => Answer::Failed("the universe was reset before the app answered".into()),
        Err(_) => {
            delivery::hub(&ctl.universe).abandon(&envelope_id);
            Answer::Failed("the app did not acknowledge in time".into())
        }
    };
    tracing::debug!(kind, envelope_id, route, ?answer, "interaction answered");
    Ok((envelope_id, route, answer))
}

/// The stack rooted at `root` as the person sees it (empty once every view closed).
fn stack_json(s: &SlackState, root: &str) -> Vec<Value> {
    s.views
        .values()
        .find(|v| v.kind == "modal" && v.root_view_id.as_deref() == Some(root))
        .map(|v| stack(s, v).iter().map(|v| view_json(s, v)).collect())
        .unwrap_or_default()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateViewSubmission {
    view_id: String,
    user: Option<String>,
    /// `{block_id: {action_id: value}}`; fields not given keep what they held.
    #[serde(default)]
    values: Map<String, Value>,
}

/// The `response_urls` of a submission: one per conversation picked in an element that
/// asks for it (`response_url_enabled`), where the app may then post.
fn response_urls(ctl: &ControlCtx, user: &str, blocks: &Value, values: &Map<String, Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for field in fields(blocks) {
        if !field.input || field.element.get("response_url_enabled").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let entry = values.get(&field.block_id).and_then(|a| a.get(&field.action_id));
        let channel = entry
            .and_then(|e| e.get("selected_conversation").or_else(|| e.get("selected_channel")))
            .and_then(Value::as_str);
        if let Some(channel) = channel {
            let target =
                ResponseTarget { channel: channel.to_string(), user: user.to_string(), message_ts: None, uses: 0 };
            out.push(json!({
                "block_id": field.block_id,
                "action_id": field.action_id,
                "channel_id": channel,
                "response_url": response_url(ctl, target),
            }));
        }
    }
    out
}

/// A person submits the modal they see: the app gets `view_submission` with what they
/// entered; its ack's `response_action` decides what they see next.
pub async fn simulate_view_submission(
    ext: Option<Extension<ControlCtx>>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response> {
    let ctl = ctx(ext)?;
    let req: SimulateViewSubmission = json_body(&headers, &body)?;
    let (record, actor) = open_modal(&ctl, &req.view_id, req.user.as_deref())?;
    if record.view.get("submit").is_none() {
        return Err(ControlError::BadRequest(format!(
            "modal {} has no submit button: Slack's client cannot submit it",
            record.id
        )));
    }
    let blocks = record.view.get("blocks").cloned().unwrap_or(Value::Null);
    let values = read(&ctl.universe, |s| state_values(s, &blocks, &req.values, &record.state_values, true))?
        .map_err(|e| ControlError::BadRequest(e.to_string()))?;
    let trigger_id = delivery::hub(&ctl.universe).trigger_id(&actor.user, ctl.universe.now());
    let urls = response_urls(&ctl, &actor.user, &blocks, &values);
    let mut submitted = record.clone();
    submitted.state_values = values.clone();
    let payload = read(&ctl.universe, |s| {
        let ws = Workspace::of(s);
        json!({
            "type": "view_submission",
            "team": {"id": ws.team_id, "domain": ws.team_domain},
            "user": user_json(s, &ws, &actor.user),
            "api_app_id": ws.app_id,
            "token": ws.token,
            "trigger_id": trigger_id,
            "view": view_json(s, &submitted),
            "response_urls": urls,
            "is_enterprise_install": false,
            "enterprise": null,
        })
    })?;
    let (envelope_id, route, answer) = deliver_and_wait(&ctl, "view_submission", payload).await?;
    let (acknowledged, action) = match &answer {
        Answer::Acked(payload) => (true, parse_ack(payload.as_ref())),
        Answer::Failed(why) => (false, Err(why.clone())),
    };
    let root = record.root_view_id.clone().unwrap_or(record.id.clone());
    let now_s = ctl.universe.now().timestamp();
    // What the person entered stays in the modal while it is open.
    let (view_id, entered) = (record.id.clone(), values);
    write(&ctl, &actor.user, move |s, _| {
        let mut open = s.views.get(&view_id).cloned().ok_or("the view closed meanwhile")?;
        open.state_values = entered;
        s.views.insert(open.id.clone(), open);
        Ok(())
    })?
    .map_err(ControlError::Conflict)?;
    let (closed, app_error) = match &action {
        Ok(action) => {
            let top = record.id.clone();
            match write(&ctl, &actor.user, |s, ids| apply(s, ids, now_s, &top, action))? {
                Ok(closed) => (closed, None),
                Err(why) => (Vec::new(), Some(why)),
            }
        }
        Err(why) => (Vec::new(), Some(why.clone())),
    };
    let errors = match (&action, &app_error) {
        (Ok(ResponseAction::Errors(errors)), None) => Value::Object(errors.clone()),
        _ => Value::Null,
    };
    let response_action = action.as_ref().ok().and_then(ResponseAction::name);
    let stack = read(&ctl.universe, |s| stack_json(s, &root))?;
    let out = json!({
        "envelope_id": envelope_id,
        "route": route,
        "trigger_id": trigger_id,
        "acknowledged": acknowledged,
        "response_action": response_action,
        "errors": errors,
        "app_error": app_error,
        "closed": closed,
        "view": stack.last().cloned().unwrap_or(Value::Null),
        "stack": stack,
    });
    Ok((StatusCode::OK, Json(out)).into_response())
}

/// A person clicks a button (or picks in a menu) in the modal they see: the app gets
/// `block_actions` with the view and what the person entered so far (no channel, no
/// `response_url`: a modal has neither). A picked value stays in the view's state.
pub fn view_block_action(
    ctl: &ControlCtx,
    view_id: &str,
    user: &str,
    action_id: &str,
    value: Option<String>,
) -> Result<Value> {
    let (record, actor) = open_modal(ctl, view_id, Some(user))?;
    let blocks = record.view.get("blocks").cloned().unwrap_or(Value::Null);
    let (block_id, element) = crate::control::find_element(&blocks, action_id).ok_or_else(|| {
        ControlError::BadRequest(format!("modal {} has no interactive element with action_id '{action_id}'", record.id))
    })?;
    let kind = text(&element, "type").unwrap_or("button").to_string();
    let mut action = json!({"action_id": action_id, "block_id": block_id, "type": kind, "action_ts": action_ts(ctl)});
    if let Some(label) = element.get("text") {
        action["text"] = label.clone();
    }
    let mut record = record;
    if STATEFUL.contains(&kind.as_str()) {
        let raw = value.ok_or_else(|| ControlError::BadRequest(format!("a {kind} needs the value picked")))?;
        let picked = if kind.starts_with("multi_") || kind == "checkboxes" { json!([raw]) } else { json!(raw) };
        let mut given = Map::new();
        given.insert(block_id.clone(), json!({ action_id: picked }));
        let values = read(&ctl.universe, |s| state_values(s, &blocks, &given, &record.state_values, false))?
            .map_err(|e| ControlError::BadRequest(e.to_string()))?;
        let (key, _) = value_key(&kind);
        action[key] =
            values.get(&block_id).and_then(|a| a.get(action_id)).and_then(|e| e.get(key)).cloned().unwrap_or_default();
        record.state_values = values;
        let saved = record.clone();
        write(ctl, &actor.user, move |s, _| {
            let mut open = s.views.get(&saved.id).cloned().ok_or("the view closed meanwhile")?;
            open.state_values = saved.state_values;
            s.views.insert(open.id.clone(), open);
            Ok(())
        })?
        .map_err(ControlError::Conflict)?;
    } else if let Some(v) = value.map(Value::String).or_else(|| element.get("value").cloned()) {
        action["value"] = v;
    }
    let trigger_id = delivery::hub(&ctl.universe).trigger_id(&actor.user, ctl.universe.now());
    let payload = read(&ctl.universe, |s| {
        let ws = Workspace::of(s);
        json!({
            "type": "block_actions",
            "user": user_json(s, &ws, &actor.user),
            "api_app_id": ws.app_id,
            "token": ws.token,
            "container": {"type": "view", "view_id": record.id},
            "trigger_id": trigger_id,
            "team": {"id": ws.team_id, "domain": ws.team_domain},
            "enterprise": null,
            "is_enterprise_install": false,
            "view": view_json(s, &record),
            "actions": [action],
        })
    })?;
    let (state, now) = (read(&ctl.universe, SlackState::clone)?, ctl.universe.now());
    let (envelope_id, route) = delivery::hub(&ctl.universe)
        .interact(&state, delivery::Envelope::Interactive, "block_actions", payload, now)
        .ok_or_else(|| ControlError::Conflict("the app has neither Socket Mode on nor a request URL set".into()))?;
    Ok(json!({"envelope_id": envelope_id, "route": route, "trigger_id": trigger_id, "response_url": null}))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateViewClosed {
    view_id: String,
    user: Option<String>,
}

/// A person closes the modal they see (its close button or ✕): the view goes (the
/// whole stack when it is the root or asks `clear_on_close`), and the app hears of it
/// only when the view asked (`notify_on_close`).
pub async fn simulate_view_closed(
    ext: Option<Extension<ControlCtx>>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response> {
    let ctl = ctx(ext)?;
    let req: SimulateViewClosed = json_body(&headers, &body)?;
    let (record, actor) = open_modal(&ctl, &req.view_id, req.user.as_deref())?;
    let flag = |k: &str| record.view.get(k).and_then(Value::as_bool).unwrap_or(false);
    let (notify, clear) = (flag("notify_on_close"), flag("clear_on_close"));
    let root = record.root_view_id.clone().unwrap_or(record.id.clone());
    let is_cleared = clear && root != record.id;
    // The payload shows the view as it was when closed.
    let payload = read(&ctl.universe, |s| {
        let ws = Workspace::of(s);
        json!({
            "type": "view_closed",
            "team": {"id": ws.team_id, "domain": ws.team_domain},
            "user": user_json(s, &ws, &actor.user),
            "api_app_id": ws.app_id,
            "token": ws.token,
            "view": view_json(s, &record),
            "is_cleared": is_cleared,
            "is_enterprise_install": false,
            "enterprise": null,
        })
    })?;
    let (top, whole) = (record.id.clone(), clear || root == record.id);
    let now_s = ctl.universe.now().timestamp();
    let closed = write(&ctl, &actor.user, |s, ids| {
        let action = if whole { ResponseAction::Clear } else { ResponseAction::Close };
        apply(s, ids, now_s, &top, &action)
    })?
    .map_err(ControlError::Conflict)?;
    let (mut envelope_id, mut route) = (Value::Null, Value::Null);
    if notify {
        let (state, now) = (read(&ctl.universe, SlackState::clone)?, ctl.universe.now());
        let queued =
            delivery::hub(&ctl.universe).interact(&state, delivery::Envelope::Interactive, "view_closed", payload, now);
        if let Some((id, r)) = queued {
            (envelope_id, route) = (json!(id), json!(r));
        }
    }
    let stack = read(&ctl.universe, |s| stack_json(s, &root))?;
    let out = json!({
        "notified": !envelope_id.is_null(),
        "envelope_id": envelope_id,
        "route": route,
        "is_cleared": is_cleared,
        "closed": closed,
        "view": stack.last().cloned().unwrap_or(Value::Null),
        "stack": stack,
    });
    Ok((StatusCode::OK, Json(out)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateShortcut {
    user: String,
    callback_id: String,
    /// With `message_ts`: a message shortcut on that message.
    channel: Option<String>,
    message_ts: Option<String>,
}

/// A person runs one of the app's shortcuts: a global one (`shortcut`) from the
/// composer or search, or a message one (`message_action`) from a message's menu. Its
/// trigger id opens a modal.
pub async fn simulate_shortcut(
    ext: Option<Extension<ControlCtx>>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response> {
    let ctl = ctx(ext)?;
    let req: SimulateShortcut = json_body(&headers, &body)?;
    let callback_id = req.callback_id.trim();
    if callback_id.is_empty() || callback_id.len() > MAX_CALLBACK_ID {
        return Err(ControlError::BadRequest(format!("callback_id must be 1 to {MAX_CALLBACK_ID} characters")));
    }
    let hub = delivery::hub(&ctl.universe);
    let (payload, kind, trigger_id, response_url_given) = match (&req.channel, &req.message_ts) {
        (None, None) => {
            let actor = person(&ctl.universe, &req.user)?;
            let trigger_id = hub.trigger_id(&actor.user, ctl.universe.now());
            let payload = read(&ctl.universe, |s| {
                let ws = Workspace::of(s);
                json!({
                    "type": "shortcut",
                    "token": ws.token,
                    "action_ts": action_ts(&ctl),
                    "team": {"id": ws.team_id, "domain": ws.team_domain},
                    "user": user_json(s, &ws, &actor.user),
                    "is_enterprise_install": false,
                    "enterprise": null,
                    "callback_id": callback_id,
                    "trigger_id": trigger_id,
                })
            })?;
            (payload, "shortcut", trigger_id, None)
        }
        (Some(channel), Some(ts)) => {
            let (actor, channel_id, channel_name) = interaction_place(&ctl, &req.user, channel)?;
            let ts = ts.trim().to_string();
            let message =
                read(&ctl.universe, |s| s.message(&channel_id, &ts).ok().map(|m| crate::views::message_json(s, m)))?
                    .ok_or_else(|| ControlError::BadRequest(format!("no message {ts} in {channel}")))?;
            let trigger_id = hub.trigger_id(&actor.user, ctl.universe.now());
            let target = ResponseTarget {
                channel: channel_id.clone(),
                user: actor.user.clone(),
                message_ts: Some(ts.clone()),
                uses: 0,
            };
            let url = response_url(&ctl, target);
            let payload = read(&ctl.universe, |s| {
                let ws = Workspace::of(s);
                json!({
                    "type": "message_action",
                    "token": ws.token,
                    "action_ts": action_ts(&ctl),
                    "team": {"id": ws.team_id, "domain": ws.team_domain},
                    "user": user_json(s, &ws, &actor.user),
                    "channel": {"id": channel_id, "name": channel_name},
                    "is_enterprise_install": false,
                    "enterprise": null,
                    "callback_id": callback_id,
                    "trigger_id": trigger_id,
                    "response_url": url,
                    "message_ts": ts,
                    "message": message,
                })
            })?;
            (payload, "message_action", trigger_id, Some(url))
        }
        _ => return Err(ControlError::BadRequest("a message shortcut needs both channel and message_ts".into())),
    };
    let (state, now) = (read(&ctl.universe, SlackState::clone)?, ctl.universe.now());
    let (envelope_id, route) = hub
        .interact(&state, delivery::Envelope::Interactive, kind, payload, now)
        .ok_or_else(|| ControlError::Conflict("the app has neither Socket Mode on nor a request URL set".into()))?;
    let out = json!({
        "type": kind,
        "envelope_id": envelope_id,
        "route": route,
        "trigger_id": trigger_id,
        "response_url": response_url_given,
    });
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateBlockSuggestion {
    user: String,
    action_id: String,
    /// What the person typed.
    #[serde(default)]
    value: String,
    /// In a modal…
    view_id: Option<String>,
    /// …or in a message.
    channel: Option<String>,
    message_ts: Option<String>,
}

/// The external select `action_id` in `blocks`, with its block's id.
fn external_select<'a>(blocks: &'a Value, action_id: &str) -> Option<(String, &'a Value)> {
    fields(blocks)
        .into_iter()
        .find(|f| f.action_id == action_id && f.kind.ends_with("external_select"))
        .map(|f| (f.block_id, f.element))
}

/// Reads the options in the app's ack to a `block_suggestion`.
pub fn parse_options(payload: Option<&Value>) -> std::result::Result<(&'static str, Value), String> {
    let map = payload.and_then(Value::as_object).ok_or("the ack carried no options")?;
    let option_ok = |o: &Value| {
        o.get("value").and_then(Value::as_str).is_some()
            && o.get("text").and_then(|t| t.get("text")).and_then(Value::as_str).is_some()
    };
    if let Some(groups) = map.get("option_groups") {
        let list = groups.as_array().ok_or("option_groups must be a list")?;
        let valid = list.len() <= MAX_OPTIONS
            && list.iter().all(|g| {
                g.get("label").is_some()
                    && g.get("options").and_then(Value::as_array).is_some_and(|o| o.iter().all(option_ok))
            });
        return if valid { Ok(("option_groups", groups.clone())) } else { Err("invalid option_groups".into()) };
    }
    let options = map.get("options").ok_or("the ack carried no options")?;
    let list = options.as_array().ok_or("options must be a list")?;
    if list.len() > MAX_OPTIONS || !list.iter().all(option_ok) {
        return Err(format!("options must be up to {MAX_OPTIONS} objects with text and value"));
    }
    Ok(("options", options.clone()))
}

/// A person types in an external select: the app gets `block_suggestion` and answers
/// with the options to show, which this endpoint returns.
pub async fn simulate_block_suggestion(
    ext: Option<Extension<ControlCtx>>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response> {
    let ctl = ctx(ext)?;
    let req: SimulateBlockSuggestion = json_body(&headers, &body)?;
    if req.value.chars().count() > MAX_QUERY {
        return Err(ControlError::BadRequest(format!("value is longer than {MAX_QUERY} characters")));
    }
    let payload = match (&req.view_id, &req.channel, &req.message_ts) {
        (Some(view_id), None, None) => {
            let (record, actor) = open_modal(&ctl, view_id, Some(&req.user))?;
            let blocks = record.view.get("blocks").cloned().unwrap_or(Value::Null);
            let (block_id, element) = external_select(&blocks, &req.action_id).ok_or_else(|| {
                ControlError::BadRequest(format!("modal {} has no external select '{}'", record.id, req.action_id))
            })?;
            check_query(element, &req.value)?;
            read(&ctl.universe, |s| {
                let ws = Workspace::of(s);
                json!({
                    "type": "block_suggestion",
                    "user": user_json(s, &ws, &actor.user),
                    "container": {"type": "view", "view_id": record.id},
                    "api_app_id": ws.app_id,
                    "token": ws.token,
                    "action_id": req.action_id,
                    "block_id": block_id,
                    "value": req.value,
                    "team": {"id": ws.team_id, "domain": ws.team_domain},
                    "enterprise": null,
                    "is_enterprise_install": false,
                    "view": view_json(s, &record),
                })
            })?
        }
        (None, Some(channel), Some(ts)) => {
            let (actor, channel_id, channel_name) = interaction_place(&ctl, &req.user, channel)?;
            let ts = ts.trim().to_string();
            let found = read(&ctl.universe, |s| {
                s.message(&channel_id, &ts).ok().map(|m| (crate::views::message_json(s, m), m.blocks.clone()))
            })?;
            let (message, blocks) =
                found.ok_or_else(|| ControlError::BadRequest(format!("no message {ts} in {channel}")))?;
            let blocks = blocks.unwrap_or(Value::Null);
            let (block_id, element) = external_select(&blocks, &req.action_id).ok_or_else(|| {
                ControlError::BadRequest(format!("the message has no external select '{}'", req.action_id))
            })?;
            check_query(element, &req.value)?;
            read(&ctl.universe, |s| {
                let ws = Workspace::of(s);
                json!({
                    "type": "block_suggestion",
                    "user": user_json(s, &ws, &actor.user),
                    "container": {"type": "message", "message_ts": ts, "channel_id": channel_id, "is_ephemeral": false},
                    "api_app_id": ws.app_id,
                    "token": ws.token,
                    "action_id": req.action_id,
                    "block_id": block_id,
                    "value": req.value,
                    "team": {"id": ws.team_id, "domain": ws.team_domain},
                    "enterprise": null,
                    "is_enterprise_install": false,
                    "channel": {"id": channel_id, "name": channel_name},
                    "message": message,
                })
            })?
        }
        _ => {
            return Err(ControlError::BadRequest("name where the select is: view_id, or channel and message_ts".into()))
        }
    };
    let (envelope_id, route, answer) = deliver_and_wait(&ctl, "block_suggestion", payload).await?;
    let mut out = json!({"envelope_id": envelope_id, "route": route, "acknowledged": false,
                         "options": [], "option_groups": null, "app_error": null});
    match answer {
        Answer::Acked(payload) => {
            out["acknowledged"] = json!(true);
            match parse_options(payload.as_ref()) {
                Ok((key, list)) => out[key] = list,
                Err(why) => out["app_error"] = json!(why),
            }
        }
        Answer::Failed(why) => out["app_error"] = json!(why),
    }
    Ok((StatusCode::OK, Json(out)).into_response())
}

/// Slack asks the app only once the person typed `min_query_length` characters.
fn check_query(element: &Value, value: &str) -> Result<()> {
    let min = element.get("min_query_length").and_then(Value::as_u64).unwrap_or(DEFAULT_MIN_QUERY);
    if (value.chars().count() as u64) < min {
        return Err(ControlError::BadRequest(format!(
            "the select asks the app only from {min} typed characters (min_query_length)"
        )));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateAppHome {
    user: String,
    /// `home` (default) or `messages`.
    tab: Option<String>,
}

/// A person opens the app's App Home: the app gets `app_home_opened` (when subscribed)
/// with the tab and, on the Home tab, the view it published for them.
pub async fn simulate_app_home_opened(
    ext: Option<Extension<ControlCtx>>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response> {
    let ctl = ctx(ext)?;
    let req: SimulateAppHome = json_body(&headers, &body)?;
    let tab = req.tab.as_deref().unwrap_or("home").trim().to_string();
    if tab != "home" && tab != "messages" {
        return Err(ControlError::BadRequest(format!("tab must be home or messages, not '{tab}'")));
    }
    let actor = person(&ctl.universe, &req.user)?;
    let bot = read(&ctl.universe, |s| s.bot().map(|b| b.user_id.clone()))?
        .ok_or_else(|| ControlError::NotFound("this workspace has no app".into()))?;
    let now = ctl.universe.now();
    // The App Home's Messages tab is the person's DM with the app, there from the start.
    let (user, bot_user) = (actor.user.clone(), bot.clone());
    let channel = write(&ctl, &actor.user, move |s, ids| {
        s.open_dm(ids, &[user, bot_user], now.timestamp(), false).map(|(c, _)| c.id).map_err(|e| e.code().to_string())
    })?
    .map_err(ControlError::BadRequest)?;
    let (state, event) = read(&ctl.universe, |s| {
        let mut event = json!({
            "type": "app_home_opened",
            "user": actor.user,
            "channel": channel,
            "tab": tab,
            "event_ts": fmt_ts(u64::try_from(now.timestamp_micros()).unwrap_or(0)),
        });
        let home = s.views.values().find(|v| v.kind == "home" && v.user == actor.user);
        if let (Some(home), "home") = (home, tab.as_str()) {
            event["view"] = view_json(s, home);
        }
        (s.clone(), event)
    })?;
    let view = event.get("view").cloned().unwrap_or(Value::Null);
    let event_ids =
        delivery::hub(&ctl.universe).raise(&state, vec![Event { subscription: "app_home_opened", event }], now);
    let out = json!({"event_ids": event_ids, "channel": channel, "tab": tab, "view": view});
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, ChannelKind, Team, Topic, User};
    use std::sync::Arc;

    fn workspace() -> SlackState {
        let mut s = SlackState::default();
        let team = Team {
            id: "T1".into(),
            name: "Acme".into(),
            domain: "acme".into(),
            email_domain: String::new(),
            created: 0,
        };
        s.team.insert("T1".into(), team);
        for (id, name) in [("U1", "alice"), ("U2", "bob")] {
            s.users.insert(id.into(), User { id: id.into(), name: name.into(), ..Default::default() });
        }
        s.channels.insert(
            "C1".into(),
            Arc::new(Channel {
                id: "C1".into(),
                name: "general".into(),
                kind: ChannelKind::Public,
                created: 0,
                creator: "U1".into(),
                is_archived: false,
                is_general: true,
                topic: Topic::default(),
                purpose: Topic::default(),
                previous_names: Vec::new(),
                updated: 0,
            }),
        );
        s
    }

    fn form() -> Value {
        json!([
            {"type": "input", "block_id": "title", "element": {"type": "plain_text_input", "action_id": "t", "max_length": 10}},
            {"type": "input", "block_id": "prio", "optional": true, "element": {"type": "static_select", "action_id": "p",
              "options": [{"text": {"type": "plain_text", "text": "High"}, "value": "high"}],
              "initial_option": {"text": {"type": "plain_text", "text": "High"}, "value": "high"}}},
            {"type": "input", "block_id": "who", "optional": true, "element": {"type": "users_select", "action_id": "u"}},
            {"type": "input", "block_id": "tags", "optional": true, "element": {"type": "checkboxes", "action_id": "c",
              "options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}, {"text": {"type": "plain_text", "text": "B"}, "value": "b"}]}},
            {"type": "input", "block_id": "due", "optional": true, "element": {"type": "datepicker", "action_id": "d"}},
            {"type": "input", "block_id": "where", "optional": true, "element": {"type": "channels_select", "action_id": "w"}},
            {"type": "actions", "block_id": "more", "elements": [{"type": "button", "action_id": "b"}, {"type": "external_select", "action_id": "x"}]},
        ])
    }

    fn given(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn values_are_typed_per_element() {
        let s = workspace();
        let values = state_values(
            &s,
            &form(),
            &given(json!({"title": {"t": "Outage"}, "who": {"u": "bob"}, "tags": {"c": ["b"]},
                          "due": {"d": "2026-01-31"}, "where": {"w": "#general"}, "more": {"x": "ext-1"}})),
            &Map::new(),
            true,
        )
        .unwrap();
        assert_eq!(values["title"]["t"], json!({"type": "plain_text_input", "value": "Outage"}));
        // Not touched: its initial option.
        assert_eq!(values["prio"]["p"]["selected_option"]["value"], "high");
        assert_eq!(values["who"]["u"], json!({"type": "users_select", "selected_user": "U2"}));
        assert_eq!(values["tags"]["c"]["selected_options"][0]["text"]["text"], "B");
        assert_eq!(values["due"]["d"], json!({"type": "datepicker", "selected_date": "2026-01-31"}));
        assert_eq!(values["where"]["w"], json!({"type": "channels_select", "selected_channel": "C1"}));
        assert_eq!(values["more"]["x"]["selected_option"]["value"], "ext-1");
        assert!(values["more"].get("b").is_none(), "buttons hold no state");
    }

    #[test]
    fn empty_inputs_are_null_and_required_ones_refused() {
        let s = workspace();
        let values = state_values(&s, &form(), &given(json!({"title": {"t": "x"}})), &Map::new(), true).unwrap();
        assert_eq!(values["who"]["u"], json!({"type": "users_select", "selected_user": null}));
        assert_eq!(values["tags"]["c"]["selected_options"], json!([]));
        assert!(values.get("more").is_none(), "untouched elements outside inputs are not in the state");
        let missing = state_values(&s, &form(), &Map::new(), &Map::new(), true).unwrap_err();
        assert_eq!(missing, EntryError::Required { block_id: "title".into() });
        // What the person entered before counts as entered.
        assert!(state_values(&s, &form(), &Map::new(), &values, true).is_ok());
    }

    #[test]
    fn a_pick_outside_a_submission_needs_no_required_input() {
        let s = workspace();
        let picked = given(json!({"prio": {"p": "high"}}));
        assert!(state_values(&s, &form(), &picked, &Map::new(), true).is_err());
        let values = state_values(&s, &form(), &picked, &Map::new(), false).unwrap();
        assert_eq!(values["title"]["t"], json!({"type": "plain_text_input", "value": null}));
        assert_eq!(values["prio"]["p"]["selected_option"]["value"], "high");
    }

    #[test]
    fn bad_values_are_refused() {
        let s = workspace();
        let bad = |v: Value| state_values(&s, &form(), &given(v), &Map::new(), true).unwrap_err();
        assert!(matches!(bad(json!({"title": {"t": "far too long a title"}})), EntryError::Bad { .. }));
        assert!(matches!(bad(json!({"title": {"t": "x"}, "prio": {"p": "low"}})), EntryError::Bad { .. }));
        assert!(matches!(bad(json!({"title": {"t": "x"}, "who": {"u": "nobody"}})), EntryError::Bad { .. }));
        assert!(matches!(bad(json!({"title": {"t": "x"}, "due": {"d": "31/01/2026"}})), EntryError::Bad { .. }));
        assert!(matches!(bad(json!({"title": {"t": "x"}, "nope": {"z": 1}})), EntryError::NoSuchField { .. }));
        assert!(matches!(bad(json!({"title": "x"})), EntryError::Shape(_)));
    }

    fn modal(id: &str, root: &str, previous: Option<&str>, seq: u64) -> ViewRecord {
        ViewRecord {
            id: id.into(),
            user: "U1".into(),
            kind: "modal".into(),
            view: given(json!({"type": "modal", "title": {"type": "plain_text", "text": id}, "blocks": form()})),
            hash: "h".into(),
            root_view_id: Some(root.into()),
            previous_view_id: previous.map(str::to_string),
            external_id: None,
            created: 0,
            seq,
            state_values: Map::new(),
        }
    }

    fn stacked() -> SlackState {
        let mut s = workspace();
        for v in [modal("V1", "V1", None, 0), modal("V2", "V1", Some("V1"), 1), modal("V9", "V9", None, 2)] {
            s.views.insert(v.id.clone(), v);
        }
        s
    }

    fn ids_of(s: &SlackState, id: &str) -> Vec<String> {
        stack(s, s.views.get(id).unwrap()).into_iter().map(|v| v.id).collect()
    }

    #[test]
    fn response_actions_change_the_stack() {
        let mut ids = IdGen::new(7);
        let view = given(json!({"type": "modal", "title": {"type": "plain_text", "text": "Next"}, "blocks": []}));

        let mut s = stacked();
        assert_eq!(ids_of(&s, "V1"), ["V1", "V2"]);
        assert_eq!(apply(&mut s, &mut ids, 1, "V2", &ResponseAction::Close).unwrap(), ["V2"]);
        assert_eq!(ids_of(&s, "V1"), ["V1"]);

        let mut s = stacked();
        assert_eq!(apply(&mut s, &mut ids, 1, "V2", &ResponseAction::Clear).unwrap(), ["V1", "V2"]);
        assert!(s.views.contains_key("V9") && !s.views.contains_key("V1"));

        let mut s = stacked();
        apply(&mut s, &mut ids, 1, "V2", &ResponseAction::Push(view.clone())).unwrap();
        let now = ids_of(&s, "V1");
        assert_eq!(now.len(), 3);
        let err = apply(&mut s, &mut ids, 1, &now[2], &ResponseAction::Push(view.clone())).unwrap_err();
        assert!(err.contains("push_limit_reached"));

        let mut s = stacked();
        let mut entered = Map::new();
        entered.insert("title".into(), json!({"t": {"type": "plain_text_input", "value": "x"}}));
        let mut v2 = s.views.get("V2").cloned().unwrap();
        v2.state_values = entered;
        s.views.insert("V2".into(), v2);
        apply(&mut s, &mut ids, 1, "V2", &ResponseAction::Update(view.clone())).unwrap();
        let v2 = s.views.get("V2").unwrap();
        assert_eq!(v2.view["title"]["text"], "Next");
        assert_ne!(v2.hash, "h");
        assert!(v2.state_values.is_empty(), "the new view has no such input");

        let mut s = stacked();
        let errors = given(json!({"title": "Too vague"}));
        assert!(apply(&mut s, &mut ids, 1, "V2", &ResponseAction::Errors(errors)).unwrap().is_empty());
        assert_eq!(ids_of(&s, "V1"), ["V1", "V2"]);
        let wrong = given(json!({"more": "not an input"}));
        assert!(apply(&mut s, &mut ids, 1, "V2", &ResponseAction::Errors(wrong)).is_err());
    }

    #[test]
    fn unnamed_blocks_and_elements_get_names() {
        let mut view = given(json!({"type": "modal", "blocks": [
            {"type": "input", "element": {"type": "plain_text_input"}},
            {"type": "actions", "block_id": "mine", "elements": [{"type": "button", "action_id": "go"}, {"type": "button"}]},
            {"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "accessory": {"type": "image", "image_url": "u", "alt_text": "a"}},
        ]}));
        name_blocks(&mut view, &mut IdGen::new(1));
        let blocks = view["blocks"].as_array().unwrap();
        let input_id = blocks[0]["block_id"].as_str().unwrap();
        assert_eq!(input_id.len(), 5);
        assert_eq!(blocks[0]["element"]["action_id"].as_str().unwrap().len(), 5);
        assert_eq!(blocks[1]["block_id"], "mine");
        assert_eq!(blocks[1]["elements"][0]["action_id"], "go");
        assert!(blocks[1]["elements"][1]["action_id"].is_string());
        assert!(blocks[2]["accessory"].get("action_id").is_none(), "an image is not interactive");
        let action_id = blocks[0]["element"]["action_id"].as_str().unwrap();
        let mut entry = Map::new();
        entry.insert(action_id.to_string(), json!("typed"));
        let mut entered = Map::new();
        entered.insert(input_id.to_string(), Value::Object(entry));
        let values = state_values(&workspace(), &view["blocks"], &entered, &Map::new(), true).unwrap();
        assert_eq!(values[input_id][action_id]["value"], "typed");
    }

    #[test]
    fn acks_are_read_as_slack_reads_them() {
        assert_eq!(parse_ack(None), Ok(ResponseAction::Close));
        assert_eq!(parse_ack(Some(&json!(""))), Ok(ResponseAction::Close));
        assert_eq!(parse_ack(Some(&json!({}))), Ok(ResponseAction::Close));
        assert_eq!(parse_ack(Some(&json!({"response_action": "clear"}))), Ok(ResponseAction::Clear));
        assert!(matches!(
            parse_ack(Some(&json!({"response_action": "errors", "errors": {"title": "bad"}}))),
            Ok(ResponseAction::Errors(_))
        ));
        assert!(parse_ack(Some(&json!({"response_action": "errors", "errors": {}}))).is_err());
        assert!(parse_ack(Some(&json!({"response_action": "update"}))).is_err());
        assert!(parse_ack(Some(&json!({"response_action": "push", "view": {"type": "home", "blocks": []}}))).is_err());
        assert!(parse_ack(Some(&json!({"response_action": "explode"}))).is_err());
        assert!(parse_ack(Some(&json!("ok"))).is_err());
    }

    #[test]
    fn options_are_checked() {
        let one = json!({"options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}]});
        assert_eq!(parse_options(Some(&one)).unwrap().0, "options");
        let groups =
            json!({"option_groups": [{"label": {"type": "plain_text", "text": "G"}, "options": one["options"]}]});
        assert_eq!(parse_options(Some(&groups)).unwrap().0, "option_groups");
        assert!(parse_options(Some(&json!({"options": [{"value": "a"}]}))).is_err());
        assert!(parse_options(None).is_err());
    }
}
