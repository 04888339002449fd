//! How much of Slack's Web API the twin covers, against the vendor's method list
//! (slack-api-ref, 322 methods). `COVERAGE.md` is generated from this table by a test.

use twin_core::Coverage;

use crate::methods::METHODS;

/// Methods in the vendor method list this table was generated against.
pub const VENDOR_METHOD_COUNT: usize = 322;

/// Routed methods that leave part of the vendor's surface out, and what.
pub const PARTIAL: &[(&str, &str)] = &[
    ("search.messages", "plain terms, quoted phrases, in:, from:, before:, after:, on:; ranking is by recency only"),
    ("reactions.get", "messages only (no file or file_comment items)"),
    ("reactions.remove", "messages only (no file or file_comment items)"),
    ("reactions.list", "messages only; cursor paging (count/page ignored)"),
    ("pins.add", "messages only (no files)"),
    ("users.profile.set", "standard fields only (no custom profile fields)"),
    ("files.info", "no file comments; content is not served back"),
    ("bookmarks.add", "type `link` only"),
    ("canvases.create", "markdown kept as header and text sections; canvases are not files to files.*"),
    ("canvases.edit", "markdown kept as header and text sections (no rich formatting model)"),
    ("users.setPhoto", "PNG, JPEG or GIF checked by their first bytes; crop arguments checked, not applied"),
    ("files.remote.add", "adding an app's `external_id` again replaces that file"),
    ("team.preferences.list", "the preferences of a new workspace"),
    ("slackLists.download.start", "CSV only; the export is ready at once"),
    ("dnd.info", "snoozes only: no Do Not Disturb schedule is set in the workspace"),
    ("reminders.add", "times: Unix timestamps, seconds, `in N minutes|hours|days|weeks`, `tomorrow`, `at HH:MM`, `every day|weekday|week|month|year|<weekday>` (UTC); fired on the next request after their time"),
    ("team.accessLogs", "one row per person from the universe's journal (ip 127.0.0.1, no user agent)"),
    ("search.files", "names, titles and remote files' search text; no file contents"),
    ("search.all", "messages and files (see search.messages, search.files); no posts"),
    ("views.push", "onto the person's newest modal"),
    ("functions.completeSuccess", "no function executions: the app is not Slack-hosted"),
    ("functions.completeError", "no function executions: the app is not Slack-hosted"),
    ("functions.workflows.steps.list", "no workflows or functions exist"),
    ("functions.workflows.steps.responses.export", "no workflows or functions exist"),
    ("functions.distributions.permissions.add", "configuration tokens only; the twin mints none"),
    ("functions.distributions.permissions.list", "configuration tokens only; the twin mints none"),
    ("functions.distributions.permissions.remove", "configuration tokens only; the twin mints none"),
    ("functions.distributions.permissions.set", "configuration tokens only; the twin mints none"),
    ("apps.manifest.create", "configuration tokens only; the twin mints none"),
    ("apps.manifest.delete", "configuration tokens only; the twin mints none"),
    ("apps.manifest.export", "configuration tokens only; the twin mints none"),
    ("apps.manifest.update", "configuration tokens only; the twin mints none"),
    ("apps.manifest.validate", "configuration tokens only; the twin mints none"),
    ("apps.managed.permissions.set", "configuration tokens only; the twin mints none"),
    ("apps.datastore.bulkDelete", "`app_not_hosted`: the app is not Slack-hosted"),
    ("apps.datastore.bulkGet", "`app_not_hosted`: the app is not Slack-hosted"),
    ("apps.datastore.bulkPut", "`app_not_hosted`: the app is not Slack-hosted"),
    ("apps.datastore.count", "`app_not_hosted`: the app is not Slack-hosted"),
    ("apps.datastore.delete", "`app_not_hosted`: the app is not Slack-hosted"),
    ("apps.datastore.get", "`app_not_hosted`: the app is not Slack-hosted"),
    ("apps.datastore.put", "`app_not_hosted`: the app is not Slack-hosted"),
    ("apps.datastore.query", "`app_not_hosted`: the app is not Slack-hosted"),
    ("apps.datastore.update", "`app_not_hosted`: the app is not Slack-hosted"),
    ("workflows.triggers.permissions.add", "no workflow triggers exist"),
    ("workflows.triggers.permissions.list", "no workflow triggers exist"),
    ("workflows.triggers.permissions.remove", "no workflow triggers exist"),
    ("workflows.triggers.permissions.set", "no workflow triggers exist"),
    ("workflows.featured.list", "no workflow triggers exist: nothing is featured"),
    ("workflows.featured.add", "no workflow triggers exist to feature"),
    ("workflows.featured.remove", "no workflow triggers exist to feature"),
    ("workflows.featured.set", "no workflow triggers exist to feature"),
    ("entity.presentDetails", "work object events are not sent, so no trigger id is valid"),
    ("entity.presentComments", "work object events are not sent, so no trigger id is valid"),
    ("entity.acknowledgeCommentAction", "work object events are not sent, so no trigger id is valid"),
    ("agents.sessions.rename", "the agent tasks feature is off"),
    ("agents.sessions.setStatus", "the agent tasks feature is off"),
    ("conversations.acceptSharedInvite", "no Slack Connect partner organisations: nothing is received"),
    ("conversations.approveSharedInvite", "no Slack Connect partner organisations: nothing is received"),
    ("conversations.declineSharedInvite", "no Slack Connect partner organisations: nothing is received"),
    ("conversations.requestSharedInvite.approve", "no Slack Connect partner organisations: nothing is received"),
    ("conversations.requestSharedInvite.deny", "no Slack Connect partner organisations: nothing is received"),
    ("conversations.requestSharedInvite.list", "no Slack Connect partner organisations: nothing is received"),
    ("conversations.externalInvitePermissions.set", "no Slack Connect partner organisations: nothing is received"),
    ("conversations.inviteShared", "invitations are kept; no partner ever accepts"),
    ("team.externalTeams.list", "no Slack Connect partners"),
    ("team.externalTeams.disconnect", "no Slack Connect partners"),
    ("users.discoverableContacts.lookup", "`not_an_enterprise`"),
    ("files.comments.delete", "files take no comments, so none can be deleted"),
    ("assistant.search.context", "messages only (no files, channels or users); AI search is off"),
    ("apps.event.authorizations.list", "the app's bot, and its installer when they can see the channel"),
    ("oauth.access", "classic install flow (`/oauth/authorize`); the `bot` scope adds the bot token with its usual scopes"),
    ("oauth.v2.access", "no incoming webhooks, no org installs"),
    ("apps.uninstall", "revokes the app's bot and user tokens; no `app_uninstalled` or `tokens_revoked` events"),
    ("apps.activities.list", "the app is not Slack-hosted: its activity log is empty (filters are checked)"),
    ("apps.icon.set", "workspace admins only; the image (PNG, GIF, JPEG, sides 512-2000 px) is checked, not kept; URLs are not fetched"),
    ("blocks.validate", "block types, text objects, required fields and length limits; elements inside blocks are checked for a type only"),
    ("apps.auth.external.get", "no external auth providers (a Slack-hosted app's)"),
    ("apps.auth.external.delete", "no external auth providers (a Slack-hosted app's)"),
    ("apps.user.connection.update", "the app subscribes to no person's connection"),
    ("chat.unfurl", "channel + ts unfurls; composer unfurls (`unfurl_id`) are refused"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Implemented,
    Partial,
    Missing,
}

pub fn status(method: &str) -> Status {
    if PARTIAL.iter().any(|(m, _)| *m == method) {
        Status::Partial
    } else if METHODS.iter().any(|m| m.name == method) {
        Status::Implemented
    } else {
        Status::Missing
    }
}

pub fn counts() -> Coverage {
    let partial = PARTIAL.len();
    Coverage {
        implemented: METHODS.len() - partial,
        partial,
        missing: VENDOR_METHOD_COUNT.saturating_sub(METHODS.len()),
    }
}

/// The COVERAGE.md text for these vendor method names.
pub fn markdown(vendor_methods: &[String]) -> String {
    let c = counts();
    let mut out = String::from("# Slack twin: Web API coverage\n\n");
    out += "Generated by `cargo test -p twin-slack coverage` (set `UPDATE_COVERAGE=1` to rewrite it) from\n";
    out += "`src/coverage.rs` and the vendor method list (`shared/vendor/slack/methods`).\n\n";
    out += &format!(
        "**{} implemented, {} partial, {} missing** of {} methods.\n\n",
        c.implemented,
        c.partial,
        c.missing,
        vendor_methods.len()
    );
    out += "## Implemented and partial\n\n| Method | Status | Notes |\n|---|---|---|\n";
    let mut routed: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
    routed.sort_unstable();
    for name in routed {
        let note = PARTIAL.iter().find(|(m, _)| *m == name).map(|(_, n)| *n).unwrap_or("");
        let status = if note.is_empty() { "implemented" } else { "partial" };
        out += &format!("| `{name}` | {status} | {note} |\n");
    }
    out += "\n## Events API and Socket Mode\n\n";
    out += "Events are derived from each change to the workspace and delivered to the app over Socket Mode\n";
    out += "(`apps.connections.open`, hello, `events_api` envelopes, acks, redelivery, `disconnect`) or HTTP\n";
    out += "(signed POSTs to a loopback request URL, `url_verification`, retries). Event subscriptions:\n\n";
    for name in crate::events::EVENT_TYPES {
        out += &format!("- `{name}`\n");
    }
    out += "\nPeople's slash commands and button clicks (control plane `simulate/slash_command`,\n";
    out += "`simulate/block_action`) reach the app as `slash_commands` / `interactive` envelopes or signed form\n";
    out += "POSTs, never redelivered; acks and HTTP answers are recorded, and `response_url` answers (ephemeral,\n";
    out += "`in_channel`, `replace_original`, `delete_original`; 5 uses in 30 minutes). Their `trigger_id` opens\n";
    out += "one modal or dialog within 3 seconds of the universe clock (`views.open`, `views.push`,\n";
    out += "`dialog.open`); `views.update` and `views.publish` (App Home) need none. A slash command's ack text is\n";
    out += "recorded, not shown as a message.\n";
    out += "\nModals and App Home: a person clicks or picks in a modal (`simulate/block_action` with a `view_id`:\n";
    out += "`block_actions` with the view and its state); submits a modal (`simulate/view_submission`, its\n";
    out += "values typed per element in `view.state.values`, Slack's client checks applied first) and the app's\n";
    out += "ack's `response_action` is honoured (`errors`, `update`, `push` up to 3 views, `clear`; none closes\n";
    out += "the view), or closes it (`simulate/view_closed`: `view_closed` only with `notify_on_close`,\n";
    out += "`clear_on_close` closes the stack); runs a global or message shortcut (`simulate/shortcut`:\n";
    out += "`shortcut`, `message_action`); types in an external select (`simulate/block_suggestion`: the ack's\n";
    out += "`options` or `option_groups` are returned); opens the App Home (`simulate/app_home_opened`: the\n";
    out += "`app_home_opened` event with the published view). Not simulated: `file_input` uploads in modals,\n";
    out += "workflow steps, the legacy dialog's `dialog_submission`.\n";
    out += "\nNot produced: `file_shared`, `team_join`, `user_change`, `group_*` events for private channels,\n";
    out += "`app_rate_limited`.\n";
    out += "\n## OAuth and Sign in with Slack\n\n";
    out += "The app's client id and secret are in the manifest (`client_id`, `client_secret`). The authorize\n";
    out += "pages (`/oauth/v2/authorize`, `/oauth/v2_user/authorize`, `/oauth/authorize`,\n";
    out += "`/openid/connect/authorize`) answer at once with a 302 to `redirect_uri` (required: the app has no\n";
    out += "configured redirect URLs) carrying `code` and `state`, as if the installing person approved: the\n";
    out += "workspace's primary owner, or the person `dtu_user` names (id, handle or email); `dtu_decision=deny`\n";
    out += "answers `error=access_denied`. Codes are single use and expire after ten minutes on the universe\n";
    out += "clock; PKCE (`code_challenge`, S256 or plain) lets a client leave out its secret. Issued tokens hold\n";
    out += "exactly the scopes asked for (`missing_scope` names them as `provided`), are workspace state (gone\n";
    out += "after a reset to before the exchange) and stay closed to `rtm.*`. `openid.connect.token` signs its id\n";
    out += "token RS256 (issuer `https://slack.com`) with a key published at `/openid/connect/keys`\n";
    out += "(discovery: `/.well-known/openid-configuration`). With token rotation on (fixture\n";
    out += "`slack.app.token_rotation: true`) the exchanges issue `xoxe.xoxb-1-…` / `xoxe.xoxp-1-…` tokens that\n";
    out += "expire after twelve hours (`token_expired`) with single-use `xoxe-1-…` refresh tokens\n";
    out += "(`grant_type=refresh_token`), and `oauth.v2.exchange` turns a long-lived token into one, once.\n";
    out += "\n## State, limits and time\n\n";
    out += "- **Revoked tokens** (`auth.revoke`) are workspace state: reset, restoring a snapshot from before\n";
    out += "  the revocation or importing an export brings the token back; a fork made after it gets its own\n";
    out += "  token for the same principal, revoked too (answers `token_revoked`). The universe object always\n";
    out += "  names the tokens.\n";
    out += "- **Uploads**: `files.getUploadURLExternal` takes `length` up to 1 GB (Slack's per-file limit;\n";
    out += "  `file_upload_size_restricted` past it), and the upload URL takes that much, raw or multipart, as\n";
    out += "  a stream (the first MiB of a file is kept in the state, bigger ones keep their size). A body cut\n";
    out += "  short leaves the upload without bytes, and `files.completeUploadExternal` answers `file_not_found`\n";
    out += "  for a file whose bytes never arrived; a file's `size` is the bytes that came.\n";
    out += "- **Request bodies** of Web API methods are capped at 32 MiB (announced larger: refused before a byte\n";
    out += "  is read). Bodies the server refuses answer in Slack's JSON: HTTP 413 `request_too_large`, and\n";
    out += "  HTTP 400 (cut short, badly chunked) or 408 (stalled) `request_timeout`.\n";
    out += "- **Message `ts`** come from the universe clock, one microsecond apart when posts share a tick, unique\n";
    out += "  and increasing in a channel. When the clock is set back (more than an hour behind a channel's last\n";
    out += "  ts), new ts follow it: at once in a channel that holds no later message, otherwise one microsecond\n";
    out += "  after the latest message the channel still holds (a message from the far future stays last), and\n";
    out += "  on the clock again once that message is deleted. A deleted message's ts may then be given again.\n";
    out += "\n## Missing\n\nThese answer `unknown_method`.\n\n";
    let mut family = String::new();
    for name in vendor_methods.iter().filter(|m| status(m) == Status::Missing) {
        let this = name.split('.').next().unwrap_or("");
        if this != family {
            if !family.is_empty() {
                out += "\n";
            }
            out += &format!("- **{this}**: ");
            family = this.to_string();
        } else {
            out += ", ";
        }
        out += &format!("`{name}`");
    }
    out += "\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn vendor_methods() -> Option<Vec<String>> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vendor/slack/methods");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .ok()?
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".json")).map(str::to_string))
            .filter(|n| n != "methods")
            .collect();
        names.sort();
        Some(names)
    }

    #[test]
    fn coverage_table_matches_the_vendor_list() {
        let Some(vendor) = vendor_methods() else {
            eprintln!("vendor method list not found; skipping");
            return;
        };
        assert_eq!(vendor.len(), VENDOR_METHOD_COUNT, "the vendor list changed: update VENDOR_METHOD_COUNT");
        for m in METHODS {
            assert!(vendor.iter().any(|v| v == m.name), "{} is routed but is not a Slack method", m.name);
        }
        for (m, _) in PARTIAL {
            assert!(METHODS.iter().any(|r| r.name == *m), "{m} is marked partial but not routed");
        }
        let c = counts();
        assert_eq!(c.implemented + c.partial + c.missing, vendor.len());

        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("COVERAGE.md");
        let text = markdown(&vendor);
        if std::env::var_os("UPDATE_COVERAGE").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(current == text, "COVERAGE.md is stale: run `UPDATE_COVERAGE=1 cargo test -p twin-slack coverage`");
    }
}
