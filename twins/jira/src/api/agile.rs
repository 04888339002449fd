//! Jira Software's Agile API (`/rest/agile/1.0`): boards, their issues and backlog,
//! sprints (future → active → closed, dates on the universe clock), and moving
//! issues into sprints and back to the backlog.

use serde_json::{json, Map, Value};

use super::issues::{render_issue, set_sprints, visible};
use super::render::{self, FieldSel};
use super::Call;
use crate::errors::JiraError;
use crate::model::*;
use crate::wire::{body_object, created, no_content, ok, parse_ts, slice};

type R = Result<axum::response::Response, JiraError>;

fn board_json(s: &JiraState, base: &str, b: &Board) -> Value {
    let mut v =
        json!({"id": b.id, "self": format!("{base}/rest/agile/1.0/board/{}", b.id), "name": b.name, "type": b.kind});
    if let Some(p) = s.projects.get(&b.project_id) {
        v["location"] = json!({
            "projectId": p.id.parse::<u64>().unwrap_or(0),
            "displayName": format!("{} ({})", p.name, p.key),
            "projectName": p.name,
            "projectKey": p.key,
            "projectTypeKey": p.type_key,
            "avatarURI": format!("{base}/secure/projectavatar?size=small&avatarId=10400"),
            "name": format!("{} ({})", p.name, p.key),
        });
    }
    v
}

fn agile_page(start: usize, max: usize, all: Vec<Value>, key: &str) -> Value {
    let total = all.len();
    let values = slice(&all, start, max);
    let is_last = start + values.len() >= total;
    let mut m = Map::new();
    m.insert("maxResults".into(), max.into());
    m.insert("startAt".into(), start.into());
    m.insert("total".into(), total.into());
    m.insert("isLast".into(), is_last.into());
    m.insert(key.into(), Value::Array(values));
    Value::Object(m)
}

fn board_visible<'a>(s: &'a JiraState, user: &User, id: &str) -> Result<&'a Board, JiraError> {
    let missing = || JiraError::not_found("Board does not exist or you do not have permission to see it.");
    let n: u64 = id.parse().map_err(|_| missing())?;
    let b = s.board(n).ok_or_else(missing)?;
    let p = s.projects.get(&b.project_id).ok_or_else(missing)?;
    if !s.can_browse(user, p) {
        return Err(missing());
    }
    Ok(b)
}

fn sprint_visible<'a>(s: &'a JiraState, user: &User, id: &str) -> Result<&'a Sprint, JiraError> {
    let missing = || JiraError::not_found("Sprint does not exist or you do not have permission to see it.");
    let n: u64 = id.parse().map_err(|_| missing())?;
    let sp = s.sprint(n).ok_or_else(missing)?;
    board_visible(s, user, &sp.board_id.to_string()).map_err(|_| missing())?;
    Ok(sp)
}

pub async fn boards(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let (start, max) = call.query.paging(50, 50)?;
    let kind = call.query.text("type").map(str::to_string);
    let name = call.query.text("name").map(str::to_lowercase);
    let project = call.query.text("projectKeyOrId").map(str::to_string);
    call.read(|s| {
        let pid = match &project {
            Some(p) => Some(
                s.project(p)
                    .map(|p| p.id.clone())
                    .ok_or_else(|| JiraError::bad_request(format!("No project could be found with key '{p}'.")))?,
            ),
            None => None,
        };
        let all: Vec<Value> = s
            .boards
            .values()
            .filter(|b| s.projects.get(&b.project_id).is_some_and(|p| s.can_browse(&user, p)))
            .filter(|b| kind.as_deref().is_none_or(|k| k.split(',').any(|k| k.trim() == b.kind)))
            .filter(|b| name.as_deref().is_none_or(|n| b.name.to_lowercase().contains(n)))
            .filter(|b| pid.as_deref().is_none_or(|p| p == b.project_id))
            .map(|b| board_json(s, &base, b))
            .collect();
        Ok(ok(&agile_page(start, max, all, "values")))
    })?
}

pub async fn create_board(call: Call) -> R {
    let user = call.user()?;
    let body = body_object(&call.body)?;
    let base = call.base().to_string();
    let name = body.get("name").and_then(Value::as_str).map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
    let Some(name) = name else { return Err(JiraError::field("name", "Board name is required.")) };
    let kind = body.get("type").and_then(Value::as_str).unwrap_or("");
    if kind != "scrum" && kind != "kanban" {
        return Err(JiraError::field("type", "Board type must be 'scrum' or 'kanban'."));
    }
    let kind = kind.to_string();
    let project = body
        .get("location")
        .and_then(|l| l.get("projectKeyOrId"))
        .and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_u64().map(|n| n.to_string())));
    let Some(project) = project else {
        return Err(JiraError::field("location", "A project location (location.projectKeyOrId) is required."));
    };
    let out = call.write(|s, _| {
        let p = super::meta::visible_project(s, &user, &project)?.id.clone();
        let id = JiraState::next(&mut s.counters.board);
        let b = Board { id, name: name.clone(), kind: kind.clone(), project_id: p };
        s.boards.insert(num_key(id), b.clone());
        Ok(board_json(s, &base, &b))
    })?;
    Ok(created(&out))
}

