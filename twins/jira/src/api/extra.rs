//! Smaller issue and project resources: remote links, votes, notify, project versions,
//! and group members.

use serde_json::{json, Map, Value};

use super::issues::visible;
use super::render;
use super::Call;
use crate::errors::JiraError;
use crate::model::{num_key, JiraState, RemoteLink};
use crate::wire::{body_object, created, encode, no_content, ok, page_envelope, slice};

type R = Result<axum::response::Response, JiraError>;

fn remote_json(base: &str, issue_key: &str, r: &RemoteLink) -> Value {
    let mut v = json!({
        "id": r.id,
        "self": format!("{base}/rest/api/3/issue/{issue_key}/remotelink/{}", r.id),
        "object": r.object,
    });
    if let Some(g) = &r.global_id {
        v["globalId"] = json!(g);
    }
    if let Some(rel) = &r.relationship {
        v["relationship"] = json!(rel);
    }
    if let Some(app) = &r.application {
        v["application"] = app.clone();
    }
    v
}

/// A remote link as given: object, globalId, relationship, application.
type RemoteInput = (Value, Option<String>, Option<String>, Option<Value>);

/// Checks a remote link body: `object.url` and `object.title` are required.
fn remote_input(body: &Map<String, Value>) -> Result<RemoteInput, JiraError> {
    let object = body.get("object").filter(|o| o.is_object()).cloned().unwrap_or(Value::Null);
    let mut errors = std::collections::BTreeMap::new();
    if object.get("url").and_then(Value::as_str).is_none_or(|u| u.trim().is_empty()) {
        errors.insert("url".to_string(), "'url' is required.".to_string());
    }
    if object.get("title").and_then(Value::as_str).is_none_or(|t| t.trim().is_empty()) {
        errors.insert("title".to_string(), "'title' is required.".to_string());
    }
    if !errors.is_empty() {
        return Err(JiraError::fields(errors));
    }
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    Ok((object, text("globalId"), text("relationship"), body.get("application").filter(|a| a.is_object()).cloned()))
}

pub async fn remote_links(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let base = call.base().to_string();
    let global = call.query.text("globalId").map(str::to_string);
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        let all: Vec<Value> = s
            .remote_links
            .values()
            .filter(|r| r.issue_id == i.id)
            .filter(|r| global.as_ref().is_none_or(|g| r.global_id.as_ref() == Some(g)))
            .map(|r| remote_json(&base, &i.key, r))
            .collect();
        if global.is_some() && all.is_empty() {
            return Err(JiraError::not_found("No remote link with the given globalId was found."));
        }
        Ok(ok(&Value::Array(all)))
    })?
}

pub async fn add_remote_link(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let (object, global_id, relationship, application) = remote_input(&body_object(&call.body)?)?;
    let base = call.base().to_string();
    let now = call.now();
    let (created_new, out) = call.write(|s, _| {
        let mut issue = visible(s, &user, &key)?.clone();
        let existing = global_id.as_ref().and_then(|g| {
            s.remote_links.values().find(|r| r.issue_id == issue.id && r.global_id.as_ref() == Some(g)).map(|r| r.id)
        });
        let id = existing.unwrap_or_else(|| JiraState::next(&mut s.counters.remote_link) + 10_000);
        let r = RemoteLink { id, issue_id: issue.id.clone(), global_id, relationship, object, application };
        s.remote_links.insert(num_key(id), r);
        issue.updated = now;
        let issue_key = issue.key.clone();
        s.issues.insert(issue.id.clone(), issue);
        Ok((
            existing.is_none(),
            json!({"id": id, "self": format!("{base}/rest/api/3/issue/{issue_key}/remotelink/{id}")}),
        ))
    })?;
    Ok(if created_new { created(&out) } else { ok(&out) })
}

fn link_id(call: &Call) -> Result<u64, JiraError> {
    call.param("linkId").parse().map_err(|_| JiraError::not_found("No remote link with the given id was found."))
}

pub async fn remote_link(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let id = link_id(&call)?;
    let base = call.base().to_string();
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        s.remote_links
            .get(&num_key(id))
            .filter(|r| r.issue_id == i.id)
            .map(|r| ok(&remote_json(&base, &i.key, r)))
            .ok_or_else(|| JiraError::not_found("No remote link with the given id was found."))
    })?
}

