//! slackLists.*: lists with typed columns, items whose cells are checked against their
//! column's type, subtasks, sharing, and CSV exports.

use chrono::NaiveDate;
use serde_json::{json, Value};
use twin_core::ids::IdGen;

use super::canvases::{change_grants, targets};
use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::model::{Cell, Column, Grants, Level, ListExport, ListItem, SlackList, SlackState};
use crate::paging::{metadata, page_request, paginate, Limits};

const MAX_NAME: usize = 255;
const MAX_COLUMNS: usize = 100;
const MAX_ITEMS: usize = 10_000;
const MAX_CELLS: usize = 100;
const ITEM_LIMITS: Limits = Limits { default: 100, max: 1000, strict: false };

/// Column types, and the input key a cell of that type is written with.
const COLUMN_TYPES: &[(&str, &str)] = &[
    ("text", "rich_text"),
    ("rich_text", "rich_text"),
    ("number", "number"),
    ("rating", "rating"),
    ("select", "select"),
    ("date", "date"),
    ("user", "user"),
    ("checkbox", "checkbox"),
    ("email", "email"),
    ("phone", "phone"),
    ("link", "link"),
    ("channel", "channel"),
    ("message", "message"),
    ("attachment", "attachment"),
    ("vote", "vote"),
    ("canvas", "canvas"),
    ("reference", "reference"),
    ("todo_completed", "checkbox"),
    ("todo_assignee", "user"),
    ("todo_due_date", "date"),
    ("created_by", ""),
    ("created_time", ""),
    ("last_edited_by", ""),
    ("last_edited_time", ""),
];

fn input_key(kind: &str) -> Option<&'static str> {
    COLUMN_TYPES.iter().find(|(t, _)| *t == kind).map(|(_, k)| *k)
}

pub fn column_json(c: &Column) -> Value {
    let mut v = json!({
        "id": c.id, "key": c.key, "name": c.name, "type": c.kind, "is_primary_column": c.is_primary_column,
    });
    if let Some(options) = &c.options {
        v["options"] = options.clone();
    }
    v
}

fn list_metadata(l: &SlackList) -> Value {
    let schema: Vec<Value> = l.schema.iter().map(column_json).collect();
    let subtask: Vec<Value> = l.schema.iter().filter(|c| c.is_primary_column).map(column_json).collect();
    let mut v = json!({ "schema": schema, "subtask_schema": subtask });
    if let Some(blocks) = &l.description_blocks {
        v["description_blocks"] = blocks.clone();
    }
    v
}

/// A list as the file object `slackLists.items.info` returns.
pub fn list_file_json(s: &SlackState, l: &SlackList) -> Value {
    json!({
        "id": l.id, "created": l.created, "timestamp": l.created, "name": "list", "title": l.name,
        "mimetype": "application/vnd.slack-list", "filetype": "list", "pretty_type": "List",
        "user": l.owner, "user_team": s.team_id(), "editable": true, "size": 0, "mode": "list",
        "is_external": false, "external_type": "", "is_public": false, "public_url_shared": false,
        "display_as_bot": false, "username": "", "list_metadata": list_metadata(l),
        "updated": l.updated,
    })
}

/// All the `text` of rich text blocks, in order.
fn plain_text(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(t)) = map.get("text") {
                out.push_str(t);
            }
            if let Some(elements) = map.get("elements") {
                plain_text(elements, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| plain_text(i, out)),
        _ => {}
    }
}

fn field_json(column: Option<&Column>, cell: &Cell) -> Value {
    let mut v = json!({ "key": column.map(|c| c.key.clone()).unwrap_or_default(), "column_id": cell.column_id });
    if cell.kind == "rich_text" {
        v["value"] = json!(cell.value.to_string());
        let mut text = String::new();
        plain_text(&cell.value, &mut text);
        v["text"] = json!(text);
        v["rich_text"] = cell.value.clone();
        return v;
    }
    v["value"] = match &cell.value {
        Value::Array(items) if items.len() == 1 => items[0].clone(),
        other => other.clone(),
    };
    v[cell.kind.as_str()] = cell.value.clone();
    v
}

