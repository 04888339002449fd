//! The Web API methods the twin serves: one table of name, rate tier, accepted scopes
//! (per token type, as the vendor spec lists them) and handler. A test checks the table
//! against the vendor method specs.

pub mod apps;
pub mod assistant;
pub mod auth;
pub mod blocks;
pub mod calls;
pub mod canvases;
pub mod chat;
pub mod connect;
pub mod conversations;
pub mod files;
pub mod items;
pub mod lists;
pub mod misc;
pub mod modals;
pub mod oauth;
pub mod personal;
pub mod platform;
pub mod remote;
pub mod teamwork;
pub mod users;
pub mod workspace;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use twin_core::ids::IdGen;
use twin_core::{RateLimit, RequestCtx};

use crate::errors::SlackError;
use crate::model::{Actor, ChannelKind, SlackState};
use crate::wire::Params;

/// Slack's rate-limit tiers (`t5` = "special").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    T1,
    T2,
    T3,
    T4,
    T5,
}

impl Tier {
    pub fn name(self) -> &'static str {
        match self {
            Tier::T1 => "t1",
            Tier::T2 => "t2",
            Tier::T3 => "t3",
            Tier::T4 => "t4",
            Tier::T5 => "t5",
        }
    }

    /// Requests per minute (Slack documents "N+ per minute"); special methods have none here.
    pub fn per_minute(self) -> Option<u32> {
        match self {
            Tier::T1 => Some(1),
            Tier::T2 => Some(20),
            Tier::T3 => Some(50),
            Tier::T4 => Some(100),
            Tier::T5 => None,
        }
    }
}

pub type Handler = fn(&Call<'_>) -> Result<Reply, SlackError>;

/// A method's answer: a JSON value, or a body rendered straight from the state. The big
/// reads render directly, since building and dropping a `Value` tree per message was
/// most of their cost.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Value(Value),
    Rendered(String),
}

impl Reply {
    /// The body on the wire.
    pub fn into_body(self) -> String {
        match self {
            Reply::Value(v) => v.to_string(),
            Reply::Rendered(body) => body,
        }
    }

    /// The answer as a `Value` (for the control plane and tests).
    pub fn into_value(self) -> Value {
        match self {
            Reply::Value(v) => v,
            Reply::Rendered(body) => serde_json::from_str(&body).unwrap_or(Value::Null),
        }
    }
}

impl From<Value> for Reply {
    fn from(value: Value) -> Self {
        Reply::Value(value)
    }
}

/// Scopes a token type needs: `None` = this token type may not call it; an empty list =
/// any token of the type may.
pub type Scopes = Option<&'static [&'static str]>;

pub struct Method {
    pub name: &'static str,
    pub tier: Tier,
    pub bot: Scopes,
    pub user: Scopes,
    /// App-level (`xapp-`) tokens: only a couple of methods take them.
    pub app: Scopes,
    pub handler: Handler,
}

const fn m(name: &'static str, tier: Tier, bot: Scopes, user: Scopes, handler: Handler) -> Method {
    Method { name, tier, bot, user, app: None, handler }
}

/// A method app-level tokens may call, with these scopes.
const fn with_app(method: Method, app: &'static [&'static str]) -> Method {
    Method { app: Some(app), ..method }
}

use apps::*;
use assistant::*;
use auth::*;
use blocks::*;
use calls::*;
use canvases::*;
use chat::*;
use connect::*;
use conversations::*;
use files::*;
use items::*;
use lists::*;
use misc::*;
use modals::*;
use oauth::*;
use personal::*;
use platform::*;
use remote::*;
use teamwork::*;
use users::*;
use workspace::*;

/// The scope sets the vendor spec gives most conversation methods, one per conversation
/// type (private, DM, group DM, public); bots may also hold `channels:manage` for writes.
const CONVERSATIONS_READ: Scopes = Some(&["groups:read", "im:read", "mpim:read", "channels:read"]);
const CONVERSATIONS_HISTORY: Scopes = Some(&["groups:history", "im:history", "mpim:history", "channels:history"]);
const CONVERSATIONS_WRITE_BOT: Scopes =
    Some(&["groups:write", "im:write", "mpim:write", "channels:write", "channels:manage"]);
const CONVERSATIONS_WRITE_USER: Scopes = Some(&["groups:write", "im:write", "mpim:write", "channels:write"]);

const CONNECT_WRITE: Scopes = Some(&["conversations.connect:write"]);
const CONNECT_MANAGE: Scopes = Some(&["conversations.connect:manage"]);
const LISTS_READ: Scopes = Some(&["lists:read"]);
const LISTS_WRITE: Scopes = Some(&["lists:write"]);

