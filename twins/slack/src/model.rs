//! The Slack workspace as plain data, and the rules every family of methods shares:
//! channel names, visibility and membership, message timestamps, threads.
//! No HTTP here: rules return `Result<_, SlackError>`.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use twin_core::ids::IdGen;
use twin_core::store::{InlineKey, Memo};
use twin_core::{AnyCollection, Collection, Store};

use crate::errors::SlackError;

/// Longest message text (characters).
pub const MAX_TEXT: usize = 40_000;
/// Longest topic or purpose.
pub const MAX_TOPIC: usize = 250;
pub const MAX_CHANNEL_NAME: usize = 80;
/// Most participants of a multi-person DM, the caller included.
pub const MAX_MPIM_USERS: usize = 9;

/// The id every Slack workspace has for Slackbot.
pub const SLACKBOT: &str = "USLACKBOT";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub email_domain: String,
    pub created: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub team_id: String,
    /// The handle (`alice`).
    pub name: String,
    pub real_name: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub email: Option<String>,
    pub title: String,
    pub phone: String,
    pub tz: String,
    pub deleted: bool,
    pub is_admin: bool,
    pub is_owner: bool,
    pub is_primary_owner: bool,
    pub is_bot: bool,
    pub is_app_user: bool,
    pub bot_id: Option<String>,
    pub app_id: Option<String>,
    pub updated: i64,
    pub color: String,
    pub manual_away: bool,
    pub status_text: String,
    pub status_emoji: String,
    pub status_expiration: i64,
    /// The fixture person this user is.
    pub person_key: Option<String>,
    /// A photo set with `users.setPhoto` (a hash of its bytes); `None`: the default avatar.
    #[serde(default)]
    pub photo: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bot {
    pub id: String,
    pub app_id: String,
    pub user_id: String,
    pub name: String,
    pub deleted: bool,
    pub updated: i64,
    /// The `bot_profile` every message of the bot carries, as text (bots are only ever
    /// inserted whole, so a kept rendering cannot go stale): `(team id, JSON)`.
    #[serde(skip)]
    pub profile_json: Memo<(String, Box<serde_json::value::RawValue>)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    pub value: String,
    pub creator: String,
    pub last_set: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Public,
    Private,
    Im,
    Mpim,
}

impl ChannelKind {
    /// The name `types` uses for it.
    pub fn type_name(self) -> &'static str {
        match self {
            ChannelKind::Public => "public_channel",
            ChannelKind::Private => "private_channel",
            ChannelKind::Im => "im",
            ChannelKind::Mpim => "mpim",
        }
    }

    pub fn from_type_name(name: &str) -> Option<Self> {
        [ChannelKind::Public, ChannelKind::Private, ChannelKind::Im, ChannelKind::Mpim]
            .into_iter()
            .find(|k| k.type_name() == name)
    }

    /// The scope prefix of its read/history/write scopes.
    pub fn scope_prefix(self) -> &'static str {
        match self {
            ChannelKind::Public => "channels",
            ChannelKind::Private => "groups",
            ChannelKind::Im => "im",
            ChannelKind::Mpim => "mpim",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    pub id: String,
    /// Empty for IMs.
    pub name: String,
    pub kind: ChannelKind,
    pub created: i64,
    pub creator: String,
    pub is_archived: bool,
    pub is_general: bool,
    pub topic: Topic,
    pub purpose: Topic,
    pub previous_names: Vec<String>,
    /// Milliseconds.
    pub updated: i64,
}

impl Channel {
    pub fn is_public(&self) -> bool {
        self.kind == ChannelKind::Public
    }

    pub fn is_dm(&self) -> bool {
        matches!(self.kind, ChannelKind::Im | ChannelKind::Mpim)
    }
}

/// A user's membership of a conversation (`members` key: `{channel}:{user}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub channel: String,
    pub user: String,
    pub joined: i64,
    pub last_read: String,
    /// DMs can be closed (hidden) and reopened.
    pub is_open: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reaction {
    pub name: String,
    pub users: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edited {
    pub user: String,
    pub ts: String,
}

/// A message (`messages` key: `{channel}:{ts}`). Replies live here too, with `thread_ts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub channel: String,
    pub ts: String,
    pub user: Option<String>,
    pub bot_id: Option<String>,
    pub app_id: Option<String>,
    pub text: String,
    pub subtype: Option<String>,
    pub blocks: Option<Value>,
    pub attachments: Option<Value>,
    pub metadata: Option<Value>,
    pub thread_ts: Option<String>,
    pub parent_user_id: Option<String>,
    pub reply_count: u32,
    pub reply_users: Vec<String>,
    pub latest_reply: Option<String>,
    pub edited: Option<Edited>,
    pub reactions: Vec<Reaction>,
    pub files: Vec<String>,
    pub username: Option<String>,
    pub icons: Option<Value>,
    /// Fields of system messages (`inviter`, `topic`, `old_name`…), shown as they are.
    pub extra: BTreeMap<String, Value>,
}

impl Message {
    /// A reply (not a thread parent).
    pub fn is_reply(&self) -> bool {
        self.thread_ts.as_deref().is_some_and(|t| t != self.ts)
    }

    /// Shown in `conversations.history`: top-level messages and broadcast replies.
    pub fn in_history(&self) -> bool {
        !self.is_reply() || self.subtype.as_deref() == Some("thread_broadcast")
    }

