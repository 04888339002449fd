//! Fixture → workspace: a user per person, the app's bot, channels with their members
//! and history, usergroups from the fixture's groups, and the three tokens.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::Value;
use twin_core::fixture::PersonStatus;
use twin_core::{Fixture, FixtureError, Principal, SeedCtx};

use twin_core::ids::IdGen;

use crate::model::{
    App, Bot, Channel, ChannelKind, Message, NewMessage, Reaction, SlackState, Team, Topic, User, Usergroup,
    OAUTH_CLIENT_PREFIX, OAUTH_CLIENT_PRINCIPAL, SLACKBOT,
};

/// Scopes of the bot token: what a typical installed app asks for. No `users:write`
/// (presence), no `search:read` (bots cannot search).
pub const BOT_SCOPES: &[&str] = &[
    "app_mentions:read",
    "assistant:write",
    "bookmarks:read",
    "bookmarks:write",
    "calls:read",
    "calls:write",
    "canvases:read",
    "canvases:write",
    "channels:history",
    "channels:join",
    "channels:manage",
    "channels:read",
    "channels:write.invites",
    "channels:write.topic",
    "chat:write",
    "chat:write.customize",
    "chat:write.public",
    "conversations.connect:manage",
    "conversations.connect:write",
    "dnd:read",
    "emoji:read",
    "files:read",
    "files:write",
    "groups:history",
    "groups:read",
    "groups:write",
    "groups:write.invites",
    "groups:write.topic",
    "im:history",
    "im:read",
    "im:write",
    "im:write.topic",
    "links:write",
    "lists:read",
    "lists:write",
    "mpim:history",
    "mpim:read",
    "mpim:write",
    "mpim:write.topic",
    "pins:read",
    "pins:write",
    "reactions:read",
    "reactions:write",
    "remote_files:read",
    "remote_files:share",
    "remote_files:write",
    "search:read.public",
    "team.billing:read",
    "team.preferences:read",
    "team:read",
    "usergroups:read",
    "usergroups:write",
    "users.profile:read",
    "users:read",
    "users:read.email",
];

/// Scopes of the user token (it acts as `user_token_owner`).
pub const USER_SCOPES: &[&str] = &[
    "admin",
    "bookmarks:read",
    "bookmarks:write",
    "calls:read",
    "calls:write",
    "canvases:read",
    "canvases:write",
    "channels:history",
    "channels:read",
    "channels:write",
    "channels:write.invites",
    "channels:write.topic",
    "chat:write",
    "dnd:read",
    "dnd:write",
    "emoji:read",
    "files:read",
    "files:write",
    "groups:history",
    "groups:read",
    "groups:write",
    "groups:write.invites",
    "groups:write.topic",
    "im:history",
    "im:read",
    "im:write",
    "im:write.topic",
    "links:write",
    "lists:read",
    "lists:write",
    "mpim:history",
    "mpim:read",
    "mpim:write",
    "mpim:write.topic",
    "pins:read",
    "pins:write",
    "reactions:read",
    "reactions:write",
    "reminders:read",
    "reminders:write",
    "remote_files:read",
    "remote_files:share",
    "search:read",
    "search:read.im",
    "search:read.mpim",
    "search:read.private",
    "search:read.public",
    "stars:read",
    "stars:write",
    "team.billing:read",
    "team.preferences:read",
    "team:read",
    "usergroups:read",
    "usergroups:write",
    "users.profile:read",
    "users.profile:write",
    "users:read",
    "users:read.email",
    "users:write",
];

pub const APP_SCOPES: &[&str] = &["authorizations:read", "connections:write"];

const COLORS: &[&str] =
    &["9f69e7", "4bbe2e", "e7392d", "3c989f", "674b1b", "e96699", "e0a729", "684b6c", "5b89d5", "2b6836"];

#[derive(Debug, Default, Deserialize)]
struct Section {
    team: Option<TeamSpec>,
    bot: Option<BotSpec>,
    user_token_owner: Option<String>,
    #[serde(default)]
    channels: Vec<ChannelSpec>,
    /// Custom emoji: name → image URL or `alias:<name>`.
    #[serde(default)]
    emoji: BTreeMap<String, String>,
    /// The app's event settings.
    app: Option<crate::app::AppSpec>,
}

