//! Issues: create (single and bulk), get with `fields`/`expand`, edit with `fields`
//! and `update` verbs, delete, assign, transitions, createmeta and editmeta. Every
//! effective change records one changelog history and bumps `updated`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use super::render::{self, FieldSel, FIELDS};
use super::Call;
use crate::adf;
use crate::errors::JiraError;
use crate::model::*;
use crate::seed::{insert_issue, NewIssue};
use crate::wire::{body_object, created, no_content, ok};

type R = Result<axum::response::Response, JiraError>;

/// The fields a create or edit screen shows (everything else cannot be set).
const SCREEN: &[&str] = &[
    "summary",
    "description",
    "environment",
    "issuetype",
    "project",
    "priority",
    "assignee",
    "reporter",
    "labels",
    "components",
    "duedate",
    "parent",
    "timetracking",
    "fixVersions",
    "versions",
    SPRINT_FIELD,
    STORY_POINTS_FIELD,
    START_DATE_FIELD,
];

pub fn not_on_screen(field: &str) -> String {
    format!("Field '{field}' cannot be set. It is not on the appropriate screen, or unknown.")
}

/// An issue the user may see, or Jira's 404 (the same for missing and forbidden).
pub fn visible<'a>(s: &'a JiraState, user: &User, id_or_key: &str) -> Result<&'a Issue, JiraError> {
    let issue = s.issue(id_or_key).ok_or_else(JiraError::issue_not_found)?;
    let project = s.projects.get(&issue.project_id).ok_or_else(JiraError::issue_not_found)?;
    if !s.can_browse(user, project) {
        return Err(JiraError::issue_not_found());
    }
    Ok(issue)
}

/// The URL segment of the API version a response links to.
pub fn ver(v3: bool) -> &'static str {
    if v3 {
        "3"
    } else {
        "2"
    }
}

/// An issue as GET issue and search render it; the issues of one answer share `memo`
/// (their people and statuses are rendered once).
#[allow(clippy::too_many_arguments)]
pub fn render_issue(
    memo: &render::PageMemo,
    s: &JiraState,
    base: &str,
    i: &Issue,
    v3: bool,
    sel: &FieldSel,
    expand: &[String],
    viewer: &User,
) -> Value {
    let mut v = Map::new();
    v.insert("expand".into(), json!(render::ISSUE_EXPAND));
    v.insert("id".into(), json!(i.id));
    v.insert("self".into(), json!(format!("{base}/rest/api/{}/issue/{}", ver(v3), i.id)));
    v.insert("key".into(), json!(i.key));
    let wants = |e: &str| expand.iter().any(|x| x.eq_ignore_ascii_case(e));
    if !sel.id_only() {
        // `all_fields` renders only what the selection wants.
        let fields = render::all_fields(s, base, i, v3, &viewer.account_id, &|k| sel.wants(k), memo);
        if wants("renderedFields") {
            let mut r = Map::new();
            for k in fields.keys() {
                let val = match k.as_str() {
                    "description" => i.description.as_ref().map_or(Value::Null, |d| json!(adf::to_html(d))),
                    "environment" => i.environment.as_ref().map_or(Value::Null, |d| json!(adf::to_html(d))),
                    "comment" => {
                        let cs: Vec<Value> = i
                            .comments
                            .iter()
                            .filter_map(|c| s.comments.get(c))
                            .map(|c| render::comment(s, base, c, v3, true))
                            .collect();
                        json!({"comments": cs, "maxResults": cs.len(), "total": cs.len(), "startAt": 0})
                    }
                    _ => Value::Null,
                };
                r.insert(k.clone(), val);
            }
            v.insert("renderedFields".into(), Value::Object(r));
        }
        if wants("names") {
            let names: Map<String, Value> =
                fields.keys().filter_map(|k| render::field_def(k).map(|d| (k.clone(), json!(d.name)))).collect();
            v.insert("names".into(), Value::Object(names));
        }
        if wants("schema") {
            let schema: Map<String, Value> = fields
                .keys()
                .filter_map(|k| render::field_def(k).map(|d| (k.clone(), render::field_schema(d))))
                .collect();
            v.insert("schema".into(), Value::Object(schema));
        }
        v.insert("fields".into(), Value::Object(fields));
    }
    if wants("transitions") {
        let ts: Vec<Value> = s
            .projects
            .get(&i.project_id)
            .map(|p| p.workflow.from_status(&i.status).map(|t| render::transition(s, base, t, false)).collect())
            .unwrap_or_default();
        v.insert("transitions".into(), Value::Array(ts));
    }
    if wants("changelog") {
        let hs: Vec<Value> = s.histories.of_issue(&i.id).map(|h| render::history(s, base, h)).collect();
        v.insert("changelog".into(), json!({"startAt": 0, "maxResults": hs.len(), "total": hs.len(), "histories": hs}));
    }
    if wants("editmeta") {
        v.insert("editmeta".into(), json!({"fields": field_meta(s, base, i.project_id.as_str(), false)}));
    }
    if wants("operations") {
        v.insert("operations".into(), json!({"linkGroups": []}));
    }
    Value::Object(v)
}

