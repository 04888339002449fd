//! The Slack twin's own control endpoints, at `/_dtu/universes/{u}/slack/…`:
//!
//! - `GET|PUT app`: the app's event settings (request URL, Socket Mode, subscriptions,
//!   delivery timings). Setting a request URL runs Slack's `url_verification` handshake.
//! - `POST simulate/message`, `POST simulate/reaction`: a person posts or reacts, through
//!   the same code as the Web API, so the same rules apply and the same events follow.
//! - `POST simulate/slash_command`, `POST simulate/block_action`: a person runs a command
//!   or clicks in a message; the modal, shortcut and App Home ones are in `crate::surfaces`.
//! - `GET events`: the outbox: every recent event, where it went and how that went.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::Extension;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use twin_core::control::{json_body, ControlBody};
use twin_core::{ControlCtx, ControlError, RequestCtx, Universe};

use crate::delivery;
use crate::errors::SlackError;
use crate::methods::{self, Call, Reply};
use crate::model::{Actor, App, DeliverySettings, SlackState, TokenKind, User, MAX_TEXT};
use crate::wire::Params;

type Result<T> = std::result::Result<T, ControlError>;

pub fn router() -> Router {
    Router::new()
        .route("/app", get(get_app).put(put_app))
        .route("/events", get(get_events))
        .route("/simulate/message", post(simulate_message))
        .route("/simulate/reaction", post(simulate_reaction))
        .route("/simulate/slash_command", post(simulate_slash_command))
        .route("/simulate/block_action", post(simulate_block_action))
        .route("/simulate/view_submission", post(crate::surfaces::simulate_view_submission))
        .route("/simulate/view_closed", post(crate::surfaces::simulate_view_closed))
        .route("/simulate/shortcut", post(crate::surfaces::simulate_shortcut))
        .route("/simulate/block_suggestion", post(crate::surfaces::simulate_block_suggestion))
        .route("/simulate/app_home_opened", post(crate::surfaces::simulate_app_home_opened))
        .fallback(|| async { ControlError::NotFound("no such Slack control endpoint".into()) })
        .method_not_allowed_fallback(|| async { ControlError::MethodNotAllowed })
}

pub(crate) fn ctx(ext: Option<Extension<ControlCtx>>) -> Result<ControlCtx> {
    ext.map(|Extension(c)| c)
        .ok_or_else(|| ControlError::NotFound("the Slack control endpoints need a universe".into()))
}

pub(crate) fn read<R>(universe: &Universe, f: impl FnOnce(&SlackState) -> R) -> Result<R> {
    universe.read::<SlackState, _>(f).map_err(|e| ControlError::BadRequest(e.to_string()))
}

fn current_app(universe: &Universe) -> Result<App> {
    read(universe, |s| {
        s.app().cloned().or_else(|| {
            let bot = s.bot()?;
            let mut secrets = twin_core::ids::IdGen::new(twin_core::ids::seed_from_str(&bot.app_id));
            Some(crate::app::default_app(&bot.app_id, &mut secrets))
        })
    })?
    .ok_or_else(|| ControlError::NotFound("this workspace has no app".into()))
}

fn app_view(universe: &Arc<Universe>, app: &App) -> Value {
    let mode = if app.socket_mode {
        "socket_mode"
    } else if app.request_url.is_some() {
        "http"
    } else {
        "none"
    };
    json!({
        "app_id": app.id,
        "request_url": app.request_url,
        "socket_mode": app.socket_mode,
        "delivery_mode": mode,
        "signing_secret": app.signing_secret,
        "verification_token": app.verification_token,
        "event_types": app.event_types,
        "delivery": app.delivery,
        "connections": delivery::hub(universe).connection_count(),
    })
}

async fn get_app(ext: Option<Extension<ControlCtx>>) -> Result<Json<Value>> {
    let ctl = ctx(ext)?;
    let app = current_app(&ctl.universe)?;
    Ok(Json(app_view(&ctl.universe, &app)))
}

