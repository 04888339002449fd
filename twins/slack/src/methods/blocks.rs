//! blocks.validate: Block Kit payloads (a blocks array, a message or a view) checked
//! against the layout rules Slack enforces when they are posted or opened: known block
//! types, text objects, the required fields of each block, and the length limits. Each
//! failure names its place as a JSON pointer, with the constraint that failed.

use serde_json::{json, Map, Value};

use super::{ok, Call, Reply};
use crate::errors::SlackError;

/// Blocks a message holds at most; a modal or Home tab holds more.
const MAX_MESSAGE_BLOCKS: usize = 50;
const MAX_VIEW_BLOCKS: usize = 100;
/// The most a `blocks`, `message` or `view` argument may be (characters).
const MAX_ARGUMENT: usize = 100_000;

const BLOCK_TYPES: &[&str] = &[
    "actions",
    "context",
    "context_actions",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "table",
    "video",
];
const TEXT_TYPES: &[&str] = &["plain_text", "mrkdwn"];
const VIEW_TYPES: &[&str] = &["modal", "home"];

/// The validation failures found, in document order.
#[derive(Default)]
struct Findings(Vec<Value>);

impl Findings {
    fn fail(&mut self, pointer: &str, message: String, constraint: Value) {
        self.0.push(json!({"code": "failed_constraint", "message": message, "pointer": pointer,
                           "constraint": constraint}));
    }

    fn required(&mut self, pointer: &str, field: &str) {
        self.fail(
            &format!("{pointer}/{field}"),
            format!("missing required field: {field}"),
            json!({"type": "required"}),
        );
    }

    fn too_long(&mut self, pointer: &str, max: usize) {
        self.fail(pointer, format!("must be at most {max} characters"), json!({"type": "maxLength", "expected": max}));
    }

    fn one_of(&mut self, pointer: &str, given: &str, expected: &[&str]) {
        self.fail(
            pointer,
            format!("`{given}` is not an allowed type here"),
            json!({"type": "enum", "expected": expected}),
        );
    }
}

/// A text object at `pointer`: `plain_text` or `mrkdwn` (only those in `types`), with
/// non-empty text of at most `max` characters.
fn text_object(found: &mut Findings, value: Option<&Value>, pointer: &str, types: &[&str], max: usize) {
    let Some(value) = value else { return };
    let Some(object) = value.as_object() else {
        found.fail(pointer, "must be a text object".into(), json!({"type": "type", "expected": "object"}));
        return;
    };
    match object.get("type").and_then(Value::as_str) {
        None => found.required(pointer, "type"),
        Some(kind) if !types.contains(&kind) => found.one_of(&format!("{pointer}/type"), kind, types),
        Some(_) => {}
    }
    match object.get("text").and_then(Value::as_str) {
        None => found.required(pointer, "text"),
        Some("") => found.fail(
            &format!("{pointer}/text"),
            "must be at least 1 character".into(),
            json!({"type": "minLength", "expected": 1}),
        ),
        Some(text) if text.chars().count() > max => found.too_long(&format!("{pointer}/text"), max),
        Some(_) => {}
    }
}

fn elements(found: &mut Findings, block: &Map<String, Value>, pointer: &str, max: usize) {
    match block.get("elements").and_then(Value::as_array) {
        None => found.required(pointer, "elements"),
        Some(items) if items.is_empty() || items.len() > max => found.fail(
            &format!("{pointer}/elements"),
            format!("must hold 1 to {max} elements"),
            json!({"type": "maxItems", "expected": max}),
        ),
        Some(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.get("type").and_then(Value::as_str).is_none() {
                    found.required(&format!("{pointer}/elements/{i}"), "type");
                }
            }
        }
    }
}