/// Field metadata of the create or edit screen, by field id.
pub fn field_meta(s: &JiraState, base: &str, project_id: &str, creating: bool) -> Map<String, Value> {
    let mut out = Map::new();
    let project = s.projects.get(project_id);
    for d in FIELDS.iter().filter(|d| SCREEN.contains(&d.id)) {
        if d.id == "project" && !creating {
            continue;
        }
        let required = matches!(d.id, "summary" | "issuetype" | "project");
        let operations: Vec<&str> = match d.kind {
            "array" => vec!["add", "set", "remove"],
            _ => vec!["set"],
        };
        let mut m = json!({
            "required": required,
            "schema": render::field_schema(d),
            "name": d.name,
            "key": d.id,
            "hasDefaultValue": d.id == "priority",
            "operations": operations,
        });
        let allowed: Option<Vec<Value>> = match d.id {
            "priority" => Some(s.priorities.values().map(|p| render::priority(base, p)).collect()),
            "issuetype" => project.map(|p| {
                p.issue_types.iter().filter_map(|t| s.issue_types.get(t)).map(|t| render::issue_type(base, t)).collect()
            }),
            "project" => project.map(|p| vec![render::project_ref(base, p)]),
            "components" => project.map(|p| p.components.iter().map(|c| render::component(base, p, c)).collect()),
            _ => None,
        };
        if let Some(a) = allowed {
            m["allowedValues"] = Value::Array(a);
        }
        if d.id == "priority" {
            if let Some(p) = s.priorities.get("3") {
                m["defaultValue"] = render::priority(base, p);
            }
        }
        if d.id == "labels" {
            m["autoCompleteUrl"] = json!(format!("{base}/rest/api/1.0/labels/suggest?query="));
        }
        out.insert(d.id.to_string(), m);
    }
    out
}

/// The text of a rich-text value in the version's form: an ADF document in v3, a
/// string in v2.
fn rich_input(field: &str, v: &Value, v3: bool) -> Result<Option<Value>, (String, String)> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if !v3 => Ok((!s.is_empty()).then(|| adf::from_wiki(s))),
        Value::Object(_) if v3 && adf::is_doc(v) => Ok(Some(v.clone())),
        _ if v3 => Err((
            field.to_string(),
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)".into(),
        )),
        _ => Err((field.to_string(), "Operation value must be a string".into())),
    }
}

/// A user reference (`{"accountId": …}`; null clears), as the field takes it.
fn user_ref(s: &JiraState, field: &str, v: &Value) -> Result<Option<String>, (String, String)> {
    match v {
        Value::Null => Ok(None),
        Value::Object(o) => {
            if o.contains_key("name") && !o.contains_key("accountId") {
                return Err((
                    field.into(),
                    "The query parameter 'username' is not supported in GDPR strict mode.".into(),
                ));
            }
            match o.get("accountId") {
                Some(Value::Null) => Ok(None),
                Some(Value::String(id)) if id == "-1" && field == "assignee" => Ok(None),
                Some(Value::String(id)) => match s.user(id) {
                    Some(u) if u.active => Ok(Some(u.account_id.clone())),
                    _ => Err((
                        field.into(),
                        "Specified user does not exist or you do not have required permissions".to_string(),
                    )),
                },
                _ => Err((field.into(), format!("Could not find valid 'accountId' in {field} object."))),
            }
        }
        _ => Err((field.into(), format!("Could not find valid 'accountId' in {field} object."))),
    }
}

/// `{"id": …}` or `{"name": …}` of a named thing; `None` when neither resolves.
fn named_ref<'a, T>(v: &Value, by: impl Fn(&str) -> Option<&'a T>) -> Option<&'a T> {
    let o = v.as_object()?;
    if let Some(id) = o.get("id") {
        let id = match id {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        return by(&id);
    }
    o.get("name").and_then(Value::as_str).and_then(by)
}

fn user_name(s: &JiraState, id: Option<&str>) -> Option<(String, String)> {
    id.map(|i| (i.to_string(), s.user(i).map(|u| u.display_name.clone()).unwrap_or_default()))
}

fn parse_seconds(text: &str) -> Option<i64> {
    let mut total = 0i64;
    let mut any = false;
    for part in text.split_whitespace() {
        let split = part.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        let (n, unit) = part.split_at(split);
        let n: f64 = n.parse().ok()?;
        let mult = match unit {
            "w" => 5.0 * 8.0 * 3600.0,
            "d" => 8.0 * 3600.0,
            "h" => 3600.0,
            "m" => 60.0,
            _ => return None,
        };
        total += (n * mult) as i64;
        any = true;
    }
    any.then_some(total)
}

/// `1w 2d 3h 30m` → seconds, on 8-hour days and 5-day weeks.
pub fn duration_seconds(text: &str) -> Option<i64> {
    parse_seconds(text.trim())
}