/// `Some(None)` for an explicit `null`, so it differs from a missing field.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppUpdate {
    /// A loopback URL, or `null` to remove it.
    #[serde(default, deserialize_with = "nullable")]
    request_url: Option<Option<String>>,
    socket_mode: Option<bool>,
    event_types: Option<Vec<String>>,
    signing_secret: Option<String>,
    /// Replaces the delivery settings (missing fields take their defaults).
    delivery: Option<DeliverySettings>,
}

async fn put_app(
    ext: Option<Extension<ControlCtx>>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Json<Value>> {
    let ctl = ctx(ext)?;
    let update: AppUpdate = json_body(&headers, &body)?;
    let mut app = current_app(&ctl.universe)?;
    if let Some(secret) = update.signing_secret {
        crate::app::check_signing_secret(&secret).map_err(ControlError::BadRequest)?;
        app.signing_secret = secret;
    }
    if let Some(types) = update.event_types {
        app.event_types = crate::events::parse_event_types(&types).map_err(ControlError::BadRequest)?;
    }
    if let Some(delivery) = update.delivery {
        crate::app::check_delivery(&delivery).map_err(ControlError::BadRequest)?;
        app.delivery = delivery;
    }
    if let Some(on) = update.socket_mode {
        app.socket_mode = on;
    }
    match update.request_url {
        Some(Some(raw)) => {
            let url = crate::app::check_request_url(&raw).map_err(ControlError::BadRequest)?;
            // As on Slack: a request URL is saved only once it answers the challenge.
            let challenge = delivery::hub(&ctl.universe).challenge();
            crate::app::verify_request_url(&app, &url, &challenge).await.map_err(ControlError::BadRequest)?;
            app.request_url = Some(url);
        }
        Some(None) => app.request_url = None,
        None => {}
    }
    let saved = app.clone();
    ctl.universe
        .write::<SlackState, _>(move |s, _| {
            s.apps.insert(saved.id.clone(), saved);
        })
        .map_err(|e| ControlError::BadRequest(e.to_string()))?;
    Ok(Json(app_view(&ctl.universe, &app)))
}

async fn get_events(ext: Option<Extension<ControlCtx>>) -> Result<Json<Value>> {
    let ctl = ctx(ext)?;
    Ok(Json(delivery::hub(&ctl.universe).view()))
}

/// A user by id, person key, email or handle (`@` optional).
pub(crate) fn find_user(s: &SlackState, raw: &str) -> Option<User> {
    let raw = raw.trim();
    let key = raw.strip_prefix('@').unwrap_or(raw);
    s.users.get(key).cloned().or_else(|| {
        s.users
            .values()
            .find(|u| {
                u.person_key.as_deref() == Some(key)
                    || u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(key))
                    || u.name == key
            })
            .cloned()
    })
}

/// The person the simulation acts as, with a user token's powers.
pub(crate) fn person(universe: &Universe, raw: &str) -> Result<Actor> {
    let user = read(universe, |s| find_user(s, raw))?
        .ok_or_else(|| ControlError::BadRequest(format!("no user '{raw}' (give a user id, person key or email)")))?;
    if user.deleted {
        return Err(ControlError::BadRequest(format!("user '{raw}' is deactivated and cannot post")));
    }
    if user.is_bot || user.id == crate::model::SLACKBOT {
        return Err(ControlError::BadRequest(format!(
            "'{raw}' is a bot; simulate posts as people (the bot posts through the Web API with its token)"
        )));
    }
    Ok(Actor {
        kind: TokenKind::User,
        user: user.id,
        bot_id: None,
        app_id: None,
        scopes: Arc::new(crate::seed::USER_SCOPES.iter().map(|s| s.to_string()).collect()),
        is_admin: user.is_admin,
    })
}

/// A conversation as the request names it: an id, `#name`/`name`, or `@person` for a DM.
fn conversation(universe: &Universe, raw: &str) -> Result<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ControlError::BadRequest("channel is required".into()));
    }
    if raw.starts_with('@') {
        return read(universe, |s| find_user(s, raw))?
            .map(|u| u.id)
            .ok_or_else(|| ControlError::BadRequest(format!("no user '{raw}' to open a DM with")));
    }
    Ok(raw.to_string())
}

