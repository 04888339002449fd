//! The platform around a plain (not Slack-hosted) app: functions.*, apps.datastore.*,
//! workflows.*, entity.*, agents.*. The twin's app is installed by token and runs no
//! Slack-hosted functions or workflows, so these find nothing to act on, as Slack
//! answers such an app; arguments are still checked first.

use serde_json::{json, Value};

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::model::Access;

/// functions.completeSuccess: `outputs` must be an object; no function execution is
/// ever running in the twin.
pub fn functions_complete_success(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.arg("function_execution_id")?;
    match call.params.json("outputs") {
        Ok(Some(Value::Object(_))) => {}
        Ok(None) => return Err(SlackError::missing("outputs")),
        _ => return Err(SlackError::invalid("outputs")),
    }
    Err(SlackError::Code("function_execution_not_found"))
}

pub fn functions_complete_error(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.arg("function_execution_id")?;
    call.arg("error")?;
    Err(SlackError::Code("function_execution_not_found"))
}

pub fn functions_workflows_steps_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.arg("function_id")?;
    if call.params.nonempty("workflow_id").is_some() || call.params.nonempty("workflow").is_some() {
        return Err(SlackError::Code("unknown_workflow_id"));
    }
    Err(SlackError::Code("unknown_function_id"))
}

pub fn functions_workflows_steps_responses_export(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.arg("step_id")?;
    if call.params.nonempty("workflow_id").is_some() || call.params.nonempty("workflow").is_some() {
        return Err(SlackError::Code("unknown_workflow_id"));
    }
    Err(SlackError::Code("unknown_step_id"))
}

/// Methods only app configuration tokens may call (the twin mints none): see the table.
pub fn configuration_only(_call: &Call<'_>) -> Result<Reply, SlackError> {
    Err(SlackError::NotAllowedTokenType)
}

/// apps.datastore.*: datastores belong to Slack-hosted apps.
pub fn apps_datastore(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.arg("datastore")?;
    if let Some(app) = call.params.nonempty("app_id") {
        if call.actor.app_id.as_deref() != Some(app.trim()) {
            return Err(SlackError::Code("invalid_app_id"));
        }
    }
    Err(SlackError::Code("app_not_hosted"))
}

/// Workflow triggers exist for Workflow Builder and hosted apps; the twin has none.
pub fn workflows_triggers_permissions(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.arg("trigger_id")?;
    Err(SlackError::Code("trigger_not_found"))
}

/// Channels' featured workflows: none is featured, and none can be (there are no
/// workflow triggers to feature).
pub fn workflows_featured_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channels = call.params.list("channel_ids");
    if channels.is_empty() {
        return Err(SlackError::missing("channel_ids"));
    }
    call.read(|s| {
        let mut featured = Vec::new();
        for c in &channels {
            let ch = s.access(c, &call.actor, Access::See)?;
            featured.push(json!({ "channel_id": ch.id, "triggers": [] }));
        }
        Ok(ok(json!({ "featured_workflows": featured })))
    })
}

pub fn workflows_featured_change(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel_id")?;
    if call.params.list("trigger_ids").is_empty() && call.params.get("trigger_ids").is_none() {
        return Err(SlackError::missing("trigger_ids"));
    }
    call.read(|s| {
        s.access(&channel, &call.actor, Access::See)?;
        Err(SlackError::Code("error_modifying_workflows"))
    })
}

/// entity.*: their trigger ids come with work object events (`entity_details_requested`),
/// which the twin does not send.
pub fn entity_method(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.arg("trigger_id")?;
    Err(SlackError::Code("invalid_trigger_id"))
}

/// agents.sessions.*: the agent tasks feature is not on in the twin's workspace.
pub fn agents_sessions(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel_id")?;
    call.read(|s| {
        s.access(&channel, &call.actor, Access::See)?;
        Err(SlackError::Code("feature_disabled"))
    })
}

/// Who could see an event: decoded from its `event_context` (`4-` and base64 JSON with
/// the event's team, app and channel). The app's bot, and its installing person when
/// they can see the channel.
pub fn apps_event_authorizations_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let raw = call.arg("event_context")?;
    let context = raw
        .trim()
        .strip_prefix("4-")
        .and_then(crate::wire::base64_decode)
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .ok_or(SlackError::Code("invalid_event_context"))?;
    let field = |k: &str| context.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    if call.actor.app_id.as_deref() != Some(field("aid").as_str()) {
        return Err(SlackError::Code("auth_mismatch"));
    }
    let req = crate::paging::page_request(call.params, "auth", crate::paging::DEFAULT_LIMITS)?;
    call.read(|s| {
        if field("tid") != s.team_id() {
            return Err(SlackError::Code("invalid_event_context"));
        }
        let auth = |user: &str, is_bot: bool| {
            json!({"enterprise_id": null, "team_id": s.team_id(), "user_id": user, "is_bot": is_bot,
                   "is_enterprise_install": false})
        };
        let mut list = Vec::new();
        if let Some(bot) = s.bot() {
            list.push((format!("0:{}", bot.user_id), auth(&bot.user_id, true)));
        }
        let channel = field("cid");
        if let Some(owner) = s.users.values().find(|u| u.is_primary_owner) {
            let sees = channel.is_empty()
                || s.channels.get(&channel).is_some_and(|c| c.is_public() || s.is_member(&c.id, &owner.id));
            if sees {
                list.push((format!("1:{}", owner.id), auth(&owner.id, false)));
            }
        }
        let page = crate::paging::paginate(list, &req, "auth", false);
        let mut body = json!({ "authorizations": page.items });
        if !page.next_cursor.is_empty() {
            body["cursor_next"] = json!(page.next_cursor);
        }
        Ok(ok(body))
    })
}