fn block(found: &mut Findings, value: &Value, pointer: &str) {
    let Some(b) = value.as_object() else {
        found.fail(pointer, "must be a block object".into(), json!({"type": "type", "expected": "object"}));
        return;
    };
    if let Some(id) = b.get("block_id").and_then(Value::as_str) {
        if id.chars().count() > 255 {
            found.too_long(&format!("{pointer}/block_id"), 255);
        }
    }
    let Some(kind) = b.get("type").and_then(Value::as_str) else {
        found.required(pointer, "type");
        return;
    };
    match kind {
        "section" => {
            if !b.contains_key("text") && !b.contains_key("fields") {
                found.required(pointer, "text");
            }
            text_object(found, b.get("text"), &format!("{pointer}/text"), TEXT_TYPES, 3000);
            if let Some(fields) = b.get("fields") {
                match fields.as_array() {
                    Some(items) if items.len() <= 10 => {
                        for (i, f) in items.iter().enumerate() {
                            text_object(found, Some(f), &format!("{pointer}/fields/{i}"), TEXT_TYPES, 2000);
                        }
                    }
                    _ => found.fail(
                        &format!("{pointer}/fields"),
                        "must hold at most 10 text objects".into(),
                        json!({"type": "maxItems", "expected": 10}),
                    ),
                }
            }
        }
        "header" => match b.get("text") {
            None => found.required(pointer, "text"),
            text => text_object(found, text, &format!("{pointer}/text"), &["plain_text"], 150),
        },
        "image" => {
            if !b.contains_key("image_url") && !b.contains_key("slack_file") {
                found.required(pointer, "image_url");
            }
            match b.get("alt_text").and_then(Value::as_str) {
                None => found.required(pointer, "alt_text"),
                Some(alt) if alt.chars().count() > 2000 => found.too_long(&format!("{pointer}/alt_text"), 2000),
                Some(_) => {}
            }
            text_object(found, b.get("title"), &format!("{pointer}/title"), &["plain_text"], 2000);
        }
        "actions" => elements(found, b, pointer, 25),
        "context" => elements(found, b, pointer, 10),
        "input" => {
            match b.get("label") {
                None => found.required(pointer, "label"),
                label => text_object(found, label, &format!("{pointer}/label"), &["plain_text"], 2000),
            }
            if b.get("element").and_then(|e| e.get("type")).and_then(Value::as_str).is_none() {
                found.required(pointer, "element");
            }
        }
        "markdown" => match b.get("text").and_then(Value::as_str) {
            None => found.required(pointer, "text"),
            Some(text) if text.chars().count() > 12_000 => found.too_long(&format!("{pointer}/text"), 12_000),
            Some(_) => {}
        },
        "rich_text" => elements(found, b, pointer, 100),
        "video" => {
            for field in ["video_url", "thumbnail_url", "alt_text", "title"] {
                if !b.contains_key(field) {
                    found.required(pointer, field);
                }
            }
        }
        "file" => {
            for field in ["external_id", "source"] {
                if !b.contains_key(field) {
                    found.required(pointer, field);
                }
            }
        }
        other if !BLOCK_TYPES.contains(&other) => found.one_of(&format!("{pointer}/type"), other, BLOCK_TYPES),
        _ => {}
    }
}

fn blocks(found: &mut Findings, value: Option<&Value>, pointer: &str, max: usize) {
    let Some(value) = value else { return };
    let Some(items) = value.as_array() else {
        found.fail(pointer, "must be an array of blocks".into(), json!({"type": "type", "expected": "array"}));
        return;
    };
    if items.len() > max {
        found.fail(pointer, format!("must hold at most {max} blocks"), json!({"type": "maxItems", "expected": max}));
    }
    for (i, item) in items.iter().enumerate() {
        block(found, item, &format!("{pointer}/{i}"));
    }
}

fn view(found: &mut Findings, value: &Value) {
    let Some(v) = value.as_object() else {
        found.fail("", "must be a view object".into(), json!({"type": "type", "expected": "object"}));
        return;
    };
    match v.get("type").and_then(Value::as_str) {
        None => found.required("", "type"),
        Some(kind) if !VIEW_TYPES.contains(&kind) => found.one_of("/type", kind, VIEW_TYPES),
        Some("modal") => match v.get("title") {
            None => found.required("", "title"),
            title => text_object(found, title, "/title", &["plain_text"], 24),
        },
        Some(_) => {}
    }
    for field in ["submit", "close"] {
        text_object(found, v.get(field), &format!("/{field}"), &["plain_text"], 24);
    }
    match v.get("blocks") {
        None => found.required("", "blocks"),
        items => blocks(found, items, "/blocks", MAX_VIEW_BLOCKS),
    }
}