fn refused(who: &str, channel: &str, e: SlackError) -> ControlError {
    let why = match &e {
        SlackError::NotInChannel => format!("{who} is not a member of {channel}"),
        SlackError::ChannelNotFound => {
            format!("{who} cannot see a conversation '{channel}' (no such channel, or a private one they are not in)")
        }
        SlackError::IsArchived => format!("{channel} is archived"),
        SlackError::MessageNotFound => format!("no message with that ts in {channel}"),
        _ => "Slack refused it".to_string(),
    };
    ControlError::BadRequest(format!("{why} ({})", e.code()))
}

/// Runs a Web API method as `actor`, exactly as a call with their token would.
fn run_as(
    ctl: &ControlCtx,
    actor: Actor,
    params: Params,
    handler: methods::Handler,
) -> std::result::Result<Value, SlackError> {
    let req = RequestCtx {
        universe: ctl.universe.clone(),
        principal: None,
        credential: None,
        credential_revoked: false,
        operation: None,
        base_url: ctl.universe.url_on(&ctl.twin_url),
        origin: ctl.twin_url.clone(),
        core: ctl.core.clone(),
    };
    let now = ctl.universe.now();
    crate::api::materialise_scheduled(&req, now)?;
    let call = Call { ctx: &req, params: &params, actor, now };
    handler(&call).map(Reply::into_value)
}

/// `rich_text` blocks for plain text, as Slack's clients send them (mentions as `user`
/// elements).
pub(crate) fn rich_text(text: &str) -> Value {
    let mut elements = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<@") {
        let Some(len) = rest[start..].find('>') else { break };
        let inner = &rest[start + 2..start + len];
        let id = inner.split('|').next().unwrap_or(inner);
        if !rest[..start].is_empty() {
            elements.push(json!({"type": "text", "text": &rest[..start]}));
        }
        elements.push(json!({"type": "user", "user_id": id}));
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        elements.push(json!({"type": "text", "text": rest}));
    }
    json!([{"type": "rich_text", "block_id": "dtu", "elements": [{"type": "rich_text_section", "elements": elements}]}])
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateMessage {
    user: String,
    channel: String,
    text: Option<String>,
    thread_ts: Option<String>,
    blocks: Option<Value>,
    #[serde(default)]
    reply_broadcast: bool,
}