/// Sign in with Slack (OpenID Connect): the token's person as claims.
pub fn openid_connect_user_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.read(|s| {
        let u = s.user(&call.actor.user)?;
        Ok(ok(super::oauth::identity_claims(s, u, call.actor.has("email"))))
    })
}

pub fn assistant_search_info(_call: &Call<'_>) -> Result<Reply, SlackError> {
    Ok(ok(json!({ "is_ai_search_enabled": false })))
}

const MAX_QUERY: usize = 500;

/// Messages for an AI app's context: the query's terms (and `in:`, `from:`…) over the
/// conversation types asked for that the caller can see, newest first.
pub fn assistant_search_context(call: &Call<'_>) -> Result<Reply, SlackError> {
    let query = call.params.nonempty("query").ok_or(SlackError::Code("missing_query"))?;
    if query.chars().count() > MAX_QUERY {
        return Err(SlackError::Code("query_too_long"));
    }
    let types = call.params.list("channel_types");
    let types: Vec<String> = if types.is_empty() { vec!["public_channel".into()] } else { types };
    if types.iter().any(|t| crate::model::ChannelKind::from_type_name(t).is_none()) {
        return Err(SlackError::invalid("channel_types"));
    }
    let content = call.params.list("content_types");
    if content.iter().any(|c| !matches!(c.as_str(), "messages" | "files" | "channels" | "users")) {
        return Err(SlackError::invalid("content_types"));
    }
    let include_bots = call.params.flag("include_bots");
    let before = call.params.int("before")?;
    let req =
        crate::paging::page_request(call.params, "ts", crate::paging::Limits { default: 20, max: 20, strict: false })?;
    let q = super::teamwork::parse_query(&query);
    let viewer = call.actor.user.clone();
    call.read(|s| {
        let mut found: Vec<(String, Value)> = s
            .messages
            .values()
            .filter(|m| {
                s.channels.get(&m.channel).is_some_and(|c| {
                    types.iter().any(|t| t == c.kind.type_name()) && (c.is_public() || s.is_member(&c.id, &viewer))
                })
            })
            .filter(|m| include_bots || m.bot_id.is_none())
            .filter(|m| {
                before.is_none_or(|b| crate::model::parse_ts(&m.ts).is_some_and(|t| ((t / 1_000_000) as i64) < b))
            })
            .filter(|m| super::teamwork::matches(s, &q, m))
            .map(|m| {
                let author = m.user.as_deref().and_then(|u| s.users.get(u));
                let v = json!({
                    "author_name": author.map(|a| a.real_name.clone()).unwrap_or_default(),
                    "author_user_id": m.user,
                    "team_id": s.team_id(),
                    "channel_id": m.channel,
                    "channel_name": s.channels.get(&m.channel).map(|c| c.name.clone()).unwrap_or_default(),
                    "message_ts": m.ts,
                    "content": m.text,
                    "is_author_bot": m.bot_id.is_some() || author.is_some_and(|a| a.is_bot),
                    "permalink": crate::views::permalink(s, &m.channel, m),
                });
                (format!("{}:{}", m.ts, m.channel), v)
            })
            .collect();
        found.sort_by(|a, b| b.0.cmp(&a.0));
        let page = crate::paging::paginate(found, &req, "ts", true);
        Ok(ok(json!({
            "results": { "messages": page.items },
            "response_metadata": crate::paging::metadata(&page.next_cursor),
        })))
    })
}

/// External tokens are a Slack-hosted app's (its OAuth2 providers): there are none.
pub fn apps_auth_external_get(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.arg("external_token_id")?;
    Err(SlackError::Code("token_not_found"))
}

pub fn apps_auth_external_delete(call: &Call<'_>) -> Result<Reply, SlackError> {
    if call.params.nonempty("external_token_id").is_some() {
        return Err(SlackError::Code("token_not_found"));
    }
    if call.params.nonempty("provider_key").is_some() {
        return Err(SlackError::Code("providers_not_found"));
    }
    Err(SlackError::Code("no_tokens_found"))
}

/// A person's connection status with an app that subscribes to them: the twin's app
/// subscribes to none.
pub fn apps_user_connection_update(call: &Call<'_>) -> Result<Reply, SlackError> {
    let user = call.arg("user_id")?;
    let status = call.arg("status")?;
    if !matches!(status.trim(), "connected" | "disconnected") {
        return Err(SlackError::invalid("status"));
    }
    call.read(|s| {
        s.user(user.trim())?;
        Err(SlackError::Code("app_not_subscribed"))
    })
}
