//! The workspace and its people as admins and apps see them: team.accessLogs,
//! team.billableInfo, team.integrationLogs, team.profile.get, team.externalTeams.*,
//! auth.teams.list, users.identity, users.discoverableContacts.lookup, users.setActive,
//! and the retired rtm.* methods.

use serde_json::{json, Value};
use twin_core::journal::Filter;

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::model::{TokenKind, SLACKBOT};
use crate::paging::{metadata, page_request, paginate, Limits};

const LOG_LIMITS: Limits = Limits { default: 100, max: 1000, strict: true };
const BILLABLE_LIMITS: Limits = Limits { default: 100, max: 1000, strict: false };
/// Legacy paging stops here (`over_pagination_limit`).
const MAX_LEGACY_PAGE: i64 = 100;

fn legacy_page(call: &Call<'_>) -> Result<(usize, usize), SlackError> {
    let count = call.params.int("count")?.unwrap_or(100).clamp(1, 1000) as usize;
    let page = call.params.int("page")?.unwrap_or(1).max(1);
    if page > MAX_LEGACY_PAGE {
        return Err(SlackError::Code("over_pagination_limit"));
    }
    Ok((count, page as usize))
}

fn team_arg(call: &Call<'_>, team_id: &str) -> Result<(), SlackError> {
    match call.params.nonempty("team_id") {
        Some(t) if t.trim() != team_id => Err(SlackError::Code("invalid_team_id")),
        _ => Ok(()),
    }
}

/// Sign-ins, as the workspace saw its people's tokens used: one row per person, from
/// the universe's journal of Web API calls (first and last use, how many).
pub fn team_access_logs(call: &Call<'_>) -> Result<Reply, SlackError> {
    let before = call.params.int("before")?;
    let use_cursor = call.params.nonempty("cursor").is_some() || call.params.get("limit").is_some();
    let req = page_request(call.params, "login", LOG_LIMITS)?;
    let (count, page) = legacy_page(call)?;
    let entries = call.ctx.universe.journal.query(&Filter { service: Some("slack".into()), ..Filter::default() });
    call.read(|s| {
        team_arg(call, &s.team_id())?;
        let mut rows: std::collections::BTreeMap<String, (i64, i64, u64)> = std::collections::BTreeMap::new();
        for e in &entries {
            let Some(user) = e.principal.as_deref() else { continue };
            let t = e.time.timestamp();
            if before.is_some_and(|b| t >= b) {
                continue;
            }
            if s.users.get(user).is_none_or(|u| u.is_bot) {
                continue;
            }
            let row = rows.entry(user.to_string()).or_insert((t, t, 0));
            row.0 = row.0.min(t);
            row.1 = row.1.max(t);
            row.2 += 1;
        }
        let mut logins: Vec<(String, Value)> = rows
            .into_iter()
            .map(|(user, (first, last, n))| {
                let name = s.users.get(&user).map(|u| u.name.clone()).unwrap_or_default();
                let v = json!({
                    "user_id": user, "username": name, "date_first": first, "date_last": last, "count": n,
                    "ip": "127.0.0.1", "user_agent": "", "isp": "", "country": "", "region": "",
                });
                (format!("{last:012}:{user}"), v)
            })
            .collect();
        logins.sort_by(|a, b| b.0.cmp(&a.0));
        let total = logins.len();
        if use_cursor {
            let p = paginate(logins, &req, "login", true);
            return Ok(ok(json!({ "logins": p.items, "response_metadata": metadata(&p.next_cursor) })));
        }
        let items: Vec<Value> =
            logins.into_iter().skip((page - 1).saturating_mul(count)).take(count).map(|(_, v)| v).collect();
        Ok(ok(json!({
            "logins": items,
            "paging": {"count": count, "total": total, "page": page, "pages": total.div_ceil(count).max(1)},
        })))
    })
}

/// Who the workspace pays for: its active people (not bots, not Slackbot).
pub fn team_billable_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    let user = call.params.nonempty("user");
    let req = page_request(call.params, "user", BILLABLE_LIMITS)?;
    call.read(|s| {
        team_arg(call, &s.team_id())?;
        if let Some(u) = &user {
            let u = s.user(u.trim())?;
            let mut map = serde_json::Map::new();
            map.insert(u.id.clone(), json!({ "billing_active": !u.deleted && !u.is_bot && u.id != SLACKBOT }));
            return Ok(ok(json!({ "billable_info": map })));
        }
        let people = s.users.values().filter(|u| !u.is_bot && u.id != SLACKBOT).map(|u| (u.id.clone(), u));
        let page = paginate(people, &req, "user", false);
        let map: serde_json::Map<String, Value> =
            page.items.iter().map(|u| (u.id.clone(), json!({ "billing_active": !u.deleted }))).collect();
        Ok(ok(json!({ "billable_info": map, "response_metadata": metadata(&page.next_cursor) })))
    })
}

