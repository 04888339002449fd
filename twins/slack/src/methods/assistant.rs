//! assistant.threads.*: an AI app's status, title and suggested prompts on a thread of
//! a conversation it is in.

use serde_json::{json, Value};

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::model::{message_key, parse_ts, Access, AssistantThread, SlackState};

const MAX_PROMPTS: usize = 4;
const MAX_STATUS: usize = 50;
const MAX_LOADING_MESSAGES: usize = 10;

/// The thread `channel_id` + `thread_ts` name, as stored (a fresh one if none yet).
fn thread(s: &SlackState, call: &Call<'_>, ts_required: bool) -> Result<AssistantThread, SlackError> {
    let channel = call.channel_arg("channel_id")?;
    let ch = s.access(&channel, &call.actor, Access::See)?;
    let ts = match call.params.nonempty("thread_ts") {
        Some(ts) => ts.trim().to_string(),
        None if ts_required => return Err(SlackError::missing("thread_ts")),
        None => String::new(),
    };
    if !ts.is_empty() && (parse_ts(&ts).is_none() || s.message(&ch.id, &ts).is_err()) {
        return Err(SlackError::Code("invalid_thread_ts"));
    }
    let key = message_key(&ch.id, &ts);
    Ok(s.assistant_threads.get(&key).cloned().unwrap_or(AssistantThread {
        channel: ch.id.clone(),
        thread_ts: ts,
        status: String::new(),
        loading_messages: Vec::new(),
        title: None,
        prompts: Vec::new(),
        prompts_title: None,
    }))
}

fn save(s: &mut SlackState, t: AssistantThread) {
    s.assistant_threads.insert(message_key(&t.channel, &t.thread_ts), t);
}

/// An empty `status` clears it (as posting a reply does in Slack's clients).
pub fn assistant_threads_set_status(call: &Call<'_>) -> Result<Reply, SlackError> {
    let status = call.params.str("status").ok_or_else(|| SlackError::missing("status"))?;
    if status.chars().count() > MAX_STATUS {
        return Err(SlackError::invalid("status"));
    }
    let loading = call.params.list("loading_messages");
    if loading.len() > MAX_LOADING_MESSAGES {
        return Err(SlackError::invalid("loading_messages"));
    }
    if call.params.nonempty("username").is_some_and(|u| u.eq_ignore_ascii_case("slackbot")) {
        return Err(SlackError::Code("reserved_username"));
    }
    call.write(|s, _| {
        let mut t = thread(s, call, true)?;
        t.status = status.clone();
        t.loading_messages = if status.is_empty() { Vec::new() } else { loading.clone() };
        save(s, t);
        Ok(ok(json!({})))
    })
}

pub fn assistant_threads_set_title(call: &Call<'_>) -> Result<Reply, SlackError> {
    let title = call.arg("title")?;
    call.write(|s, _| {
        let mut t = thread(s, call, true)?;
        t.title = Some(title.clone());
        save(s, t);
        Ok(ok(json!({})))
    })
}

/// `prompts`: up to four `{"title", "message"}`.
pub fn assistant_threads_set_suggested_prompts(call: &Call<'_>) -> Result<Reply, SlackError> {
    let prompts = match call.params.json("prompts") {
        Ok(Some(Value::Array(items))) if !items.is_empty() => items,
        Ok(None) => return Err(SlackError::missing("prompts")),
        _ => return Err(SlackError::invalid("prompts")),
    };
    let valid = |p: &Value| {
        ["title", "message"].iter().all(|k| p.get(k).and_then(Value::as_str).is_some_and(|v| !v.trim().is_empty()))
    };
    if prompts.len() > MAX_PROMPTS || !prompts.iter().all(valid) {
        return Err(SlackError::invalid("prompts"));
    }
    let title = call.params.nonempty("title");
    call.write(|s, _| {
        let mut t = thread(s, call, false)?;
        t.prompts = prompts.clone();
        t.prompts_title = title.clone();
        save(s, t);
        Ok(ok(json!({})))
    })
}