/// Sets one field, collecting the changelog items and the field errors.
#[allow(clippy::too_many_arguments)]
fn set_field(
    s: &JiraState,
    issue: &mut Issue,
    id: &str,
    v: &Value,
    v3: bool,
    items: &mut Vec<HistoryItem>,
    errors: &mut BTreeMap<String, String>,
) {
    let mut fail = |(f, m): (String, String)| {
        errors.insert(f, m);
    };
    match id {
        "summary" => match v.as_str().map(str::trim) {
            Some("") => fail((id.into(), "You must specify a summary of the issue.".into())),
            Some(t) if t.chars().count() > 255 => fail((id.into(), "Summary must be less than 255 characters.".into())),
            Some(t) if t.contains('\n') => {
                fail((id.into(), "The summary is invalid because it contains newline characters.".into()))
            }
            Some(t) => {
                if issue.summary != t {
                    items.push(item("summary", "summary", Some(issue.summary.clone()), Some(t.to_string())));
                    issue.summary = t.to_string();
                }
            }
            None => fail((id.into(), "Operation value must be a string".into())),
        },
        "description" | "environment" => match rich_input(id, v, v3) {
            Ok(doc) => {
                let slot = if id == "description" { &mut issue.description } else { &mut issue.environment };
                if *slot != doc {
                    items.push(item(id, id, slot.as_ref().map(adf::to_wiki), doc.as_ref().map(adf::to_wiki)));
                    *slot = doc;
                }
            }
            Err(e) => fail(e),
        },
        "issuetype" => match named_ref(v, |x| s.issue_type_by_name(x)) {
            Some(t) if s.projects.get(&issue.project_id).is_some_and(|p| p.issue_types.contains(&t.id)) => {
                if issue.issue_type != t.id {
                    let old = s.issue_types.get(&issue.issue_type).map(|o| (o.id.clone(), o.name.clone()));
                    items.push(item_ids("issuetype", "issuetype", old, Some((t.id.clone(), t.name.clone()))));
                    issue.issue_type = t.id.clone();
                }
            }
            _ => fail((id.into(), "Specify a valid issue type".into())),
        },
        "priority" => {
            if v.is_null() {
                issue.priority = None;
                return;
            }
            match named_ref(v, |x| s.priority_by_name(x)) {
                Some(p) => {
                    if issue.priority.as_deref() != Some(p.id.as_str()) {
                        let old = issue
                            .priority
                            .as_deref()
                            .and_then(|o| s.priorities.get(o))
                            .map(|o| (o.id.clone(), o.name.clone()));
                        items.push(item_ids("priority", "priority", old, Some((p.id.clone(), p.name.clone()))));
                        issue.priority = Some(p.id.clone());
                    }
                }
                None => fail((id.into(), "Specify the Priority (id or name) in the string format".into())),
            }
        }
        "assignee" | "reporter" => match user_ref(s, id, v) {
            Ok(who) => {
                let slot = if id == "assignee" { &mut issue.assignee } else { &mut issue.reporter };
                if *slot != who {
                    items.push(item_ids(id, id, user_name(s, slot.as_deref()), user_name(s, who.as_deref())));
                    *slot = who;
                }
            }
            Err(e) => fail(e),
        },
        "labels" => match v {
            Value::Array(a) => {
                let mut labels = Vec::new();
                for l in a {
                    match l.as_str() {
                        Some(t) if t.contains(' ') => {
                            return fail((id.into(), format!("The label '{t}' contains spaces which is invalid.")));
                        }
                        Some(t) if t.chars().count() > 255 => {
                            return fail((id.into(), "The label must not exceed 255 characters.".into()));
                        }
                        Some(t) if !t.is_empty() => {
                            if !labels.iter().any(|x: &String| x == t) {
                                labels.push(t.to_string());
                            }
                        }
                        _ => return fail((id.into(), "Operation value must be a string".into())),
                    }
                }
                set_labels(issue, labels, items);
            }
            Value::Null => set_labels(issue, vec![], items),
            _ => fail((id.into(), "Operation value must be an array".into())),
        },
        "components" => match v {
            Value::Array(a) => {
                let Some(p) = s.projects.get(&issue.project_id) else { return };
                let mut out = Vec::new();
                for c in a {
                    let name = c.get("name").and_then(Value::as_str).map(str::to_string).or_else(|| {
                        let id = c.get("id").and_then(|i| {
                            i.as_str().map(str::to_string).or_else(|| i.as_u64().map(|n| n.to_string()))
                        })?;
                        let n: usize = id.parse().ok()?;
                        p.components.get(n.checked_sub(10_000)?).cloned()
                    });
                    match name.filter(|n| p.components.contains(n)) {
                        Some(n) => out.push(n),
                        None => {
                            return fail((
                                id.into(),
                                format!(
                                    "Component name '{}' is not valid",
                                    c.get("name").and_then(Value::as_str).unwrap_or("")
                                ),
                            ))
                        }
                    }
                }
                if issue.components != out {
                    items.push(item("Component", "components", Some(issue.components.join(" ")), Some(out.join(" "))));
                    issue.components = out;
                }
            }
            _ => fail((id.into(), "Operation value must be an array".into())),
        },
        "fixVersions" | "versions" => match v {
            Value::Array(a) if a.is_empty() => {}
            Value::Null => {}
            _ => fail((id.into(), "Version name is not valid".into())),
        },
        "duedate" | START_DATE_FIELD => match v {
            Value::Null => {
                if id == "duedate" {
                    if issue.duedate.is_some() {
                        items.push(item("duedate", "duedate", issue.duedate.clone(), None));
                    }
                    issue.duedate = None;
                } else {
                    issue.custom.remove(id);
                }
            }
            Value::String(d) if NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() => {
                if id == "duedate" {
                    if issue.duedate.as_deref() != Some(d.as_str()) {
                        items.push(item("duedate", "duedate", issue.duedate.clone(), Some(d.clone())));
                    }
                    issue.duedate = Some(d.clone());
                } else {
                    issue.custom.insert(id.into(), json!(d));
                }
            }
            _ => fail((id.into(), format!("Error parsing date string: {}", v.as_str().unwrap_or(&v.to_string())))),
        },
        "parent" => match v {
            Value::Null => issue.parent = None,
            _ => {
                let target = v
                    .get("key")
                    .or_else(|| v.get("id"))
                    .and_then(|x| x.as_str().map(str::to_string).or_else(|| x.as_u64().map(|n| n.to_string())))
                    .and_then(|k| s.issue(&k));
                match target {
                    Some(p) if p.id != issue.id && p.project_id == issue.project_id => {
                        if issue.parent.as_deref() != Some(p.id.as_str()) {
                            items.push(item_ids("Parent", "parent", None, Some((p.id.clone(), p.key.clone()))));
                            issue.parent = Some(p.id.clone());
                        }
                    }
                    _ => fail((id.into(), "Could not find issue by id or key.".into())),
                }
            }
        },
        STORY_POINTS_FIELD => match v {
            Value::Null => {
                issue.custom.remove(id);
            }
            Value::Number(n) => {
                issue.custom.insert(id.into(), json!(n.as_f64().unwrap_or(0.0)));
            }
            _ => fail((id.into(), "Operation value must be a number".into())),
        },
        SPRINT_FIELD => match v {
            Value::Null => set_sprints(s, issue, vec![], items),
            Value::Number(n) => match n.as_u64().filter(|n| s.sprint(*n).is_some()) {
                Some(n) => set_sprints(s, issue, vec![n], items),
                None => fail((
                    id.into(),
                    format!("Sprint with id {n} does not exist or you do not have permission to see it."),
                )),
            },
            _ => fail((id.into(), "Number value expected as the Sprint id.".into())),
        },
        "timetracking" => match v.as_object() {
            Some(o) => {
                for (k, slot) in [("originalEstimate", 0), ("remainingEstimate", 1)] {
                    if let Some(t) = o.get(k).and_then(Value::as_str) {
                        match duration_seconds(t) {
                            Some(sec) => {
                                if slot == 0 {
                                    issue.original_estimate = Some(sec);
                                    if issue.remaining_estimate.is_none() || !o.contains_key("remainingEstimate") {
                                        issue.remaining_estimate = Some(sec);
                                    }
                                } else {
                                    issue.remaining_estimate = Some(sec);
                                }
                            }
                            None => {
                                return fail((
                                    "timetracking".into(),
                                    "The original estimate specified is not valid.".into(),
                                ))
                            }
                        }
                    }
                }
            }
            None => fail((id.into(), "Operation value must be an object".into())),
        },
        other => fail((other.to_string(), not_on_screen(other))),
    }
}