#[derive(Debug, Deserialize)]
struct TeamSpec {
    name: String,
    domain: String,
}

#[derive(Debug, Deserialize)]
struct BotSpec {
    name: String,
    display_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Members {
    All(String),
    List(Vec<String>),
}

#[derive(Debug, Deserialize)]
struct ChannelSpec {
    name: String,
    #[serde(default)]
    private: bool,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    purpose: String,
    creator: Option<String>,
    members: Option<Members>,
    #[serde(default)]
    bot_member: bool,
    #[serde(default)]
    messages: Vec<MessageSpec>,
}

#[derive(Debug, Deserialize)]
struct MessageSpec {
    from: String,
    text: String,
    ago: String,
    #[serde(default)]
    thread: Vec<MessageSpec>,
    #[serde(default)]
    reactions: BTreeMap<String, Vec<String>>,
}

struct Seeder<'f> {
    fixture: &'f Fixture,
    users_by_key: HashMap<String, String>,
    bot_user: String,
    bot_id: String,
    app_id: String,
}

impl Seeder<'_> {
    fn err(&self, message: String) -> FixtureError {
        FixtureError::Service { fixture: self.fixture.name.clone(), service: "slack", message }
    }

    /// A person key, or `bot`, as a user id.
    fn user(&self, key: &str) -> Result<String, FixtureError> {
        if key == "bot" {
            return Ok(self.bot_user.clone());
        }
        self.users_by_key.get(key).cloned().ok_or_else(|| self.err(format!("unknown person '{key}'")))
    }

    fn ago_micros(&self, now_micros: u64, ago: &str) -> Result<u64, FixtureError> {
        let d = humantime::parse_duration(ago).map_err(|e| self.err(format!("ago '{ago}': {e}")))?;
        Ok(now_micros.saturating_sub(u64::try_from(d.as_micros()).unwrap_or(u64::MAX)))
    }
}

/// One message to seed, with where it goes in its thread.
struct Pending<'s> {
    at: u64,
    order: usize,
    spec: &'s MessageSpec,
    parent: Option<usize>,
}