pub fn item_json(l: &SlackList, item: &ListItem) -> Value {
    let fields: Vec<Value> =
        item.cells.iter().map(|c| field_json(l.schema.iter().find(|col| col.id == c.column_id), c)).collect();
    let mut v = json!({
        "id": item.id, "list_id": item.list_id, "date_created": item.created, "created_by": item.created_by,
        "updated_by": item.updated_by, "fields": fields, "updated_timestamp": item.updated.to_string(),
    });
    if let Some(parent) = &item.parent_item_id {
        v["parent_item_id"] = json!(parent);
    }
    if item.archived {
        v["is_archived"] = json!(true);
    }
    v
}

/// The list `key` names, as the caller may use it.
fn list<'s>(s: &'s SlackState, call: &Call<'_>, key: &str, level: Level) -> Result<&'s SlackList, SlackError> {
    let id = call.arg(key)?;
    let l = s.lists.get(id.trim()).ok_or(SlackError::Code("list_not_found"))?;
    let mine = l.grants.level(s, &l.owner, &call.actor.user);
    if mine == Level::None {
        return Err(SlackError::Code("list_not_found"));
    }
    if mine < level {
        return Err(SlackError::Code("permission_denied"));
    }
    Ok(l)
}

fn column_id(ids: &mut IdGen) -> String {
    ids.upper_id("Col", 10)
}

/// The columns of `schema` (or the default one: a primary `Name`), plus the to-do
/// columns in to-do mode.
fn build_schema(raw: Option<&Vec<Value>>, todo_mode: bool, ids: &mut IdGen) -> Result<Vec<Column>, SlackError> {
    let mut columns = Vec::new();
    match raw {
        None => columns.push(Column {
            id: column_id(ids),
            key: "name".into(),
            name: "Name".into(),
            kind: "text".into(),
            is_primary_column: true,
            options: None,
        }),
        Some(items) => {
            if items.len() > MAX_COLUMNS {
                return Err(SlackError::Code("over_column_maximum"));
            }
            for raw in items {
                let obj = raw.as_object().ok_or(SlackError::Code("invalid_schema"))?;
                let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty());
                let key = text("key").ok_or(SlackError::Code("invalid_schema"))?;
                let kind = text("type").ok_or(SlackError::Code("invalid_schema"))?;
                if input_key(kind).is_none() {
                    return Err(SlackError::Code("invalid_column_type"));
                }
                if columns.iter().any(|c: &Column| c.key == key) {
                    return Err(SlackError::Code("invalid_schema"));
                }
                let primary = obj.get("is_primary_column").and_then(Value::as_bool).unwrap_or(false);
                let options = obj.get("options").filter(|o| !o.is_null()).cloned();
                if options.as_ref().is_some_and(|o| !o.is_object()) {
                    return Err(SlackError::Code("invalid_schema"));
                }
                columns.push(Column {
                    id: column_id(ids),
                    key: key.to_string(),
                    name: text("name").unwrap_or(key).to_string(),
                    kind: kind.to_string(),
                    is_primary_column: primary,
                    options,
                });
            }
            let primaries: Vec<&Column> = columns.iter().filter(|c| c.is_primary_column).collect();
            if primaries.len() != 1 || !matches!(primaries[0].kind.as_str(), "text" | "rich_text") {
                return Err(SlackError::Code("invalid_primary_column"));
            }
        }
    }
    if todo_mode {
        add_todo_columns(&mut columns, ids);
    }
    Ok(columns)
}

