//! The site and its catalogue: serverInfo (anonymous), myself, fields, priorities,
//! resolutions, statuses, issue types, link types, labels, users, projects, and the
//! `/rest/auth/1/session` check pycontribs makes with `validate=True`.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::render::{self, FIELDS, ISSUEKEY};
use super::Call;
use crate::errors::JiraError;
use crate::model::*;
use crate::wire::{encode, ok, page_envelope, slice, ts};

type R = Result<axum::response::Response, JiraError>;

pub async fn server_info(call: Call) -> R {
    let now = call.now();
    Ok(ok(&json!({
        "baseUrl": call.base(),
        "displayUrl": call.base(),
        "version": "1001.0.0-SNAPSHOT",
        "versionNumbers": [1001, 0, 0],
        "deploymentType": "Cloud",
        "buildNumber": 100_289,
        "buildDate": "2026-11-30T00:00:00.000+0000",
        "serverTime": ts(now),
        "scmInfo": "0f7dcb2e4c3b1a0000000000000000000000dtu0",
        "serverTitle": "Jira",
        "serverTimeZone": "Etc/UTC",
    })))
}

pub async fn session(call: Call) -> R {
    let user = call.user()?;
    Ok(ok(&json!({
        "self": format!("{}/rest/api/latest/user?accountId={}", call.base(), encode(&user.account_id)),
        "name": user.email,
        "loginInfo": {"failedLoginCount": 0, "loginCount": 1},
    })))
}

pub async fn myself(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let expand = call.expand();
    let mut v = render::user(&base, &user);
    if expand.iter().any(|e| e == "groups") {
        let items: Vec<Value> = call.read(|s| {
            user.groups
                .iter()
                .filter_map(|g| s.groups.get(g))
                .map(|g| json!({"name": g.name, "groupId": g.group_id, "self": format!("{base}/rest/api/3/group?groupId={}", g.group_id)}))
                .collect()
        })?;
        v["groups"] = json!({"size": items.len(), "items": items});
    } else {
        v["groups"] = json!({"size": user.groups.len(), "items": []});
    }
    v["locale"] = json!("en_US");
    v["applicationRoles"] = json!({"size": 1, "items": []});
    v["expand"] = json!("groups,applicationRoles");
    Ok(ok(&v))
}

pub async fn fields(call: Call) -> R {
    call.user()?;
    let mut out: Vec<Value> = FIELDS.iter().map(render::field).collect();
    out.push(render::field(&ISSUEKEY));
    Ok(ok(&Value::Array(out)))
}

pub async fn priorities(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let out: Vec<Value> = call.read(|s| s.priorities.values().map(|p| render::priority_full(&base, p)).collect())?;
    Ok(ok(&Value::Array(out)))
}

pub async fn priority_search(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let (start, max) = call.query.paging(50, 50)?;
    let all: Vec<Value> = call.read(|s| s.priorities.values().map(|p| render::priority_full(&base, p)).collect())?;
    let total = all.len();
    let self_url = format!("{base}/rest/api/3/priority/search?startAt={start}&maxResults={max}");
    let next = format!("{base}/rest/api/3/priority/search?startAt={}&maxResults={max}", start + max);
    Ok(ok(&page_envelope(&self_url, Some(next), start, max, total, slice(&all, start, max))))
}

pub async fn priority(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let id = call.param("id").to_string();
    call.read(|s| s.priorities.get(&id).map(|p| render::priority_full(&base, p)))?
        .map(|v| ok(&v))
        .ok_or_else(|| JiraError::not_found(format!("The priority with ID '{id}' does not exist.")))
}

pub async fn resolutions(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let out: Vec<Value> = call.read(|s| s.resolutions.values().map(|r| render::resolution(&base, r)).collect())?;
    Ok(ok(&Value::Array(out)))
}

pub async fn resolution(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let id = call.param("id").to_string();
    call.read(|s| s.resolutions.get(&id).map(|r| render::resolution(&base, r)))?
        .map(|v| ok(&v))
        .ok_or_else(|| JiraError::not_found(format!("The resolution with ID '{id}' does not exist.")))
}

pub async fn statuses(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let out: Vec<Value> = call.read(|s| s.statuses.values().map(|x| render::status(&base, x)).collect())?;
    Ok(ok(&Value::Array(out)))
}

pub async fn status(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let id = call.param("idOrName").to_string();
    call.read(|s| s.status_by_name(&id).map(|x| render::status(&base, x)))?
        .map(|v| ok(&v))
        .ok_or_else(|| JiraError::not_found(format!("The status with ID or name '{id}' does not exist.")))
}

pub async fn status_categories(call: Call) -> R {
    call.user()?;
    let base = call.base();
    let out: Vec<Value> =
        [CAT_UNDEFINED, CAT_NEW, CAT_DONE, CAT_IN_PROGRESS].iter().map(|c| render::status_category(base, *c)).collect();
    Ok(ok(&Value::Array(out)))
}

