// Smoke tests of the control plane and Slack auth, over HTTP and @slack/web-api.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LogLevel, WebAPIPlatformError, WebClient } from '@slack/web-api';

import { ADMIN_TOKEN, control, createUniverse, deleteUniverse, startDtu } from '../helpers/dtu.mjs';

let dtu;

before(async () => {
  dtu = await startDtu();
});

after(async () => {
  await dtu?.stop();
});

function webClient(slack, tokenKind = 'bot', options = {}) {
  return new WebClient(slack[`${tokenKind}_token`], {
    slackApiUrl: slack.base_url,
    logLevel: LogLevel.ERROR,
    ...options,
  });
}

async function getJson(relPath) {
  const res = await control(dtu, 'GET', relPath);
  return { status: res.status, body: await res.json() };
}

test('health', async () => {
  const { status, body } = await getJson('health');
  assert.equal(status, 200);
  assert.equal(body.status, 'ok');
  assert.ok(Number.isInteger(body.universes) && body.universes >= 1, JSON.stringify(body));
});

test('the Slack port answers the control plane too', async () => {
  const { origin } = new URL(dtu.manifest.slack.base_url);
  const res = await fetch(`${origin}/_dtu/health`, { redirect: 'error' });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, 'ok');
});

test('the manifest is the default universe', async () => {
  const { manifest } = dtu;
  assert.equal(manifest.id, 'default');
  assert.equal(manifest.fixture, 'default');
  for (const key of ['base_url', 'bot_token', 'user_token', 'app_token', 'team_id', 'bot_user_id']) {
    assert.ok(manifest.slack[key], key);
  }
  assert.match(manifest.slack.bot_token, /^xoxb-/);
  assert.match(manifest.slack.user_token, /^xoxp-/);
  assert.match(manifest.slack.app_token, /^xapp-/);

  const { status, body } = await getJson('universes/default');
  assert.equal(status, 200);
  // The manifest file is the universe object plus what only the harness gets.
  const { admin_token: adminToken, bind, ...object } = manifest;
  assert.equal(adminToken, ADMIN_TOKEN);
  assert.equal(bind, '127.0.0.1');
  assert.deepEqual(body, object);
});

test('the control plane refuses twin credentials, on its port and the twins\'', async () => {
  const { origin } = new URL(dtu.manifest.slack.base_url);
  const bot = `Bearer ${dtu.manifest.slack.bot_token}`;
  for (const base of [dtu.controlUrl, `${origin}/_dtu/`]) {
    for (const headers of [{}, { authorization: bot }, { authorization: bot, 'x-dtu-universe': 'default' }]) {
      const res = await fetch(`${base}universes/default/export`, { headers });
      assert.equal(res.status, 401, `${base} ${JSON.stringify(headers)}`);
      assert.equal((await res.json()).error.code, 'unauthorized');
    }
  }
});

test('unknown universe gives the error envelope', async () => {
  const { status, body } = await getJson('universes/no-such-universe');
  assert.equal(status, 404);
  assert.equal(body.error.code, 'unknown_universe');
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
});

test('create and delete a universe', async () => {
  const created = await createUniverse(dtu);
  try {
    assert.notEqual(created.id, 'default');
    assert.equal(created.fixture, 'default');
    assert.match(created.slack.bot_token, /^xoxb-/);

    const fetched = await getJson(`universes/${created.id}`);
    assert.equal(fetched.status, 200);
    assert.deepEqual(fetched.body, created);

    const listed = await getJson('universes');
    assert.ok(listed.body.universes.some((u) => u.id === created.id));

    const auth = await webClient(created.slack).auth.test();
    assert.equal(auth.ok, true);
    assert.equal(auth.team_id, created.slack.team_id);
    assert.equal(auth.user_id, created.slack.bot_user_id);
  } finally {
    await deleteUniverse(dtu, created.id);
  }

  const gone = await control(dtu, 'GET', `universes/${created.id}`);
  assert.equal(gone.status, 404);

  const client = webClient(created.slack, 'bot', { retryConfig: { retries: 0 } });
  await assert.rejects(client.auth.test(), (err) => {
    assert.ok(err instanceof WebAPIPlatformError, `unexpected error: ${err}`);
    assert.equal(err.data.ok, false);
    assert.equal(err.data.error, 'invalid_auth');
    return true;
  });
});

test('auth.test with the default bot token', async () => {
  const { slack } = dtu.manifest;
  const res = await webClient(slack).auth.test();
  assert.equal(res.ok, true);
  assert.equal(res.team_id, slack.team_id);
  assert.equal(res.user_id, slack.bot_user_id);
  assert.match(res.bot_id, /^B/);
  assert.match(res.url, /^https:\/\//);
});

test('auth.test with the default user token', async () => {
  const { slack } = dtu.manifest;
  const res = await webClient(slack, 'user').auth.test();
  assert.equal(res.ok, true);
  assert.equal(res.team_id, slack.team_id);
  assert.notEqual(res.user_id, slack.bot_user_id);
  assert.equal(res.bot_id, undefined);
});