async fn simulate_message(
    ext: Option<Extension<ControlCtx>>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response> {
    let ctl = ctx(ext)?;
    let req: SimulateMessage = json_body(&headers, &body)?;
    let text = req.text.unwrap_or_default();
    if text.trim().is_empty() && req.blocks.is_none() {
        return Err(ControlError::BadRequest("text (or blocks) is required".into()));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(ControlError::BadRequest(format!("text is longer than {MAX_TEXT} characters")));
    }
    let actor = person(&ctl.universe, &req.user)?;
    let channel = conversation(&ctl.universe, &req.channel)?;
    let mut params = Params::new();
    params.set("channel", channel);
    params.set("text", text.clone());
    params.set("blocks", req.blocks.unwrap_or_else(|| rich_text(&text)));
    if let Some(ts) = req.thread_ts {
        params.set("thread_ts", ts);
    }
    params.set("reply_broadcast", req.reply_broadcast);
    let posted = run_as(&ctl, actor, params, methods::chat::chat_post_message)
        .map_err(|e| refused(&req.user, &req.channel, e))?;
    let out = json!({"channel": posted["channel"], "ts": posted["ts"], "message": posted["message"]});
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateReaction {
    user: String,
    channel: String,
    ts: String,
    name: String,
    #[serde(default)]
    remove: bool,
}

async fn simulate_reaction(
    ext: Option<Extension<ControlCtx>>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response> {
    let ctl = ctx(ext)?;
    let req: SimulateReaction = json_body(&headers, &body)?;
    let actor = person(&ctl.universe, &req.user)?;
    let raw = req.channel.trim();
    let channel = read(&ctl.universe, |s| {
        if s.channels.contains_key(raw) {
            Some(raw.to_string())
        } else {
            s.channel_by_name(raw.strip_prefix('#').unwrap_or(raw)).map(|c| c.id.clone())
        }
    })?
    .ok_or_else(|| ControlError::BadRequest(format!("no channel '{raw}'")))?;
    let mut params = Params::new();
    params.set("channel", channel.clone());
    params.set("timestamp", req.ts.clone());
    params.set("name", req.name.clone());
    let handler: methods::Handler =
        if req.remove { methods::items::reactions_remove } else { methods::items::reactions_add };
    run_as(&ctl, actor, params, handler).map_err(|e| refused(&req.user, &req.channel, e))?;
    let reactions = read(&ctl.universe, |s| {
        s.message(&channel, req.ts.trim()).map(|m| {
            m.reactions
                .iter()
                .map(|r| (r.name.clone(), json!({"users": r.users, "count": r.users.len()})))
                .collect::<BTreeMap<String, Value>>()
        })
    })?
    .unwrap_or_default();
    let status = if req.remove { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(json!({"channel": channel, "ts": req.ts.trim(), "reactions": reactions}))).into_response())
}

/// Longest command name Slack allows (the slash included).
const MAX_COMMAND: usize = 32;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateSlashCommand {
    user: String,
    channel: String,
    command: String,
    #[serde(default)]
    text: String,
}

/// Who is interacting, where: the person (who must be able to post there) and the
/// conversation's id and name (`directmessage` for DMs, as Slack sends it).
pub(crate) fn interaction_place(ctl: &ControlCtx, user: &str, channel: &str) -> Result<(Actor, String, String)> {
    let actor = person(&ctl.universe, user)?;
    let raw = conversation(&ctl.universe, channel)?;
    let found = read(&ctl.universe, |s| {
        let id = if s.channels.contains_key(&raw) {
            raw.clone()
        } else if s.users.contains_key(&raw) {
            // A DM with the bot: where people use an app's commands most.
            s.channels
                .values()
                .find(|c| c.is_dm() && s.is_member(&c.id, &raw) && s.is_member(&c.id, &actor.user))
                .map(|c| c.id.clone())
                .unwrap_or_default()
        } else {
            s.channel_by_name(raw.strip_prefix('#').unwrap_or(&raw)).map(|c| c.id.clone()).unwrap_or_default()
        };
        let ch = s.access(&id, &actor, crate::model::Access::Post).ok()?;
        Some((ch.id.clone(), if ch.is_dm() { "directmessage".to_string() } else { ch.name.clone() }))
    })?;
    let (id, name) = found.ok_or_else(|| {
        ControlError::BadRequest(format!(
            "{user} cannot use an app in '{channel}' (no such conversation, or not theirs)"
        ))
    })?;
    Ok((actor, id, name))
}

/// The workspace and app fields every interaction payload carries.
pub(crate) struct Workspace {
    pub team_id: String,
    pub team_domain: String,
    pub app_id: String,
    /// The app's (deprecated) verification token, still sent in every payload.
    pub token: String,
}

impl Workspace {
    pub fn of(s: &SlackState) -> Self {
        let (team, app) = (s.team(), s.app());
        Workspace {
            team_id: team.map(|t| t.id.clone()).unwrap_or_default(),
            team_domain: team.map(|t| t.domain.clone()).unwrap_or_default(),
            app_id: app.map(|a| a.id.clone()).unwrap_or_default(),
            token: app.map(|a| a.verification_token.clone()).unwrap_or_default(),
        }
    }
}

/// The `response_url` for an interaction, on this universe's own URL (it is fetched
/// without a token).
pub(crate) fn response_url(ctl: &ControlCtx, target: delivery::ResponseTarget) -> String {
    let secret = delivery::hub(&ctl.universe).response_secret(target);
    format!("{}{}{secret}", ctl.universe.url_on(&ctl.twin_url), crate::api::RESPONSE_PREFIX)
}

/// Queues the envelope; 409 when the app takes neither Socket Mode nor HTTP.
fn queue_interaction(
    ctl: &ControlCtx,
    envelope: delivery::Envelope,
    kind: &str,
    payload: Value,
) -> Result<(String, &'static str)> {
    let (state, now) = (read(&ctl.universe, SlackState::clone)?, ctl.universe.now());
    delivery::hub(&ctl.universe)
        .interact(&state, envelope, kind, payload, now)
        .ok_or_else(|| ControlError::Conflict("the app has neither Socket Mode on nor a request URL set".into()))
}

/// A person runs an app's slash command: the app gets it as Slack sends it (a
/// `slash_commands` envelope over Socket Mode, or a signed form POST).
async fn simulate_slash_command(
    ext: Option<Extension<ControlCtx>>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response> {
    let ctl = ctx(ext)?;
    let req: SimulateSlashCommand = json_body(&headers, &body)?;
    let command = req.command.trim();
    let valid = command.len() > 1
        && command.len() <= MAX_COMMAND
        && command.starts_with('/')
        && command[1..].chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(ControlError::BadRequest(format!(
            "command must be '/' and up to {} letters, digits, '-' or '_'",
            MAX_COMMAND - 1
        )));
    }
    if req.text.chars().count() > MAX_TEXT {
        return Err(ControlError::BadRequest(format!("text is longer than {MAX_TEXT} characters")));
    }
    let (actor, channel_id, channel_name) = interaction_place(&ctl, &req.user, &req.channel)?;
    let hub = delivery::hub(&ctl.universe);
    let trigger_id = hub.trigger_id(&actor.user, ctl.universe.now());
    let target =
        delivery::ResponseTarget { channel: channel_id.clone(), user: actor.user.clone(), message_ts: None, uses: 0 };
    let response_url = response_url(&ctl, target);
    let payload = read(&ctl.universe, |s| {
        let ws = Workspace::of(s);
        json!({
            "token": ws.token,
            "team_id": ws.team_id,
            "team_domain": ws.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": actor.user,
            "user_name": s.users.get(&actor.user).map(|u| u.name.clone()).unwrap_or_default(),
            "command": command,
            "text": req.text,
            "api_app_id": ws.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        })
    })?;
    let (envelope_id, route) = queue_interaction(&ctl, delivery::Envelope::SlashCommands, "slash_command", payload)?;
    let out =
        json!({"envelope_id": envelope_id, "route": route, "trigger_id": trigger_id, "response_url": response_url});
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateBlockAction {
    user: String,
    /// In a message (`channel` and `message_ts`)…
    channel: Option<String>,
    message_ts: Option<String>,
    /// …or in an open modal.
    view_id: Option<String>,
    action_id: String,
    /// For a select or an input whose value is not in the block (a chosen option).
    value: Option<String>,
}

/// The interactive element with `action_id` in a message's or a view's blocks, and its
/// block's id. An input block's element acts only when the block asks (`dispatch_action`).
pub(crate) fn find_element(blocks: &Value, action_id: &str) -> Option<(String, Value)> {
    for block in blocks.as_array()? {
        let block_id = block.get("block_id").and_then(Value::as_str).unwrap_or_default();
        let mut elements: Vec<&Value> = block.get("elements").and_then(Value::as_array).into_iter().flatten().collect();
        elements.extend(block.get("accessory"));
        if block.get("dispatch_action").and_then(Value::as_bool) == Some(true) {
            elements.extend(block.get("element"));
        }
        if let Some(e) = elements.into_iter().find(|e| e.get("action_id").and_then(Value::as_str) == Some(action_id)) {
            return Some((block_id.to_string(), e.clone()));
        }
    }
    None
}

/// A person clicks a button (or picks from a menu) in a message: the app gets a
/// `block_actions` payload, as an `interactive` envelope or a signed form POST.
async fn simulate_block_action(
    ext: Option<Extension<ControlCtx>>,
    headers: HeaderMap,
    ControlBody(body): ControlBody,
) -> Result<Response> {
    let ctl = ctx(ext)?;
    let req: SimulateBlockAction = json_body(&headers, &body)?;
    let (channel, message_ts) = match (req.view_id, req.channel, req.message_ts) {
        (Some(view_id), None, None) => {
            let out = crate::surfaces::view_block_action(&ctl, &view_id, &req.user, &req.action_id, req.value)?;
            return Ok((StatusCode::CREATED, Json(out)).into_response());
        }
        (None, Some(channel), Some(ts)) => (channel, ts),
        _ => {
            return Err(ControlError::BadRequest(
                "name where the element is: channel and message_ts, or view_id".into(),
            ))
        }
    };
    let (actor, channel_id, channel_name) = interaction_place(&ctl, &req.user, &channel)?;
    let ts = message_ts.trim().to_string();
    let found = read(&ctl.universe, |s| {
        s.message(&channel_id, &ts).ok().map(|m| (crate::views::message_json(s, m), m.blocks.clone()))
    })?;
    let (message, blocks) = found.ok_or_else(|| ControlError::BadRequest(format!("no message {ts} in {channel}")))?;
    let (block_id, element) = blocks.as_ref().and_then(|b| find_element(b, &req.action_id)).ok_or_else(|| {
        ControlError::BadRequest(format!("the message has no interactive element with action_id '{}'", req.action_id))
    })?;
    let hub = delivery::hub(&ctl.universe);
    let trigger_id = hub.trigger_id(&actor.user, ctl.universe.now());
    let target = delivery::ResponseTarget {
        channel: channel_id.clone(),
        user: actor.user.clone(),
        message_ts: Some(ts.clone()),
        uses: 0,
    };
    let response_url = response_url(&ctl, target);
    let kind = element.get("type").and_then(Value::as_str).unwrap_or("button").to_string();
    let mut action = json!({
        "action_id": req.action_id,
        "block_id": block_id,
        "type": kind,
        "action_ts": crate::model::fmt_ts(u64::try_from(ctl.universe.now().timestamp_micros()).unwrap_or(0)),
    });
    if let Some(text) = element.get("text") {
        action["text"] = text.clone();
    }
    match (req.value, element.get("value")) {
        (Some(value), _) if kind.ends_with("_select") => {
            action["selected_option"] = json!({"text": {"type": "plain_text", "text": value}, "value": value});
        }
        (Some(value), _) => action["value"] = json!(value),
        (None, Some(value)) => action["value"] = value.clone(),
        (None, None) => {}
    }
    let payload = read(&ctl.universe, |s| {
        let ws = Workspace::of(s);
        let user = s.users.get(&actor.user);
        json!({
            "type": "block_actions",
            "user": {
                "id": actor.user,
                "username": user.map(|u| u.name.clone()).unwrap_or_default(),
                "name": user.map(|u| u.name.clone()).unwrap_or_default(),
                "team_id": ws.team_id,
            },
            "api_app_id": ws.app_id,
            "token": ws.token,
            "container": {"type": "message", "message_ts": ts, "channel_id": channel_id, "is_ephemeral": false},
            "trigger_id": trigger_id,
            "team": {"id": ws.team_id, "domain": ws.team_domain},
            "enterprise": null,
            "is_enterprise_install": false,
            "channel": {"id": channel_id, "name": channel_name},
            "message": message,
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [action],
        })
    })?;
    let (envelope_id, route) = queue_interaction(&ctl, delivery::Envelope::Interactive, "block_actions", payload)?;
    let out =
        json!({"envelope_id": envelope_id, "route": route, "trigger_id": trigger_id, "response_url": response_url});
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rich_text_splits_mentions() {
        let blocks = rich_text("hi <@U1|al> and <@U2>!");
        let elements = &blocks[0]["elements"][0]["elements"];
        assert_eq!(
            elements,
            &json!([{"type": "text", "text": "hi "}, {"type": "user", "user_id": "U1"},
                    {"type": "text", "text": " and "}, {"type": "user", "user_id": "U2"},
                    {"type": "text", "text": "!"}])
        );
        assert_eq!(rich_text("no <@ end")[0]["elements"][0]["elements"][0]["text"], "no <@ end");
    }
}