pub fn seed(fixture: &Fixture, ctx: &mut SeedCtx<'_>) -> Result<SlackState, FixtureError> {
    let section: Section = match fixture.section("slack") {
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| FixtureError::Service {
            fixture: fixture.name.clone(),
            service: "slack",
            message: e.to_string(),
        })?,
        None => Section::default(),
    };
    let now = ctx.now.timestamp();
    let now_micros = u64::try_from(ctx.now.timestamp_micros()).unwrap_or(0);
    let created = now - 400 * 86_400;
    let mut state = SlackState::default();

    // The workspace.
    let (team_name, domain) = match &section.team {
        Some(t) => (t.name.clone(), t.domain.clone()),
        None => (
            fixture.company.name.clone(),
            fixture.company.domain.split('.').next().unwrap_or("acme").to_ascii_lowercase(),
        ),
    };
    let team_id = ctx.ids.upper_id("T", 10);
    state.team.insert(
        team_id.clone(),
        Team { id: team_id.clone(), name: team_name, domain, email_domain: fixture.company.domain.clone(), created },
    );

    // The app, its bot and bot user.
    let (bot_name, bot_display) = match &section.bot {
        Some(b) => (b.name.clone(), b.display_name.clone().unwrap_or_else(|| b.name.clone())),
        None => ("dtu-bot".to_string(), "DTU Bot".to_string()),
    };
    let bot_user = ctx.ids.upper_id("U", 10);
    let bot_id = ctx.ids.upper_id("B", 10);
    let app_id = ctx.ids.upper_id("A", 10);
    state.bots.insert(
        bot_id.clone(),
        Bot {
            id: bot_id.clone(),
            app_id: app_id.clone(),
            user_id: bot_user.clone(),
            name: bot_display.clone(),
            deleted: false,
            updated: created,
            profile_json: Default::default(),
        },
    );
    state.users.insert(
        bot_user.clone(),
        User {
            id: bot_user.clone(),
            team_id: team_id.clone(),
            name: bot_name,
            real_name: bot_display.clone(),
            display_name: bot_display,
            tz: "America/Los_Angeles".into(),
            is_bot: true,
            is_app_user: false,
            bot_id: Some(bot_id.clone()),
            app_id: Some(app_id.clone()),
            updated: created,
            color: COLORS[0].into(),
            ..User::default()
        },
    );
    state.users.insert(
        SLACKBOT.into(),
        User {
            id: SLACKBOT.into(),
            team_id: team_id.clone(),
            name: "slackbot".into(),
            real_name: "Slackbot".into(),
            display_name: "Slackbot".into(),
            tz: "America/Los_Angeles".into(),
            updated: 0,
            color: "757575".into(),
            ..User::default()
        },
    );

    // People.
    let owner_key = section.user_token_owner.clone().or_else(|| fixture.people.first().map(|p| p.key.clone()));
    let admins: Vec<&String> =
        fixture.groups.iter().filter(|g| g.key == "admins").flat_map(|g| g.members.iter()).collect();
    let mut seeder =
        Seeder { fixture, users_by_key: HashMap::new(), bot_user: bot_user.clone(), bot_id: bot_id.clone(), app_id };
    for (i, person) in fixture.people.iter().enumerate() {
        let id = loop {
            let id = ctx.ids.upper_id("U", 10);
            if !state.users.contains_key(&id) {
                break id;
            }
        };
        let owner = owner_key.as_deref() == Some(person.key.as_str());
        let handle = person.email.split('@').next().unwrap_or(&person.key).to_ascii_lowercase();
        state.users.insert(
            id.clone(),
            User {
                id: id.clone(),
                team_id: team_id.clone(),
                name: handle,
                real_name: person.full_name(),
                first_name: person.first_name.clone(),
                last_name: person.last_name.clone(),
                display_name: person.first_name.clone(),
                email: Some(person.email.clone()),
                title: person.title.clone(),
                phone: person.phone.clone().unwrap_or_default(),
                tz: person.timezone.clone(),
                deleted: person.status != PersonStatus::Active,
                is_admin: owner || admins.contains(&&person.key),
                is_owner: owner,
                is_primary_owner: owner,
                updated: created + i as i64,
                color: COLORS[(i + 1) % COLORS.len()].into(),
                person_key: Some(person.key.clone()),
                ..User::default()
            },
        );
        seeder.users_by_key.insert(person.key.clone(), id);
    }
    let owner = match &owner_key {
        Some(key) => seeder.user(key)?,
        None => bot_user.clone(),
    };

    // Channels and their history.
    let channels = if section.channels.is_empty() {
        vec![ChannelSpec {
            name: "general".into(),
            private: false,
            topic: String::new(),
            purpose: String::new(),
            creator: owner_key.clone(),
            members: Some(Members::All("all".into())),
            bot_member: true,
            messages: Vec::new(),
        }]
    } else {
        section.channels
    };
    for spec in &channels {
        crate::model::validate_channel_name(&spec.name)
            .map_err(|e| seeder.err(format!("channel '{}': {e}", spec.name)))?;
        if state.channel_by_name(&spec.name).is_some() {
            return Err(seeder.err(format!("channel '{}' appears twice", spec.name)));
        }
        seed_channel(&mut state, &seeder, spec, ctx, now, now_micros, &owner)?;
    }

    // Usergroups from the fixture's groups.
    for group in &fixture.groups {
        let id = ctx.ids.upper_id("S", 10);
        let users = group.members.iter().map(|k| seeder.user(k)).collect::<Result<Vec<_>, _>>()?;
        state.usergroups.insert(
            id.clone(),
            Usergroup {
                id,
                team_id: team_id.clone(),
                name: group.name.clone(),
                handle: group.key.clone(),
                description: group.description.clone(),
                created,
                updated: created,
                deleted_at: 0,
                created_by: owner.clone(),
                updated_by: owner.clone(),
                deleted_by: None,
                users,
                channels: Vec::new(),
            },
        );
    }

    for (name, url) in section.emoji {
        state.emoji.insert(name, url);
    }
    for (kind, scopes) in [("bot", BOT_SCOPES), ("user", USER_SCOPES), ("app", APP_SCOPES)] {
        state.token_scopes.insert(kind.into(), std::sync::Arc::new(scopes.iter().map(|s| s.to_string()).collect()));
    }

    let app = seed_app(&seeder, section.app.unwrap_or_default(), ctx)?;
    state.apps.insert(app.id.clone(), app);

    ctx.mint("xoxb-", Principal { service: "slack".into(), kind: "bot".into(), subject: bot_user });
    ctx.mint("xoxp-", Principal { service: "slack".into(), kind: "user".into(), subject: owner });
    ctx.mint("xapp-", Principal { service: "slack".into(), kind: "app".into(), subject: seeder.app_id.clone() });
    // The OAuth client id: minted like a token, so an exchange that carries no token
    // still reaches its universe by it.
    ctx.mint(
        OAUTH_CLIENT_PREFIX,
        Principal { service: "slack".into(), kind: OAUTH_CLIENT_PRINCIPAL.into(), subject: seeder.app_id.clone() },
    );
    Ok(state)
}