fn add_todo_columns(columns: &mut Vec<Column>, ids: &mut IdGen) {
    for (key, name, options) in [
        ("todo_completed", "Completed", None),
        (
            "todo_assignee",
            "Assignee",
            Some(json!({"format": "multi_entity", "default_value": null, "show_member_name": true})),
        ),
        ("todo_due_date", "Due Date", None),
    ] {
        if !columns.iter().any(|c| c.kind == key) {
            columns.push(Column {
                id: column_id(ids),
                key: key.into(),
                name: name.into(),
                kind: key.into(),
                is_primary_column: false,
                options,
            });
        }
    }
}

fn description_blocks(call: &Call<'_>) -> Result<Option<Value>, SlackError> {
    match call.params.json("description_blocks") {
        Ok(None) => Ok(None),
        Ok(Some(Value::Array(items))) => Ok(Some(Value::Array(items))),
        _ => Err(SlackError::invalid("description_blocks")),
    }
}

fn check_name(name: &str) -> Result<(), SlackError> {
    if name.chars().count() > MAX_NAME {
        return Err(SlackError::Code("over_title_length_maximum"));
    }
    Ok(())
}

pub fn slack_lists_create(call: &Call<'_>) -> Result<Reply, SlackError> {
    let name = call.arg("name")?;
    check_name(&name)?;
    let blocks = description_blocks(call)?;
    let schema = match call.params.json("schema") {
        Ok(None) => None,
        Ok(Some(Value::Array(items))) => Some(items),
        _ => return Err(SlackError::Code("invalid_schema")),
    };
    let copy_from = call.params.nonempty("copy_from_list_id");
    let copy_records = call.params.flag("include_copied_list_records");
    if copy_from.is_some() && schema.is_some() {
        return Err(SlackError::Code("invalid_copy_and_schema_args"));
    }
    if copy_records && copy_from.is_none() {
        return Err(SlackError::Code("missing_arg_copy_from_list_id"));
    }
    let todo_mode = call.params.flag("todo_mode");
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, ids| {
        let source = match &copy_from {
            Some(_) => Some(list(s, call, "copy_from_list_id", Level::Read)?.clone()),
            None => None,
        };
        let mut columns = match &source {
            Some(src) => src.schema.clone(),
            None => build_schema(schema.as_ref(), todo_mode, ids)?,
        };
        if source.is_some() && todo_mode {
            add_todo_columns(&mut columns, ids);
        }
        let id = s.fresh_file_id(ids);
        let l = SlackList {
            id: id.clone(),
            name: name.trim().to_string(),
            description_blocks: blocks.clone(),
            todo_mode: todo_mode || source.as_ref().is_some_and(|src| src.todo_mode),
            schema: columns,
            owner: me.clone(),
            created: now,
            updated: now,
            grants: Grants::default(),
        };
        if let (Some(src), true) = (&source, copy_records) {
            let items: Vec<ListItem> = s.items_of(&src.id).cloned().collect();
            let mut renamed = std::collections::BTreeMap::new();
            for item in &items {
                renamed.insert(item.id.clone(), ids.upper_id("Rec", 10));
            }
            for mut item in items {
                item.id = renamed.get(&item.id).cloned().unwrap_or_default();
                item.list_id = id.clone();
                item.parent_item_id = item.parent_item_id.and_then(|p| renamed.get(&p).cloned());
                item.created_by = me.clone();
                item.updated_by = me.clone();
                item.created = now;
                item.updated = now;
                s.list_items.insert(format!("{id}:{}", item.id), item);
            }
        }
        s.lists.insert(id.clone(), l.clone());
        Ok(ok(json!({ "list_id": id, "list_metadata": list_metadata(&l) })))
    })
}

