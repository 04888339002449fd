//! apps.connections.open: a single-use Socket Mode URL on the twin's own origin.

use serde_json::json;

use super::{ok, Call, Reply};
use crate::errors::SlackError;

/// `{"ok": true, "url": "ws://<host>/u/<universe>/link/?ticket=…&app_id=…"}`. The ticket
/// names the universe too, so the URL works with or without the `/u/{id}` prefix.
pub fn apps_connections_open(call: &Call<'_>) -> Result<Reply, SlackError> {
    let app_id = call.actor.app_id.clone().unwrap_or_default();
    let ticket = crate::delivery::hub(&call.ctx.universe).mint_ticket();
    let base = call.ctx.universe_url();
    let base = match base.split_once("://") {
        Some(("https", rest)) => format!("wss://{rest}"),
        Some((_, rest)) => format!("ws://{rest}"),
        None => base,
    };
    Ok(ok(json!({ "url": format!("{base}/link/?ticket={ticket}&app_id={app_id}") })))
}