/// Every routed method. Scopes and tiers are the vendor spec's (checked by a test).
pub static METHODS: &[Method] = &[
    m("auth.test", Tier::T5, Some(&[]), Some(&[]), auth_test),
    // App-level tokens may revoke themselves.
    with_app(m("auth.revoke", Tier::T3, Some(&[]), Some(&[]), auth_revoke), &[]),
    // The vendor spec lists no scopes; Slack takes only app-level tokens with connections:write.
    with_app(m("apps.connections.open", Tier::T3, None, None, apps_connections_open), &["connections:write"]),
    m("team.info", Tier::T3, Some(&["team:read"]), Some(&["team:read"]), team_info),
    m("bots.info", Tier::T3, Some(&["users:read"]), Some(&["users:read"]), bots_info),
    m("users.list", Tier::T2, Some(&["users:read"]), Some(&["users:read"]), users_list),
    m("users.info", Tier::T4, Some(&["users:read"]), Some(&["users:read"]), users_info),
    m("users.lookupByEmail", Tier::T3, Some(&["users:read.email"]), Some(&["users:read.email"]), users_lookup_by_email),
    m("users.conversations", Tier::T3, CONVERSATIONS_READ, CONVERSATIONS_READ, users_conversations),
    m("users.getPresence", Tier::T3, Some(&["users:read"]), Some(&["users:read"]), users_get_presence),
    m("users.setPresence", Tier::T2, Some(&["users:write"]), Some(&["users:write"]), users_set_presence),
    m("users.profile.get", Tier::T4, Some(&["users.profile:read"]), Some(&["users.profile:read"]), users_profile_get),
    m("users.profile.set", Tier::T3, None, Some(&["users.profile:write"]), users_profile_set),
    m("conversations.list", Tier::T2, CONVERSATIONS_READ, CONVERSATIONS_READ, conversations_list),
    m("conversations.info", Tier::T3, CONVERSATIONS_READ, CONVERSATIONS_READ, conversations_info),
    m("conversations.history", Tier::T3, CONVERSATIONS_HISTORY, CONVERSATIONS_HISTORY, conversations_history),
    m("conversations.replies", Tier::T3, CONVERSATIONS_HISTORY, CONVERSATIONS_HISTORY, conversations_replies),
    m("conversations.create", Tier::T2, CONVERSATIONS_WRITE_BOT, CONVERSATIONS_WRITE_USER, conversations_create),
    m("conversations.join", Tier::T3, Some(&["channels:join"]), Some(&["channels:write"]), conversations_join),
    m("conversations.leave", Tier::T3, CONVERSATIONS_WRITE_BOT, CONVERSATIONS_WRITE_USER, conversations_leave),
    m(
        "conversations.invite",
        Tier::T3,
        Some(&[
            "channels:write.invites",
            "groups:write.invites",
            "channels:manage",
            "groups:write",
            "im:write",
            "mpim:write",
        ]),
        Some(&[
            "channels:write.invites",
            "groups:write.invites",
            "channels:write",
            "groups:write",
            "im:write",
            "mpim:write",
        ]),
        conversations_invite,
    ),
    m(
        "conversations.kick",
        Tier::T3,
        Some(&["groups:write", "channels:manage"]),
        Some(&["groups:write", "channels:write"]),
        conversations_kick,
    ),
    m("conversations.archive", Tier::T2, CONVERSATIONS_WRITE_BOT, CONVERSATIONS_WRITE_USER, conversations_archive),
    m("conversations.unarchive", Tier::T2, CONVERSATIONS_WRITE_BOT, CONVERSATIONS_WRITE_USER, conversations_unarchive),
    m("conversations.rename", Tier::T2, CONVERSATIONS_WRITE_BOT, CONVERSATIONS_WRITE_USER, conversations_rename),
    m(
        "conversations.setTopic",
        Tier::T2,
        Some(&[
            "channels:write.topic",
            "groups:write.topic",
            "mpim:write.topic",
            "im:write.topic",
            "channels:manage",
            "groups:write",
            "im:write",
            "mpim:write",
        ]),
        Some(&[
            "channels:write.topic",
            "groups:write.topic",
            "mpim:write.topic",
            "im:write.topic",
            "channels:write",
            "groups:write",
            "im:write",
            "mpim:write",
        ]),
        conversations_set_topic,
    ),
    m(
        "conversations.setPurpose",
        Tier::T2,
        Some(&[
            "channels:write.topic",
            "groups:write.topic",
            "mpim:write.topic",
            "im:write.topic",
            "channels:manage",
            "groups:write",
            "im:write",
            "mpim:write",
        ]),
        Some(&[
            "channels:write.topic",
            "groups:write.topic",
            "mpim:write.topic",
            "im:write.topic",
            "channels:write",
            "groups:write",
            "im:write",
            "mpim:write",
        ]),
        conversations_set_purpose,
    ),
    m(
        "conversations.open",
        Tier::T3,
        Some(&["channels:manage", "groups:write", "im:write", "mpim:write"]),
        Some(&["channels:write", "groups:write", "im:write", "mpim:write"]),
        conversations_open,
    ),
    m("conversations.close", Tier::T2, CONVERSATIONS_WRITE_BOT, CONVERSATIONS_WRITE_USER, conversations_close),
    m("conversations.members", Tier::T4, CONVERSATIONS_READ, CONVERSATIONS_READ, conversations_members),
    m("conversations.mark", Tier::T3, CONVERSATIONS_WRITE_BOT, CONVERSATIONS_WRITE_USER, conversations_mark),
    m("chat.postMessage", Tier::T5, Some(&["chat:write"]), Some(&["chat:write"]), chat_post_message),
    m("chat.update", Tier::T3, Some(&["chat:write"]), Some(&["chat:write"]), chat_update),
    m("chat.delete", Tier::T3, Some(&["chat:write"]), Some(&["chat:write"]), chat_delete),
    m("chat.postEphemeral", Tier::T4, Some(&["chat:write"]), Some(&["chat:write"]), chat_post_ephemeral),
    m("chat.getPermalink", Tier::T5, Some(&[]), Some(&[]), chat_get_permalink),
    m("chat.meMessage", Tier::T3, Some(&["chat:write"]), Some(&["chat:write"]), chat_me_message),
    m("chat.scheduleMessage", Tier::T3, Some(&["chat:write"]), Some(&["chat:write"]), chat_schedule_message),
    m(
        "chat.deleteScheduledMessage",
        Tier::T3,
        Some(&["chat:write"]),
        Some(&["chat:write"]),
        chat_delete_scheduled_message,
    ),
    m("chat.scheduledMessages.list", Tier::T3, Some(&[]), Some(&[]), chat_scheduled_messages_list),
    m("reactions.add", Tier::T3, Some(&["reactions:write"]), Some(&["reactions:write"]), reactions_add),
    m("reactions.remove", Tier::T2, Some(&["reactions:write"]), Some(&["reactions:write"]), reactions_remove),
    m("reactions.get", Tier::T3, Some(&["reactions:read"]), Some(&["reactions:read"]), reactions_get),
    m("reactions.list", Tier::T2, Some(&["reactions:read"]), Some(&["reactions:read"]), reactions_list),
    m("pins.add", Tier::T2, Some(&["pins:write"]), Some(&["pins:write"]), pins_add),
    m("pins.remove", Tier::T2, Some(&["pins:write"]), Some(&["pins:write"]), pins_remove),
    m("pins.list", Tier::T2, Some(&["pins:read"]), Some(&["pins:read"]), pins_list),
    m("bookmarks.add", Tier::T2, Some(&["bookmarks:write"]), Some(&["bookmarks:write"]), bookmarks_add),
    m("bookmarks.list", Tier::T3, Some(&["bookmarks:read"]), Some(&["bookmarks:read"]), bookmarks_list),
    m("bookmarks.remove", Tier::T2, Some(&["bookmarks:write"]), Some(&["bookmarks:write"]), bookmarks_remove),
    m("usergroups.list", Tier::T2, Some(&["usergroups:read"]), Some(&["usergroups:read"]), usergroups_list),
    m("usergroups.create", Tier::T2, Some(&["usergroups:write"]), Some(&["usergroups:write"]), usergroups_create),
    m("usergroups.update", Tier::T2, Some(&["usergroups:write"]), Some(&["usergroups:write"]), usergroups_update),
    m("usergroups.disable", Tier::T2, Some(&["usergroups:write"]), Some(&["usergroups:write"]), usergroups_disable),
    m("usergroups.enable", Tier::T2, Some(&["usergroups:write"]), Some(&["usergroups:write"]), usergroups_enable),
    m("usergroups.users.list", Tier::T2, Some(&["usergroups:read"]), Some(&["usergroups:read"]), usergroups_users_list),
    m(
        "usergroups.users.update",
        Tier::T2,
        Some(&["usergroups:write"]),
        Some(&["usergroups:write"]),
        usergroups_users_update,
    ),
    m("search.messages", Tier::T2, None, Some(&["search:read"]), search_messages),
    m("emoji.list", Tier::T2, Some(&["emoji:read"]), Some(&["emoji:read"]), emoji_list),
    m("dnd.info", Tier::T3, Some(&["dnd:read"]), Some(&["dnd:read"]), dnd_info),
    m(
        "files.getUploadURLExternal",
        Tier::T4,
        Some(&["files:write"]),
        Some(&["files:write"]),
        files_get_upload_url_external,
    ),
    m(
        "files.completeUploadExternal",
        Tier::T4,
        Some(&["files:write"]),
        Some(&["files:write"]),
        files_complete_upload_external,
    ),
    m("files.info", Tier::T4, Some(&["files:read"]), Some(&["files:read"]), files_info),
    m("files.list", Tier::T3, Some(&["files:read"]), Some(&["files:read"]), files_list),
    m("files.delete", Tier::T3, Some(&["files:write"]), Some(&["files:write"]), files_delete),
    m("files.upload", Tier::T2, Some(&["files:write"]), Some(&["files:write"]), files_upload),
    // Any token, or none (see `api::run`).
    with_app(m(API_TEST, Tier::T4, Some(&[]), Some(&[]), api_test), &[]),
    m("files.remote.add", Tier::T2, Some(&["remote_files:write"]), None, files_remote_add),
    m("files.remote.info", Tier::T2, Some(&["remote_files:read"]), Some(&["remote_files:read"]), files_remote_info),
    m("files.remote.list", Tier::T2, Some(&["remote_files:read"]), Some(&["remote_files:read"]), files_remote_list),
    m("files.remote.remove", Tier::T2, Some(&["remote_files:write"]), None, files_remote_remove),
    m("files.remote.share", Tier::T2, Some(&["remote_files:share"]), Some(&["remote_files:share"]), files_remote_share),
    m("files.remote.update", Tier::T2, Some(&["remote_files:write"]), None, files_remote_update),
    m("bookmarks.edit", Tier::T2, Some(&["bookmarks:write"]), Some(&["bookmarks:write"]), bookmarks_edit),
    m("team.billing.info", Tier::T3, Some(&["team.billing:read"]), Some(&["team.billing:read"]), team_billing_info),
    m(
        "team.preferences.list",
        Tier::T3,
        Some(&["team.preferences:read"]),
        Some(&["team.preferences:read"]),
        team_preferences_list,
    ),
    m("users.setPhoto", Tier::T2, None, Some(&["users.profile:write"]), users_set_photo),
    m("users.deletePhoto", Tier::T2, None, Some(&["users.profile:write"]), users_delete_photo),
    m(
        "conversations.canvases.create",
        Tier::T2,
        Some(&["canvases:write"]),
        Some(&["canvases:write"]),
        conversations_canvases_create,
    ),
    m("canvases.create", Tier::T2, Some(&["canvases:write"]), Some(&["canvases:write"]), canvases_create),
    m("canvases.edit", Tier::T3, Some(&["canvases:write"]), Some(&["canvases:write"]), canvases_edit),
    m("canvases.delete", Tier::T3, Some(&["canvases:write"]), Some(&["canvases:write"]), canvases_delete),
    m("canvases.access.set", Tier::T3, Some(&["canvases:write"]), Some(&["canvases:write"]), canvases_access_set),
    m("canvases.access.delete", Tier::T3, Some(&["canvases:write"]), Some(&["canvases:write"]), canvases_access_delete),
    m(
        "canvases.sections.lookup",
        Tier::T3,
        Some(&["canvases:read"]),
        Some(&["canvases:read"]),
        canvases_sections_lookup,
    ),
    m("calls.add", Tier::T3, Some(&["calls:write"]), Some(&["calls:write"]), calls_add),
    m("calls.info", Tier::T3, Some(&["calls:read"]), Some(&["calls:read"]), calls_info),
    m("calls.update", Tier::T3, Some(&["calls:write"]), Some(&["calls:write"]), calls_update),
    m("calls.end", Tier::T3, Some(&["calls:write"]), Some(&["calls:write"]), calls_end),
    m("calls.participants.add", Tier::T3, Some(&["calls:write"]), Some(&["calls:write"]), calls_participants_add),
    m("calls.participants.remove", Tier::T3, Some(&["calls:write"]), Some(&["calls:write"]), calls_participants_remove),
    m("slackLists.create", Tier::T2, LISTS_WRITE, LISTS_WRITE, slack_lists_create),
    m("slackLists.update", Tier::T2, LISTS_WRITE, LISTS_WRITE, slack_lists_update),
    m("slackLists.access.set", Tier::T3, LISTS_WRITE, LISTS_WRITE, slack_lists_access_set),
    m("slackLists.access.delete", Tier::T3, LISTS_WRITE, LISTS_WRITE, slack_lists_access_delete),
    m("slackLists.items.create", Tier::T3, LISTS_WRITE, LISTS_WRITE, slack_lists_items_create),
    m("slackLists.items.list", Tier::T2, LISTS_READ, LISTS_READ, slack_lists_items_list),
    m("slackLists.items.info", Tier::T2, LISTS_READ, LISTS_READ, slack_lists_items_info),
    m("slackLists.items.update", Tier::T3, LISTS_WRITE, LISTS_WRITE, slack_lists_items_update),
    m("slackLists.items.delete", Tier::T2, LISTS_WRITE, LISTS_WRITE, slack_lists_items_delete),
    m("slackLists.items.deleteMultiple", Tier::T2, LISTS_WRITE, LISTS_WRITE, slack_lists_items_delete_multiple),
    m("slackLists.download.start", Tier::T2, LISTS_READ, LISTS_READ, slack_lists_download_start),
    m("slackLists.download.get", Tier::T4, LISTS_READ, LISTS_READ, slack_lists_download_get),
    m("dnd.setSnooze", Tier::T2, None, Some(&["dnd:write"]), dnd_set_snooze),
    m("dnd.endSnooze", Tier::T2, None, Some(&["dnd:write"]), dnd_end_snooze),
    m("dnd.endDnd", Tier::T2, None, Some(&["dnd:write"]), dnd_end_dnd),
    m("dnd.teamInfo", Tier::T2, Some(&["dnd:read"]), Some(&["dnd:read"]), dnd_team_info),
    m("reminders.add", Tier::T2, None, Some(&["reminders:write"]), reminders_add),
    m("reminders.complete", Tier::T2, None, Some(&["reminders:write"]), reminders_complete),
    m("reminders.delete", Tier::T2, None, Some(&["reminders:write"]), reminders_delete),
    m("reminders.info", Tier::T2, None, Some(&["reminders:read"]), reminders_info),
    m("reminders.list", Tier::T2, None, Some(&["reminders:read"]), reminders_list),
    m("stars.add", Tier::T2, None, Some(&["stars:write"]), stars_add),
    m("stars.list", Tier::T3, None, Some(&["stars:read"]), stars_list),
    m("stars.remove", Tier::T2, None, Some(&["stars:write"]), stars_remove),
    m("team.accessLogs", Tier::T2, None, Some(&["admin"]), team_access_logs),
    m("team.billableInfo", Tier::T2, None, Some(&["admin"]), team_billable_info),
    m("team.integrationLogs", Tier::T2, None, Some(&["admin"]), team_integration_logs),
    m("team.profile.get", Tier::T3, Some(&["users.profile:read"]), Some(&["users.profile:read"]), team_profile_get),
    m(
        "team.externalTeams.list",
        Tier::T2,
        Some(&["conversations.connect:manage", "team:read"]),
        None,
        team_external_teams_list,
    ),
    m(
        "team.externalTeams.disconnect",
        Tier::T1,
        Some(&["conversations.connect:manage"]),
        None,
        team_external_teams_disconnect,
    ),
    m("auth.teams.list", Tier::T2, Some(&[]), Some(&[]), auth_teams_list),
    m("users.identity", Tier::T3, None, Some(&["identity:read"]), users_identity),
    m(
        "users.discoverableContacts.lookup",
        Tier::T2,
        Some(&["conversations.connect:manage", "team:read"]),
        None,
        users_discoverable_contacts_lookup,
    ),
    m("users.setActive", Tier::T2, Some(&["users:write"]), Some(&["users:write"]), users_set_active),
    m("files.comments.delete", Tier::T2, Some(&["files:write"]), Some(&["files:write"]), files_comments_delete),
    m("files.sharedPublicURL", Tier::T3, None, Some(&["files:write"]), files_shared_public_url),
    m("files.revokePublicURL", Tier::T3, Some(&["files:write"]), Some(&["files:write"]), files_revoke_public_url),
    m("search.all", Tier::T2, None, Some(&["search:read"]), search_all),
    m("search.files", Tier::T2, None, Some(&["search:read"]), search_files),
    m("assistant.threads.setStatus", Tier::T5, Some(&["chat:write"]), None, assistant_threads_set_status),
    m("assistant.threads.setTitle", Tier::T4, Some(&["assistant:write"]), None, assistant_threads_set_title),
    m(
        "assistant.threads.setSuggestedPrompts",
        Tier::T4,
        Some(&["assistant:write"]),
        None,
        assistant_threads_set_suggested_prompts,
    ),
    m("chat.startStream", Tier::T2, Some(&["chat:write"]), None, chat_start_stream),
    m("chat.appendStream", Tier::T4, Some(&["chat:write"]), None, chat_append_stream),
    m("chat.stopStream", Tier::T2, Some(&["chat:write"]), None, chat_stop_stream),
    m("chat.unfurl", Tier::T3, Some(&["links:write"]), Some(&["links:write"]), chat_unfurl),
    m("conversations.inviteShared", Tier::T2, CONNECT_WRITE, None, conversations_invite_shared),
    m("conversations.listConnectInvites", Tier::T1, CONNECT_MANAGE, None, conversations_list_connect_invites),
    m("conversations.acceptSharedInvite", Tier::T2, CONNECT_WRITE, None, conversations_accept_shared_invite),
    m("conversations.approveSharedInvite", Tier::T3, CONNECT_MANAGE, None, conversations_approve_shared_invite),
    m("conversations.declineSharedInvite", Tier::T3, CONNECT_MANAGE, None, conversations_decline_shared_invite),
    m(
        "conversations.requestSharedInvite.approve",
        Tier::T2,
        CONNECT_MANAGE,
        None,
        conversations_request_shared_invite_approve,
    ),
    m(
        "conversations.requestSharedInvite.deny",
        Tier::T2,
        CONNECT_MANAGE,
        None,
        conversations_request_shared_invite_deny,
    ),
    m(
        "conversations.requestSharedInvite.list",
        Tier::T2,
        CONNECT_MANAGE,
        None,
        conversations_request_shared_invite_list,
    ),
    m(
        "conversations.externalInvitePermissions.set",
        Tier::T2,
        CONNECT_MANAGE,
        None,
        conversations_external_invite_permissions_set,
    ),
    m("views.open", Tier::T4, Some(&[]), Some(&[]), views_open),
    m("views.push", Tier::T4, Some(&[]), Some(&[]), views_push),
    m("views.update", Tier::T4, Some(&[]), Some(&[]), views_update),
    m("views.publish", Tier::T4, Some(&[]), Some(&[]), views_publish),
    m("dialog.open", Tier::T4, Some(&[]), Some(&[]), dialog_open),
    // A plain app: no hosted functions, datastores, workflow triggers or entity events;
    // configuration-token methods are open to no token the twin mints.
    m("functions.completeSuccess", Tier::T3, Some(&[]), Some(&[]), functions_complete_success),
    m("functions.completeError", Tier::T3, Some(&[]), Some(&[]), functions_complete_error),
    m("functions.workflows.steps.list", Tier::T3, Some(&[]), Some(&[]), functions_workflows_steps_list),
    m(
        "functions.workflows.steps.responses.export",
        Tier::T3,
        Some(&[]),
        Some(&[]),
        functions_workflows_steps_responses_export,
    ),
    m("functions.distributions.permissions.add", Tier::T3, None, None, configuration_only),
    m("functions.distributions.permissions.list", Tier::T3, None, None, configuration_only),
    m("functions.distributions.permissions.remove", Tier::T3, None, None, configuration_only),
    m("functions.distributions.permissions.set", Tier::T3, None, None, configuration_only),
    m("apps.manifest.create", Tier::T1, None, None, configuration_only),
    m("apps.manifest.delete", Tier::T1, None, None, configuration_only),
    m("apps.manifest.export", Tier::T3, None, None, configuration_only),
    m("apps.manifest.update", Tier::T1, None, None, configuration_only),
    m("apps.manifest.validate", Tier::T3, None, None, configuration_only),
    m("apps.managed.permissions.set", Tier::T2, None, None, configuration_only),
    m("apps.datastore.bulkDelete", Tier::T3, Some(&["datastore:write"]), None, apps_datastore),
    m("apps.datastore.bulkGet", Tier::T3, Some(&["datastore:read"]), None, apps_datastore),
    m("apps.datastore.bulkPut", Tier::T3, Some(&["datastore:write"]), None, apps_datastore),
    m("apps.datastore.count", Tier::T3, Some(&["datastore:read"]), None, apps_datastore),
    m("apps.datastore.delete", Tier::T4, Some(&["datastore:write"]), None, apps_datastore),
    m("apps.datastore.get", Tier::T4, Some(&["datastore:read"]), None, apps_datastore),
    m("apps.datastore.put", Tier::T4, Some(&["datastore:write"]), None, apps_datastore),
    m("apps.datastore.query", Tier::T4, Some(&["datastore:read"]), None, apps_datastore),
    m("apps.datastore.update", Tier::T4, Some(&["datastore:write"]), None, apps_datastore),
    m("workflows.triggers.permissions.add", Tier::T3, Some(&["triggers:write"]), None, workflows_triggers_permissions),
    m("workflows.triggers.permissions.list", Tier::T3, Some(&["triggers:read"]), None, workflows_triggers_permissions),
    m(
        "workflows.triggers.permissions.remove",
        Tier::T3,
        Some(&["triggers:write"]),
        None,
        workflows_triggers_permissions,
    ),
    m("workflows.triggers.permissions.set", Tier::T3, Some(&["triggers:write"]), None, workflows_triggers_permissions),
    m(
        "workflows.featured.list",
        Tier::T2,
        Some(&["bookmarks:read"]),
        Some(&["bookmarks:read"]),
        workflows_featured_list,
    ),
    m(
        "workflows.featured.add",
        Tier::T2,
        Some(&["bookmarks:write"]),
        Some(&["bookmarks:write"]),
        workflows_featured_change,
    ),
    m(
        "workflows.featured.remove",
        Tier::T2,
        Some(&["bookmarks:write"]),
        Some(&["bookmarks:write"]),
        workflows_featured_change,
    ),
    m(
        "workflows.featured.set",
        Tier::T2,
        Some(&["bookmarks:write"]),
        Some(&["bookmarks:write"]),
        workflows_featured_change,
    ),
    m("entity.presentDetails", Tier::T3, Some(&[]), Some(&[]), entity_method),
    m("entity.presentComments", Tier::T3, Some(&[]), Some(&[]), entity_method),
    m("entity.acknowledgeCommentAction", Tier::T3, Some(&[]), Some(&[]), entity_method),
    m("agents.sessions.rename", Tier::T3, Some(&["chat:write"]), None, agents_sessions),
    m("agents.sessions.setStatus", Tier::T3, Some(&["chat:write"]), None, agents_sessions),
    // App-level tokens (with authorizations:read); the vendor spec lists no scopes.
    with_app(
        m("apps.event.authorizations.list", Tier::T5, None, None, apps_event_authorizations_list),
        &["authorizations:read"],
    ),
    m("openid.connect.userInfo", Tier::T3, None, Some(&["openid"]), openid_connect_user_info),
    m(
        "assistant.search.info",
        Tier::T2,
        Some(&["search:read.public"]),
        Some(&["search:read.public"]),
        assistant_search_info,
    ),
    m(
        "assistant.search.context",
        Tier::T5,
        Some(&["search:read.public", "search:read.files", "search:read.users"]),
        Some(&[
            "search:read.public",
            "search:read.private",
            "search:read.im",
            "search:read.mpim",
            "search:read.files",
            "search:read.users",
        ]),
        assistant_search_context,
    ),
    // The app's OAuth client (see `oauth`): no token needed, the client id routes them.
    m("oauth.access", Tier::T4, Some(&[]), Some(&[]), oauth_access),
    m("oauth.v2.access", Tier::T5, Some(&[]), Some(&[]), oauth_v2_access),
    m("oauth.v2.user.access", Tier::T5, Some(&[]), Some(&[]), oauth_v2_user_access),
    m("openid.connect.token", Tier::T4, Some(&[]), Some(&[]), openid_connect_token),
    m("oauth.v2.exchange", Tier::T3, Some(&[]), Some(&[]), oauth_v2_exchange),
    m("apps.activities.list", Tier::T3, None, Some(&["hosting:read"]), apps_activities_list),
    m("apps.icon.set", Tier::T1, None, Some(&["app_configurations:write"]), apps_icon_set),
    // The vendor spec gives no tier; Slack's docs say special rate limits apply.
    m("blocks.validate", Tier::T5, Some(&[]), Some(&[]), blocks_validate),
    m("apps.uninstall", Tier::T1, Some(&[]), Some(&[]), apps_uninstall),
    m("apps.auth.external.get", Tier::T3, Some(&[]), Some(&[]), apps_auth_external_get),
    m("apps.auth.external.delete", Tier::T4, Some(&[]), Some(&[]), apps_auth_external_delete),
    m("apps.user.connection.update", Tier::T2, None, Some(&["users:write"]), apps_user_connection_update),
    // Retired for the granular tokens the twin mints: no token type may call them.
    m("rtm.connect", Tier::T1, None, None, rtm_retired),
    m("rtm.start", Tier::T1, None, None, rtm_retired),
];