pub fn slack_lists_update(call: &Call<'_>) -> Result<Reply, SlackError> {
    let name = call.params.str("name");
    if let Some(name) = &name {
        if name.trim().is_empty() {
            return Err(SlackError::invalid("name"));
        }
        check_name(name)?;
    }
    let blocks = description_blocks(call)?;
    let todo_mode = call.params.get("todo_mode").map(|_| call.params.flag("todo_mode"));
    if name.is_none() && blocks.is_none() && todo_mode.is_none() {
        return Err(SlackError::Code("missing_arguments"));
    }
    let now = call.now_s();
    call.write(|s, ids| {
        let mut l = list(s, call, "id", Level::Write)?.clone();
        if let Some(name) = &name {
            l.name = name.trim().to_string();
        }
        if blocks.is_some() {
            l.description_blocks = blocks.clone();
        }
        if let Some(todo) = todo_mode {
            if todo && !l.todo_mode {
                add_todo_columns(&mut l.schema, ids);
            }
            l.todo_mode = todo;
        }
        l.updated = now;
        s.lists.insert(l.id.clone(), l);
        Ok(ok(json!({})))
    })
}

fn is_date(v: &Value) -> bool {
    v.as_str().is_some_and(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
}

/// Reads one cell (`{"column_id": …, "<input key>": value}`) against the list's schema.
fn cell(s: &SlackState, l: &SlackList, raw: &Value) -> Result<Cell, SlackError> {
    let obj = raw.as_object().ok_or(SlackError::Code("invalid_args"))?;
    let column_id = obj.get("column_id").and_then(Value::as_str).ok_or(SlackError::Code("column_id_not_provided"))?;
    let column = l.schema.iter().find(|c| c.id == column_id).ok_or(SlackError::Code("invalid_column_id"))?;
    let key = input_key(&column.kind).unwrap_or("");
    if key.is_empty() {
        return Err(SlackError::Code("uneditable_column"));
    }
    let given: Vec<&String> =
        obj.keys().filter(|k| !matches!(k.as_str(), "column_id" | "row_id" | "item_id")).collect();
    // Text columns take plain `text` too, kept as rich text.
    if key == "rich_text" && given.len() == 1 && given[0] == "text" {
        let text = obj.get("text").and_then(Value::as_str).ok_or(SlackError::Code("invalid_input_type"))?;
        let value = json!([{"type": "rich_text", "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]);
        return Ok(Cell { column_id: column_id.into(), kind: "rich_text".into(), value });
    }
    if given.len() != 1 || given[0] != key {
        return Err(SlackError::Code("invalid_input_type"));
    }
    let value = obj.get(key).cloned().unwrap_or(Value::Null);
    let items = value.as_array();
    let all = |pred: &dyn Fn(&Value) -> bool| items.is_some_and(|a| a.iter().all(pred));
    match key {
        "rich_text" => {
            let valid = all(&|b| b.get("type").and_then(Value::as_str) == Some("rich_text"));
            if !valid {
                return Err(SlackError::Code("invalid_text_block"));
            }
        }
        "checkbox" => {
            if !value.is_boolean() {
                return Err(SlackError::Code("invalid_input_type"));
            }
        }
        "number" | "rating" => {
            if !all(&|n| n.is_number()) {
                return Err(SlackError::Code("invalid_input_type"));
            }
        }
        "date" => {
            if !all(&is_date) {
                return Err(SlackError::Code("invalid_date"));
            }
        }
        "user" => {
            if !all(&|u| u.as_str().is_some_and(|u| s.users.get(u).is_some_and(|u| !u.deleted))) {
                return Err(SlackError::UserNotFound);
            }
        }
        "channel" => {
            if !all(&|c| c.as_str().is_some_and(|c| s.channels.contains_key(c))) {
                return Err(SlackError::ChannelNotFound);
            }
        }
        "email" => {
            if !all(&|e| e.as_str().is_some_and(|e| e.contains('@') && !e.contains(char::is_whitespace))) {
                return Err(SlackError::Code("invalid_email"));
            }
        }
        "select" => {
            let choices: Option<Vec<String>> =
                column.options.as_ref().and_then(|o| o.get("choices")).and_then(Value::as_array).map(|c| {
                    c.iter().filter_map(|c| c.get("value").and_then(Value::as_str).map(str::to_string)).collect()
                });
            let valid = all(&|v| v.as_str().is_some_and(|v| choices.as_ref().is_none_or(|c| c.iter().any(|x| x == v))));
            if !valid {
                return Err(SlackError::Code("invalid_option_id"));
            }
        }
        "link" => {
            let url_ok = |u: &str| u.starts_with("https://") || u.starts_with("http://");
            let valid = all(&|l| match l {
                Value::String(u) => url_ok(u),
                Value::Object(o) => o.get("original_url").and_then(Value::as_str).is_some_and(url_ok),
                _ => false,
            });
            if !valid {
                return Err(SlackError::Code("invalid_link"));
            }
        }
        _ => {
            if items.is_none() {
                return Err(SlackError::Code("invalid_input_type"));
            }
        }
    }
    Ok(Cell { column_id: column_id.into(), kind: key.into(), value })
}

fn set_cells(item: &mut ListItem, cells: Vec<Cell>) {
    for c in cells {
        match item.cells.iter_mut().find(|x| x.column_id == c.column_id) {
            Some(existing) => *existing = c,
            None => item.cells.push(c),
        }
    }
}

fn item_key(list_id: &str, item_id: &str) -> String {
    format!("{list_id}:{item_id}")
}

pub fn slack_lists_items_create(call: &Call<'_>) -> Result<Reply, SlackError> {
    let fields = match call.params.json("initial_fields") {
        Ok(None) => Vec::new(),
        Ok(Some(Value::Array(items))) => items,
        _ => return Err(SlackError::Code("invalid_args")),
    };
    if fields.len() > MAX_CELLS {
        return Err(SlackError::Code("over_cell_fields_limit"));
    }
    let parent = call.params.nonempty("parent_item_id");
    let duplicate = call.params.nonempty("duplicated_item_id");
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, ids| {
        let mut l = list(s, call, "list_id", Level::Write)?.clone();
        if s.items_of(&l.id).count() >= MAX_ITEMS {
            return Err(SlackError::Code("over_row_maximum"));
        }
        if let Some(p) = &parent {
            if !s.list_items.contains_key(&item_key(&l.id, p.trim())) {
                return Err(SlackError::Code("invalid_args"));
            }
        }
        let mut cells = match &duplicate {
            Some(d) => s
                .list_items
                .get(&item_key(&l.id, d.trim()))
                .ok_or(SlackError::Code("duplicated_item_not_found"))?
                .cells
                .clone(),
            None => Vec::new(),
        };
        let given: Vec<Cell> = fields.iter().map(|f| cell(s, &l, f)).collect::<Result<_, _>>()?;
        let seq = s.items_of(&l.id).map(|i| i.seq).max().map_or(0, |m| m + 1);
        let mut holder = ListItem {
            id: String::new(),
            seq,
            list_id: l.id.clone(),
            parent_item_id: parent.as_ref().map(|p| p.trim().to_string()),
            cells: std::mem::take(&mut cells),
            created_by: me.clone(),
            updated_by: me.clone(),
            created: now,
            updated: now,
            archived: false,
        };
        set_cells(&mut holder, given);
        let id = loop {
            let id = ids.upper_id("Rec", 10);
            if !s.list_items.contains_key(&item_key(&l.id, &id)) {
                break id;
            }
        };
        holder.id = id.clone();
        s.list_items.insert(item_key(&l.id, &id), holder.clone());
        l.updated = now;
        s.lists.insert(l.id.clone(), l.clone());
        Ok(ok(json!({ "item": item_json(&l, &holder) })))
    })
}

/// Items in creation order.
fn sorted_items<'a>(s: &'a SlackState, list_id: &str) -> Vec<&'a ListItem> {
    let mut items: Vec<&ListItem> = s.items_of(list_id).collect();
    items.sort_by_key(|i| (i.seq, i.created));
    items
}

pub fn slack_lists_items_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let req = page_request(call.params, "item", ITEM_LIMITS)?;
    let archived = call.params.flag("archived");
    call.read(|s| {
        let l = list(s, call, "list_id", Level::Read)?;
        let items = sorted_items(s, &l.id)
            .into_iter()
            .filter(|i| i.archived == archived)
            .map(|i| (format!("{:012}", i.seq), i));
        let page = paginate(items, &req, "item", false);
        let items: Vec<Value> = page.items.iter().map(|i| item_json(l, i)).collect();
        Ok(ok(json!({ "items": items, "response_metadata": metadata(&page.next_cursor) })))
    })
}