pub async fn board(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let id = call.param("boardId").to_string();
    call.read(|s| Ok(ok(&board_json(s, &base, board_visible(s, &user, &id)?))))?
}

pub async fn board_configuration(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let id = call.param("boardId").to_string();
    call.read(|s| {
        let b = board_visible(s, &user, &id)?;
        let p = s.projects.get(&b.project_id).ok_or_else(JiraError::internal)?;
        let columns: Vec<Value> = p
            .workflow
            .statuses
            .iter()
            .filter_map(|st| s.status(st))
            .map(|st| json!({"name": st.name, "statuses": [{"id": st.id, "self": format!("{base}/rest/api/2/status/{}", st.id)}]}))
            .collect();
        Ok(ok(&json!({
            "id": b.id,
            "name": b.name,
            "type": b.kind,
            "self": format!("{base}/rest/agile/1.0/board/{}/configuration", b.id),
            "location": {"type": "project", "projectKeyOrId": p.key},
            "filter": {"id": (10_000 + b.id).to_string(), "self": format!("{base}/rest/api/2/filter/{}", 10_000 + b.id)},
            "columnConfig": {"columns": columns, "constraintType": "issueCount"},
            "estimation": {"type": "field", "field": {"fieldId": STORY_POINTS_FIELD, "displayName": "Story point estimate"}},
            "ranking": {"rankCustomFieldId": 10019},
        })))
    })?
}

/// A search-style page of issues (`board/{id}/issue`, backlog, sprint issues),
/// narrowed by the optional `jql`.
fn issue_page(call: &Call, s: &JiraState, user: &User, mut ids: Vec<String>) -> R {
    let base = call.base();
    let (mut start, max) = call.query.paging(50, 1000)?;
    if let Some(j) = call.query.text("jql") {
        let allowed = super::search::run(s, user, j, call.now(), false)?;
        ids.retain(|i| allowed.contains(i));
    }
    // The newer `/rest/software/1.0` lists page by token, as `search/jql` does.
    let tokens = call.path.starts_with("/rest/software/");
    let scope = format!("{}?{}", call.path, call.query.get("jql").unwrap_or(""));
    if tokens {
        if call.path.ends_with("/approximate-count") {
            return Ok(ok(&json!({"count": ids.len()})));
        }
        start = match call.query.text("nextPageToken") {
            Some(t) => super::search::token_decode(t, &scope)?,
            None => 0,
        };
    }
    let sel = FieldSel::parse(&call.query.list("fields"), true);
    let expand = call.expand();
    let memo = crate::api::render::PageMemo::default();
    let all: Vec<Value> = ids
        .iter()
        .skip(start)
        .take(max)
        .filter_map(|i| s.issues.get(i))
        .map(|i| render_issue(&memo, s, base, i, false, &sel, &expand, user))
        .collect();
    let total = ids.len();
    if tokens {
        let end = start + all.len();
        let mut out = json!({"expand": "schema,names", "isLast": end >= total, "issues": all});
        if end < total {
            out["nextPageToken"] = json!(super::search::token_encode(end, &scope));
        }
        return Ok(ok(&out));
    }
    Ok(ok(&json!({"expand": "schema,names", "startAt": start, "maxResults": max, "total": total, "issues": all})))
}

fn ranked(s: &JiraState, pred: impl Fn(&Issue) -> bool) -> Vec<String> {
    let mut v: Vec<&Issue> = s.issues.values().filter(|i| pred(i)).collect();
    v.sort_by_key(|i| i.id_num());
    v.into_iter().map(|i| i.id.clone()).collect()
}

fn open_sprint(s: &JiraState, id: &u64) -> bool {
    s.sprint(*id).is_some_and(|sp| sp.state != SprintState::Closed)
}

pub async fn board_issues(call: Call) -> R {
    let user = call.user()?;
    let id = call.param("boardId").to_string();
    call.read(|s| {
        let b = board_visible(s, &user, &id)?;
        let ids = ranked(s, |i| i.project_id == b.project_id);
        issue_page(&call, s, &user, ids)
    })?
}

pub async fn board_backlog(call: Call) -> R {
    let user = call.user()?;
    let id = call.param("boardId").to_string();
    call.read(|s| {
        let b = board_visible(s, &user, &id)?;
        if b.kind != "scrum" {
            return Err(JiraError::bad_request("The board does not support sprints"));
        }
        let ids = ranked(s, |i| {
            i.project_id == b.project_id
                && !i.sprints.iter().any(|sp| open_sprint(s, sp))
                && s.status(&i.status).is_some_and(|st| st.category != CAT_DONE)
        });
        issue_page(&call, s, &user, ids)
    })?
}

