//! Slack Connect from a workspace with no connected organisations: invitations it sends
//! (conversations.inviteShared, listed by conversations.listConnectInvites) are state;
//! nothing ever arrives from another organisation, so the methods that act on received
//! invitations or requests find none.

use serde_json::{json, Value};

use super::{ok, Call, Reply};
use crate::errors::SlackError;
use crate::model::{Access, ChannelKind, ConnectInvite, SlackState};
use crate::paging::{metadata, page_request, paginate, Limits};

/// Invitations stay open two weeks.
const INVITE_TTL_S: i64 = 14 * 86_400;
const MAX_EMAILS: usize = 1;
const CONNECT_LIMITS: Limits = Limits { default: 100, max: 1000, strict: false };

fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else { return false };
    !local.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace)
}

pub fn conversations_invite_shared(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    let emails = call.params.list("emails");
    let user_ids = call.params.list("user_ids");
    if emails.is_empty() && user_ids.is_empty() {
        return Err(SlackError::missing("emails"));
    }
    if emails.len() > MAX_EMAILS || user_ids.len() > MAX_EMAILS {
        return Err(SlackError::invalid("emails"));
    }
    if emails.iter().any(|e| !valid_email(e)) {
        return Err(SlackError::Code("invalid_email"));
    }
    let external_limited = call.params.get("external_limited").is_none_or(|_| call.params.flag("external_limited"));
    let me = call.actor.user.clone();
    let now = call.now_s();
    call.write(|s, ids| {
        let ch = s.channel(&channel)?.clone();
        if !ch.is_public() && !s.is_member(&ch.id, &me) {
            return Err(SlackError::ChannelNotFound);
        }
        if ch.is_dm() {
            return Err(SlackError::Code("invalid_channel_type"));
        }
        if ch.is_archived {
            return Err(SlackError::Code("channel_archived"));
        }
        if ch.is_general {
            return Err(SlackError::Code("cannot_share_mandatory_channel"));
        }
        if !s.is_member(&ch.id, &me) {
            return Err(SlackError::NotInChannel);
        }
        // People of this workspace are in reach already: they are invited, not connected.
        let local =
            |e: &String| s.users.values().any(|u| u.email.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(e)));
        if emails.iter().any(local) || user_ids.iter().any(|u| s.users.contains_key(u.as_str())) {
            return Err(SlackError::Code("invite_from_same_org"));
        }
        let id = loop {
            let id = ids.upper_id("I", 10);
            if !s.connect_invites.contains_key(&id) {
                break id;
            }
        };
        let code = ids.lower_alnum(10);
        let invite = ConnectInvite {
            id: id.clone(),
            channel: ch.id.clone(),
            inviter: me.clone(),
            emails: emails.clone(),
            user_ids: user_ids.clone(),
            external_limited,
            created: now,
            code: code.clone(),
        };
        s.connect_invites.insert(id.clone(), invite);
        Ok(ok(json!({
            "invite_id": id,
            "is_legacy_shared_channel": false,
            "url": format!("https://join.slack.com/share/{code}"),
            "conf_code": code,
        })))
    })
}

fn invite_json(s: &SlackState, i: &ConnectInvite, now: i64) -> Value {
    let team = s.team();
    let ch = s.channels.get(&i.channel);
    let inviter = s.users.get(&i.inviter);
    let expired = now >= i.created + INVITE_TTL_S;
    json!({
        "direction": "outgoing",
        "status": if expired { "expired" } else { "pending" },
        "date_last_updated": i.created,
        "type": "channel",
        "invite": {
            "id": i.id,
            "date_created": i.created,
            "date_invalid": i.created + INVITE_TTL_S,
            "inviting_team": {"id": team.map(|t| t.id.clone()), "name": team.map(|t| t.name.clone()),
                              "domain": team.map(|t| t.domain.clone())},
            "inviting_user": {"id": i.inviter, "name": inviter.map(|u| u.name.clone())},
            "recipient_email": i.emails.first(),
            "recipient_user_id": i.user_ids.first(),
            "link": format!("https://join.slack.com/share/{}", i.code),
        },
        "channel": {
            "id": i.channel,
            "name": ch.map(|c| c.name.clone()),
            "is_private": ch.is_some_and(|c| c.kind == ChannelKind::Private),
            "is_im": false,
        },
        "acceptances": [],
        "is_external_limited": i.external_limited,
    })
}

