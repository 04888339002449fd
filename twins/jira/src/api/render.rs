//! State → Jira's JSON, per request: absolute `self` links on the address the client
//! used, rich text as ADF (v3) or wiki markup (v2), every system field of an issue
//! present (null when unset).

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::adf;
use crate::model::*;
use crate::wire::{ts, ts_opt};

/// A field of the site's catalogue, as `/field` lists it.
pub struct FieldDef {
    pub id: &'static str,
    pub name: &'static str,
    pub custom: bool,
    pub kind: &'static str,
    pub items: Option<&'static str>,
    pub custom_type: Option<&'static str>,
    pub clause_names: &'static [&'static str],
    pub navigable: bool,
    pub orderable: bool,
    pub searchable: bool,
}

const fn f(
    id: &'static str,
    name: &'static str,
    kind: &'static str,
    items: Option<&'static str>,
    clause_names: &'static [&'static str],
) -> FieldDef {
    FieldDef {
        id,
        name,
        custom: false,
        kind,
        items,
        custom_type: None,
        clause_names,
        navigable: true,
        orderable: true,
        searchable: true,
    }
}

const fn cf(
    id: &'static str,
    name: &'static str,
    kind: &'static str,
    items: Option<&'static str>,
    custom_type: &'static str,
    clause_names: &'static [&'static str],
) -> FieldDef {
    FieldDef {
        id,
        name,
        custom: true,
        kind,
        items,
        custom_type: Some(custom_type),
        clause_names,
        navigable: true,
        orderable: true,
        searchable: true,
    }
}

pub const FIELDS: &[FieldDef] = &[
    f("summary", "Summary", "string", None, &["summary"]),
    f("description", "Description", "string", None, &["description"]),
    f("environment", "Environment", "string", None, &["environment"]),
    f("issuetype", "Issue Type", "issuetype", None, &["issuetype", "type"]),
    f("project", "Project", "project", None, &["project"]),
    f("status", "Status", "status", None, &["status"]),
    f("priority", "Priority", "priority", None, &["priority"]),
    f("resolution", "Resolution", "resolution", None, &["resolution"]),
    f("resolutiondate", "Resolved", "datetime", None, &["resolutiondate", "resolved"]),
    f("assignee", "Assignee", "user", None, &["assignee"]),
    f("reporter", "Reporter", "user", None, &["reporter"]),
    f("creator", "Creator", "user", None, &["creator"]),
    f("labels", "Labels", "array", Some("string"), &["labels"]),
    f("components", "Components", "array", Some("component"), &["component"]),
    f("fixVersions", "Fix versions", "array", Some("version"), &["fixVersion"]),
    f("versions", "Affects versions", "array", Some("version"), &["affectedVersion"]),
    f("duedate", "Due date", "date", None, &["due", "duedate"]),
    f("created", "Created", "datetime", None, &["created", "createdDate"]),
    f("updated", "Updated", "datetime", None, &["updated", "updatedDate"]),
    f("lastViewed", "Last Viewed", "datetime", None, &["lastViewed"]),
    f("statuscategorychangedate", "Status Category Changed", "datetime", None, &["statusCategoryChangedDate"]),
    f("comment", "Comment", "comments-page", None, &["comment"]),
    f("worklog", "Log Work", "array", Some("worklog"), &["worklogAuthor", "worklogComment", "worklogDate"]),
    f("attachment", "Attachment", "array", Some("attachment"), &["attachments"]),
    f("issuelinks", "Linked Issues", "array", Some("issuelinks"), &["issueLink"]),
    f("subtasks", "Sub-tasks", "array", Some("issuelinks"), &["subtasks"]),
    f("parent", "Parent", "issuelink", None, &["parent"]),
    f("watches", "Watchers", "watches", None, &["watcher", "watchers"]),
    f("votes", "Votes", "votes", None, &["votes"]),
    f("timetracking", "Time tracking", "timetracking", None, &[]),
    f("timespent", "Time Spent", "number", None, &["timespent"]),
    f("timeoriginalestimate", "Original estimate", "number", None, &["originalEstimate", "timeoriginalestimate"]),
    f("timeestimate", "Remaining Estimate", "number", None, &["remainingEstimate", "timeestimate"]),
    f("aggregatetimespent", "Σ Time Spent", "number", None, &[]),
    f("aggregatetimeoriginalestimate", "Σ Original Estimate", "number", None, &[]),
    f("aggregatetimeestimate", "Σ Remaining Estimate", "number", None, &[]),
    f("progress", "Progress", "progress", None, &["progress"]),
    f("aggregateprogress", "Σ Progress", "progress", None, &[]),
    f("workratio", "Work Ratio", "number", None, &["workratio"]),
    f("security", "Security Level", "securitylevel", None, &["level"]),
    cf(SPRINT_FIELD, "Sprint", "array", Some("json"), "com.pyxis.greenhopper.jira:gh-sprint", &["cf[10020]", "Sprint"]),
    cf(
        STORY_POINTS_FIELD,
        "Story point estimate",
        "number",
        None,
        "com.pyxis.greenhopper.jira:jsw-story-points",
        &["cf[10016]", "Story point estimate"],
    ),
    cf(RANK_FIELD, "Rank", "any", None, "com.pyxis.greenhopper.jira:gh-lexo-rank", &["cf[10019]", "Rank"]),
    cf(
        START_DATE_FIELD,
        "Start date",
        "date",
        None,
        "com.atlassian.jira.plugin.system.customfieldtypes:datepicker",
        &["cf[10015]", "Start date"],
    ),
];