pub async fn board_sprints(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let id = call.param("boardId").to_string();
    let states = call.query.list("state");
    let (start, max) = call.query.paging(50, 50)?;
    call.read(|s| {
        let b = board_visible(s, &user, &id)?;
        if b.kind != "scrum" {
            return Err(JiraError::bad_request("The board does not support sprints"));
        }
        let all: Vec<Value> = s
            .sprints
            .values()
            .filter(|sp| sp.board_id == b.id)
            .filter(|sp| states.is_empty() || states.iter().any(|st| st == sp.state.as_str()))
            .map(|sp| render::sprint(&base, sp))
            .collect();
        Ok(ok(&agile_page(start, max, all, "values")))
    })?
}

fn date(body: &Map<String, Value>, key: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, JiraError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(t)) => parse_ts(t)
            .map(Some)
            .ok_or_else(|| JiraError::field(key, format!("The date '{t}' is not in a valid format."))),
        Some(_) => Err(JiraError::field(key, "Dates must be strings.")),
    }
}

pub async fn create_sprint(call: Call) -> R {
    let user = call.user()?;
    let body = body_object(&call.body)?;
    let base = call.base().to_string();
    let now = call.now();
    let name = body.get("name").and_then(Value::as_str).map(str::trim).unwrap_or("").to_string();
    if name.is_empty() {
        return Err(JiraError::field("name", "The sprint name is required."));
    }
    if name.chars().count() > 30 {
        return Err(JiraError::field("name", "The sprint name must not exceed 30 characters."));
    }
    let board_id = body.get("originBoardId").and_then(Value::as_u64);
    let Some(board_id) = board_id else {
        return Err(JiraError::field("originBoardId", "The board id is required."));
    };
    let (start, end) = (date(&body, "startDate")?, date(&body, "endDate")?);
    if let (Some(a), Some(b)) = (start, end) {
        if b < a {
            return Err(JiraError::field("endDate", "The end date must be after the start date."));
        }
    }
    let goal = body.get("goal").and_then(Value::as_str).unwrap_or("").to_string();
    let out = call.write(|s, _| {
        let b = board_visible(s, &user, &board_id.to_string())?;
        if b.kind != "scrum" {
            return Err(JiraError::bad_request("The board does not support sprints"));
        }
        let id = JiraState::next(&mut s.counters.sprint);
        let sp = Sprint {
            id,
            name: name.clone(),
            state: SprintState::Future,
            board_id,
            goal: goal.clone(),
            start,
            end,
            complete: None,
            created: now,
        };
        s.sprints.insert(num_key(id), sp.clone());
        Ok(render::sprint(&base, &sp))
    })?;
    Ok(created(&out))
}

pub async fn sprint(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let id = call.param("sprintId").to_string();
    call.read(|s| Ok(ok(&render::sprint(&base, sprint_visible(s, &user, &id)?))))?
}

pub async fn update_sprint(call: Call) -> R {
    let user = call.user()?;
    let body = body_object(&call.body)?;
    let base = call.base().to_string();
    let now = call.now();
    let id = call.param("sprintId").to_string();
    let start = date(&body, "startDate")?;
    let end = date(&body, "endDate")?;
    let out = call.write(|s, _| {
        let mut sp = sprint_visible(s, &user, &id)?.clone();
        if let Some(n) = body.get("name").and_then(Value::as_str) {
            if n.trim().is_empty() || n.chars().count() > 30 {
                return Err(JiraError::field("name", "The sprint name must be 1 to 30 characters."));
            }
            sp.name = n.trim().to_string();
        }
        if let Some(g) = body.get("goal").and_then(Value::as_str) {
            sp.goal = g.to_string();
        }
        if start.is_some() {
            sp.start = start;
        }
        if end.is_some() {
            sp.end = end;
        }
        if let Some(state) = body.get("state").and_then(Value::as_str) {
            let want = match state {
                "future" => SprintState::Future,
                "active" => SprintState::Active,
                "closed" => SprintState::Closed,
                _ => return Err(JiraError::field("state", format!("The state '{state}' is not valid."))),
            };
            match (sp.state, want) {
                (a, b) if a == b => {}
                (SprintState::Future, SprintState::Active) => {
                    if s.sprints.values().any(|o| o.board_id == sp.board_id && o.state == SprintState::Active) {
                        return Err(JiraError::bad_request(
                            "A sprint is already active on this board. Complete it before starting another.",
                        ));
                    }
                    if sp.start.is_none() {
                        sp.start = Some(now);
                    }
                    if sp.end.is_none() {
                        return Err(JiraError::field("endDate", "The sprint must have an end date to be started."));
                    }
                    sp.state = SprintState::Active;
                }
                (SprintState::Active, SprintState::Closed) => {
                    sp.state = SprintState::Closed;
                    sp.complete = Some(now);
                }
                (SprintState::Closed, _) => return Err(JiraError::bad_request("A closed sprint cannot be reopened.")),
                (SprintState::Future, SprintState::Closed) => {
                    return Err(JiraError::bad_request("Only an active sprint can be closed."))
                }
                (SprintState::Active, SprintState::Future) => {
                    return Err(JiraError::bad_request("An active sprint cannot go back to the future state."))
                }
                _ => {}
            }
        }
        if let (Some(a), Some(b)) = (sp.start, sp.end) {
            if b < a {
                return Err(JiraError::field("endDate", "The end date must be after the start date."));
            }
        }
        s.sprints.insert(num_key(sp.id), sp.clone());
        Ok(render::sprint(&base, &sp))
    })?;
    Ok(ok(&out))
}