pub fn slack_lists_items_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    let id = call.arg("id")?;
    call.read(|s| {
        let l = list(s, call, "list_id", Level::Read)?;
        let item = s.list_items.get(&item_key(&l.id, id.trim())).ok_or(SlackError::Code("record_not_found"))?;
        let subtasks: Vec<Value> = sorted_items(s, &l.id)
            .into_iter()
            .filter(|i| i.parent_item_id.as_deref() == Some(item.id.as_str()))
            .map(|i| item_json(l, i))
            .collect();
        let mut body = json!({ "list": list_file_json(s, l), "record": item_json(l, item), "subtasks": subtasks });
        if let Some(parent) = item.parent_item_id.as_ref().and_then(|p| s.list_items.get(&item_key(&l.id, p))) {
            body["parent_task"] = item_json(l, parent);
        }
        if call.params.flag("include_is_subscribed") {
            body["is_subscribed"] = json!(false);
        }
        Ok(ok(body))
    })
}

pub fn slack_lists_items_update(call: &Call<'_>) -> Result<Reply, SlackError> {
    let cells = match call.params.json("cells") {
        Ok(Some(Value::Array(items))) if !items.is_empty() => items,
        Ok(None) => return Err(SlackError::missing("cells")),
        _ => return Err(SlackError::invalid("cells")),
    };
    if cells.len() > MAX_CELLS {
        return Err(SlackError::Code("over_cell_fields_limit"));
    }
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, _| {
        let mut l = list(s, call, "list_id", Level::Write)?.clone();
        let mut touched: Vec<ListItem> = Vec::new();
        for raw in &cells {
            let row = raw.get("row_id").and_then(Value::as_str).ok_or(SlackError::Code("row_id_not_provided"))?;
            let c = cell(s, &l, raw)?;
            let key = item_key(&l.id, row);
            let mut item = match touched.iter().position(|i| i.id == row) {
                Some(at) => touched.remove(at),
                None => s.list_items.get(&key).cloned().ok_or(SlackError::Code("row_not_found"))?,
            };
            set_cells(&mut item, vec![c]);
            item.updated = now;
            item.updated_by = me.clone();
            touched.push(item);
        }
        for item in touched {
            s.list_items.insert(item_key(&l.id, &item.id), item);
        }
        l.updated = now;
        s.lists.insert(l.id.clone(), l);
        Ok(ok(json!({})))
    })
}