/// The app's settings: the twin's defaults, then what the fixture says. Its secrets come
/// from a fork of the universe's id generator, so they take no ids from the workspace.
fn seed_app(seeder: &Seeder<'_>, spec: crate::app::AppSpec, ctx: &mut SeedCtx<'_>) -> Result<App, FixtureError> {
    let mut secrets = IdGen::new(ctx.ids.seed ^ ctx.ids.counter.rotate_left(32) ^ 0x51_9e_5e_c7);
    let mut app = crate::app::default_app(&seeder.app_id, &mut secrets);
    let invalid = |message: String| seeder.err(format!("app: {message}"));
    if let Some(url) = spec.request_url {
        app.request_url = Some(crate::app::check_request_url(&url).map_err(invalid)?);
    }
    if let Some(on) = spec.socket_mode {
        app.socket_mode = on;
    }
    if let Some(secret) = spec.signing_secret {
        crate::app::check_signing_secret(&secret).map_err(invalid)?;
        app.signing_secret = secret;
    }
    if let Some(types) = spec.event_types {
        app.event_types = crate::events::parse_event_types(&types).map_err(invalid)?;
    }
    if let Some(delivery) = spec.delivery {
        crate::app::check_delivery(&delivery).map_err(invalid)?;
        app.delivery = delivery;
    }
    if let Some(on) = spec.token_rotation {
        app.token_rotation = on;
    }
    Ok(app)
}