pub async fn issue_types(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let out: Vec<Value> = call.read(|s| s.issue_types.values().map(|t| render::issue_type(&base, t)).collect())?;
    Ok(ok(&Value::Array(out)))
}

pub async fn issue_types_for_project(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let Some(pid) = call.query.text("projectId").map(str::to_string) else {
        return Err(JiraError::bad_request("The projectId parameter is required."));
    };
    call.read(|s| {
        let p = s.projects.get(&pid).filter(|p| s.can_browse(&user, p))?;
        Some(
            p.issue_types
                .iter()
                .filter_map(|t| s.issue_types.get(t))
                .map(|t| render::issue_type(&base, t))
                .collect::<Vec<_>>(),
        )
    })?
    .map(|v| ok(&Value::Array(v)))
    .ok_or_else(|| JiraError::not_found(format!("No project could be found with id '{pid}'.")))
}

pub async fn issue_type(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let id = call.param("id").to_string();
    call.read(|s| s.issue_types.get(&id).map(|t| render::issue_type(&base, t)))?
        .map(|v| ok(&v))
        .ok_or_else(|| JiraError::not_found(format!("The issue type with ID '{id}' does not exist.")))
}

pub async fn link_types(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let out: Vec<Value> = call.read(|s| s.link_types.values().map(|t| render::link_type(&base, t)).collect())?;
    Ok(ok(&json!({"issueLinkTypes": out})))
}

pub async fn link_type(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let id = call.param("issueLinkTypeId").to_string();
    call.read(|s| s.link_types.get(&id).map(|t| render::link_type(&base, t)))?
        .map(|v| ok(&v))
        .ok_or_else(|| JiraError::not_found(format!("No issue link type with id '{id}' exists.")))
}

pub async fn labels(call: Call) -> R {
    call.user()?;
    let (start, max) = call.query.paging(1000, 1000)?;
    let all: Vec<Value> = call.read(|s| {
        let set: BTreeSet<&str> = s.issues.values().flat_map(|i| i.labels.iter().map(String::as_str)).collect();
        set.into_iter().map(|l| json!(l)).collect()
    })?;
    let total = all.len();
    let values = slice(&all, start, max);
    Ok(ok(
        &json!({"maxResults": max, "startAt": start, "total": total, "isLast": start + values.len() >= total, "values": values}),
    ))
}

pub async fn user_get(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let Some(id) = call.query.text("accountId").map(str::to_string) else {
        return Err(JiraError::bad_request("The accountId query parameter needs to be provided."));
    };
    let expand = call.expand();
    call.read(|s| {
        s.user(&id).map(|u| {
            let mut v = render::user(&base, u);
            v["locale"] = json!("en_US");
            if expand.iter().any(|e| e == "groups") {
                let items: Vec<Value> = u.groups.iter().map(|g| json!({"name": g})).collect();
                v["groups"] = json!({"size": items.len(), "items": items});
            }
            v
        })
    })?
    .map(|v| ok(&v))
    .ok_or_else(|| JiraError::not_found(format!("User with accountId '{id}' does not exist")))
}

fn user_matches(u: &User, q: &str) -> bool {
    let q = q.to_lowercase();
    u.email.to_lowercase().starts_with(&q)
        || u.display_name.to_lowercase().starts_with(&q)
        || u.display_name.to_lowercase().split_whitespace().any(|w| w.starts_with(&q))
        || u.account_id == q
}

pub async fn user_search(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let query = call.query.get("query").map(str::to_string);
    let account = call.query.text("accountId").map(str::to_string);
    if query.is_none() && account.is_none() && call.query.text("property").is_none() {
        return Err(JiraError::bad_request("One of 'query' or 'accountId' parameters must be provided."));
    }
    let (start, max) = call.query.paging(50, 1000)?;
    let include_active = call.query.bool("includeActive", true)?;
    let include_inactive = call.query.bool("includeInactive", false)?;
    let out: Vec<Value> = call.read(|s| {
        s.users
            .values()
            .filter(|u| (u.active && include_active) || (!u.active && include_inactive))
            .filter(|u| account.as_ref().is_none_or(|a| *a == u.account_id))
            .filter(|u| query.as_deref().is_none_or(|q| q.is_empty() || user_matches(u, q)))
            .skip(start)
            .take(max)
            .map(|u| render::user(&base, u))
            .collect()
    })?;
    Ok(ok(&Value::Array(out)))
}