fn message(found: &mut Findings, value: &Value) {
    let Some(m) = value.as_object() else {
        found.fail("", "must be a message object".into(), json!({"type": "type", "expected": "object"}));
        return;
    };
    let has_text = m.get("text").and_then(Value::as_str).is_some_and(|t| !t.trim().is_empty());
    if !has_text && !m.contains_key("blocks") && !m.contains_key("attachments") {
        found.required("", "text");
    }
    blocks(found, m.get("blocks"), "/blocks", MAX_MESSAGE_BLOCKS);
}

pub fn blocks_validate(call: &Call<'_>) -> Result<Reply, SlackError> {
    let given: Vec<&str> = ["blocks", "message", "view"].into_iter().filter(|k| call.params.get(k).is_some()).collect();
    let [which] = given.as_slice() else {
        return Err(SlackError::InvalidArguments(
            "give one argument of blocks, message and view: not none, not several".into(),
        ));
    };
    if call.params.str(which).is_some_and(|s| s.chars().count() > MAX_ARGUMENT) {
        return Err(SlackError::InvalidArguments(format!("`{which}` must be at most {MAX_ARGUMENT} characters")));
    }
    let value = match call.params.json(which) {
        Ok(Some(value)) => value,
        _ => return Err(SlackError::InvalidArguments(format!("`{which}` must be valid JSON"))),
    };
    let mut found = Findings::default();
    let error = match *which {
        "blocks" => {
            blocks(&mut found, Some(&value), "", MAX_VIEW_BLOCKS);
            "invalid_blocks"
        }
        "message" => {
            message(&mut found, &value);
            "invalid_message"
        }
        _ => {
            view(&mut found, &value);
            "invalid_view"
        }
    };
    if found.0.is_empty() {
        return Ok(ok(json!({})));
    }
    let mut extra = Map::new();
    extra.insert("errors".into(), Value::Array(found.0));
    Err(SlackError::Detailed { error, extra })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: Value) -> Vec<Value> {
        let mut found = Findings::default();
        blocks(&mut found, Some(&value), "", MAX_VIEW_BLOCKS);
        found.0
    }

    #[test]
    fn valid_blocks_pass() {
        let ok = json!([
            {"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}},
            {"type": "divider"},
            {"type": "header", "text": {"type": "plain_text", "text": "Title"}},
            {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Go"}}]},
        ]);
        assert!(check(ok).is_empty());
    }

    #[test]
    fn failures_name_their_place() {
        let found = check(json!([{"type": "section", "text": {"type": "invalid", "text": "x"}}]));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["pointer"], "/0/text/type");
        assert_eq!(found[0]["constraint"]["type"], "enum");
        assert_eq!(found[0]["constraint"]["expected"], json!(["plain_text", "mrkdwn"]));
        let found = check(json!([{"type": "nope"}, {"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]));
        let pointers: Vec<&str> = found.iter().filter_map(|f| f["pointer"].as_str()).collect();
        assert_eq!(pointers, ["/0/type", "/1/text/type"]);
        let found = check(json!([{"type": "image", "image_url": "http://x/y.png"}]));
        assert_eq!(found[0]["pointer"], "/0/alt_text");
    }

    #[test]
    fn views_need_a_type_title_and_blocks() {
        let mut found = Findings::default();
        view(&mut found, &json!({"type": "modal", "blocks": []}));
        assert_eq!(found.0[0]["pointer"], "/title");
        let mut found = Findings::default();
        view(&mut found, &json!({"type": "home", "blocks": [{"type": "divider"}]}));
        assert!(found.0.is_empty());
    }
}