    /// Who wrote it (the bot user for bot posts).
    pub fn author(&self) -> Option<&str> {
        self.user.as_deref()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pin {
    pub channel: String,
    pub ts: String,
    pub created: i64,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bookmark {
    pub id: String,
    pub channel_id: String,
    pub title: String,
    pub link: String,
    pub emoji: Option<String>,
    pub kind: String,
    pub created: i64,
    pub updated: i64,
    pub created_by: String,
    pub updated_by: String,
    pub rank: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub channel: String,
    pub ts: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct File {
    pub id: String,
    pub name: String,
    pub title: String,
    pub mimetype: String,
    pub filetype: String,
    pub pretty_type: String,
    pub user: String,
    pub size: u64,
    pub created: i64,
    pub alt_txt: Option<String>,
    pub snippet_type: Option<String>,
    pub shares: Vec<Share>,
    pub deleted: bool,
    /// Shared by a public link (`files.sharedPublicURL`).
    #[serde(default)]
    pub public_url_shared: bool,
    /// A remote file (`files.remote.add`): kept by an app elsewhere, known here by its
    /// link and the app's own id for it.
    #[serde(default)]
    pub external: Option<RemoteFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteFile {
    /// The app that added it; `external_id`s are unique per app.
    pub app_id: String,
    pub external_id: String,
    pub external_url: String,
    /// Search terms the app gave (`indexable_file_contents`), as text.
    pub indexable: Option<String>,
    pub has_preview: bool,
    pub updated: i64,
}

/// An upload begun with `files.getUploadURLExternal` (`uploads` key: the file id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upload {
    pub file_id: String,
    /// The opaque last segment of the upload URL.
    pub secret: String,
    pub filename: String,
    pub length: u64,
    pub alt_txt: Option<String>,
    pub snippet_type: Option<String>,
    pub user: String,
    pub created: i64,
    /// Bytes received at the upload URL, once they arrived.
    pub received: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Usergroup {
    pub id: String,
    pub team_id: String,
    pub name: String,
    pub handle: String,
    pub description: String,
    pub created: i64,
    pub updated: i64,
    /// 0 while enabled.
    pub deleted_at: i64,
    pub created_by: String,
    pub updated_by: String,
    pub deleted_by: Option<String>,
    pub users: Vec<String>,
    pub channels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scheduled {
    pub id: String,
    pub channel: String,
    pub post_at: i64,
    pub created: i64,
    pub message: Message,
    pub reply_broadcast: bool,
}

/// How events reach the app, and how patiently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliverySettings {
    /// How long an HTTP delivery may take before it counts as failed (Slack: 3 s).
    pub http_timeout_ms: u64,
    /// The wait before each HTTP retry; its length is the number of retries (at most 3).
    /// Slack waits about 0 s, 1 min and 5 min; the twin's default is short so tests stay fast.
    pub retry_delays_ms: Vec<u64>,
    /// How long a Socket Mode envelope waits for its ack before it is sent again.
    pub ack_timeout_ms: u64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self { http_timeout_ms: 3_000, retry_delays_ms: vec![100, 250, 500], ack_timeout_ms: 3_000 }
    }
}

/// The installed app: where its events go (`apps` key: the app id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct App {
    pub id: String,
    /// The Events API request URL (loopback only).
    pub request_url: Option<String>,
    /// Socket Mode on: events go over WebSockets, whatever the request URL.
    pub socket_mode: bool,
    pub signing_secret: String,
    /// The legacy verification token, sent as `token` in every payload.
    pub verification_token: String,
    /// Event subscriptions (`message.channels`, `app_mention`, …).
    pub event_types: Vec<String>,
    #[serde(default)]
    pub delivery: DeliverySettings,
    /// The OAuth client secret (its client id is a credential of the universe:
    /// [`OAUTH_CLIENT_PRINCIPAL`]).
    #[serde(default)]
    pub client_secret: String,
    /// OAuth token rotation: exchanges issue tokens that expire, with refresh tokens.
    #[serde(default)]
    pub token_rotation: bool,
}

/// The whole workspace, behind one shared pointer: a universe's state is copied on
/// every write (the draft a change works on, the states before and after it that the
/// event hub keeps), and copying or dropping one pointer replaces bumping or releasing
/// each of the 34 collections' roots, cache lines the runtime's two threads take turns
/// on. Reads see a [`Workspace`] through `Deref`; the first write through `DerefMut`
/// copies the collections' roots (O(1) each) when the workspace is shared.
#[derive(Debug, Clone, Default)]
pub struct SlackState(Arc<Workspace>);

impl std::ops::Deref for SlackState {
    type Target = Workspace;
    fn deref(&self) -> &Workspace {
        &self.0
    }
}

impl std::ops::DerefMut for SlackState {
    fn deref_mut(&mut self) -> &mut Workspace {
        Arc::make_mut(&mut self.0)
    }
}

impl Serialize for SlackState {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(ser)
    }
}

impl<'de> Deserialize<'de> for SlackState {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        Workspace::deserialize(de).map(|w| SlackState(Arc::new(w)))
    }
}

/// The workspace's collections (see [`SlackState`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Workspace {
    pub team: Collection<Team>,
    pub users: Collection<User>,
    pub bots: Collection<Bot>,
    /// Shared, like `messages`.
    pub channels: Collection<Arc<Channel>>,
    /// The newest `ts` handed out in each channel, in microseconds: every post moves it,
    /// so it lives apart from the channel record (a post copied the channel and the
    /// channels' B-tree leaf). It is
    /// exported and imported with the state but is not one of its `collections()`: a
    /// counter, not a record, so diffs (and scenarios' collateral checks) never show it;
    /// it holds one number per channel.
    #[serde(default)]
    pub channel_ts: Collection<u64, InlineKey>,
    pub members: Collection<Membership>,
    /// Shared, so that copying a B-tree leaf on a write (the state is persistent) copies
    /// pointers rather than whole messages.
    pub messages: Collection<Arc<Message>, InlineKey>,
    pub pins: Collection<Pin>,
    pub bookmarks: Collection<Bookmark>,
    pub files: Collection<File>,
    /// Uploaded bytes (base64), by file id.
    pub file_contents: Collection<String>,
    pub uploads: Collection<Upload>,
    pub usergroups: Collection<Usergroup>,
    pub scheduled_messages: Collection<Scheduled>,
    pub emoji: Collection<String>,
    /// The scopes granted to each token kind (`bot`, `user`, `app`).
    /// Shared, since every call's `Actor` carries them.
    pub token_scopes: Collection<Arc<Vec<String>>>,
    /// The app's event settings (one app: the bot's).
    #[serde(default)]
    pub apps: Collection<App>,
    /// Tokens revoked with `auth.revoke`, by `{kind}:{subject}` (`bot:U…`, `user:U…`,
    /// `app:A…`): world state, so a revocation follows the universe through reset,
    /// snapshot restore, fork (a fork's own token for the same principal is revoked
    /// too), export and import.
    #[serde(default)]
    pub revoked_tokens: Collection<Revocation>,
    /// Canvases by id (`F…`, from the file id space).
    #[serde(default)]
    pub canvases: Collection<Canvas>,
    /// Calls registered by the app (`calls.add`), by id (`R…`).
    #[serde(default)]
    pub calls: Collection<CallRecord>,
    /// Lists by id (`F…`, from the file id space).
    #[serde(default)]
    pub lists: Collection<SlackList>,
    /// List items, by `{list_id}:{item_id}`.
    #[serde(default)]
    pub list_items: Collection<ListItem>,
    /// List exports (`slackLists.download.start`), by job id.
    #[serde(default)]
    pub list_exports: Collection<ListExport>,
    /// Do Not Disturb snoozes, by user id.
    #[serde(default)]
    pub dnd: Collection<Snooze>,
    /// Reminders, by id (`Rm…`).
    #[serde(default)]
    pub reminders: Collection<Reminder>,
    /// Starred items, by `{user}:{item key}`.
    #[serde(default)]
    pub stars: Collection<Star>,
    /// What an AI app shows on its threads, by `{channel}:{thread_ts}` (`{channel}:` for
    /// the conversation itself).
    #[serde(default)]
    pub assistant_threads: Collection<AssistantThread>,
    /// Slack Connect invitations the workspace sent, by id (`I…`).
    #[serde(default)]
    pub connect_invites: Collection<ConnectInvite>,
    /// Messages still streaming (`chat.startStream` until `chat.stopStream`), by
    /// `{channel}:{ts}`: the user streaming them.
    #[serde(default)]
    pub streams: Collection<String>,
    /// Modals, App Home tabs and dialogs the app opened, by view id (`V…`).
    #[serde(default)]
    pub views: Collection<ViewRecord>,
    /// Authorization codes of the OAuth install and Sign in with Slack flows, by code:
    /// single use, valid for [`OAUTH_CODE_LIFETIME_S`] on the universe clock.
    #[serde(default)]
    pub oauth_codes: Collection<OAuthCode>,
    /// Tokens issued by the OAuth exchanges, by grant id (the subject of their
    /// credential, whose kind is [`OAUTH_PRINCIPAL`]): each with its own scopes.
    #[serde(default)]
    pub oauth_tokens: Collection<OAuthToken>,
    /// Refresh tokens of rotating tokens, by refresh token: each is used once.
    #[serde(default)]
    pub oauth_refresh_tokens: Collection<OAuthToken>,
    /// Long-lived tokens exchanged for rotating ones (`oauth.v2.exchange`), by
    /// `{kind}:{subject}` of their credential: when.
    #[serde(default)]
    pub oauth_exchanged: Collection<i64>,
    /// When scheduled work next falls due (derived, never exported).
    #[serde(skip)]
    pub next_due: NextDue,
}