pub fn conversations_list_connect_invites(call: &Call<'_>) -> Result<Reply, SlackError> {
    let mut params = call.params.clone();
    if let Some(count) = call.params.get("count").cloned() {
        params.set("limit", count);
    }
    let req = page_request(&params, "invite", CONNECT_LIMITS)?;
    let now = call.now_s();
    call.read(|s| {
        let mut list: Vec<(String, Value)> = s
            .connect_invites
            .values()
            .map(|i| (format!("{:012}:{}", i.created, i.id), invite_json(s, i, now)))
            .collect();
        list.sort_by(|a, b| b.0.cmp(&a.0));
        let page = paginate(list, &req, "invite", true);
        Ok(ok(json!({ "invites": page.items, "response_metadata": metadata(&page.next_cursor) })))
    })
}

/// An invitation sent to this workspace: none ever is. The workspace's own outgoing
/// ones are `own`.
fn received(s: &SlackState, id: &str, own: &'static str) -> SlackError {
    if s.connect_invites.contains_key(id.trim()) {
        SlackError::Code(own)
    } else {
        SlackError::Code("invite_not_found")
    }
}

pub fn conversations_accept_shared_invite(call: &Call<'_>) -> Result<Reply, SlackError> {
    let name = call.arg("channel_name")?;
    crate::model::validate_channel_name(&name)?;
    let invite = call.params.nonempty("invite_id");
    let channel = call.params.nonempty("channel_id");
    if invite.is_none() && channel.is_none() {
        return Err(SlackError::missing("invite_id"));
    }
    call.read(|s| match &invite {
        Some(id) => Err(received(s, id, "invite_from_same_org")),
        None => Err(SlackError::Code("invite_not_found")),
    })
}

pub fn conversations_approve_shared_invite(call: &Call<'_>) -> Result<Reply, SlackError> {
    let id = call.arg("invite_id")?;
    call.read(|s| Err(received(s, &id, "approval_not_found")))
}

pub fn conversations_decline_shared_invite(call: &Call<'_>) -> Result<Reply, SlackError> {
    let id = call.arg("invite_id")?;
    call.read(|s| Err(received(s, &id, "approval_not_found")))
}

pub fn conversations_request_shared_invite_approve(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.arg("invite_id")?;
    Err(SlackError::Code("invite_not_found"))
}

pub fn conversations_request_shared_invite_deny(call: &Call<'_>) -> Result<Reply, SlackError> {
    call.arg("invite_id")?;
    Err(SlackError::Code("invite_not_found"))
}

/// Requests from the workspace's people to invite someone outside: none are made in the twin.
pub fn conversations_request_shared_invite_list(call: &Call<'_>) -> Result<Reply, SlackError> {
    page_request(call.params, "request", CONNECT_LIMITS)?;
    if let Some(user) = call.params.nonempty("user_id") {
        call.read(|s| s.user(user.trim()).map(|_| ()))?;
    }
    Ok(ok(json!({ "invite_requests": [] })))
}

/// Upgrading or downgrading what a connected organisation may do in a channel: no
/// organisation is connected, so any `target_team` is not one of the channel's.
pub fn conversations_external_invite_permissions_set(call: &Call<'_>) -> Result<Reply, SlackError> {
    let channel = call.channel_arg("channel")?;
    call.arg("target_team")?;
    let action = call.arg("action")?;
    if !matches!(action.as_str(), "upgrade" | "downgrade") {
        return Err(SlackError::Code("invalid_action"));
    }
    call.read(|s| {
        s.access(&channel, &call.actor, Access::See)?;
        Err(SlackError::Code("invalid_target_team"))
    })
}