/// Removes items and their subtasks.
fn delete_items(s: &mut SlackState, list_id: &str, ids: &[String]) {
    let mut gone: Vec<String> = ids.to_vec();
    let mut i = 0;
    while i < gone.len() {
        let children: Vec<String> = s
            .items_of(list_id)
            .filter(|x| x.parent_item_id.as_deref() == Some(gone[i].as_str()))
            .map(|x| x.id.clone())
            .collect();
        for c in children {
            if !gone.contains(&c) {
                gone.push(c);
            }
        }
        i += 1;
    }
    for id in gone {
        s.list_items.remove(&item_key(list_id, &id));
    }
}

pub fn slack_lists_items_delete(call: &Call<'_>) -> Result<Reply, SlackError> {
    let id = call.arg("id")?;
    call.write(|s, _| {
        let l = list(s, call, "list_id", Level::Write)?.clone();
        if !s.list_items.contains_key(&item_key(&l.id, id.trim())) {
            return Err(SlackError::Code("record_not_found"));
        }
        delete_items(s, &l.id, &[id.trim().to_string()]);
        Ok(ok(json!({})))
    })
}

pub fn slack_lists_items_delete_multiple(call: &Call<'_>) -> Result<Reply, SlackError> {
    let ids = call.params.list("ids");
    if ids.is_empty() {
        return Err(SlackError::missing("ids"));
    }
    call.write(|s, _| {
        let l = list(s, call, "list_id", Level::Write)?.clone();
        let known: Vec<String> =
            ids.iter().filter(|i| s.list_items.contains_key(&item_key(&l.id, i))).cloned().collect();
        delete_items(s, &l.id, &known);
        Ok(ok(json!({})))
    })
}