/// How long an authorization code can be exchanged (Slack: ten minutes).
pub const OAUTH_CODE_LIFETIME_S: i64 = 600;
/// The credential kind of tokens the OAuth exchanges issue.
pub const OAUTH_PRINCIPAL: &str = "oauth";
/// The credential kind of the app's OAuth client id (it routes token-less exchanges
/// to their universe, as a token does).
pub const OAUTH_CLIENT_PRINCIPAL: &str = "oauth_client";
pub const OAUTH_CLIENT_PREFIX: &str = "client-";

/// Where an OAuth flow started: each exchange method takes only its own flow's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthFlow {
    /// `/oauth/v2/authorize` → `oauth.v2.access`.
    V2,
    /// `/oauth/v2_user/authorize` → `oauth.v2.user.access`.
    V2User,
    /// `/oauth/authorize` → `oauth.access`.
    Legacy,
    /// `/openid/connect/authorize` → `openid.connect.token`.
    OpenId,
}

/// What the installing person approved, until the app exchanges the code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OAuthCode {
    pub flow: OAuthFlow,
    /// The person who approved.
    pub user: String,
    /// Bot scopes (`scope` of the v2 flow), or the scopes of the legacy and OpenID flows.
    pub scopes: Vec<String>,
    /// User scopes (`user_scope` of the v2 flow; `scope` of the v2 user flow).
    pub user_scopes: Vec<String>,
    /// The `redirect_uri` the flow named: the exchange must name it again.
    pub redirect_uri: Option<String>,
    /// PKCE (S256 or plain) as the authorize request gave it.
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    /// OpenID Connect's `nonce`, echoed in the id token.
    pub nonce: Option<String>,
    /// Unix seconds, on the universe clock.
    pub issued_at: i64,
    pub used: bool,
}

/// A token an OAuth exchange issued: who it acts as and the scopes it was granted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OAuthToken {
    /// `bot` or `user`.
    pub kind: String,
    /// The bot user (bot tokens) or the person (user tokens).
    pub user: String,
    pub scopes: Arc<Vec<String>>,
    pub issued_at: i64,
    /// When a rotating token stops working (Unix seconds, universe clock).
    #[serde(default)]
    pub expires_at: Option<i64>,
}

/// How long a rotating access token lives (Slack: twelve hours).
pub const ROTATING_TOKEN_LIFETIME_S: i64 = 43_200;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewRecord {
    pub id: String,
    /// The person it is open for.
    pub user: String,
    /// `modal`, `home` or `dialog`.
    pub kind: String,
    /// The view as the app gave it.
    pub view: serde_json::Map<String, Value>,
    pub hash: String,
    pub root_view_id: Option<String>,
    pub previous_view_id: Option<String>,
    pub external_id: Option<String>,
    pub created: i64,
    /// Opening order (views made in one second share their time).
    #[serde(default)]
    pub seq: u64,
    /// What the person entered, as `view.state.values` shows it (block id → action id →
    /// the element's typed value); kept while the modal stays open.
    #[serde(default)]
    pub state_values: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectInvite {
    pub id: String,
    pub channel: String,
    pub inviter: String,
    pub emails: Vec<String>,
    pub user_ids: Vec<String>,
    pub external_limited: bool,
    pub created: i64,
    /// The code of its join link.
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssistantThread {
    pub channel: String,
    pub thread_ts: String,
    /// `is thinking…`; empty when cleared.
    pub status: String,
    pub loading_messages: Vec<String>,
    pub title: Option<String>,
    pub prompts: Vec<Value>,
    pub prompts_title: Option<String>,
}

/// A user's Do Not Disturb snooze (`dnd.setSnooze`), until `end` (Unix seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snooze {
    pub user: String,
    pub end: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reminder {
    pub id: String,
    pub creator: String,
    pub user: String,
    pub text: String,
    /// When it next fires (Unix seconds).
    pub time: i64,
    /// `daily`, `weekly` (with `weekdays`), `monthly` or `yearly`; `None`: once.
    pub recurrence: Option<Recurrence>,
    /// When a one-off reminder was marked complete (0: not yet).
    pub complete_ts: i64,
    /// A one-off reminder that has fired (Slackbot told the user).
    pub fired: bool,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recurrence {
    pub frequency: String,
    /// For `weekly`: `monday`…`sunday`.
    pub weekdays: Vec<String>,
}

/// A starred item: a message (`channel` + `ts`), a file, or a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Star {
    pub user: String,
    /// `message`, `file` or `channel`.
    pub kind: String,
    pub channel: Option<String>,
    pub ts: Option<String>,
    pub file: Option<String>,
    pub created: i64,
}

/// Who may use a canvas or a list beyond its owner: users and channels, each with
/// `read` or `write` (`owner` is the creator's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Grants {
    pub users: BTreeMap<String, String>,
    pub channels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    None,
    Read,
    Write,
    Owner,
}

impl Level {
    pub fn parse(level: &str) -> Level {
        match level {
            "owner" => Level::Owner,
            "write" => Level::Write,
            "read" => Level::Read,
            _ => Level::None,
        }
    }
}

impl Grants {
    /// What `user` may do, given the owner and the channels the user is a member of.
    pub fn level(&self, s: &SlackState, owner: &str, user: &str) -> Level {
        if owner == user {
            return Level::Owner;
        }
        let mut best = self.users.get(user).map(|l| Level::parse(l)).unwrap_or(Level::None);
        for (channel, level) in &self.channels {
            if s.is_member(channel, user) {
                best = best.max(Level::parse(level));
            }
        }
        best
    }
}

/// One section of a canvas: a header or a block of text, with its markdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// `temp:C:…`
    pub id: String,
    /// `h1`, `h2`, `h3` or `text`.
    pub kind: String,
    pub markdown: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Canvas {
    pub id: String,
    pub title: String,
    pub owner: String,
    pub created: i64,
    pub updated: i64,
    /// The channel it is a tab of, or whose channel canvas it is.
    pub channel_id: Option<String>,
    /// The channel canvas of `channel_id` (one per channel).
    pub is_channel_canvas: bool,
    pub sections: Vec<Section>,
    pub grants: Grants,
}

/// A Call registered by a calling app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    pub id: String,
    pub app_id: Option<String>,
    pub external_unique_id: String,
    pub external_display_id: Option<String>,
    pub join_url: String,
    pub desktop_app_join_url: Option<String>,
    pub title: Option<String>,
    pub created_by: String,
    pub date_start: i64,
    /// Set by `calls.end`; an ended call takes no more changes.
    pub date_end: Option<i64>,
    pub duration: Option<i64>,
    /// Participants: `{"slack_id": …}` or `{"external_id", "display_name", "avatar_url"}`.
    pub users: Vec<Value>,
}

/// A column of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub id: String,
    pub key: String,
    pub name: String,
    pub kind: String,
    pub is_primary_column: bool,
    pub options: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlackList {
    pub id: String,
    pub name: String,
    pub description_blocks: Option<Value>,
    pub todo_mode: bool,
    pub schema: Vec<Column>,
    pub owner: String,
    pub created: i64,
    pub updated: i64,
    pub grants: Grants,
}

/// One cell of a list item: the column and the typed value (`{"rich_text": […]}`…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub column_id: String,
    /// The input key (`rich_text`, `user`, `select`, `date`, `number`, `checkbox`, …).
    pub kind: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListItem {
    pub id: String,
    /// Creation order within the list (ids are random, and items made in one second
    /// share their time).
    #[serde(default)]
    pub seq: u64,
    pub list_id: String,
    pub parent_item_id: Option<String>,
    pub cells: Vec<Cell>,
    pub created_by: String,
    pub updated_by: String,
    pub created: i64,
    pub updated: i64,
    pub archived: bool,
}

/// An export of a list, taken when it was asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListExport {
    pub job_id: String,
    pub list_id: String,
    pub user: String,
    pub created: i64,
    pub csv: String,
}