fn set_labels(issue: &mut Issue, labels: Vec<String>, items: &mut Vec<HistoryItem>) {
    if issue.labels != labels {
        items.push(item("labels", "labels", Some(issue.labels.join(" ")), Some(labels.join(" "))));
        issue.labels = labels;
    }
}

pub fn set_sprints(s: &JiraState, issue: &mut Issue, sprints: Vec<u64>, items: &mut Vec<HistoryItem>) {
    if issue.sprints == sprints {
        return;
    }
    let names =
        |ids: &[u64]| ids.iter().filter_map(|i| s.sprint(*i)).map(|x| x.name.clone()).collect::<Vec<_>>().join(", ");
    let ids = |ids: &[u64]| ids.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    items.push(HistoryItem {
        field: "Sprint".into(),
        field_type: "custom".into(),
        field_id: SPRINT_FIELD.into(),
        from: Some(ids(&issue.sprints)),
        from_string: Some(names(&issue.sprints)),
        to: Some(ids(&sprints)),
        to_string: Some(names(&sprints)),
    });
    issue.sprints = sprints;
}

/// A comment body to add, from `update.comment[].add`.
pub struct PendingComment {
    pub body: Value,
    pub visibility: Option<Value>,
}

/// Applies `fields` then `update`; returns the changelog items, the comments to add
/// and the links to add, or Jira's 400 with every field error.
pub struct Applied {
    pub items: Vec<HistoryItem>,
    pub comments: Vec<PendingComment>,
}