pub async fn update_remote_link(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let id = link_id(&call)?;
    let (object, global_id, relationship, application) = remote_input(&body_object(&call.body)?)?;
    call.write(|s, _| {
        let i = visible(s, &user, &key)?.clone();
        let mut r = s
            .remote_links
            .get(&num_key(id))
            .filter(|r| r.issue_id == i.id)
            .cloned()
            .ok_or_else(|| JiraError::not_found("No remote link with the given id was found."))?;
        r.object = object;
        r.global_id = global_id.or(r.global_id);
        r.relationship = relationship;
        r.application = application;
        s.remote_links.insert(num_key(id), r);
        Ok(())
    })?;
    Ok(no_content())
}

pub async fn delete_remote_link(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let by_id = call.param("linkId").to_string();
    let global = call.query.text("globalId").map(str::to_string);
    if by_id.is_empty() && global.is_none() {
        return Err(JiraError::bad_request("The globalId parameter is required."));
    }
    call.write(|s, _| {
        let i = visible(s, &user, &key)?.clone();
        let target = s
            .remote_links
            .iter()
            .find(|(_, r)| {
                r.issue_id == i.id
                    && if by_id.is_empty() {
                        r.global_id.as_deref() == global.as_deref()
                    } else {
                        r.id.to_string() == by_id
                    }
            })
            .map(|(k, _)| k.clone())
            .ok_or_else(|| JiraError::not_found("No remote link was found."))?;
        s.remote_links.remove(&target);
        Ok(())
    })?;
    Ok(no_content())
}

pub async fn votes(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let base = call.base().to_string();
    call.read(|s| {
        let i = visible(s, &user, &key)?;
        let voters: Vec<Value> = i.voters.iter().filter_map(|v| s.user(v)).map(|u| render::user(&base, u)).collect();
        Ok(ok(&json!({
            "self": format!("{base}/rest/api/3/issue/{}/votes", i.key),
            "votes": voters.len(),
            "hasVoted": i.voters.contains(&user.account_id),
            "voters": voters,
        })))
    })?
}

pub async fn vote(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let add = call.method == axum::http::Method::POST;
    call.write(|s, _| {
        let mut i = visible(s, &user, &key)?.clone();
        if add && i.reporter.as_deref() == Some(user.account_id.as_str()) {
            return Err(JiraError::not_found("You cannot vote for an issue you have reported."));
        }
        if add && i.resolution.is_some() {
            return Err(JiraError::not_found("You cannot vote for a resolved issue."));
        }
        i.voters.retain(|v| *v != user.account_id);
        if add {
            i.voters.push(user.account_id.clone());
        }
        s.issues.insert(i.id.clone(), i);
        Ok(())
    })?;
    Ok(no_content())
}

pub async fn notify(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("issueIdOrKey").to_string();
    let body = body_object(&call.body)?;
    if body.get("to").is_some_and(|t| !t.is_object()) {
        return Err(JiraError::bad_request("'to' must be an object."));
    }
    // No mail leaves the twin; the issue must exist and be visible.
    call.read(|s| visible(s, &user, &key).map(|_| ()))??;
    Ok(no_content())
}

pub async fn project_versions(call: Call) -> R {
    let user = call.user()?;
    let key = call.param("projectIdOrKey").to_string();
    call.read(|s| super::meta::visible_project(s, &user, &key).map(|_| ok(&json!([]))))?
}

pub async fn group_members(call: Call) -> R {
    call.user()?;
    let base = call.base().to_string();
    let name = call.query.text("groupname").map(str::to_string);
    let id = call.query.text("groupId").map(str::to_string);
    let include_inactive = call.query.bool("includeInactiveUsers", false)?;
    let (start, max) = call.query.paging(50, 50)?;
    call.read(|s| {
        let group = s
            .groups
            .values()
            .find(|g| {
                name.as_deref().is_some_and(|n| g.name.eq_ignore_ascii_case(n))
                    || id.as_deref() == Some(g.group_id.as_str())
            })
            .ok_or_else(|| {
                if name.is_none() && id.is_none() {
                    JiraError::bad_request("You must specify a group name or a group id.")
                } else {
                    JiraError::not_found("Group not found")
                }
            })?;
        let all: Vec<Value> = s
            .users
            .values()
            .filter(|u| u.groups.contains(&group.name) && (u.active || include_inactive))
            .map(|u| render::user(&base, u))
            .collect();
        let self_url = format!(
            "{base}/rest/api/3/group/member?groupname={}&startAt={start}&maxResults={max}",
            encode(&group.name)
        );
        let next = format!(
            "{base}/rest/api/3/group/member?groupname={}&startAt={}&maxResults={max}",
            encode(&group.name),
            start + max
        );
        Ok(ok(&page_envelope(&self_url, Some(next), start, max, all.len(), slice(&all, start, max))))
    })?
}