/// A token revoked with `auth.revoke`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revocation {
    /// `bot`, `user` or `app`.
    pub kind: String,
    /// The user id (bot and user tokens) or app id (app-level tokens).
    pub subject: String,
    /// When (Unix seconds, on the universe clock).
    pub at: i64,
}

impl Reminder {
    pub fn due(&self, now: i64) -> bool {
        self.time <= now && self.pending()
    }

    /// Still to fire at `time`: recurring, or a one-off neither fired nor completed.
    pub fn pending(&self) -> bool {
        self.recurrence.is_some() || (!self.fired && self.complete_ts == 0)
    }
}

/// When scheduled work (a scheduled message or a pending reminder) next falls due,
/// worked out once per version of the two maps it reads. Every call asks
/// ([`SlackState::has_due_scheduled`]); a scan of thousands of scheduled messages or
/// reminders on each call would be a cliff. The cell is shared by the state's copies (a
/// clone is a reference count), and an answer is used only while both maps are the very
/// ones it was worked out from, so a copy that changed either works it out again.
#[derive(Clone, Default)]
pub struct NextDue(Arc<parking_lot::Mutex<Option<NextDueAnswer>>>);

struct NextDueAnswer {
    scheduled: imbl::OrdMap<String, Scheduled>,
    reminders: imbl::OrdMap<String, Reminder>,
    at: Option<i64>,
}

impl NextDue {
    fn at(
        &self,
        scheduled: &imbl::OrdMap<String, Scheduled>,
        reminders: &imbl::OrdMap<String, Reminder>,
    ) -> Option<i64> {
        let mut kept = self.0.lock();
        if let Some(answer) = kept.as_ref() {
            if answer.scheduled.ptr_eq(scheduled) && answer.reminders.ptr_eq(reminders) {
                return answer.at;
            }
        }
        let at = scheduled
            .values()
            .map(|s| s.post_at)
            .chain(reminders.values().filter(|r| r.pending()).map(|r| r.time))
            .min();
        *kept = Some(NextDueAnswer { scheduled: scheduled.clone(), reminders: reminders.clone(), at });
        at
    }
}

impl std::fmt::Debug for NextDue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NextDue")
    }
}

pub const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

impl Recurrence {
    /// The first time after `now` this recurrence lands on, from `time`.
    pub fn next_after(&self, time: i64, now: i64) -> i64 {
        use chrono::{Datelike, Months, TimeZone, Utc};
        let Some(mut at) = Utc.timestamp_opt(time, 0).single() else { return now + 86_400 };
        for _ in 0..100_000 {
            if at.timestamp() > now {
                break;
            }
            at = match self.frequency.as_str() {
                "weekly" if !self.weekdays.is_empty() => {
                    let mut next = at + chrono::Duration::days(1);
                    for _ in 0..7 {
                        let day = WEEKDAYS[next.weekday().num_days_from_monday() as usize];
                        if self.weekdays.iter().any(|w| w == day) {
                            break;
                        }
                        next += chrono::Duration::days(1);
                    }
                    next
                }
                "weekly" => at + chrono::Duration::days(7),
                "monthly" => at.checked_add_months(Months::new(1)).unwrap_or(at + chrono::Duration::days(30)),
                "yearly" => at.checked_add_months(Months::new(12)).unwrap_or(at + chrono::Duration::days(365)),
                _ => at + chrono::Duration::days(1),
            };
        }
        at.timestamp()
    }
}

impl Revocation {
    pub fn key(kind: &str, subject: &str) -> String {
        format!("{kind}:{subject}")
    }
}

impl Store for SlackState {
    const SERVICE: &'static str = "slack";

    fn collections(&self) -> Vec<(&'static str, &dyn AnyCollection)> {
        vec![
            ("team", &self.team),
            ("users", &self.users),
            ("bots", &self.bots),
            ("channels", &self.channels),
            ("members", &self.members),
            ("messages", &self.messages),
            ("pins", &self.pins),
            ("bookmarks", &self.bookmarks),
            ("files", &self.files),
            ("file_contents", &self.file_contents),
            ("uploads", &self.uploads),
            ("usergroups", &self.usergroups),
            ("scheduled_messages", &self.scheduled_messages),
            ("emoji", &self.emoji),
            ("token_scopes", &self.token_scopes),
            ("apps", &self.apps),
            ("revoked_tokens", &self.revoked_tokens),
            ("canvases", &self.canvases),
            ("calls", &self.calls),
            ("lists", &self.lists),
            ("list_items", &self.list_items),
            ("list_exports", &self.list_exports),
            ("dnd", &self.dnd),
            ("reminders", &self.reminders),
            ("stars", &self.stars),
            ("assistant_threads", &self.assistant_threads),
            ("connect_invites", &self.connect_invites),
            ("streams", &self.streams),
            ("views", &self.views),
            ("oauth_codes", &self.oauth_codes),
            ("oauth_tokens", &self.oauth_tokens),
            ("oauth_refresh_tokens", &self.oauth_refresh_tokens),
            ("oauth_exchanged", &self.oauth_exchanged),
        ]
    }
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Bot,
    User,
    App,
}

impl TokenKind {
    pub fn name(self) -> &'static str {
        match self {
            TokenKind::Bot => "bot",
            TokenKind::User => "user",
            TokenKind::App => "app",
        }
    }
}

/// Who is calling: the user a token acts as (the bot user for bot tokens) and its scopes.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub kind: TokenKind,
    pub user: String,
    pub bot_id: Option<String>,
    pub app_id: Option<String>,
    pub scopes: Arc<Vec<String>>,
    pub is_admin: bool,
}

impl Actor {
    /// A caller without a token (only `api.test` serves one).
    pub fn anonymous() -> Self {
        Actor {
            kind: TokenKind::User,
            user: String::new(),
            bot_id: None,
            app_id: None,
            scopes: Arc::new(Vec::new()),
            is_admin: false,
        }
    }

    pub fn is_bot(&self) -> bool {
        self.kind == TokenKind::Bot
    }

    pub fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// What a caller wants to do with a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Its metadata: any public channel, private ones only as a member.
    See,
    /// Its messages: bots must be members of public channels too.
    Read,
    /// Post into it (`chat:write.public` lets bots skip joining public channels).
    Post,
    /// Change it (topic, name, invites): members only, not archived.
    Manage,
}

pub fn fmt_ts(micros: u64) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// `"1503435956.000247"` → microseconds. Also accepts whole seconds.
pub fn parse_ts(ts: &str) -> Option<u64> {
    let ts = ts.trim();
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, ""));
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: u64 = secs.parse().ok()?;
    let mut frac = frac.to_string();
    frac.truncate(6);
    while frac.len() < 6 {
        frac.push('0');
    }
    let micros: u64 = frac.parse().ok()?;
    secs.checked_mul(1_000_000)?.checked_add(micros)
}

/// The earliest ts the twin hands out (2001-09-09), so every ts has ten digits of
/// seconds and message keys sort by time.
pub const MIN_TS_MICROS: u64 = 1_000_000_000_000_000;

/// How far the universe clock must be behind a channel's last ts before new ts follow
/// the clock back (an hour): further than a frozen clock drifts them ahead.
pub const CLOCK_BACK_MARGIN_MICROS: u64 = 3_600_000_000;

pub fn message_key(channel: &str, ts: &str) -> String {
    format!("{channel}:{ts}")
}

pub fn member_key(channel: &str, user: &str) -> String {
    format!("{channel}:{user}")
}