pub async fn delete_sprint(call: Call) -> R {
    let user = call.user()?;
    let id = call.param("sprintId").to_string();
    call.write(|s, _| {
        let sp = sprint_visible(s, &user, &id)?.clone();
        if sp.state == SprintState::Active {
            return Err(JiraError::bad_request("An active sprint cannot be deleted."));
        }
        s.sprints.remove(&num_key(sp.id));
        let holders: Vec<Issue> = s.issues.values().filter(|i| i.sprints.contains(&sp.id)).cloned().collect();
        for mut i in holders {
            i.sprints.retain(|x| *x != sp.id);
            s.issues.insert(i.id.clone(), i);
        }
        Ok(())
    })?;
    Ok(no_content())
}

pub async fn sprint_issues(call: Call) -> R {
    let user = call.user()?;
    let id = call.param("sprintId").to_string();
    call.read(|s| {
        let sp = sprint_visible(s, &user, &id)?;
        let board = call.param("boardId");
        if !board.is_empty() && board != sp.board_id.to_string() {
            return Err(JiraError::not_found("Sprint does not exist or you do not have permission to see it."));
        }
        let ids = ranked(s, |i| i.sprints.contains(&sp.id));
        let ids = ids.into_iter().filter(|i| visible(s, &user, i).is_ok()).collect();
        issue_page(&call, s, &user, ids)
    })?
}

fn issue_keys(body: &Map<String, Value>) -> Result<Vec<String>, JiraError> {
    let keys: Vec<String> = body
        .get("issues")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string).or_else(|| v.as_u64().map(|n| n.to_string())))
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() {
        return Err(JiraError::field("issues", "At least one issue must be given."));
    }
    if keys.len() > 50 {
        return Err(JiraError::field("issues", "At most 50 issues can be moved in one request."));
    }
    Ok(keys)
}

/// Puts issues into `target` (or the backlog when None), leaving any other open sprint.
fn move_issues(
    s: &mut JiraState,
    user: &User,
    keys: &[String],
    target: Option<u64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), JiraError> {
    for k in keys {
        let mut issue = visible(s, user, k)?.clone();
        let mut sprints: Vec<u64> = issue.sprints.iter().copied().filter(|x| !open_sprint(s, x)).collect();
        if let Some(t) = target {
            sprints.push(t);
        }
        let mut items = Vec::new();
        set_sprints(s, &mut issue, sprints, &mut items);
        if !items.is_empty() {
            issue.updated = now;
            let id = issue.id.clone();
            s.issues.insert(id.clone(), issue);
            s.record_history(&id, &user.account_id, now, items);
        }
    }
    Ok(())
}

pub async fn move_to_sprint(call: Call) -> R {
    let user = call.user()?;
    let body = body_object(&call.body)?;
    let keys = issue_keys(&body)?;
    let id = call.param("sprintId").to_string();
    let now = call.now();
    call.write(|s, _| {
        let sp = sprint_visible(s, &user, &id)?.clone();
        if sp.state == SprintState::Closed {
            return Err(JiraError::bad_request("Issues can't be moved to a closed sprint."));
        }
        move_issues(s, &user, &keys, Some(sp.id), now)
    })?;
    Ok(no_content())
}

pub async fn move_to_backlog(call: Call) -> R {
    let user = call.user()?;
    let body = body_object(&call.body)?;
    let keys = issue_keys(&body)?;
    let now = call.now();
    call.write(|s, _| move_issues(s, &user, &keys, None, now))?;
    Ok(no_content())
}

pub async fn issue(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let base = call.base().to_string();
    let sel = FieldSel::parse(&call.query.list("fields"), true);
    let expand = call.expand();
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        Ok(ok(&render_issue(&crate::api::render::PageMemo::default(), s, &base, i, false, &sel, &expand, &user)))
    })?
}