impl Method {
    /// The scopes this method accepts from a token of this kind (`None`: not this kind).
    pub fn accepted(&self, kind: crate::model::TokenKind) -> Scopes {
        match kind {
            crate::model::TokenKind::Bot => self.bot,
            crate::model::TokenKind::User => self.user,
            crate::model::TokenKind::App => self.app,
        }
    }

    /// The `x-accepted-oauth-scopes` header for a token of this kind: the scopes it
    /// accepts, comma-separated (empty when it takes no token of this kind).
    pub fn accepted_header(&self, kind: crate::model::TokenKind) -> axum::http::HeaderValue {
        let slot = match kind {
            crate::model::TokenKind::Bot => 0,
            crate::model::TokenKind::User => 1,
            crate::model::TokenKind::App => 2,
        };
        BY_NAME
            .get(self.name)
            .map(|(_, headers)| headers[slot].clone())
            .unwrap_or_else(|| axum::http::HeaderValue::from_static(""))
    }
}

/// The method table by name, each with its `x-accepted-oauth-scopes` values (bot,
/// user, app token) made once: every call looks its method up, often twice.
static BY_NAME: std::sync::LazyLock<
    std::collections::HashMap<&'static str, (&'static Method, [axum::http::HeaderValue; 3])>,
> = std::sync::LazyLock::new(|| {
    let header = |scopes: Scopes| {
        axum::http::HeaderValue::from_str(&scopes.unwrap_or(&[]).join(","))
            .unwrap_or_else(|_| axum::http::HeaderValue::from_static(""))
    };
    METHODS.iter().map(|m| (m.name, (m, [header(m.bot), header(m.user), header(m.app)]))).collect()
});