pub fn apply(
    s: &JiraState,
    issue: &mut Issue,
    fields: &Map<String, Value>,
    update: &Map<String, Value>,
    v3: bool,
    screen: &[&str],
) -> Result<Applied, JiraError> {
    let mut items = Vec::new();
    let mut errors = BTreeMap::new();
    let mut comments = Vec::new();
    for (k, v) in fields {
        if k == "project" {
            continue;
        }
        if update.contains_key(k) {
            errors.insert(k.clone(), format!("Field '{k}' cannot be set in both 'fields' and 'update'."));
            continue;
        }
        if !screen.contains(&k.as_str()) {
            errors.insert(k.clone(), not_on_screen(k));
            continue;
        }
        set_field(s, issue, k, v, v3, &mut items, &mut errors);
    }
    for (k, ops) in update {
        let Some(ops) = ops.as_array() else {
            errors.insert(k.clone(), format!("Field '{k}': the update must be a list of operations."));
            continue;
        };
        if k == "comment" {
            for op in ops {
                match op.get("add") {
                    Some(add) => match add.get("body").map(|b| rich_input("comment", b, v3)) {
                        Some(Ok(Some(body))) => {
                            comments.push(PendingComment { body, visibility: add.get("visibility").cloned() })
                        }
                        Some(Err(e)) => {
                            errors.insert(e.0, e.1);
                        }
                        _ => {
                            errors.insert("comment".into(), "Comment body can not be empty!".into());
                        }
                    },
                    None => {
                        errors.insert("comment".into(), "Only 'add' is supported for comments here.".into());
                    }
                }
            }
            continue;
        }
        if !screen.contains(&k.as_str()) {
            errors.insert(k.clone(), not_on_screen(k));
            continue;
        }
        for op in ops {
            let Some((verb, value)) = op.as_object().filter(|o| o.len() == 1).and_then(|o| o.iter().next()) else {
                errors.insert(k.clone(), format!("Field '{k}': each operation must be an object with one verb."));
                break;
            };
            let is_list = matches!(k.as_str(), "labels" | "components" | "fixVersions" | "versions");
            match (verb.as_str(), is_list) {
                ("set", _) | ("edit", false) => set_field(s, issue, k, value, v3, &mut items, &mut errors),
                ("add", true) | ("remove", true) => {
                    if k == "labels" {
                        let Some(label) = value.as_str() else {
                            errors.insert(k.clone(), "Operation value must be a string".into());
                            break;
                        };
                        let mut labels = issue.labels.clone();
                        if verb == "add" {
                            if label.contains(' ') {
                                errors.insert(
                                    k.clone(),
                                    format!("The label '{label}' contains spaces which is invalid."),
                                );
                                break;
                            }
                            if !labels.iter().any(|l| l == label) {
                                labels.push(label.to_string());
                            }
                        } else {
                            labels.retain(|l| l != label);
                        }
                        set_labels(issue, labels, &mut items);
                    } else if k == "components" {
                        let mut current: Vec<Value> = issue.components.iter().map(|c| json!({"name": c})).collect();
                        let name = value.get("name").and_then(Value::as_str).unwrap_or("");
                        if verb == "add" {
                            current.push(value.clone());
                        } else {
                            current.retain(|c| c.get("name").and_then(Value::as_str) != Some(name));
                        }
                        set_field(s, issue, k, &Value::Array(current), v3, &mut items, &mut errors);
                    } else {
                        errors.insert(k.clone(), "Version name is not valid".into());
                    }
                }
                _ => {
                    errors.insert(k.clone(), format!("Field '{k}': operation '{verb}' is not supported."));
                    break;
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(JiraError::fields(errors));
    }
    Ok(Applied { items, comments })
}

/// Adds comments to an issue (the caller bumps `updated`).
pub fn add_comments(
    s: &mut JiraState,
    issue: &mut Issue,
    comments: Vec<PendingComment>,
    author: &str,
    now: DateTime<Utc>,
) -> Vec<String> {
    let mut ids = Vec::new();
    for c in comments {
        let id = (10_000 + JiraState::next(&mut s.counters.comment) - 1).to_string();
        s.comments.insert(
            id.clone(),
            Comment {
                id: id.clone(),
                issue_id: issue.id.clone(),
                author: author.to_string(),
                update_author: author.to_string(),
                body: c.body,
                created: now,
                updated: now,
                visibility: c.visibility,
            },
        );
        issue.comments.push(id.clone());
        ids.push(id);
    }
    ids
}

/// Creates one issue from a create body. Errors are Jira's 400/404.
pub fn create_one(
    s: &mut JiraState,
    body: &Map<String, Value>,
    user: &User,
    v3: bool,
    now: DateTime<Utc>,
) -> Result<String, JiraError> {
    let empty = Map::new();
    let fields = match body.get("fields") {
        Some(Value::Object(f)) => f,
        None | Some(Value::Null) => &empty,
        Some(_) => return Err(JiraError::bad_request("The 'fields' member must be an object.")),
    };
    let update = match body.get("update") {
        Some(Value::Object(u)) => u.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(JiraError::bad_request("The 'update' member must be an object.")),
    };
    let mut errors = BTreeMap::new();
    let project = match fields.get("project") {
        Some(p) => {
            let found = named_ref(p, |x| s.project(x))
                .or_else(|| p.get("key").and_then(Value::as_str).and_then(|k| s.project(k)));
            match found.filter(|p| s.can_browse(user, p)) {
                Some(p) => Some(p.clone()),
                None => {
                    errors.insert("project".to_string(), "Specify a valid project ID or key".to_string());
                    None
                }
            }
        }
        None => {
            errors.insert("project".into(), "Specify a valid project ID or key".into());
            None
        }
    };
    let issue_type = match fields.get("issuetype") {
        Some(t) => match named_ref(t, |x| s.issue_type_by_name(x)) {
            Some(t) if project.as_ref().is_none_or(|p| p.issue_types.contains(&t.id)) => Some(t.clone()),
            _ => {
                errors.insert("issuetype".into(), "Specify a valid issue type".into());
                None
            }
        },
        None => {
            errors.insert("issuetype".into(), "Specify an issue type".into());
            None
        }
    };
    let summary_given = fields.get("summary").and_then(Value::as_str).is_some_and(|t| !t.trim().is_empty())
        || update.contains_key("summary");
    if !summary_given {
        errors.insert("summary".into(), "You must specify a summary of the issue.".into());
    }
    let (Some(project), Some(issue_type)) = (project, issue_type) else {
        return Err(JiraError::fields(errors));
    };
    if !errors.is_empty() {
        return Err(JiraError::fields(errors));
    }
    let id = insert_issue(
        s,
        NewIssue {
            project_id: &project.id,
            issue_type: &issue_type.id,
            summary: String::new(),
            reporter: Some(user.account_id.clone()),
            creator: &user.account_id,
            now,
        },
    )
    .ok_or_else(JiraError::internal)?;
    let mut issue = s.issues.get(&id).cloned().ok_or_else(JiraError::internal)?;
    let mut fields = fields.clone();
    fields.remove("issuetype");
    let applied = apply(s, &mut issue, &fields, &update, v3, SCREEN)?;
    if issue_type.subtask && issue.parent.is_none() {
        return Err(JiraError::field("parent", "Given parent work item does not belong to appropriate hierarchy."));
    }
    if let Some(r) = issue.reporter.clone() {
        if !issue.watchers.contains(&r) {
            issue.watchers.push(r);
        }
    }
    add_comments(s, &mut issue, applied.comments, &user.account_id, now);
    if let Some(Value::Object(props)) = body.get("properties").filter(|p| p.is_object()) {
        for (k, v) in props {
            issue.properties.insert(k.clone(), v.clone());
        }
    } else if let Some(Value::Array(props)) = body.get("properties") {
        for p in props {
            if let (Some(k), Some(v)) = (p.get("key").and_then(Value::as_str), p.get("value")) {
                issue.properties.insert(k.to_string(), v.clone());
            }
        }
    }
    s.issues.insert(id.clone(), issue);
    Ok(id)
}

pub async fn create(call: Call) -> R {
    let user = call.user()?;
    let body = body_object(&call.body)?;
    let now = call.now();
    let v3 = call.v3;
    let base = call.base().to_string();
    let (id, key) = call.write(|s, _| {
        let id = create_one(s, &body, &user, v3, now)?;
        let key = s.issues.get(&id).map(|i| i.key.clone()).unwrap_or_default();
        Ok((id, key))
    })?;
    Ok(created(&json!({"id": id, "key": key, "self": format!("{base}/rest/api/{}/issue/{id}", ver(v3))})))
}

pub async fn bulk_create(call: Call) -> R {
    let user = call.user()?;
    let body = body_object(&call.body)?;
    let Some(updates) = body.get("issueUpdates").and_then(Value::as_array).cloned() else {
        return Err(JiraError::bad_request("Issue updates must be provided."));
    };
    if updates.len() > 50 {
        return Err(JiraError::bad_request("The number of issues in the bulk create request exceeds the limit of 50."));
    }
    let now = call.now();
    let v3 = call.v3;
    let base = call.base().to_string();
    let (issues, errors) = call.write(|s, _| {
        let mut issues = Vec::new();
        let mut errors = Vec::new();
        for (n, u) in updates.iter().enumerate() {
            let Some(obj) = u.as_object() else {
                errors.push(json!({"status": 400, "elementErrors": {"errorMessages": ["Issue data must be an object."], "errors": {}}, "failedElementNumber": n}));
                continue;
            };
            // Each element commits or not on its own.
            let mut draft = s.clone();
            match create_one(&mut draft, obj, &user, v3, now) {
                Ok(id) => {
                    *s = draft;
                    let key = s.issues.get(&id).map(|i| i.key.clone()).unwrap_or_default();
                    issues.push(json!({"id": id, "key": key, "self": format!("{base}/rest/api/{}/issue/{id}", ver(v3))}));
                }
                Err(e) => errors.push(json!({"status": e.status, "elementErrors": e.body(), "failedElementNumber": n})),
            }
        }
        Ok((issues, errors))
    })?;
    let body = json!({"issues": issues, "errors": errors});
    if issues.is_empty() && !updates.is_empty() {
        return Ok(crate::wire::json(axum::http::StatusCode::BAD_REQUEST, &body));
    }
    Ok(created(&body))
}

pub async fn get(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let base = call.base().to_string();
    let sel = FieldSel::parse(&call.query.list("fields"), true);
    let expand = call.expand();
    let props = call.query.list("properties");
    let v3 = call.v3;
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        let mut v = render_issue(&render::PageMemo::default(), s, &base, i, v3, &sel, &expand, &user);
        if !props.is_empty() {
            let all = props.iter().any(|p| p == "*all");
            let m: Map<String, Value> = i
                .properties
                .iter()
                .filter(|(k, _)| all || props.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            v["properties"] = Value::Object(m);
        }
        Ok(ok(&v))
    })?
}

pub async fn edit(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let body = body_object(&call.body)?;
    let now = call.now();
    let v3 = call.v3;
    let return_issue = call.query.bool("returnIssue", false)?;
    let empty = Map::new();
    let fields = match body.get("fields") {
        Some(Value::Object(f)) => f.clone(),
        None | Some(Value::Null) => empty.clone(),
        Some(_) => return Err(JiraError::bad_request("The 'fields' member must be an object.")),
    };
    let update = match body.get("update") {
        Some(Value::Object(u)) => u.clone(),
        None | Some(Value::Null) => empty,
        Some(_) => return Err(JiraError::bad_request("The 'update' member must be an object.")),
    };
    let id = call.write(|s, _| {
        let mut issue = visible(s, &user, &key)?.clone();
        if fields.contains_key("project") {
            return Err(JiraError::field("project", not_on_screen("project")));
        }
        let applied = apply(s, &mut issue, &fields, &update, v3, SCREEN)?;
        let changed = !applied.items.is_empty() || !applied.comments.is_empty();
        add_comments(s, &mut issue, applied.comments, &user.account_id, now);
        if changed {
            issue.updated = now;
        }
        let id = issue.id.clone();
        s.issues.insert(id.clone(), issue);
        s.record_history(&id, &user.account_id, now, applied.items);
        Ok(id)
    })?;
    if return_issue {
        let base = call.base().to_string();
        let sel = FieldSel::parse(&[], true);
        return call.read(|s| {
            let i = s.issues.get(&id).ok_or_else(JiraError::issue_not_found)?;
            Ok(ok(&render_issue(&render::PageMemo::default(), s, &base, i, v3, &sel, &call.expand(), &user)))
        })?;
    }
    Ok(no_content())
}

pub async fn delete(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let delete_subtasks = call.query.bool("deleteSubtasks", false)?;
    call.write(|s, _| {
        let issue = visible(s, &user, &key)?.clone();
        let subtasks: Vec<String> = s.issues.children_of(&issue.id).map(str::to_string).collect();
        if !subtasks.is_empty() && !delete_subtasks {
            return Err(JiraError::bad_request(format!(
                "The issue '{}' has subtasks.  You must specify the 'deleteSubtasks' parameter to delete this issue and all its subtasks.",
                issue.key
            )));
        }
        for sub in subtasks {
            s.remove_issue(&sub);
        }
        // The key stays taken: the project counter never goes back.
        s.remove_issue(&issue.id);
        Ok(())
    })?;
    Ok(no_content())
}

pub async fn assign(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let body = crate::wire::body_value(&call.body)?;
    let now = call.now();
    let target = match &body {
        Value::Object(o) => match o.get("accountId") {
            Some(Value::String(a)) => Some(a.clone()),
            Some(Value::Null) | None => {
                if o.contains_key("name") {
                    return Err(JiraError::field(
                        "assignee",
                        "The query parameter 'username' is not supported in GDPR strict mode.",
                    ));
                }
                None
            }
            Some(_) => return Err(JiraError::bad_request("The accountId must be a string.")),
        },
        _ => return Err(JiraError::bad_request("The request body must be an object with 'accountId'.")),
    };
    call.write(|s, _| {
        let mut issue = visible(s, &user, &key)?.clone();
        let project = s.projects.get(&issue.project_id).cloned().ok_or_else(JiraError::issue_not_found)?;
        let new = match target.as_deref() {
            None => None,
            Some("-1") => (project.assignee_type == "PROJECT_LEAD").then(|| project.lead.clone()),
            Some(a) => {
                let u = s.user(a).ok_or_else(|| JiraError::field("assignee", format!("User '{a}' does not exist.")))?;
                if !u.active || !s.can_browse(u, &project) {
                    return Err(JiraError::field(
                        "assignee",
                        format!("User '{}' cannot be assigned issues.", u.display_name),
                    ));
                }
                Some(u.account_id.clone())
            }
        };
        if issue.assignee != new {
            let it =
                item_ids("assignee", "assignee", user_name(s, issue.assignee.as_deref()), user_name(s, new.as_deref()));
            issue.assignee = new;
            issue.updated = now;
            let id = issue.id.clone();
            s.issues.insert(id.clone(), issue);
            s.record_history(&id, &user.account_id, now, vec![it]);
        }
        Ok(())
    })?;
    Ok(no_content())
}

pub async fn transitions(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let base = call.base().to_string();
    let with_fields = call.expand().iter().any(|e| e == "transitions.fields");
    let only = call.query.text("transitionId").map(str::to_string);
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        let p = s.projects.get(&i.project_id).ok_or_else(JiraError::issue_not_found)?;
        let ts: Vec<Value> = p
            .workflow
            .from_status(&i.status)
            .filter(|t| only.as_deref().is_none_or(|o| o == t.id))
            .map(|t| render::transition(s, &base, t, with_fields))
            .collect();
        Ok(ok(&json!({"expand": "transitions", "transitions": ts})))
    })?
}

