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