pub async fn user_assignable(call: Call) -> R {
    let me = call.user()?;
    let base = call.base().to_string();
    let query = call.query.get("query").unwrap_or("").to_string();
    let project = call.query.text("project").map(str::to_string);
    let issue = call.query.text("issueKey").or(call.query.text("issueId")).map(str::to_string);
    if project.is_none() && issue.is_none() {
        return Err(JiraError::bad_request(
            "At least one of the following parameters is required: issueKey, issueId, project.",
        ));
    }
    let (start, max) = call.query.paging(50, 1000)?;
    call.read(|s| {
        let p = match (&project, &issue) {
            (Some(k), _) => s
                .project(k)
                .filter(|p| s.can_browse(&me, p))
                .ok_or_else(|| JiraError::not_found(format!("Project '{k}' not found"))),
            (None, Some(i)) => s
                .issue(i)
                .and_then(|i| s.projects.get(&i.project_id))
                .map(|p| &**p)
                .filter(|p| s.can_browse(&me, p))
                .ok_or_else(JiraError::issue_not_found),
            _ => Err(JiraError::bad_request("No project")),
        }?;
        Ok(ok(&Value::Array(
            s.users
                .values()
                .filter(|u| u.active && s.can_browse(u, p))
                .filter(|u| query.is_empty() || user_matches(u, &query))
                .skip(start)
                .take(max)
                .map(|u| render::user(&base, u))
                .collect(),
        )))
    })?
}

pub async fn users_all(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let (start, max) = call.query.paging(50, 1000)?;
    let out: Vec<Value> =
        call.read(|s| s.users.values().skip(start).take(max).map(|u| render::user(&base, u)).collect())?;
    Ok(ok(&Value::Array(out)))
}

/// The legacy unpaginated project list (pycontribs `projects()`).
pub async fn projects(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let expand = call.expand();
    let out: Vec<Value> = call.read(|s| {
        let mut ps: Vec<&Project> = s.projects.values().map(|p| &**p).filter(|p| s.can_browse(&user, p)).collect();
        ps.sort_by(|a, b| a.key.cmp(&b.key));
        ps.into_iter().map(|p| render::project(s, &base, p, &expand)).collect()
    })?;
    Ok(ok(&Value::Array(out)))
}

pub async fn project_search(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let (start, max) = call.query.paging(50, 100)?;
    let query = call.query.text("query").map(str::to_lowercase);
    let keys = call.query.list("keys");
    let ids = call.query.list("id");
    let order = call.query.text("orderBy").unwrap_or("key").to_string();
    let expand = call.expand();
    let all: Vec<Value> = call.read(|s| {
        let mut ps: Vec<&Project> = s
            .projects
            .values()
            .map(|p| &**p)
            .filter(|p| s.can_browse(&user, p))
            .filter(|p| {
                query.as_deref().is_none_or(|q| p.key.to_lowercase().contains(q) || p.name.to_lowercase().contains(q))
            })
            .filter(|p| keys.is_empty() || keys.iter().any(|k| k.eq_ignore_ascii_case(&p.key)))
            .filter(|p| ids.is_empty() || ids.contains(&p.id))
            .collect();
        match order.trim_start_matches(['+', '-']) {
            "name" => ps.sort_by_key(|p| p.name.to_lowercase()),
            _ => ps.sort_by(|a, b| a.key.cmp(&b.key)),
        }
        if order.starts_with('-') {
            ps.reverse();
        }
        ps.into_iter().map(|p| render::project(s, &base, p, &expand)).collect()
    })?;
    let total = all.len();
    let mut q = call
        .query
        .0
        .iter()
        .filter(|(k, _)| k != "startAt")
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>();
    let self_q = {
        let mut x = q.clone();
        x.push(format!("startAt={start}"));
        x.join("&")
    };
    q.push(format!("startAt={}", start + max));
    let self_url = format!("{base}/rest/api/3/project/search?{self_q}");
    let next = format!("{base}/rest/api/3/project/search?{}", q.join("&"));
    Ok(ok(&page_envelope(&self_url, Some(next), start, max, total, slice(&all, start, max))))
}

/// A project the caller may browse, or Jira's 404.
pub fn visible_project<'a>(s: &'a JiraState, user: &User, key: &str) -> Result<&'a Project, JiraError> {
    s.project(key).filter(|p| s.can_browse(user, p)).ok_or_else(|| JiraError::project_not_found(key))
}

pub async fn project(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let key = call.param("projectIdOrKey").to_string();
    let expand = call.expand();
    call.read(|s| visible_project(s, &user, &key).map(|p| ok(&render::project(s, &base, p, &expand))))?
}

pub async fn project_statuses(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let key = call.param("projectIdOrKey").to_string();
    call.read(|s| {
        let p = visible_project(s, &user, &key)?;
        let statuses: Vec<Value> =
            p.workflow.statuses.iter().filter_map(|id| s.status(id)).map(|x| render::status(&base, x)).collect();
        let out: Vec<Value> = p
            .issue_types
            .iter()
            .filter_map(|t| s.issue_types.get(t))
            .map(|t| json!({"self": format!("{base}/rest/api/3/issuetype/{}", t.id), "id": t.id, "name": t.name, "subtask": t.subtask, "statuses": statuses}))
            .collect();
        Ok(ok(&Value::Array(out)))
    })?
}

pub async fn project_components(call: Call) -> R {
    let user = call.user()?;
    let base = call.base().to_string();
    let key = call.param("projectIdOrKey").to_string();
    call.read(|s| {
        let p = visible_project(s, &user, &key)?;
        Ok(ok(&Value::Array(p.components.iter().map(|c| render::component(&base, p, c)).collect())))
    })?
}