/// `issuekey` is listed by `/field` but is not a member of an issue's `fields`.
pub const ISSUEKEY: FieldDef = FieldDef {
    id: "issuekey",
    name: "Key",
    custom: false,
    kind: "",
    items: None,
    custom_type: None,
    clause_names: &["id", "issue", "issuekey", "key"],
    navigable: true,
    orderable: false,
    searchable: false,
};

pub fn field_def(id: &str) -> Option<&'static FieldDef> {
    FIELDS.iter().find(|f| f.id == id)
}

pub fn field_schema(d: &FieldDef) -> Value {
    let mut s = Map::new();
    s.insert("type".into(), json!(d.kind));
    if let Some(i) = d.items {
        s.insert("items".into(), json!(i));
    }
    match d.custom_type {
        Some(c) => {
            s.insert("custom".into(), json!(c));
            let n: u64 = d.id.trim_start_matches("customfield_").parse().unwrap_or(0);
            s.insert("customId".into(), json!(n));
        }
        None => {
            s.insert("system".into(), json!(d.id));
        }
    }
    Value::Object(s)
}

pub fn field(d: &FieldDef) -> Value {
    let mut v = json!({
        "id": d.id,
        "key": d.id,
        "name": d.name,
        "custom": d.custom,
        "orderable": d.orderable,
        "navigable": d.navigable,
        "searchable": d.searchable,
        "clauseNames": d.clause_names,
    });
    if !d.kind.is_empty() {
        v["schema"] = field_schema(d);
    }
    if d.custom {
        let n = d.id.trim_start_matches("customfield_");
        v["schema"]["customId"] = json!(n.parse::<u64>().unwrap_or(0));
    }
    v
}

pub fn avatar_urls(base: &str, kind: &str, id: &str) -> Value {
    let url = |size: u32| format!("{base}/secure/{kind}avatar?size={size}&avatarId={id}");
    json!({"48x48": url(48), "24x24": url(24), "16x16": url(16), "32x32": url(32)})
}