/// Checks a channel name as Slack's API does (it validates, never normalises).
pub fn validate_channel_name(name: &str) -> Result<(), SlackError> {
    if name.is_empty() {
        return Err(SlackError::Code("invalid_name_required"));
    }
    if name.chars().all(|c| c.is_ascii_punctuation() || c.is_whitespace()) {
        return Err(SlackError::Code("invalid_name_punctuation"));
    }
    if name.chars().count() > MAX_CHANNEL_NAME {
        return Err(SlackError::Code("invalid_name_maxlength"));
    }
    let allowed = |c: char| c == '-' || c == '_' || (c.is_alphanumeric() && !c.is_uppercase());
    if !name.chars().all(allowed) {
        return Err(SlackError::Code("invalid_name_specials"));
    }
    Ok(())
}

/// A message to post; the rules fill in `ts` and thread fields.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub message: Message,
    /// The `thread_ts` asked for.
    pub thread_ts: Option<String>,
    pub reply_broadcast: bool,
}

impl Workspace {
    pub fn team(&self) -> Option<&Team> {
        self.team.values().next()
    }

    pub fn team_id(&self) -> String {
        self.team().map(|t| t.id.clone()).unwrap_or_default()
    }

    /// The app's bot (the twin seeds exactly one).
    pub fn bot(&self) -> Option<&Bot> {
        self.bots.values().next()
    }

    /// The bot's app and its event settings.
    pub fn app(&self) -> Option<&App> {
        let bot = self.bot()?;
        self.apps.get(&bot.app_id)
    }

    pub fn user(&self, id: &str) -> Result<&User, SlackError> {
        self.users.get(id).ok_or(SlackError::UserNotFound)
    }

    pub fn channel(&self, id: &str) -> Result<&Channel, SlackError> {
        self.channels.get(id).map(Arc::as_ref).ok_or(SlackError::ChannelNotFound)
    }

    pub fn channel_by_name(&self, name: &str) -> Option<&Channel> {
        self.channels.values().find(|c| !c.is_dm() && c.name == name).map(Arc::as_ref)
    }

    pub fn scopes(&self, kind: TokenKind) -> Arc<Vec<String>> {
        self.token_scopes.get(kind.name()).cloned().unwrap_or_default()
    }

    pub fn is_member(&self, channel: &str, user: &str) -> bool {
        self.members.contains_key(&member_key(channel, user))
    }

    pub fn membership(&self, channel: &str, user: &str) -> Option<&Membership> {
        self.members.get(&member_key(channel, user))
    }

    /// Member ids of a channel, in id order.
    pub fn member_ids(&self, channel: &str) -> Vec<String> {
        self.members.range(format!("{channel}:")..format!("{channel};")).map(|(_, m)| m.user.clone()).collect()
    }

    pub fn member_count(&self, channel: &str) -> usize {
        self.members.range(format!("{channel}:")..format!("{channel};")).count()
    }

    /// Adds a member; false when they already were one.
    pub fn add_member(&mut self, channel: &str, user: &str, now: i64) -> bool {
        let key = member_key(channel, user);
        if self.members.contains_key(&key) {
            return false;
        }
        self.members.insert(
            key,
            Membership {
                channel: channel.to_string(),
                user: user.to_string(),
                joined: now,
                last_read: "0000000000.000000".into(),
                is_open: true,
            },
        );
        true
    }

    pub fn remove_member(&mut self, channel: &str, user: &str) -> bool {
        self.members.remove(&member_key(channel, user)).is_some()
    }

    /// A channel the actor may use for `access`; the errors Slack gives otherwise.
    /// Private conversations the actor is not in do not exist for them.
    pub fn access(&self, channel: &str, actor: &Actor, access: Access) -> Result<&Channel, SlackError> {
        let ch = self.channel(channel)?;
        let member = self.is_member(&ch.id, &actor.user);
        if !ch.is_public() && !member {
            return Err(SlackError::ChannelNotFound);
        }
        match access {
            Access::See => {}
            Access::Read => {
                if !member && actor.is_bot() {
                    return Err(SlackError::NotInChannel);
                }
            }
            Access::Post => {
                if ch.is_archived {
                    return Err(SlackError::IsArchived);
                }
                let may_skip_join = actor.is_bot() && actor.has("chat:write.public");
                if !member && !may_skip_join {
                    return Err(SlackError::NotInChannel);
                }
            }
            Access::Manage => {
                if ch.is_archived {
                    return Err(SlackError::IsArchived);
                }
                if !member {
                    return Err(SlackError::NotInChannel);
                }
            }
        }
        Ok(ch)
    }

    /// A fresh ts for the channel: now, or one microsecond after the last one, so ts
    /// are unique and increase in posting order.
    ///
    /// When the universe clock has been set back (more than [`CLOCK_BACK_MARGIN_MICROS`]
    /// behind the channel's last ts), ts follow it back: the next one is now, or one
    /// microsecond after the latest message the channel still holds, if that is later.
    /// So a channel that holds a message from the far future keeps posting after it
    /// (its order stays true), and one that does not is back on the clock at once. A
    /// frozen clock, under which every post moves the ts one microsecond ahead, stays
    /// within the margin and never reuses a ts.
    pub fn next_ts(&mut self, channel: &str, now_micros: u64) -> Result<String, SlackError> {
        let id = self.channel(channel)?.id.clone();
        let now = now_micros.max(MIN_TS_MICROS);
        let mut floor = self.last_ts(&id);
        if now.saturating_add(CLOCK_BACK_MARGIN_MICROS) < floor {
            // Rare (the clock was moved back), so a walk of the channel is affordable.
            floor = self.channel_messages(&id).filter_map(|m| parse_ts(&m.ts)).max().unwrap_or(0);
        }
        let micros = now.max(floor.saturating_add(1));
        self.channel_ts.insert(InlineKey::from(id), micros);
        Ok(fmt_ts(micros))
    }

    /// The newest `ts` handed out in a channel, in microseconds (0 for none). It
    /// outlives a deleted newest message, so a ts is never handed out twice. Every post
    /// moves it, and an import catches it up with the messages it brings
    /// ([`Self::catch_up_channel_ts`]), so no walk of the channel is needed here: a
    /// range over the messages' B-tree was a tenth of a post's own work.
    pub fn last_ts(&self, channel_id: &str) -> u64 {
        self.channel_ts.get(channel_id).copied().unwrap_or(0)
    }

    /// Raises each channel's `channel_ts` to its newest message, for a state imported
    /// without it (or with it behind, by hand): one pass over the messages, at import.
    pub fn catch_up_channel_ts(&mut self) {
        let mut newest: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
        for m in self.messages.values() {
            if let Some(ts) = parse_ts(&m.ts) {
                let kept = newest.entry(m.channel.as_str()).or_default();
                *kept = (*kept).max(ts);
            }
        }
        let raised: Vec<(InlineKey, u64)> = newest
            .into_iter()
            .filter(|(channel, ts)| self.channel_ts.get(*channel).is_none_or(|kept| kept < ts))
            .map(|(channel, ts)| (InlineKey::from(channel), ts))
            .collect();
        for (channel, ts) in raised {
            self.channel_ts.insert(channel, ts);
        }
    }

