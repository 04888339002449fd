// Installing the app with OAuth through @slack/web-api (and @slack/oauth's InstallProvider,
// which @slack/bolt pins): the headless authorize page, oauth.v2.access, the issued tokens'
// scopes, single-use codes, Sign in with Slack; and blocks.validate.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';

import slackOAuth from '@slack/oauth';
import { LogLevel, WebClient } from '@slack/web-api';

import { startDtu } from '../helpers/dtu.mjs';
import { advanceClock, expectSlackError, withSlack } from './slack_support.test.mjs';

// A CommonJS module: its named exports come through the default import.
const { InstallProvider, MemoryInstallationStore } = slackOAuth;

let dtu;
before(async () => {
  dtu = await startDtu();
});
after(async () => {
  await dtu?.stop();
});

const REDIRECT = 'http://localhost:3000/slack/oauth_redirect';

const client = (slack, token) =>
  new WebClient(token, { slackApiUrl: slack.base_url, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } });

/** Opens an authorize URL as a browser would; returns the redirect's query. */
async function follow(url, redirect = REDIRECT) {
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 302, await res.text());
  const location = new URL(res.headers.get('location'));
  assert.ok(location.href.startsWith(redirect), location.href);
  return Object.fromEntries(location.searchParams);
}

function authorizeUrl(slack, { scope = 'chat:write', userScope = '', state = 's1', base = slack.oauth_authorize_url } = {}) {
  const url = new URL(base);
  url.search = new URLSearchParams({ client_id: slack.client_id, scope, user_scope: userScope, redirect_uri: REDIRECT, state });
  return url.href;
}

const exchange = (slack, code, extra = {}) =>
  client(slack).oauth.v2.access({
    client_id: slack.client_id,
    client_secret: slack.client_secret,
    code,
    redirect_uri: REDIRECT,
    ...extra,
  });

test('oauth.v2.access issues tokens with exactly the scopes the install asked for', async () => {
  await withSlack(dtu, async ({ slack, bot: seededBot }) => {
    const { code, state } = await follow(authorizeUrl(slack, { scope: 'chat:write,channels:read', userScope: 'users:read' }));
    assert.equal(state, 's1');
    const resp = await exchange(slack, code);
    assert.equal(resp.token_type, 'bot');
    assert.equal(resp.scope, 'chat:write,channels:read');
    assert.equal(resp.bot_user_id, slack.bot_user_id);
    assert.equal(resp.app_id, slack.app_id);
    assert.equal(resp.team.id, slack.team_id);
    assert.equal(resp.enterprise, null);
    assert.equal(resp.is_enterprise_install, false);
    assert.equal(resp.authed_user.scope, 'users:read');

    const bot = client(slack, resp.access_token);
    assert.equal((await bot.auth.test()).user_id, slack.bot_user_id);
    const listed = await bot.conversations.list({ limit: 1 });
    assert.equal(listed.response_metadata.scopes.join(','), 'chat:write,channels:read');
    const denied = await expectSlackError('missing_scope', bot.users.list());
    assert.equal(denied.needed, 'users:read');
    assert.equal(denied.provided, 'chat:write,channels:read');

    const user = client(slack, resp.authed_user.access_token);
    assert.equal((await user.auth.test()).user_id, resp.authed_user.id);
    assert.ok((await user.users.list({ limit: 1 })).ok);
    await expectSlackError('missing_scope', user.conversations.list());
    // the seeded tokens are untouched
    assert.ok((await seededBot.users.list({ limit: 1 })).ok);
  });
});

test('codes are single use, expire after ten minutes and need the right client', async () => {
  await withSlack(dtu, async ({ slack, universe }) => {
    const code = (await follow(authorizeUrl(slack))).code;
    await expectSlackError('bad_client_secret', exchange(slack, code, { client_secret: 'nope' }));
    await expectSlackError('bad_redirect_uri', exchange(slack, code, { redirect_uri: 'http://localhost:3000/other' }));
    await expectSlackError('invalid_grant_type', exchange(slack, code, { grant_type: 'password' }));
    assert.ok((await exchange(slack, code)).ok);
    await expectSlackError('invalid_code', exchange(slack, code));

    const late = (await follow(authorizeUrl(slack))).code;
    await advanceClock(dtu, universe, 601);
    await expectSlackError('invalid_code', exchange(slack, late));

    await expectSlackError('invalid_client_id', exchange(slack, 'x', { client_id: '123.456' }));
    const refused = await fetch(authorizeUrl(slack).replace(slack.client_id, 'nope'), { redirect: 'manual' });
    assert.equal(refused.status, 400);
    assert.equal((await refused.json()).error, 'invalid_client_id');
  });
});