pub fn user(base: &str, u: &User) -> Value {
    json!({
        "self": format!("{base}/rest/api/3/user?accountId={}", crate::wire::encode(&u.account_id)),
        "accountId": u.account_id,
        "accountType": "atlassian",
        "emailAddress": u.email,
        "avatarUrls": avatar_urls(base, "user", "10122"),
        "displayName": u.display_name,
        "active": u.active,
        "timeZone": u.time_zone,
    })
}

pub fn user_opt(s: &JiraState, base: &str, id: Option<&str>) -> Value {
    id.and_then(|i| s.user(i)).map_or(Value::Null, |u| user(base, u))
}

pub fn status_category(base: &str, cat: u8) -> Value {
    let (key, color, name) = match cat {
        CAT_NEW => ("new", "blue-gray", "To Do"),
        CAT_IN_PROGRESS => ("indeterminate", "yellow", "In Progress"),
        CAT_DONE => ("done", "green", "Done"),
        _ => ("undefined", "medium-gray", "No Category"),
    };
    json!({"self": format!("{base}/rest/api/3/statuscategory/{cat}"), "id": cat, "key": key, "colorName": color, "name": name})
}

pub fn status(base: &str, s: &Status) -> Value {
    json!({
        "self": format!("{base}/rest/api/3/status/{}", s.id),
        "description": s.description,
        "iconUrl": format!("{base}/images/icons/statuses/generic.png"),
        "name": s.name,
        "untranslatedName": s.name,
        "id": s.id,
        "statusCategory": status_category(base, s.category),
    })
}

pub fn status_of(st: &JiraState, base: &str, id: &str) -> Value {
    st.status(id).map_or(Value::Null, |s| status(base, s))
}

pub fn issue_type(base: &str, t: &IssueType) -> Value {
    json!({
        "self": format!("{base}/rest/api/3/issuetype/{}", t.id),
        "id": t.id,
        "description": t.description,
        "iconUrl": format!("{base}/rest/api/2/universal_avatar/view/type/issuetype/avatar/10318?size=medium"),
        "name": t.name,
        "subtask": t.subtask,
        "avatarId": 10318,
        "hierarchyLevel": t.hierarchy_level,
    })
}

pub fn priority(base: &str, p: &Named) -> Value {
    json!({
        "self": format!("{base}/rest/api/3/priority/{}", p.id),
        "iconUrl": format!("{base}/images/icons/priorities/{}.svg", p.name.to_lowercase()),
        "name": p.name,
        "id": p.id,
    })
}

pub fn priority_full(base: &str, p: &Named) -> Value {
    let mut v = priority(base, p);
    v["description"] = json!(p.description);
    v["statusColor"] = json!(p.color);
    v["isDefault"] = json!(p.id == "3");
    v
}

pub fn resolution(base: &str, r: &Named) -> Value {
    json!({"self": format!("{base}/rest/api/3/resolution/{}", r.id), "id": r.id, "description": r.description, "name": r.name})
}

pub fn project_ref(base: &str, p: &Project) -> Value {
    json!({
        "self": format!("{base}/rest/api/3/project/{}", p.id),
        "id": p.id,
        "key": p.key,
        "name": p.name,
        "projectTypeKey": p.type_key,
        "simplified": false,
        "avatarUrls": avatar_urls(base, "project", "10400"),
    })
}

pub fn component(base: &str, p: &Project, name: &str) -> Value {
    let n = p.components.iter().position(|c| c == name).unwrap_or(0) + 10_000;
    json!({"self": format!("{base}/rest/api/3/component/{n}"), "id": n.to_string(), "name": name})
}

