//! Socket Mode's WebSocket endpoint (`/link/?ticket=…`, the URL `apps.connections.open`
//! hands out): `hello` on connect, then one `events_api` envelope per event, acks back,
//! pings answered, and `disconnect` when the universe is reset or deleted.

use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Extension, RawQuery};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use twin_core::RequestCtx;

use crate::delivery::{self, Hub, Outgoing};
use crate::errors::json_response;
use crate::model::SlackState;

/// The journal's name for the WebSocket endpoint (it is not a Web API method).
pub const LINK_OPERATION: &str = "apps.connections.link";
/// The largest message an app may send (acks are tiny).
const MAX_INCOMING: usize = 1024 * 1024;

fn refuse(status: StatusCode, error: &str) -> Response {
    json_response(status, &json!({"ok": false, "error": error}))
}

fn disconnect(reason: &str) -> String {
    json!({"type": "disconnect", "reason": reason, "debug_info": {"host": "dtu-slack"}}).to_string()
}

/// The ticket's universe (`{universe}-{secret}`), then the upgrade; the ticket is used up
/// only by a real WebSocket handshake.
pub async fn link(
    ctx: Option<Extension<RequestCtx>>,
    RawQuery(query): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Some(Extension(ctx)) = ctx else { return refuse(StatusCode::INTERNAL_SERVER_ERROR, "internal_error") };
    let ticket = query
        .as_deref()
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "ticket").map(|(_, v)| v.into_owned()));
    let Some(ticket) = ticket else { return refuse(StatusCode::BAD_REQUEST, "missing_ticket") };
    let universe = ticket.rsplit_once('-').and_then(|(id, _)| ctx.core.universe(id).ok());
    let Some(universe) = universe.filter(|u| !u.is_deleted()) else {
        return refuse(StatusCode::UNAUTHORIZED, "invalid_ticket");
    };
    let Ok(ws) = ws else { return refuse(StatusCode::BAD_REQUEST, "not_a_websocket_handshake") };
    let hub = delivery::hub(&universe);
    if !hub.redeem(&ticket) {
        return refuse(StatusCode::UNAUTHORIZED, "invalid_ticket");
    }
    let app_id = universe.read::<SlackState, _>(|s| s.bot().map(|b| b.app_id.clone())).ok().flatten();
    ws.max_message_size(MAX_INCOMING)
        .max_frame_size(MAX_INCOMING)
        .on_upgrade(move |socket| serve(hub, socket, app_id.unwrap_or_default()))
}

async fn serve(hub: Arc<Hub>, mut socket: WebSocket, app_id: String) {
    let mut link = match hub.connect() {
        Ok(link) => link,
        Err(_) => {
            let _ = socket.send(Message::Text(disconnect("too_many_websockets").into())).await;
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
    };
    let hello = json!({
        "type": "hello",
        "num_connections": link.num_connections,
        "debug_info": {"host": "dtu-slack", "build_number": 1, "approximate_connection_time": 18_060},
        "connection_info": {"app_id": app_id},
    });
    if socket.send(Message::Text(hello.to_string().into())).await.is_err() {
        hub.disconnect(link.id);
        return;
    }
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Ok(v) = serde_json::from_str::<Value>(text.as_str()) {
                        if let Some(id) = v.get("envelope_id").and_then(Value::as_str) {
                            hub.ack(id, v.get("payload"));
                        }
                    }
                }
                // The app is leaving: reading on sends the close reply, then ends.
                Some(Ok(Message::Close(_))) => {
                    let drain = async { while let Some(Ok(_)) = socket.recv().await {} };
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), drain).await;
                    break;
                }
                Some(Err(_)) | None => break,
                // Pings are answered by the socket layer itself.
                Some(Ok(_)) => {}
            },
            outgoing = link.rx.recv() => match outgoing {
                Some(Outgoing::Text(text)) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                // The hub let go of this connection: the universe was reset or deleted.
                None => {
                    let _ = socket.send(Message::Text(disconnect("link_disabled").into())).await;
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            },
        }
    }
    hub.disconnect(link.id);
}