pub async fn transition(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let body = body_object(&call.body)?;
    let now = call.now();
    let v3 = call.v3;
    let id = match body.get("transition").and_then(|t| t.get("id")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(JiraError::bad_request("Missing 'transition' identifier")),
    };
    let fields = body.get("fields").and_then(Value::as_object).cloned().unwrap_or_default();
    let update = body.get("update").and_then(Value::as_object).cloned().unwrap_or_default();
    call.write(|s, _| {
        let mut issue = visible(s, &user, &key)?.clone();
        let project = s.projects.get(&issue.project_id).cloned().ok_or_else(JiraError::issue_not_found)?;
        let t = project
            .workflow
            .from_status(&issue.status)
            .find(|t| t.id == id)
            .cloned()
            .ok_or_else(|| JiraError::bad_request(format!("Transition id '{id}' is not valid for this issue.")))?;
        let mut fields = fields.clone();
        let resolution = match fields.remove("resolution") {
            Some(r) if t.screen => match named_ref(&r, |x| s.resolution_by_name(x)) {
                Some(r) => Some(r.id.clone()),
                None => return Err(JiraError::field("resolution", "Specify a valid resolution.")),
            },
            Some(_) => return Err(JiraError::field("resolution", not_on_screen("resolution"))),
            None => None,
        };
        let mut applied = apply(s, &mut issue, &fields, &update, v3, &["assignee", "labels", "priority"])?;
        let from = s.status(&issue.status).cloned();
        let to = s.status(&t.to).cloned().ok_or_else(JiraError::internal)?;
        let was_done = from.as_ref().is_some_and(|f| f.category == CAT_DONE);
        if issue.status != to.id {
            applied.items.push(item_ids(
                "status",
                "status",
                from.as_ref().map(|f| (f.id.clone(), f.name.clone())),
                Some((to.id.clone(), to.name.clone())),
            ));
            if from.as_ref().map(|f| f.category) != Some(to.category) {
                issue.status_changed = now;
            }
            issue.status = to.id.clone();
        }
        let new_resolution = if to.category == CAT_DONE {
            resolution.or_else(|| issue.resolution.clone()).or(Some("10000".into()))
        } else {
            None
        };
        if issue.resolution != new_resolution {
            let name = |r: &Option<String>| {
                r.as_deref().and_then(|x| s.resolutions.get(x)).map(|x| (x.id.clone(), x.name.clone()))
            };
            applied.items.push(item_ids("resolution", "resolution", name(&issue.resolution), name(&new_resolution)));
            issue.resolution = new_resolution;
        }
        if to.category == CAT_DONE && !was_done {
            issue.resolution_date = Some(now);
        } else if to.category != CAT_DONE {
            issue.resolution_date = None;
        }
        add_comments(s, &mut issue, applied.comments, &user.account_id, now);
        issue.updated = now;
        let iid = issue.id.clone();
        s.issues.insert(iid.clone(), issue);
        s.record_history(&iid, &user.account_id, now, applied.items);
        Ok(())
    })?;
    Ok(no_content())
}