test('Sign in with Slack: openid.connect.token and userInfo', async () => {
  await withSlack(dtu, async ({ slack }) => {
    const url = new URL(slack.openid_authorize_url);
    url.search = new URLSearchParams({
      response_type: 'code', client_id: slack.client_id, scope: 'openid,email,profile', redirect_uri: REDIRECT, state: 'st', nonce: 'n1',
    });
    const { code } = await follow(url.href);
    const anonymous = client(slack);
    const resp = await anonymous.openid.connect.token({ client_id: slack.client_id, client_secret: slack.client_secret, code, redirect_uri: REDIRECT });
    assert.equal(resp.token_type, 'Bearer');
    const claims = JSON.parse(Buffer.from(resp.id_token.split('.')[1], 'base64url').toString());
    assert.equal(claims.iss, 'https://slack.com');
    assert.equal(claims.aud, slack.client_id);
    assert.equal(claims.nonce, 'n1');
    const info = await client(slack, resp.access_token).openid.connect.userInfo();
    assert.equal(info.sub, claims.sub);
    assert.ok(info.email.endsWith('@acme.test'));
    await expectSlackError('invalid_grant', anonymous.openid.connect.token({
      client_id: slack.client_id, client_secret: slack.client_secret, code, redirect_uri: REDIRECT,
    }));
  });
});

test("@slack/oauth's InstallProvider installs through the twin", async () => {
  await withSlack(dtu, async ({ slack }) => {
    const store = new MemoryInstallationStore();
    const installer = new InstallProvider({
      clientId: slack.client_id,
      clientSecret: slack.client_secret,
      stateSecret: 'dtu-state-secret',
      installationStore: store,
      authorizationUrl: slack.oauth_authorize_url,
      clientOptions: { slackApiUrl: slack.base_url },
      directInstall: true,
      logLevel: LogLevel.ERROR,
    });
    let installed;
    const server = http.createServer((req, res) => {
      if (req.url.startsWith('/slack/install')) {
        installer.handleInstallPath(req, res, {}, { scopes: ['chat:write', 'channels:read'], redirectUri });
      } else {
        installer.handleCallback(req, res, {
          success: (installation, _options, _req, response) => {
            installed = installation;
            response.end('installed');
          },
          failure: (error, _options, _req, response) => {
            response.writeHead(500);
            response.end(String(error));
          },
        });
      }
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const redirectUri = `http://127.0.0.1:${server.address().port}/slack/oauth_redirect`;
    try {
      const start = await fetch(`http://127.0.0.1:${server.address().port}/slack/install`, { redirect: 'manual' });
      assert.equal(start.status, 302);
      const cookie = start.headers.get('set-cookie').split(';')[0];
      const query = await follow(start.headers.get('location'), redirectUri);
      const done = await fetch(`${redirectUri}?${new URLSearchParams(query)}`, { headers: { cookie } });
      assert.equal(done.status, 200, await done.text());
      assert.equal(installed.bot.userId, slack.bot_user_id);
      assert.deepEqual(installed.bot.scopes, ['chat:write', 'channels:read']);
      const found = await store.fetchInstallation({ teamId: slack.team_id, isEnterpriseInstall: false });
      assert.ok((await client(slack, found.bot.token).conversations.list({ limit: 1 })).ok);
    } finally {
      server.close();
    }
  });
});

test('blocks.validate answers with the failures and their JSON pointers', async () => {
  await withSlack(dtu, async ({ bot }) => {
    const good = [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }];
    assert.ok((await bot.apiCall('blocks.validate', { blocks: good })).ok);
    const bad = await expectSlackError(
      'invalid_blocks',
      bot.apiCall('blocks.validate', { blocks: [{ type: 'section', text: { type: 'invalid', text: 'x' } }] }),
    );
    assert.equal(bad.errors[0].pointer, '/0/text/type');
    assert.deepEqual(bad.errors[0].constraint.expected, ['plain_text', 'mrkdwn']);
    await expectSlackError('invalid_arguments', bot.apiCall('blocks.validate', { blocks: good, view: { type: 'home', blocks: [] } }));
  });
});