    /// The messages of a channel, oldest first (replies included).
    pub fn channel_messages<'a>(&'a self, channel: &str) -> impl DoubleEndedIterator<Item = &'a Message> + 'a {
        let (start, end) = (format!("{channel}:"), format!("{channel};"));
        let bounds = (Bound::Included(start.as_str()), Bound::Excluded(end.as_str()));
        self.messages.range::<_, str>(bounds).map(|(_, m)| m.as_ref())
    }

    pub fn message(&self, channel: &str, ts: &str) -> Result<&Message, SlackError> {
        self.messages.get(message_key(channel, ts).as_str()).map(Arc::as_ref).ok_or(SlackError::MessageNotFound)
    }

    /// The replies of a thread, oldest first.
    pub fn replies(&self, channel: &str, parent_ts: &str) -> Vec<&Message> {
        self.channel_messages(channel).filter(|m| m.is_reply() && m.thread_ts.as_deref() == Some(parent_ts)).collect()
    }

    /// Posts a message: gives it a ts, threads it under its parent (a reply's ts
    /// means its thread; an unknown one posts at the top level) and updates the parent.
    pub fn post(&mut self, channel: &str, new: NewMessage, now_micros: u64) -> Result<Arc<Message>, SlackError> {
        let ts = self.next_ts(channel, now_micros)?;
        let mut message = new.message;
        message.channel = channel.to_string();
        message.ts = ts.clone();
        let parent =
            new.thread_ts.as_deref().and_then(|t| self.messages.get(message_key(channel, t).as_str())).map(|p| match p
                .thread_ts
                .as_deref()
            {
                Some(root) if root != p.ts => root.to_string(),
                _ => p.ts.clone(),
            });
        if let Some(parent_ts) = parent {
            let key = message_key(channel, &parent_ts);
            if let Some(mut parent) = self.messages.get(key.as_str()).map(|p| Message::clone(p)) {
                message.thread_ts = Some(parent_ts.clone());
                message.parent_user_id = parent.user.clone();
                if new.reply_broadcast {
                    message.subtype = Some("thread_broadcast".into());
                }
                parent.thread_ts = Some(parent_ts);
                parent.reply_count += 1;
                if let Some(author) = &message.user {
                    if !parent.reply_users.contains(author) {
                        parent.reply_users.push(author.clone());
                    }
                }
                parent.latest_reply = Some(ts.clone());
                self.messages.insert(key.into(), Arc::new(parent));
            }
        }
        let message = Arc::new(message);
        self.messages.insert(message_key(channel, &ts).into(), message.clone());
        Ok(message)
    }

    /// A system message (`channel_join`, `channel_topic`…) by `user`.
    pub fn system_message(
        &mut self,
        channel: &str,
        user: &str,
        subtype: &str,
        text: String,
        extra: BTreeMap<String, Value>,
        now_micros: u64,
    ) -> Result<Arc<Message>, SlackError> {
        let message = Message {
            user: Some(user.to_string()),
            text,
            subtype: Some(subtype.to_string()),
            extra,
            ..Message::default()
        };
        self.post(channel, NewMessage { message, ..NewMessage::default() }, now_micros)
    }

    /// Deletes a message. A parent with replies stays as a tombstone; deleting a reply
    /// updates its parent's counters.
    pub fn delete_message(&mut self, channel: &str, ts: &str) -> Result<(), SlackError> {
        let key = message_key(channel, ts);
        let message = self.messages.get(key.as_str()).cloned().ok_or(SlackError::MessageNotFound)?;
        self.pins.remove(&key);
        if !message.is_reply() && message.reply_count > 0 {
            let tombstone = Message {
                channel: message.channel.clone(),
                ts: message.ts.clone(),
                user: Some(SLACKBOT.into()),
                text: "This message was deleted.".into(),
                subtype: Some("tombstone".into()),
                thread_ts: message.thread_ts.clone(),
                reply_count: message.reply_count,
                reply_users: message.reply_users.clone(),
                latest_reply: message.latest_reply.clone(),
                extra: BTreeMap::from([("hidden".to_string(), Value::Bool(true))]),
                ..Message::default()
            };
            self.messages.insert(key.into(), Arc::new(tombstone));
            return Ok(());
        }
        self.messages.remove(key.as_str());
        if let (true, Some(parent_ts)) = (message.is_reply(), message.thread_ts.as_deref()) {
            let parent_key = message_key(channel, parent_ts);
            let replies: Vec<Message> = self.replies(channel, parent_ts).into_iter().cloned().collect();
            if let Some(mut parent) = self.messages.get(parent_key.as_str()).map(|p| Message::clone(p)) {
                if replies.is_empty() && parent.subtype.as_deref() == Some("tombstone") {
                    self.messages.remove(parent_key.as_str());
                    return Ok(());
                }
                parent.reply_count = replies.len() as u32;
                let mut users: Vec<String> = Vec::new();
                for r in &replies {
                    if let Some(u) = &r.user {
                        if !users.contains(u) {
                            users.push(u.clone());
                        }
                    }
                }
                parent.reply_users = users;
                parent.latest_reply = replies.last().map(|r| r.ts.clone());
                if replies.is_empty() {
                    parent.thread_ts = None;
                    parent.latest_reply = None;
                }
                self.messages.insert(parent_key.into(), Arc::new(parent));
            }
        }
        Ok(())
    }

    /// Creates a public or private channel.
    pub fn create_channel(
        &mut self,
        ids: &mut IdGen,
        name: &str,
        private: bool,
        creator: &str,
        now: i64,
    ) -> Result<Channel, SlackError> {
        validate_channel_name(name)?;
        if self.channel_by_name(name).is_some() {
            return Err(SlackError::Code("name_taken"));
        }
        let id = loop {
            let id = ids.upper_id("C", 10);
            if !self.channels.contains_key(&id) {
                break id;
            }
        };
        let channel = Channel {
            id: id.clone(),
            name: name.to_string(),
            kind: if private { ChannelKind::Private } else { ChannelKind::Public },
            created: now,
            creator: creator.to_string(),
            is_archived: false,
            is_general: false,
            topic: Topic::default(),
            purpose: Topic::default(),
            previous_names: Vec::new(),
            updated: now * 1000,
        };
        self.channels.insert(id.clone(), Arc::new(channel.clone()));
        self.add_member(&id, creator, now);
        Ok(channel)
    }

    /// The IM or multi-person DM of exactly these users, creating it unless
    /// `prevent_creation`. Returns it and whether it existed.
    pub fn open_dm(
        &mut self,
        ids: &mut IdGen,
        participants: &[String],
        now: i64,
        prevent_creation: bool,
    ) -> Result<(Channel, bool), SlackError> {
        let mut wanted: Vec<String> = participants.to_vec();
        wanted.sort();
        wanted.dedup();
        let kind = if wanted.len() <= 2 { ChannelKind::Im } else { ChannelKind::Mpim };
        let existing = self
            .channels
            .values()
            .filter(|c| c.kind == kind)
            .find(|c| self.member_ids(&c.id) == wanted)
            .map(|c| Channel::clone(c));
        if let Some(channel) = existing {
            for user in &wanted {
                if let Some(mut m) = self.membership(&channel.id, user).cloned() {
                    m.is_open = true;
                    self.members.insert(member_key(&channel.id, user), m);
                }
            }
            return Ok((channel, true));
        }
        if prevent_creation {
            return Err(SlackError::ChannelNotFound);
        }
        let (prefix, name) = match kind {
            ChannelKind::Im => ("D", String::new()),
            _ => {
                let handles: Vec<String> = wanted
                    .iter()
                    .map(|u| self.users.get(u).map(|u| u.name.clone()).unwrap_or_else(|| u.clone()))
                    .collect();
                ("C", format!("mpdm-{}-1", handles.join("--")))
            }
        };
        let id = loop {
            let id = ids.upper_id(prefix, 10);
            if !self.channels.contains_key(&id) {
                break id;
            }
        };
        let channel = Channel {
            id: id.clone(),
            name,
            kind,
            created: now,
            creator: participants.first().cloned().unwrap_or_default(),
            is_archived: false,
            is_general: false,
            topic: Topic::default(),
            purpose: Topic::default(),
            previous_names: Vec::new(),
            updated: now * 1000,
        };
        self.channels.insert(id.clone(), Arc::new(channel.clone()));
        for user in &wanted {
            self.add_member(&id, user, now);
        }
        Ok((channel, false))
    }

    /// For an IM: the other party as seen by `viewer` (themself for a self-DM).
    pub fn im_user(&self, channel: &str, viewer: &str) -> String {
        let members = self.member_ids(channel);
        members.iter().find(|u| *u != viewer).or_else(|| members.first()).cloned().unwrap_or_default()
    }

    /// Resolves what `chat.postMessage` accepts as `channel`: an id, `#name`/`name`,
    /// or a user id (the DM with that user, opened if needed).
    pub fn resolve_target(
        &mut self,
        ids: &mut IdGen,
        target: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<String, SlackError> {
        let target = target.trim();
        if self.channels.contains_key(target) {
            return Ok(target.to_string());
        }
        if let Some(user) = self.users.get(target) {
            if user.deleted {
                return Err(SlackError::ChannelNotFound);
            }
            let (channel, _) = self.open_dm(ids, &[actor.user.clone(), target.to_string()], now, false)?;
            return Ok(channel.id);
        }
        let name = target.strip_prefix('#').unwrap_or(target);
        self.channel_by_name(name).map(|c| c.id.clone()).ok_or(SlackError::ChannelNotFound)
    }

    /// Posts every scheduled message whose time has come (lazily, on the next request).
    pub fn materialise_scheduled(&mut self, now: i64) {
        let due: Vec<Scheduled> = self.scheduled_messages.values().filter(|s| s.post_at <= now).cloned().collect();
        let mut due = due;
        due.sort_by(|a, b| (a.post_at, &a.id).cmp(&(b.post_at, &b.id)));
        for s in due {
            self.scheduled_messages.remove(&s.id);
            if !self.channels.contains_key(&s.channel) {
                continue;
            }
            let thread_ts = s.message.thread_ts.clone();
            let mut message = s.message.clone();
            message.thread_ts = None;
            let micros = u64::try_from(s.post_at).unwrap_or(0).saturating_mul(1_000_000);
            // A channel that went away or was archived meanwhile drops the message.
            let _ =
                self.post(&s.channel, NewMessage { message, thread_ts, reply_broadcast: s.reply_broadcast }, micros);
        }
    }

    pub fn has_due_scheduled(&self, now: i64) -> bool {
        if self.scheduled_messages.is_empty() && self.reminders.is_empty() {
            return false;
        }
        self.next_due.at(&self.scheduled_messages, &self.reminders).is_some_and(|at| at <= now)
    }

    /// Fires the reminders whose time has come: Slackbot tells their user in its DM with
    /// them. One-off reminders are then past (until completed or deleted); recurring ones
    /// move to their next time after `now`.
    pub fn fire_reminders(&mut self, ids: &mut IdGen, now: i64) {
        let mut due: Vec<Reminder> = self.reminders.values().filter(|r| r.due(now)).cloned().collect();
        due.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
        for mut r in due {
            if self.users.get(&r.user).is_some_and(|u| !u.deleted) {
                let at = u64::try_from(r.time.max(0)).unwrap_or(0).saturating_mul(1_000_000);
                if let Ok((dm, _)) = self.open_dm(ids, &[SLACKBOT.to_string(), r.user.clone()], r.time, false) {
                    let message = Message {
                        user: Some(SLACKBOT.into()),
                        text: format!("Reminder: {}.", r.text.trim_end_matches('.')),
                        ..Message::default()
                    };
                    let _ = self.post(&dm.id, NewMessage { message, ..NewMessage::default() }, at);
                }
            }
            match r.recurrence.clone() {
                Some(rec) => r.time = rec.next_after(r.time, now),
                None => r.fired = true,
            }
            self.reminders.insert(r.id.clone(), r);
        }
    }
}