pub async fn editmeta(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let base = call.base().to_string();
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        Ok(ok(&json!({"fields": field_meta(s, &base, &i.project_id, false)})))
    })?
}

/// The legacy createmeta (pycontribs `createmeta()`, jira.js v5).
pub async fn createmeta(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let keys = call.query.list("projectKeys");
    let ids = call.query.list("projectIds");
    let type_names = call.query.list("issuetypeNames");
    let type_ids = call.query.list("issuetypeIds");
    let with_fields = call.expand().iter().any(|e| e == "projects.issuetypes.fields");
    let out: Vec<Value> = call.read(|s| {
        let mut ps: Vec<&Project> = s
            .projects
            .values()
            .map(|p| &**p)
            .filter(|p| s.can_browse(&user, p))
            .filter(|p| keys.is_empty() || keys.iter().any(|k| k.eq_ignore_ascii_case(&p.key)))
            .filter(|p| ids.is_empty() || ids.contains(&p.id))
            .collect();
        ps.sort_by(|a, b| a.key.cmp(&b.key));
        ps.into_iter()
            .map(|p| {
                let types: Vec<Value> = p
                    .issue_types
                    .iter()
                    .filter_map(|t| s.issue_types.get(t))
                    .filter(|t| type_names.is_empty() || type_names.iter().any(|n| n.eq_ignore_ascii_case(&t.name)))
                    .filter(|t| type_ids.is_empty() || type_ids.contains(&t.id))
                    .map(|t| {
                        let mut v = render::issue_type(&base, t);
                        v["expand"] = json!("fields");
                        if with_fields {
                            v["fields"] = Value::Object(field_meta(s, &base, &p.id, true));
                        }
                        v
                    })
                    .collect();
                let mut v = render::project_ref(&base, p);
                v["issuetypes"] = Value::Array(types);
                v.as_object_mut().map(|o| o.remove("projectTypeKey"));
                v.as_object_mut().map(|o| o.remove("simplified"));
                v
            })
            .collect()
    })?;
    Ok(ok(&json!({"expand": "projects", "projects": out})))
}