/// The app installations of the workspace: its one app, added by the installer when
/// the workspace was made.
pub fn team_integration_logs(call: &Call<'_>) -> Result<Reply, SlackError> {
    let (count, page) = legacy_page(call)?;
    let app_filter = call.params.nonempty("app_id");
    let user_filter = call.params.nonempty("user");
    let change = call.params.nonempty("change_type");
    if change.as_deref().is_some_and(|c| !matches!(c, "added" | "removed" | "enabled" | "disabled" | "updated")) {
        return Err(SlackError::invalid("change_type"));
    }
    call.read(|s| {
        team_arg(call, &s.team_id())?;
        let team = s.team().ok_or(SlackError::Internal)?;
        let installer = s.users.values().find(|u| u.is_primary_owner).map(|u| (u.id.clone(), u.name.clone()));
        let mut logs = Vec::new();
        for bot in s.bots.values() {
            let (user_id, user_name) = installer.clone().unwrap_or_default();
            let entry = json!({
                "app_id": bot.app_id, "app_type": "app", "user_id": user_id, "user_name": user_name,
                "date": team.created.to_string(), "change_type": "added",
                "scope": s.scopes(TokenKind::Bot).join(","),
            });
            let keep = app_filter.as_ref().is_none_or(|a| *a == bot.app_id)
                && user_filter.as_ref().is_none_or(|u| *u == user_id)
                && change.as_deref().is_none_or(|c| c == "added")
                && call.params.nonempty("service_id").is_none();
            if keep {
                logs.push(entry);
            }
        }
        let total = logs.len();
        let items: Vec<Value> = logs.into_iter().skip((page - 1).saturating_mul(count)).take(count).collect();
        Ok(ok(json!({
            "logs": items,
            "paging": {"count": count, "total": total, "page": page, "pages": total.div_ceil(count).max(1)},
        })))
    })
}

/// The workspace's custom profile fields: it defines none.
pub fn team_profile_get(call: &Call<'_>) -> Result<Reply, SlackError> {
    if let Some(v) = call.params.nonempty("visibility") {
        if !matches!(v.as_str(), "all" | "visible" | "hidden") {
            return Err(SlackError::invalid("visibility"));
        }
    }
    Ok(ok(json!({ "profile": { "fields": [], "sections": [] } })))
}

/// Slack Connect partners: a workspace without Slack Connect has none.
pub fn team_external_teams_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    page_request(call.params, "team", BILLABLE_LIMITS)?;
    Ok(ok(json!({ "organizations": [], "total_count": 0, "response_metadata": metadata("") })))
}

pub fn team_external_teams_disconnect(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.arg("target_team")?;
    Err(SlackError::Code("invalid_target_team"))
}

/// The workspaces a token may act in: this one.
pub fn auth_teams_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    let req = page_request(call.params, "team", Limits { default: 100, max: 1000, strict: true })?;
    let icon = call.params.flag("include_icon");
    call.read(|s| {
        let team = s.team().ok_or(SlackError::Internal)?;
        let mut t = json!({ "id": team.id, "name": team.name });
        if icon {
            t["icon"] = json!({"image_default": true,
                               "image_68": "https://a.slack-edge.com/80588/img/avatars-teams/ava_0001-68.png"});
        }
        let page = paginate(vec![(team.id.clone(), t)], &req, "team", false);
        Ok(ok(json!({ "teams": page.items, "response_metadata": metadata(&page.next_cursor) })))
    })
}

/// Sign in with Slack: who the token's person is (more with `identity.*` scopes).
pub fn users_identity(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.read(|s| {
        let u = s.user(&call.actor.user).map_err(|_| SlackError::Code("invalid_user_id"))?;
        let mut user = json!({ "name": u.real_name, "id": u.id });
        if call.actor.has("identity.email") {
            user["email"] = json!(u.email);
        }
        if call.actor.has("identity.avatar") {
            let profile = crate::views::profile_json(u, false);
            for size in ["24", "32", "48", "72", "192", "512"] {
                user[format!("image_{size}")] = profile[format!("image_{size}")].clone();
            }
        }
        let mut team = json!({ "id": s.team_id() });
        if call.actor.has("identity.team") {
            team["name"] = json!(s.team().map(|t| t.name.clone()));
            team["domain"] = json!(s.team().map(|t| t.domain.clone()));
        }
        Ok(ok(json!({ "user": user, "team": team })))
    })
}

/// Discoverable contacts are an Enterprise org's: a workspace answers `not_an_enterprise`.
pub fn users_discoverable_contacts_lookup(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.arg("email")?;
    Err(SlackError::Code("not_an_enterprise"))
}

/// Retired by Slack: still answers ok, and does nothing.
pub fn users_set_active(_call: &Call<'_>) -> Result<Reply, SlackError> {
    Ok(ok(json!({})))
}

/// The RTM API is not open to granular bot and user tokens (the only kinds the twin
/// mints): every token gets `not_allowed_token_type` (see the method table).
pub fn rtm_retired(_call: &Call<'_>) -> Result<Reply, SlackError> {
    Err(SlackError::NotAllowedTokenType)
}