fn access_level(call: &Call<'_>) -> Result<String, SlackError> {
    let level = call.arg("access_level")?;
    match level.trim() {
        "read" | "write" | "owner" => Ok(level.trim().to_string()),
        _ => Err(SlackError::invalid("access_level")),
    }
}

pub fn slack_lists_access_set(call: &Call<'_>) -> Result<Reply, SlackError> {
    let level = access_level(call)?;
    let targets = targets(call)?;
    call.write(|s, _| {
        let mut l = list(s, call, "list_id", Level::Owner).map_err(restricted)?.clone();
        change_grants(s, call, &mut l.grants, &targets, Some(&level))?;
        s.lists.insert(l.id.clone(), l);
        Ok(ok(json!({})))
    })
}

pub fn slack_lists_access_delete(call: &Call<'_>) -> Result<Reply, SlackError> {
    let targets = targets(call)?;
    call.write(|s, _| {
        let mut l = list(s, call, "list_id", Level::Owner).map_err(restricted)?.clone();
        change_grants(s, call, &mut l.grants, &targets, None)?;
        s.lists.insert(l.id.clone(), l);
        Ok(ok(json!({})))
    })
}

/// Sharing is the owner's: others get `restricted_action`.
fn restricted(e: SlackError) -> SlackError {
    match e {
        SlackError::Code("permission_denied") => SlackError::Code("restricted_action"),
        other => other,
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The list as CSV: one column per schema column, one row per item.
pub fn list_csv(s: &SlackState, l: &SlackList, include_archived: bool) -> String {
    let mut out: Vec<String> = vec![l.schema.iter().map(|c| csv_field(&c.name)).collect::<Vec<_>>().join(",")];
    for item in sorted_items(s, &l.id).into_iter().filter(|i| include_archived || !i.archived) {
        let row: Vec<String> = l
            .schema
            .iter()
            .map(|col| {
                let Some(cell) = item.cells.iter().find(|c| c.column_id == col.id) else { return String::new() };
                let text = match (&cell.kind[..], &cell.value) {
                    ("rich_text", v) => {
                        let mut t = String::new();
                        plain_text(v, &mut t);
                        t
                    }
                    (_, Value::Array(items)) => items
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    (_, other) => other.to_string(),
                };
                csv_field(&text)
            })
            .collect();
        out.push(row.join(","));
    }
    out.join("\n") + "\n"
}

pub fn slack_lists_download_start(call: &Call<'_>) -> Result<Reply, SlackError> {
    let include_archived = call.params.flag("include_archived");
    if call.params.nonempty("format").is_some_and(|f| f != "csv") {
        return Err(SlackError::invalid("format"));
    }
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, ids| {
        let l = list(s, call, "list_id", Level::Read)?.clone();
        let job_id = loop {
            let id = ids.upper_id("Le", 10);
            if !s.list_exports.contains_key(&id) {
                break id;
            }
        };
        let csv = list_csv(s, &l, include_archived);
        s.list_exports.insert(
            job_id.clone(),
            ListExport { job_id: job_id.clone(), list_id: l.id.clone(), user: me.clone(), created: now, csv },
        );
        Ok(ok(json!({ "job_id": job_id })))
    })
}

/// The path an export is downloaded from (under the universe's URL).
pub const EXPORT_PREFIX: &str = "/files-pri/lists/";

pub fn slack_lists_download_get(call: &Call<'_>) -> Result<Reply, SlackError> {
    let job = call.arg("job_id")?;
    let base = call.ctx.universe_url();
    call.read(|s| {
        let l = list(s, call, "list_id", Level::Read)?;
        let export = s
            .list_exports
            .get(job.trim())
            .filter(|e| e.list_id == l.id && e.user == call.actor.user)
            .ok_or(SlackError::Code("job_not_found"))?;
        Ok(ok(json!({
            "status": "COMPLETED",
            "download_url": format!("{base}{EXPORT_PREFIX}{}/{}.csv", export.job_id, l.id),
        })))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (SlackState, SlackList) {
        let mut s = SlackState::default();
        s.users.insert("U1".into(), crate::model::User { id: "U1".into(), ..Default::default() });
        let mut ids = IdGen::new(3);
        let schema = vec![
            json!({"key": "title", "name": "Title", "type": "text", "is_primary_column": true}),
            json!({"key": "status", "name": "Status", "type": "select",
                   "options": {"choices": [{"value": "done", "label": "Done"}]}}),
            json!({"key": "due", "name": "Due", "type": "date"}),
        ];
        let columns = build_schema(Some(&schema), false, &mut ids).unwrap();
        let l = SlackList {
            id: "F1".into(),
            name: "l".into(),
            description_blocks: None,
            todo_mode: false,
            schema: columns,
            owner: "U1".into(),
            created: 0,
            updated: 0,
            grants: Grants::default(),
        };
        (s, l)
    }

    #[test]
    fn schemas_need_one_text_primary_column() {
        let mut ids = IdGen::new(1);
        let none = vec![json!({"key": "a", "type": "text"})];
        assert_eq!(build_schema(Some(&none), false, &mut ids), Err(SlackError::Code("invalid_primary_column")));
        let bad_type = vec![json!({"key": "a", "type": "hologram", "is_primary_column": true})];
        assert_eq!(build_schema(Some(&bad_type), false, &mut ids), Err(SlackError::Code("invalid_column_type")));
        let todo = build_schema(None, true, &mut ids).unwrap();
        let kinds: Vec<&str> = todo.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, vec!["text", "todo_completed", "todo_assignee", "todo_due_date"]);
    }

    #[test]
    fn cells_are_checked_against_their_column() {
        let (s, l) = sample();
        let (title, status, due) = (&l.schema[0].id, &l.schema[1].id, &l.schema[2].id);
        assert!(cell(&s, &l, &json!({"column_id": title, "text": "hi"})).is_ok());
        assert!(cell(&s, &l, &json!({"column_id": status, "select": ["done"]})).is_ok());
        assert_eq!(
            cell(&s, &l, &json!({"column_id": status, "select": ["nope"]})),
            Err(SlackError::Code("invalid_option_id"))
        );
        assert_eq!(
            cell(&s, &l, &json!({"column_id": due, "date": ["2025-13-01"]})),
            Err(SlackError::Code("invalid_date"))
        );
        assert_eq!(
            cell(&s, &l, &json!({"column_id": due, "number": [1]})),
            Err(SlackError::Code("invalid_input_type"))
        );
        assert_eq!(cell(&s, &l, &json!({"column_id": "ColX", "date": []})), Err(SlackError::Code("invalid_column_id")));
        assert_eq!(cell(&s, &l, &json!({"date": []})), Err(SlackError::Code("column_id_not_provided")));
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