pub async fn createmeta_types(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let key = call.param("projectIdOrKey").to_string();
    let (start, max) = call.query.paging(50, 200)?;
    call.read(|s| {
        let p = super::meta::visible_project(s, &user, &key)?;
        let all: Vec<Value> =
            p.issue_types.iter().filter_map(|t| s.issue_types.get(t)).map(|t| render::issue_type(&base, t)).collect();
        let page = crate::wire::slice(&all, start, max);
        Ok(ok(&json!({"maxResults": max, "startAt": start, "total": all.len(), "issueTypes": page})))
    })?
}

pub async fn createmeta_fields(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let key = call.param("projectIdOrKey").to_string();
    let type_id = call.param("issueTypeId").to_string();
    let (start, max) = call.query.paging(50, 200)?;
    call.read(|s| {
        let p = super::meta::visible_project(s, &user, &key)?;
        if !p.issue_types.contains(&type_id) {
            return Err(JiraError::not_found(format!(
                "Issue type with id '{type_id}' does not exist in project '{}'.",
                p.key
            )));
        }
        let all: Vec<Value> = field_meta(s, &base, &p.id, true)
            .into_iter()
            .map(|(k, mut v)| {
                v["fieldId"] = json!(k);
                v
            })
            .collect();
        let page = crate::wire::slice(&all, start, max);
        Ok(ok(&json!({"maxResults": max, "startAt": start, "total": all.len(), "fields": page, "results": page})))
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_on_working_days() {
        assert_eq!(duration_seconds("1w 2d 3h 30m"), Some(5 * 8 * 3600 + 2 * 8 * 3600 + 3 * 3600 + 1800));
        assert_eq!(duration_seconds("2h"), Some(7200));
        assert_eq!(duration_seconds("soon"), None);
        assert_eq!(render::duration_text(5 * 8 * 3600 + 3600), "1w 1h");
    }
}