/// A project as `GET /project/{key}` gives it (`expand` adds issue types, lead, …).
pub fn project(s: &JiraState, base: &str, p: &Project, expand: &[String]) -> Value {
    let mut v = project_ref(base, p);
    v["description"] = json!(p.description);
    v["isPrivate"] = json!(!p.browse_groups.is_empty());
    v["style"] = json!("classic");
    v["assigneeType"] = json!(p.assignee_type);
    v["properties"] = json!({});
    v["uuid"] = json!(format!("00000000-0000-4000-8000-0000000{}", p.id));
    v["lead"] = user_opt(s, base, Some(&p.lead));
    v["issueTypes"] =
        Value::Array(p.issue_types.iter().filter_map(|t| s.issue_types.get(t)).map(|t| issue_type(base, t)).collect());
    v["components"] = Value::Array(p.components.iter().map(|c| component(base, p, c)).collect());
    v["versions"] = json!([]);
    v["roles"] = json!({});
    v["expand"] = json!("description,lead,issueTypes,url,projectKeys,permissions,insight");
    let _ = expand;
    v
}

/// Sprint as the Sprint field and the Agile API show it.
pub fn sprint(base: &str, sp: &Sprint) -> Value {
    let mut v = json!({
        "id": sp.id,
        "self": format!("{base}/rest/agile/1.0/sprint/{}", sp.id),
        "state": sp.state.as_str(),
        "name": sp.name,
        "originBoardId": sp.board_id,
        "goal": sp.goal,
        "createdDate": ts_agile(sp.created),
    });
    if let Some(d) = sp.start {
        v["startDate"] = json!(ts_agile(d));
    }
    if let Some(d) = sp.end {
        v["endDate"] = json!(ts_agile(d));
    }
    if let Some(d) = sp.complete {
        v["completeDate"] = json!(ts_agile(d));
    }
    v
}