pub fn find(name: &str) -> Option<&'static Method> {
    BY_NAME.get(name).map(|(method, _)| *method)
}

/// The rate-limit class of a method for `--realistic-limits`: per method, at its tier's
/// per-minute rate; chat.postMessage ≈ 1/s.
pub fn rate_limit(operation: &str) -> Option<RateLimit> {
    let method = find(operation)?;
    let limit = if method.name == "chat.postMessage" { 60 } else { method.tier.per_minute()? };
    Some(RateLimit { class: method.name.to_string(), limit, per_seconds: 60, shared: false })
}

/// One API call as a handler sees it.
pub struct Call<'a> {
    pub ctx: &'a RequestCtx,
    pub params: &'a Params,
    pub actor: Actor,
    pub now: DateTime<Utc>,
}

impl Call<'_> {
    pub fn now_s(&self) -> i64 {
        self.now.timestamp()
    }

    pub fn now_micros(&self) -> u64 {
        u64::try_from(self.now.timestamp_micros()).unwrap_or(0)
    }

    /// Reads the workspace.
    pub fn read<R>(&self, f: impl FnOnce(&SlackState) -> Result<R, SlackError>) -> Result<R, SlackError> {
        self.ctx.universe.read::<SlackState, _>(f).map_err(|_| SlackError::Internal)?
    }

    /// Changes the workspace, all or nothing: the closure works on an O(1) copy that
    /// replaces the state only when it succeeds. The events the change raises go to
    /// the app (see [`crate::delivery`]).
    pub fn write<R>(
        &self,
        f: impl FnOnce(&mut SlackState, &mut IdGen) -> Result<R, SlackError>,
    ) -> Result<R, SlackError> {
        crate::delivery::write_and_publish(&self.ctx.universe, Some(&self.actor.user), self.now, f)
            .map_err(|_| SlackError::Internal)?
    }

    /// A required argument (`invalid_arguments` when missing).
    pub fn arg(&self, key: &str) -> Result<String, SlackError> {
        self.params.required(key)
    }

    /// A required channel argument: missing is `channel_not_found`, as Slack answers.
    pub fn channel_arg(&self, key: &str) -> Result<String, SlackError> {
        self.params.nonempty(key).map(|c| c.trim().to_string()).ok_or(SlackError::ChannelNotFound)
    }

    /// For methods whose scopes depend on the conversation type (`channels:history` for
    /// public channels, `im:history` for DMs…): `missing_scope` when the token has
    /// none of the scopes for this type among `accepted`.
    pub fn require_type_scope(&self, kind: ChannelKind, accepted: Scopes) -> Result<(), SlackError> {
        let Some(accepted) = accepted else { return Ok(()) };
        let prefix = format!("{}:", kind.scope_prefix());
        let typed: Vec<&str> = accepted.iter().copied().filter(|s| s.starts_with(&prefix)).collect();
        if typed.is_empty() || typed.iter().any(|s| self.actor.has(s)) {
            return Ok(());
        }
        Err(SlackError::MissingScope { needed: typed.join(","), provided: self.actor.scopes.join(",") })
    }

    /// The scopes this method accepts for the caller's token type.
    pub fn accepted(&self, method: &str) -> Scopes {
        find(method)?.accepted(self.actor.kind)
    }
}