fn seed_channel(
    state: &mut SlackState,
    seeder: &Seeder<'_>,
    spec: &ChannelSpec,
    ctx: &mut SeedCtx<'_>,
    now: i64,
    now_micros: u64,
    owner: &str,
) -> Result<(), FixtureError> {
    // Every message (replies too), in time order, each after its parent.
    let mut pending: Vec<Pending<'_>> = Vec::new();
    for m in &spec.messages {
        let at = seeder.ago_micros(now_micros, &m.ago)?;
        let index = pending.len();
        pending.push(Pending { at, order: index, spec: m, parent: None });
        for r in &m.thread {
            let order = pending.len();
            let at = seeder.ago_micros(now_micros, &r.ago)?.max(at + 1);
            pending.push(Pending { at, order, spec: r, parent: Some(index) });
        }
    }
    let oldest = pending.iter().map(|p| p.at).min().unwrap_or(now_micros);
    let created = (i64::try_from(oldest / 1_000_000).unwrap_or(now) - 86_400).min(now - 86_400);
    let creator = match &spec.creator {
        Some(key) => seeder.user(key)?,
        None => owner.to_string(),
    };
    let id = ctx.ids.upper_id("C", 10);
    let topic = |value: &str| Topic {
        value: value.to_string(),
        creator: if value.is_empty() { String::new() } else { creator.clone() },
        last_set: if value.is_empty() { 0 } else { created },
    };
    state.channels.insert(
        id.clone(),
        std::sync::Arc::new(Channel {
            id: id.clone(),
            name: spec.name.clone(),
            kind: if spec.private { ChannelKind::Private } else { ChannelKind::Public },
            created,
            creator: creator.clone(),
            is_archived: false,
            is_general: spec.name == "general",
            topic: topic(&spec.topic),
            purpose: topic(&spec.purpose),
            previous_names: Vec::new(),
            updated: created * 1000,
        }),
    );
    let members: Vec<String> = match &spec.members {
        Some(Members::All(all)) if all == "all" => seeder.users_by_key.values().cloned().collect(),
        Some(Members::All(other)) => {
            return Err(seeder.err(format!("channel '{}': members must be `all` or a list, not '{other}'", spec.name)))
        }
        Some(Members::List(keys)) => keys.iter().map(|k| seeder.user(k)).collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    state.add_member(&id, &creator, created);
    for user in members {
        state.add_member(&id, &user, created);
    }
    if spec.bot_member {
        state.add_member(&id, &seeder.bot_user, created);
    }

    pending.sort_by_key(|p| (p.at, p.order));
    let mut ts_of: HashMap<usize, String> = HashMap::new();
    for p in pending {
        let user = seeder.user(&p.spec.from)?;
        let is_bot = user == seeder.bot_user;
        let mut reactions = Vec::new();
        for (name, keys) in &p.spec.reactions {
            let users = keys.iter().map(|k| seeder.user(k)).collect::<Result<Vec<_>, _>>()?;
            reactions.push(Reaction { name: name.trim_matches(':').to_string(), users });
        }
        let message = Message {
            user: Some(user),
            bot_id: is_bot.then(|| seeder.bot_id.clone()),
            app_id: is_bot.then(|| seeder.app_id.clone()),
            text: p.spec.text.clone(),
            reactions,
            blocks: None::<Value>,
            ..Message::default()
        };
        let thread_ts = p.parent.and_then(|i| ts_of.get(&i).cloned());
        let posted = state
            .post(&id, NewMessage { message, thread_ts, reply_broadcast: false }, p.at)
            .map_err(|e| seeder.err(format!("channel '{}': {e}", spec.name)))?;
        ts_of.insert(p.order, posted.ts.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use serde_json::json;
    use twin_core::{Config, Core, CreateUniverse, FixtureLibrary, FixtureRef, Twin};

    use super::*;
    use crate::model::{parse_ts, ChannelKind};
    use crate::SlackTwin;

    fn core() -> Core {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/default.yaml");
        let mut library = FixtureLibrary::default();
        library.insert("default", Fixture::from_file(&path).unwrap());
        library.insert("large", Fixture::generated(2_000));
        Core::new(Config::default(), vec![Arc::new(SlackTwin)], library, "default")
    }

    fn seeded(core: &Core, fixture: Option<FixtureRef>) -> (Arc<twin_core::Universe>, SlackState) {
        let u = core.create_universe(CreateUniverse { fixture, ..CreateUniverse::default() }).unwrap();
        let state = u.read::<SlackState, _>(|s| s.clone()).unwrap();
        (u, state)
    }

    #[test]
    fn default_fixture_seeds_people_channels_history_and_tokens() {
        let core = core();
        let (u, s) = seeded(&core, None);
        assert_eq!(s.users.len(), 15 + 2);
        let by_name = |n: &str| s.users.values().find(|u| u.name == n).unwrap().clone();
        assert!(by_name("victor").deleted && by_name("ivan").deleted && !by_name("alice").deleted);
        assert!(by_name("alice").is_primary_owner && by_name("kevin").is_admin && !by_name("bob").is_admin);
        let channel = |n: &str| s.channel_by_name(n).unwrap().clone();
        assert_eq!(s.channels.len(), 7);
        assert_eq!(channel("leadership").kind, ChannelKind::Private);
        assert_eq!(s.member_count(&channel("general").id), 16);
        assert_eq!(s.member_count(&channel("engineering").id), 4);
        assert!(s.is_member(&channel("incidents").id, &s.bot().unwrap().user_id));
        // history: unique increasing ts per channel, top-level messages in fixture order
        for ch in s.channels.values() {
            let ts: Vec<u64> = s.channel_messages(&ch.id).map(|m| parse_ts(&m.ts).unwrap()).collect();
            assert!(ts.windows(2).all(|w| w[0] < w[1]), "{}", ch.name);
            assert!(ts.iter().all(|t| *t <= s.last_ts(&ch.id)));
        }
        let general: Vec<_> = s.channel_messages(&channel("general").id).filter(|m| m.in_history()).collect();
        assert_eq!(general.len(), 6);
        assert!(general[0].text.starts_with("Welcome"));
        let q3 = general.iter().find(|m| m.text.starts_with("Q3")).unwrap();
        assert_eq!(q3.reply_count, 2);
        assert_eq!(s.replies(&q3.channel, &q3.ts).len(), 2);
        assert_eq!(q3.reactions.iter().map(|r| r.users.len()).sum::<usize>(), 7);
        let incident = s.channel_messages(&channel("incidents").id).next().unwrap();
        assert_eq!(incident.bot_id, s.bot().map(|b| b.id.clone()));
        // about 12 days before the universe was created
        let age = u.created_at.timestamp() - (parse_ts(&incident.ts).unwrap() / 1_000_000) as i64;
        assert!((12 * 86_400..13 * 86_400).contains(&age), "{age}");
        assert_eq!(s.usergroups.len(), 7);
        let kinds: Vec<String> = u.credentials().into_iter().map(|c| c.principal.kind).collect();
        assert_eq!(kinds, vec!["bot", "user", "app", "oauth_client"]);
        assert!(u.credential_of("slack", "bot").unwrap().starts_with("xoxb-"));
        assert_eq!(s.scopes(crate::model::TokenKind::Bot).len(), BOT_SCOPES.len());
    }

    #[test]
    fn export_import_round_trip() {
        let core = core();
        let (_, s) = seeded(&core, None);
        let exported = serde_json::to_value(&s).unwrap();
        let back = SlackTwin.import(exported.clone()).unwrap();
        assert_eq!(back.export().unwrap(), exported);
        assert!(exported["messages"].as_object().unwrap().keys().all(|k| k.starts_with('C') && k.contains(':')));
    }

    #[test]
    fn same_seed_same_ids() {
        let core = core();
        let (_, a) = seeded(&core, None);
        let (_, b) = seeded(&core, None);
        assert_eq!(a.users.keys().collect::<Vec<_>>(), b.users.keys().collect::<Vec<_>>());
        assert_eq!(a.channels.keys().collect::<Vec<_>>(), b.channels.keys().collect::<Vec<_>>());
    }

    #[test]
    fn fixture_mistakes_are_reported() {
        let core = core();
        let mut fixture = json!({
            "name": "bad", "company": {"name": "B", "domain": "b.test"},
            "people": [{"key": "ann", "first_name": "Ann", "last_name": "A", "email": "ann@b.test"}],
            "slack": {"channels": [{"name": "general", "members": ["zed"]}]},
        });
        let err = core
            .create_universe(CreateUniverse {
                fixture: Some(FixtureRef::Inline(Box::new(fixture.clone()))),
                ..Default::default()
            })
            .unwrap_err();
        assert!(err.to_string().contains("unknown person 'zed'"), "{err}");
        fixture["slack"] = json!({"channels": [{"name": "Bad Name"}]});
        let err = core
            .create_universe(CreateUniverse {
                fixture: Some(FixtureRef::Inline(Box::new(fixture.clone()))),
                ..Default::default()
            })
            .unwrap_err();
        assert!(err.to_string().contains("invalid_name_specials"), "{err}");
        // no slack section: a #general with everyone
        fixture.as_object_mut().unwrap().remove("slack");
        let (_, s) = seeded(&core, Some(FixtureRef::Inline(Box::new(fixture))));
        let general = s.channel_by_name("general").unwrap();
        assert_eq!(s.member_count(&general.id), 2);
    }

    #[test]
    fn generated_fixture_seeds() {
        let core = core();
        let (_, s) = seeded(&core, Some(FixtureRef::Name("large".into())));
        assert_eq!(s.users.len(), 2_002);
        let general = s.channel_by_name("general").unwrap();
        assert_eq!(s.member_count(&general.id), 2_001);
    }
}