/// The Agile API writes dates as ISO 8601 with `Z`.
pub fn ts_agile(dt: chrono::DateTime<chrono::Utc>) -> String {
    dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Rich text for the version asked: ADF in v3, wiki markup in v2.
pub fn rich(doc: Option<&Value>, v3: bool) -> Value {
    match doc {
        None => Value::Null,
        Some(d) if v3 => d.clone(),
        Some(d) => Value::String(adf::to_wiki(d)),
    }
}

pub fn comment(s: &JiraState, base: &str, c: &Comment, v3: bool, rendered: bool) -> Value {
    let mut v = json!({
        "self": format!("{base}/rest/api/{}/issue/{}/comment/{}", if v3 { 3 } else { 2 }, c.issue_id, c.id),
        "id": c.id,
        "author": user_opt(s, base, Some(&c.author)),
        "body": rich(Some(&c.body), v3),
        "updateAuthor": user_opt(s, base, Some(&c.update_author)),
        "created": ts(c.created),
        "updated": ts(c.updated),
        "jsdPublic": true,
    });
    if let Some(vis) = &c.visibility {
        v["visibility"] = vis.clone();
    }
    if rendered {
        v["renderedBody"] = json!(adf::to_html(&c.body));
    }
    v
}

/// `1w 2d 3h 30m`, on 8-hour days and 5-day weeks.
pub fn duration_text(seconds: i64) -> String {
    let mut left = seconds.max(0) / 60;
    let mut parts = Vec::new();
    for (unit, minutes) in [("w", 5 * 8 * 60), ("d", 8 * 60), ("h", 60), ("m", 1)] {
        let n = left / minutes;
        if n > 0 {
            parts.push(format!("{n}{unit}"));
            left -= n * minutes;
        }
    }
    if parts.is_empty() {
        "0m".into()
    } else {
        parts.join(" ")
    }
}

pub fn worklog(s: &JiraState, base: &str, w: &Worklog, v3: bool) -> Value {
    let mut v = json!({
        "self": format!("{base}/rest/api/{}/issue/{}/worklog/{}", if v3 { 3 } else { 2 }, w.issue_id, w.id),
        "author": user_opt(s, base, Some(&w.author)),
        "updateAuthor": user_opt(s, base, Some(&w.update_author)),
        "created": ts(w.created),
        "updated": ts(w.updated),
        "started": ts(w.started),
        "timeSpent": duration_text(w.seconds),
        "timeSpentSeconds": w.seconds,
        "id": w.id,
        "issueId": w.issue_id,
    });
    if let Some(c) = &w.comment {
        v["comment"] = rich(Some(c), v3);
    }
    v
}

pub fn attachment(s: &JiraState, base: &str, a: &Attachment) -> Value {
    json!({
        "self": format!("{base}/rest/api/3/attachment/{}", a.id),
        "id": a.id,
        "filename": a.filename,
        "author": user_opt(s, base, Some(&a.author)),
        "created": ts(a.created),
        "size": a.size,
        "mimeType": a.mime_type,
        "content": format!("{base}/rest/api/3/attachment/content/{}", a.id),
    })
}

pub fn link_type(base: &str, t: &LinkType) -> Value {
    json!({"id": t.id, "name": t.name, "inward": t.inward, "outward": t.outward, "self": format!("{base}/rest/api/3/issueLinkType/{}", t.id)})
}

/// The short form of a linked issue (`inwardIssue`, `subtasks`, `parent`).
pub fn issue_ref(s: &JiraState, base: &str, i: &Issue) -> Value {
    json!({
        "id": i.id,
        "key": i.key,
        "self": format!("{base}/rest/api/3/issue/{}", i.id),
        "fields": {
            "summary": i.summary,
            "status": status_of(s, base, &i.status),
            "priority": i.priority.as_deref().and_then(|p| s.priorities.get(p)).map_or(Value::Null, |p| priority(base, p)),
            "issuetype": s.issue_types.get(&i.issue_type).map_or(Value::Null, |t| issue_type(base, t)),
        }
    })
}

/// A link as one of its issues sees it.
pub fn link_from(s: &JiraState, base: &str, l: &IssueLink, viewer: &str) -> Option<Value> {
    let t = s.link_types.get(&l.type_id)?;
    let mut v =
        json!({"id": l.id, "self": format!("{base}/rest/api/3/issueLink/{}", l.id), "type": link_type(base, t)});
    if l.outward == viewer {
        v["outwardIssue"] = issue_ref(s, base, s.issues.get(&l.inward)?);
    } else {
        v["inwardIssue"] = issue_ref(s, base, s.issues.get(&l.outward)?);
    }
    Some(v)
}

pub fn link_full(s: &JiraState, base: &str, l: &IssueLink) -> Option<Value> {
    let t = s.link_types.get(&l.type_id)?;
    Some(json!({
        "id": l.id,
        "self": format!("{base}/rest/api/3/issueLink/{}", l.id),
        "type": link_type(base, t),
        "inwardIssue": issue_ref(s, base, s.issues.get(&l.inward)?),
        "outwardIssue": issue_ref(s, base, s.issues.get(&l.outward)?),
    }))
}

fn opt_num(n: Option<i64>) -> Value {
    n.map_or(Value::Null, Value::from)
}

/// Every field of an issue, by id; fields `want` refuses are left out without being
/// computed (subtasks, comments and links cost the most).
/// What the issues of one answer share: a page of issues names a handful of people
/// and statuses, each rendered once here and cloned after.
#[derive(Default)]
pub struct PageMemo {
    users: RefCell<HashMap<String, Value>>,
    statuses: RefCell<HashMap<String, Value>>,
}

impl PageMemo {
    fn memoized(map: &RefCell<HashMap<String, Value>>, id: Option<&str>, render: impl FnOnce(&str) -> Value) -> Value {
        let Some(id) = id else { return Value::Null };
        if let Some(v) = map.borrow().get(id) {
            return v.clone();
        }
        let v = render(id);
        map.borrow_mut().insert(id.to_string(), v.clone());
        v
    }

    pub fn user(&self, s: &JiraState, base: &str, id: Option<&str>) -> Value {
        Self::memoized(&self.users, id, |id| user_opt(s, base, Some(id)))
    }

    pub fn status(&self, s: &JiraState, base: &str, id: &str) -> Value {
        Self::memoized(&self.statuses, Some(id), |id| status_of(s, base, id))
    }
}

pub fn all_fields(
    s: &JiraState,
    base: &str,
    i: &Issue,
    v3: bool,
    viewer: &str,
    want: &dyn Fn(&str) -> bool,
    memo: &PageMemo,
) -> Map<String, Value> {
    let mut m = Map::new();
    let project = s.projects.get(&i.project_id);
    let spent: i64 = i.worklogs.iter().filter_map(|w| s.worklogs.get(w)).map(|w| w.seconds).sum();
    let spent_v = if i.worklogs.is_empty() { None } else { Some(spent) };
    if want("statuscategorychangedate") {
        m.insert("statuscategorychangedate".into(), json!(ts(i.status_changed)));
    }
    if want("issuetype") {
        m.insert("issuetype".into(), s.issue_types.get(&i.issue_type).map_or(Value::Null, |t| issue_type(base, t)));
    }
    if want("timespent") {
        m.insert("timespent".into(), opt_num(spent_v));
    }
    if want("project") {
        m.insert("project".into(), project.map_or(Value::Null, |p| project_ref(base, p)));
    }
    if want("fixVersions") {
        m.insert("fixVersions".into(), json!([]));
    }
    if want("aggregatetimespent") {
        m.insert("aggregatetimespent".into(), opt_num(spent_v));
    }
    if want("resolution") {
        m.insert(
            "resolution".into(),
            i.resolution.as_deref().and_then(|r| s.resolutions.get(r)).map_or(Value::Null, |r| resolution(base, r)),
        );
    }
    if want("resolutiondate") {
        m.insert("resolutiondate".into(), ts_opt(i.resolution_date));
    }
    if want("workratio") {
        m.insert("workratio".into(), json!(-1));
    }
    if want("lastViewed") {
        m.insert("lastViewed".into(), Value::Null);
    }
    if want("watches") {
        m.insert(
        "watches".into(),
        json!({"self": format!("{base}/rest/api/3/issue/{}/watchers", i.key), "watchCount": i.watchers.len(), "isWatching": i.watchers.iter().any(|w| w == viewer)}),
    );
    }
    if want("created") {
        m.insert("created".into(), json!(ts(i.created)));
    }
    if want("priority") {
        m.insert(
            "priority".into(),
            i.priority.as_deref().and_then(|p| s.priorities.get(p)).map_or(Value::Null, |p| priority(base, p)),
        );
    }
    if want("labels") {
        m.insert("labels".into(), json!(i.labels));
    }
    if want("timeestimate") {
        m.insert("timeestimate".into(), opt_num(i.remaining_estimate));
    }
    if want("aggregatetimeoriginalestimate") {
        m.insert("aggregatetimeoriginalestimate".into(), opt_num(i.original_estimate));
    }
    if want("versions") {
        m.insert("versions".into(), json!([]));
    }
    if want("issuelinks") {
        m.insert(
            "issuelinks".into(),
            Value::Array(
                i.links.iter().filter_map(|l| s.links.get(l)).filter_map(|l| link_from(s, base, l, &i.id)).collect(),
            ),
        );
    }
    if want("assignee") {
        m.insert("assignee".into(), memo.user(s, base, i.assignee.as_deref()));
    }
    if want("updated") {
        m.insert("updated".into(), json!(ts(i.updated)));
    }
    if want("status") {
        m.insert("status".into(), memo.status(s, base, &i.status));
    }
    if want("components") {
        m.insert(
            "components".into(),
            Value::Array(i.components.iter().filter_map(|c| project.map(|p| component(base, p, c))).collect()),
        );
    }
    if want("timeoriginalestimate") {
        m.insert("timeoriginalestimate".into(), opt_num(i.original_estimate));
    }
    if want("description") {
        m.insert("description".into(), rich(i.description.as_ref(), v3));
    }
    if want("timetracking") {
        let mut tt = Map::new();
        if let Some(o) = i.original_estimate {
            tt.insert("originalEstimate".into(), json!(duration_text(o)));
            tt.insert("originalEstimateSeconds".into(), json!(o));
        }
        if let Some(r) = i.remaining_estimate {
            tt.insert("remainingEstimate".into(), json!(duration_text(r)));
            tt.insert("remainingEstimateSeconds".into(), json!(r));
        }
        if let Some(sp) = spent_v {
            tt.insert("timeSpent".into(), json!(duration_text(sp)));
            tt.insert("timeSpentSeconds".into(), json!(sp));
        }
        m.insert("timetracking".into(), Value::Object(tt));
    }
    if want("security") {
        m.insert("security".into(), Value::Null);
    }
    if want("attachment") {
        m.insert(
            "attachment".into(),
            Value::Array(
                i.attachments.iter().filter_map(|a| s.attachments.get(a)).map(|a| attachment(s, base, a)).collect(),
            ),
        );
    }
    if want("aggregatetimeestimate") {
        m.insert("aggregatetimeestimate".into(), opt_num(i.remaining_estimate));
    }
    if want("summary") {
        m.insert("summary".into(), json!(i.summary));
    }
    if want("creator") {
        m.insert("creator".into(), memo.user(s, base, Some(&i.creator)));
    }
    if want("subtasks") {
        let subtasks: Vec<Value> = s
            .issues
            .children_of(&i.id)
            .filter_map(|c| s.issues.get(c))
            .filter(|x| s.issue_types.get(&x.issue_type).is_some_and(|t| t.subtask))
            .map(|x| issue_ref(s, base, x))
            .collect();
        m.insert("subtasks".into(), Value::Array(subtasks));
    }
    if want("reporter") {
        m.insert("reporter".into(), memo.user(s, base, i.reporter.as_deref()));
    }
    let total = i.original_estimate.unwrap_or(0).max(spent + i.remaining_estimate.unwrap_or(0));
    let progress = || json!({"progress": spent, "total": total});
    if want("aggregateprogress") {
        m.insert("aggregateprogress".into(), progress());
    }
    if want("progress") {
        m.insert("progress".into(), progress());
    }
    if want("votes") {
        m.insert(
        "votes".into(),
        json!({"self": format!("{base}/rest/api/3/issue/{}/votes", i.key), "votes": i.voters.len(), "hasVoted": i.voters.iter().any(|v| v == viewer)}),
    );
    }
    if want("comment") {
        let comments: Vec<Value> =
            i.comments.iter().filter_map(|c| s.comments.get(c)).map(|c| comment(s, base, c, v3, false)).collect();
        m.insert(
            "comment".into(),
            json!({"comments": comments, "self": format!("{base}/rest/api/{}/issue/{}/comment", if v3 { 3 } else { 2 }, i.id), "maxResults": comments.len(), "total": comments.len(), "startAt": 0}),
        );
    }
    if want("worklog") {
        let worklogs: Vec<Value> =
            i.worklogs.iter().filter_map(|w| s.worklogs.get(w)).map(|w| worklog(s, base, w, v3)).collect();
        m.insert(
            "worklog".into(),
            json!({"startAt": 0, "maxResults": 20, "total": worklogs.len(), "worklogs": worklogs}),
        );
    }
    if want("duedate") {
        m.insert("duedate".into(), i.duedate.as_ref().map_or(Value::Null, |d| json!(d)));
    }
    if want("environment") {
        m.insert("environment".into(), rich(i.environment.as_ref(), v3));
    }
    if let Some(p) = i.parent.as_deref().and_then(|p| s.issues.get(p)).filter(|_| want("parent")) {
        m.insert("parent".into(), issue_ref(s, base, p));
    }
    if want(SPRINT_FIELD) {
        let sprints: Vec<Value> = i.sprints.iter().filter_map(|id| s.sprint(*id)).map(|sp| sprint(base, sp)).collect();
        m.insert(SPRINT_FIELD.into(), if sprints.is_empty() { Value::Null } else { Value::Array(sprints) });
    }
    if want(STORY_POINTS_FIELD) {
        m.insert(STORY_POINTS_FIELD.into(), i.custom.get(STORY_POINTS_FIELD).cloned().unwrap_or(Value::Null));
    }
    if want(RANK_FIELD) {
        m.insert(RANK_FIELD.into(), json!(format!("0|i{:05}:", i.id_num())));
    }
    if want(START_DATE_FIELD) {
        m.insert(START_DATE_FIELD.into(), i.custom.get(START_DATE_FIELD).cloned().unwrap_or(Value::Null));
    }
    m
}

/// Fields that `*navigable` leaves out.
const NOT_NAVIGABLE: &[&str] = &["comment", "worklog", "attachment", "timetracking"];

/// Which fields a `fields` list selects.
#[derive(Debug, Clone)]
pub struct FieldSel {
    all: bool,
    navigable: bool,
    include: Vec<String>,
    exclude: Vec<String>,
}

impl FieldSel {
    pub fn parse(list: &[String], default_all: bool) -> Self {
        let mut sel = FieldSel { all: false, navigable: false, include: vec![], exclude: vec![] };
        if list.is_empty() {
            sel.all = default_all;
            if !default_all {
                sel.include.push("id".into());
            }
            return sel;
        }
        for f in list {
            match f.as_str() {
                "*all" => sel.all = true,
                "*navigable" => sel.navigable = true,
                x if x.starts_with('-') => sel.exclude.push(x[1..].to_string()),
                x => sel.include.push(x.to_string()),
            }
        }
        sel
    }

    /// Only `id` (the search default): no `fields` member at all.
    pub fn id_only(&self) -> bool {
        !self.all && !self.navigable && self.include.iter().all(|f| f == "id" || f == "key")
    }

    pub fn wants(&self, id: &str) -> bool {
        if self.exclude.iter().any(|e| e == id) {
            return false;
        }
        self.all || (self.navigable && !NOT_NAVIGABLE.contains(&id)) || self.include.iter().any(|f| f == id)
    }

    /// Names that are neither a field of ours nor a selector (kept out silently, as Jira does).
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.include.iter()
    }
}

