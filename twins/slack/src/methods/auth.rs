//! auth.*, team.info, bots.info.

use serde_json::json;

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::model::{Revocation, TokenKind};
use crate::views::bot_icons;

pub fn auth_test(call: &Call<'_>) -> Result<Reply, SlackError> {
    let actor = &call.actor;
    call.read(|s| {
        let team = s.team().ok_or(SlackError::Internal)?;
        let user = s.user(&actor.user)?;
        let mut body = json!({
            "url": format!("https://{}.slack.com/", team.domain),
            "team": team.name,
            "user": user.name,
            "team_id": team.id,
            "user_id": user.id,
        });
        if actor.kind == TokenKind::Bot {
            body["bot_id"] = json!(actor.bot_id);
        }
        body["is_enterprise_install"] = json!(false);
        Ok(ok(body))
    })
}

pub fn auth_revoke(call: &Call<'_>) -> Result<Reply, SlackError> {
    if call.params.flag("test") {
        return Ok(ok(json!({"revoked": false})));
    }
    // A revocation is workspace state (`revoked_tokens`), not a change to the core's
    // credentials: it then follows the universe through reset, restore and fork, and
    // the universe object keeps naming the token. `api::authenticate` answers
    // `token_revoked` for it.
    let principal = call.ctx.principal.clone().ok_or(SlackError::NotAuthed)?;
    let at = call.now_s();
    call.write(|s, _| {
        let key = Revocation::key(&principal.kind, &principal.subject);
        s.revoked_tokens
            .insert(key, Revocation { kind: principal.kind.clone(), subject: principal.subject.clone(), at });
        Ok(())
    })?;
    Ok(ok(json!({"revoked": true})))
}

pub fn team_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    let wanted = call.params.nonempty("team");
    call.read(|s| {
        let team = s.team().ok_or(SlackError::Internal)?;
        if wanted.as_deref().is_some_and(|t| t != team.id) {
            return Err(SlackError::Code("team_not_found"));
        }
        if let Some(domain) = call.params.nonempty("domain") {
            if domain != team.domain {
                return Err(SlackError::Code("team_not_found"));
            }
        }
        Ok(ok(json!({"team": {
            "id": team.id,
            "name": team.name,
            "url": format!("https://{}.slack.com/", team.domain),
            "domain": team.domain,
            "email_domain": team.email_domain,
            "icon": {"image_default": true, "image_34": "https://a.slack-edge.com/80588/img/avatars-teams/ava_0001-34.png",
                     "image_44": "https://a.slack-edge.com/80588/img/avatars-teams/ava_0001-44.png",
                     "image_68": "https://a.slack-edge.com/80588/img/avatars-teams/ava_0001-68.png",
                     "image_88": "https://a.slack-edge.com/80588/img/avatars-teams/ava_0001-88.png",
                     "image_102": "https://a.slack-edge.com/80588/img/avatars-teams/ava_0001-102.png",
                     "image_132": "https://a.slack-edge.com/80588/img/avatars-teams/ava_0001-132.png"},
            "avatar_base_url": "https://ca.slack-edge.com/",
            "is_verified": false,
            "lob_sales_home_enabled": false,
        }})))
    })
}

pub fn bots_info(call: &Call<'_>) -> Result<Reply, SlackError> {
    let wanted = call.params.nonempty("bot").or_else(|| call.actor.bot_id.clone());
    let wanted = wanted.ok_or(SlackError::Code("bot_not_found"))?;
    call.read(|s| {
        let bot = s.bots.get(&wanted).ok_or(SlackError::Code("bot_not_found"))?;
        Ok(ok(json!({"bot": {
            "id": bot.id,
            "deleted": bot.deleted,
            "name": bot.name,
            "updated": bot.updated,
            "app_id": bot.app_id,
            "user_id": bot.user_id,
            "icons": bot_icons(&bot.id),
        }})))
    })
}