impl Workspace {
    /// A fresh file id (`F…`): files, uploads, canvases and lists share one id space.
    pub fn fresh_file_id(&self, ids: &mut IdGen) -> String {
        loop {
            let id = ids.upper_id("F", 10);
            let taken = self.files.contains_key(&id)
                || self.uploads.contains_key(&id)
                || self.canvases.contains_key(&id)
                || self.lists.contains_key(&id);
            if !taken {
                return id;
            }
        }
    }

    /// The items of a list, in key order (callers sort).
    pub fn items_of<'a>(&'a self, list_id: &str) -> impl Iterator<Item = &'a ListItem> + 'a {
        self.list_items.range(format!("{list_id}:")..format!("{list_id};")).map(|(_, i)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn state_with_channel() -> (SlackState, IdGen) {
        let mut s = SlackState::default();
        for (id, name) in [("U1", "alice"), ("U2", "bob"), ("U3", "carol"), ("UB", "bot")] {
            s.users.insert(id.into(), User { id: id.into(), name: name.into(), ..User::default() });
        }
        s.channels.insert(
            "CGEN".into(),
            Arc::new(Channel {
                id: "CGEN".into(),
                name: "general".into(),
                kind: ChannelKind::Public,
                created: 100,
                creator: "U1".into(),
                is_archived: false,
                is_general: true,
                topic: Topic::default(),
                purpose: Topic::default(),
                previous_names: Vec::new(),
                updated: 0,
            }),
        );
        s.add_member("CGEN", "U1", 100);
        (s, IdGen::new(1))
    }

    fn actor(user: &str, kind: TokenKind, scopes: &[&str]) -> Actor {
        Actor {
            kind,
            user: user.into(),
            bot_id: None,
            app_id: None,
            scopes: Arc::new(scopes.iter().map(|s| s.to_string()).collect()),
            is_admin: false,
        }
    }

    #[test]
    fn channel_name_rules() {
        assert_eq!(validate_channel_name(""), Err(SlackError::Code("invalid_name_required")));
        assert_eq!(validate_channel_name("--_"), Err(SlackError::Code("invalid_name_punctuation")));
        assert_eq!(validate_channel_name(&"a".repeat(81)), Err(SlackError::Code("invalid_name_maxlength")));
        assert!(validate_channel_name(&"a".repeat(80)).is_ok());
        assert_eq!(validate_channel_name("Has Caps"), Err(SlackError::Code("invalid_name_specials")));
        assert_eq!(validate_channel_name("dot.name"), Err(SlackError::Code("invalid_name_specials")));
        assert!(validate_channel_name("ok-name_2").is_ok());
        assert!(validate_channel_name("café").is_ok());
    }

    #[test]
    fn name_taken_includes_archived_channels() {
        let (mut s, mut ids) = state_with_channel();
        let c = s.create_channel(&mut ids, "project", true, "U1", 1).unwrap();
        let mut archived = c.clone();
        archived.is_archived = true;
        s.channels.insert(c.id.clone(), Arc::new(archived));
        assert_eq!(s.create_channel(&mut ids, "project", false, "U2", 2), Err(SlackError::Code("name_taken")));
        assert!(s.is_member(&c.id, "U1"));
    }

    #[test]
    fn ts_are_unique_and_increasing_per_channel() {
        let (mut s, _) = state_with_channel();
        let now = 1_700_000_000_000_000;
        let a = s.next_ts("CGEN", now).unwrap();
        let b = s.next_ts("CGEN", now).unwrap();
        let c = s.next_ts("CGEN", now - 5).unwrap();
        assert_eq!(a, "1700000000.000000");
        assert_eq!(b, "1700000000.000001");
        assert_eq!(c, "1700000000.000002");
        assert!(parse_ts(&a) < parse_ts(&b));
        assert_eq!(parse_ts("12.5"), Some(12_500_000));
        assert_eq!(parse_ts("12"), Some(12_000_000));
        assert_eq!(parse_ts("x.1"), None);
        assert_eq!(parse_ts("-1"), None);
    }

    #[test]
    fn due_scheduled_work_is_found_without_a_scan_and_follows_every_change() {
        let brute = |s: &SlackState, now: i64| {
            s.scheduled_messages.values().any(|m| m.post_at <= now) || s.reminders.values().any(|r| r.due(now))
        };
        let reminder = |id: &str, time: i64| Reminder {
            id: id.into(),
            creator: "U1".into(),
            user: "U1".into(),
            text: "x".into(),
            time,
            recurrence: None,
            complete_ts: 0,
            fired: false,
            created: 0,
        };
        let (mut s, _) = state_with_channel();
        assert!(!s.has_due_scheduled(i64::MAX));
        for i in 0..2000 {
            s.reminders.insert(format!("Rm{i:04}"), reminder(&format!("Rm{i:04}"), 10_000 + i));
        }
        let check = |s: &SlackState| {
            for now in [0, 9_999, 10_000, 10_500, 20_000] {
                assert_eq!(s.has_due_scheduled(now), brute(s, now), "now {now}");
            }
        };
        check(&s);
        // A copy shares the answer until it changes either map; the original keeps its own.
        let mut copy = s.clone();
        let mut first = copy.reminders.get("Rm0000").cloned().unwrap();
        first.fired = true;
        copy.reminders.insert(first.id.clone(), first);
        check(&copy);
        assert!(!copy.has_due_scheduled(10_000) && s.has_due_scheduled(10_000));
        check(&s);
        copy.scheduled_messages.insert(
            "Q1".into(),
            Scheduled {
                id: "Q1".into(),
                channel: "CGEN".into(),
                post_at: 5,
                created: 0,
                message: Message::default(),
                reply_broadcast: false,
            },
        );
        check(&copy);
        assert!(copy.has_due_scheduled(5));
        copy.scheduled_messages.remove("Q1");
        copy.reminders.clear();
        check(&copy);
        assert!(!copy.has_due_scheduled(i64::MAX));
    }

    #[test]
    fn an_import_without_channel_ts_posts_after_its_messages() {
        let (mut s, _) = state_with_channel();
        let now = 1_700_000_000_000_000;
        let msg = Message { user: Some("U1".into()), text: "x".into(), ..Message::default() };
        let posted = s.post("CGEN", NewMessage { message: msg, ..Default::default() }, now + 10).unwrap();
        let mut exported = serde_json::to_value(&s).unwrap();
        exported.as_object_mut().unwrap().remove("channel_ts");
        let imported = twin_core::Twin::import(&crate::SlackTwin, exported).unwrap();
        let mut s: SlackState = imported.as_any().downcast_ref::<SlackState>().unwrap().clone();
        assert_eq!(s.last_ts("CGEN"), parse_ts(&posted.ts).unwrap());
        // The clock is behind the imported message, within the margin: the next ts follows it.
        assert!(parse_ts(&s.next_ts("CGEN", now).unwrap()) > parse_ts(&posted.ts));
    }

    #[test]
    fn threads_update_their_parent_and_stay_out_of_history() {
        let (mut s, _) = state_with_channel();
        let now = 1_700_000_000_000_000;
        let msg = |user: &str| Message { user: Some(user.into()), text: "x".into(), ..Message::default() };
        let parent = s.post("CGEN", NewMessage { message: msg("U1"), ..Default::default() }, now).unwrap();
        let r1 = s
            .post(
                "CGEN",
                NewMessage { message: msg("U2"), thread_ts: Some(parent.ts.clone()), ..Default::default() },
                now,
            )
            .unwrap();
        // a reply's ts threads into the same thread
        let r2 = s
            .post("CGEN", NewMessage { message: msg("U2"), thread_ts: Some(r1.ts.clone()), reply_broadcast: true }, now)
            .unwrap();
        assert_eq!(r2.thread_ts.as_deref(), Some(parent.ts.as_str()));
        assert_eq!(r2.subtype.as_deref(), Some("thread_broadcast"));
        let p = s.message("CGEN", &parent.ts).unwrap();
        assert_eq!((p.reply_count, p.reply_users.clone()), (2, vec!["U2".to_string()]));
        assert_eq!(p.latest_reply.as_deref(), Some(r2.ts.as_str()));
        let history: Vec<&str> = s.channel_messages("CGEN").filter(|m| m.in_history()).map(|m| m.ts.as_str()).collect();
        assert_eq!(history, vec![parent.ts.as_str(), r2.ts.as_str()]);
        // unknown thread_ts: a top-level message
        let top = s
            .post(
                "CGEN",
                NewMessage { message: msg("U3"), thread_ts: Some("1.000000".into()), ..Default::default() },
                now,
            )
            .unwrap();
        assert!(top.thread_ts.is_none());
        // deleting replies updates the parent; deleting a parent with replies leaves a tombstone
        s.delete_message("CGEN", &r1.ts).unwrap();
        assert_eq!(s.message("CGEN", &parent.ts).unwrap().reply_count, 1);
        s.delete_message("CGEN", &parent.ts).unwrap();
        assert_eq!(s.message("CGEN", &parent.ts).unwrap().subtype.as_deref(), Some("tombstone"));
        s.delete_message("CGEN", &r2.ts).unwrap();
        assert_eq!(s.message("CGEN", &parent.ts), Err(SlackError::MessageNotFound));
    }

    #[test]
    fn visibility_and_membership_rules() {
        let (mut s, mut ids) = state_with_channel();
        let private = s.create_channel(&mut ids, "secret", true, "U1", 1).unwrap();
        let bot = actor("UB", TokenKind::Bot, &["chat:write"]);
        let bot_public = actor("UB", TokenKind::Bot, &["chat:write", "chat:write.public"]);
        let user = actor("U2", TokenKind::User, &[]);
        assert_eq!(s.access(&private.id, &bot, Access::See), Err(SlackError::ChannelNotFound));
        assert_eq!(s.access("CGEN", &bot, Access::Read), Err(SlackError::NotInChannel));
        assert!(s.access("CGEN", &user, Access::Read).is_ok());
        assert_eq!(s.access("CGEN", &bot, Access::Post), Err(SlackError::NotInChannel));
        assert!(s.access("CGEN", &bot_public, Access::Post).is_ok());
        assert!(s.add_member("CGEN", "UB", 1));
        assert!(!s.add_member("CGEN", "UB", 1));
        assert!(s.access("CGEN", &bot, Access::Post).is_ok());
        let mut ch = s.channel("CGEN").unwrap().clone();
        ch.is_archived = true;
        s.channels.insert("CGEN".into(), Arc::new(ch));
        assert_eq!(s.access("CGEN", &bot, Access::Post), Err(SlackError::IsArchived));
        assert_eq!(s.member_ids("CGEN"), vec!["U1", "UB"]);
    }

    #[test]
    fn one_dm_per_set_of_users() {
        let (mut s, mut ids) = state_with_channel();
        let (a, existed) = s.open_dm(&mut ids, &["U1".into(), "U2".into()], 1, false).unwrap();
        assert!(!existed && a.id.starts_with('D'));
        let (b, existed) = s.open_dm(&mut ids, &["U2".into(), "U1".into()], 2, false).unwrap();
        assert!(existed);
        assert_eq!(a.id, b.id);
        let (m, _) = s.open_dm(&mut ids, &["U1".into(), "U2".into(), "U3".into()], 3, false).unwrap();
        assert_eq!(m.kind, ChannelKind::Mpim);
        assert_eq!(m.name, "mpdm-alice--bob--carol-1");
        assert_eq!(s.open_dm(&mut ids, &["U1".into(), "U3".into()], 4, true), Err(SlackError::ChannelNotFound));
        assert_eq!(s.im_user(&a.id, "U1"), "U2");
    }
}