pub const ISSUE_EXPAND: &str = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations";

/// A history entry of the changelog.
pub fn history(s: &JiraState, base: &str, h: &History) -> Value {
    json!({
        "id": h.id,
        "author": user_opt(s, base, Some(&h.author)),
        "created": ts(h.created),
        "items": h.items.iter().map(|it| json!({
            "field": it.field,
            "fieldtype": it.field_type,
            "fieldId": it.field_id,
            "from": it.from,
            "fromString": it.from_string,
            "to": it.to,
            "toString": it.to_string,
        })).collect::<Vec<_>>(),
    })
}

/// A transition as `GET transitions` lists it.
pub fn transition(s: &JiraState, base: &str, t: &Transition, with_fields: bool) -> Value {
    let mut v = json!({
        "id": t.id,
        "name": t.name,
        "to": status_of(s, base, &t.to),
        "hasScreen": t.screen,
        "isGlobal": t.from.is_empty(),
        "isInitial": false,
        "isAvailable": true,
        "isConditional": false,
        "isLooped": false,
    });
    if with_fields {
        let mut fields = Map::new();
        if t.screen {
            fields.insert(
                "resolution".into(),
                json!({
                    "required": false,
                    "schema": {"type": "resolution", "system": "resolution"},
                    "name": "Resolution",
                    "key": "resolution",
                    "operations": ["set"],
                    "allowedValues": s.resolutions.values().map(|r| resolution(base, r)).collect::<Vec<_>>(),
                }),
            );
        }
        v["fields"] = Value::Object(fields);
    }
    v
}