/// Renders a body straight from borrowed state (see [`Reply::Rendered`]).
pub fn rendered(body: &impl serde::Serialize) -> Result<Reply, SlackError> {
    // A posted message renders to some 600 bytes: starting at 1 KiB spares the three
    // reallocations (and copies) of growing from serde_json's 128.
    let mut out = Vec::with_capacity(1024);
    serde_json::to_writer(&mut out, body).map_err(|_| SlackError::Internal)?;
    String::from_utf8(out).map(Reply::Rendered).map_err(|_| SlackError::Internal)
}

/// `{"ok": true, …}`.
pub fn ok(mut body: Value) -> Reply {
    if let Value::Object(map) = &mut body {
        map.insert("ok".into(), Value::Bool(true));
        return Reply::Value(body);
    }
    Reply::Value(json!({"ok": true}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    pub fn vendor_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vendor/slack/methods")
    }

    fn scopes_of(spec: &Value, kind: &str) -> Option<Vec<String>> {
        let scope = spec.get("scope")?;
        match scope.as_object() {
            Some(map) if map.is_empty() => Some(Vec::new()),
            Some(map) => map
                .get(kind)
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()),
            None => Some(Vec::new()),
        }
    }

    /// Methods whose spec lists no scopes but that Slack serves to app-level tokens only.
    const APP_ONLY: &[&str] = &["apps.connections.open", "apps.event.authorizations.list"];
    /// Methods the vendor retired for granular tokens: routed, open to no token type.
    const RETIRED: &[&str] = &["rtm.connect", "rtm.start"];
    /// Methods whose spec gives no tier: the tier Slack's docs page names.
    const DOCUMENTED_TIERS: &[(&str, &str)] = &[("blocks.validate", "t5")];

    #[test]
    fn every_method_matches_the_vendor_spec() {
        let dir = vendor_dir();
        if !dir.is_dir() {
            eprintln!("vendor specs not found at {}; skipping", dir.display());
            return;
        }
        let mut names = BTreeSet::new();
        for method in METHODS {
            assert!(names.insert(method.name), "{} routed twice", method.name);
            let path = dir.join(format!("{}.json", method.name));
            let text =
                std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is not a Slack method", method.name));
            let spec: Value = serde_json::from_str(&text).unwrap();
            match DOCUMENTED_TIERS.iter().find(|(name, _)| *name == method.name) {
                Some((_, tier)) => {
                    assert!(spec["rate_limits"].is_null(), "{}: the spec names a tier now", method.name);
                    assert_eq!(*tier, method.tier.name(), "{} tier", method.name);
                }
                None => assert_eq!(spec["rate_limits"], method.tier.name(), "{} tier", method.name),
            }
            if RETIRED.contains(&method.name) {
                assert!(method.bot.is_none() && method.user.is_none() && method.app.is_none(), "{}", method.name);
                continue;
            }
            if APP_ONLY.contains(&method.name) {
                assert!(method.bot.is_none() && method.user.is_none() && method.app.is_some(), "{}", method.name);
                continue;
            }
            let own = |s: Scopes| s.map(|s| s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
            assert_eq!(own(method.bot), scopes_of(&spec, "bot"), "{} bot scopes", method.name);
            assert_eq!(own(method.user), scopes_of(&spec, "user"), "{} user scopes", method.name);
        }
    }

    #[test]
    fn rate_limits_follow_tiers() {
        assert_eq!(rate_limit("users.list").unwrap().limit, 20);
        assert_eq!(rate_limit("conversations.history").unwrap().limit, 50);
        assert_eq!(rate_limit("users.info").unwrap().limit, 100);
        let post = rate_limit("chat.postMessage").unwrap();
        assert_eq!((post.class.as_str(), post.limit, post.per_seconds), ("chat.postMessage", 60, 60));
        assert!(rate_limit("auth.test").is_none());
        assert!(rate_limit("no.such").is_none());
    }
}
