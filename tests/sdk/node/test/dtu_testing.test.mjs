// The dtu-testing package (clients/node), used as a user would: useDtu() with
// node:test's hooks and @slack/web-api, its helpers (snapshot, diff, journal, clock,
// chaos), its hooks' lifecycle, DTU_URL-style connection and its refusals.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';

import { DtuError, Universe, startDtu, useDtu, withUniverse } from '../../../../clients/node/index.mjs';
import { dtuBinary } from '../helpers/dtu.mjs';

// The suite's binary: DTU_BIN (scripts/test sets it), else the workspace's debug build.
const bin = process.env.DTU_BIN ?? dtuBinary();

function slack(universe) {
  return new WebClient(universe.slack.bot_token, { slackApiUrl: universe.slack.base_url, logLevel: LogLevel.ERROR });
}

async function channelId(client, name) {
  const { channels } = await client.conversations.list({ types: 'public_channel' });
  return channels.find((c) => c.name === name).id;
}

describe('useDtu with node:test', () => {
  const dtu = useDtu({ before, after, beforeEach, afterEach }, { bin });

  test('each test has a fork of its own with the manifest settings', async () => {
    const u = dtu.universe;
    assert.ok(u instanceof Universe);
    assert.notEqual(u.id, dtu.base.id);
    assert.ok(u.slack.bot_token.startsWith(`xoxb-${u.id}-`), u.slack.bot_token);
    assert.notEqual(u.slack.bot_token, dtu.base.slack.bot_token);
    assert.ok(u.okta.org_url.startsWith('http://127.0.0.1:'), u.okta.org_url);
    assert.equal(u.jira.users[u.jira.email].api_token, u.jira.api_token);
    assert.match(u.google.discovery_urls.drive, /\/discovery\/v1\/apis\/drive\/v3\/rest$/);
    assert.deepEqual(u.services(), ['slack', 'okta', 'jira', 'google']);
    assert.equal((await u.changes()).length, 0);
  });

  test('the official SDK, then the diff, journal and a snapshot', async () => {
    const u = dtu.universe;
    const client = slack(u);
    const general = await channelId(client, 'general');
    await u.snapshot('before');
    const posted = await client.chat.postMessage({ channel: general, text: 'Hello from dtu-testing' });
    assert.equal(posted.ok, true);
    const created = (await u.diff('before')).slack.messages.created;
    assert.deepEqual(created.map((m) => m.record.text), ['Hello from dtu-testing']);
    assert.ok((await u.changes('before')).every((c) => c.startsWith('slack.')), String(await u.changes('before')));
    assert.equal((await u.operations('slack')).at(-1), 'chat.postMessage');
    const entries = await u.journal({ service: 'slack', operation: 'chat.postMessage' });
    assert.equal(entries.length, 1);
    assert.equal(entries[0].status, 200);
    assert.ok(entries[0].response.body.includes(posted.ts), 'the entry has the answer the SDK got');
    const bare = await u.journal({ service: 'slack', responseBodies: false });
    assert.ok(bare.length > 0 && bare.every((e) => !('response' in e)));
    await u.restore('before');
    assert.deepEqual(await u.changes('before'), []);
    assert.deepEqual((await u.snapshots()).map((s) => s.name), ['before']);
  });

  test('clock: freeze, advance, thaw', async () => {
    const u = dtu.universe;
    const frozen = await u.freezeClock('2030-01-01T09:00:00Z');
    assert.equal(frozen.frozen, true);
    assert.ok(frozen.now.startsWith('2030-01-01T09:00:00'), frozen.now);
    const later = await u.advanceClock(3600);
    assert.ok(later.now.startsWith('2030-01-01T10:00:00'), later.now);
    const client = slack(u);
    const { ts } = await client.chat.postMessage({ channel: await channelId(client, 'general'), text: 'tick' });
    assert.equal(Math.floor(Number(ts)), 1893492000); // 2030-01-01T10:00:00Z
    assert.equal((await u.thawClock()).frozen, false);
    assert.deepEqual(Object.keys(await u.clock()).sort(), ['frozen', 'now']);
  });

  test('chaos rules', async () => {
    const u = dtu.universe;
    const rule = await u.addChaos({
      match: { service: 'slack', operation: 'chat.postMessage' },
      trigger: { first_n: 1 },
      action: { kind: 'error', error: 'fatal_error', status: 500 },
    });
    assert.deepEqual((await u.chaosRules()).map((r) => r.id), [rule.id]);
    const client = new WebClient(u.slack.bot_token, {
      slackApiUrl: u.slack.base_url,
      logLevel: LogLevel.ERROR,
      retryConfig: { retries: 0 },
    });
    const general = await channelId(client, 'general');
    // A 500: @slack/web-api reports it as an HTTP error (retries are off).
    await assert.rejects(client.chat.postMessage({ channel: general, text: 'first' }), (e) => {
      assert.equal(e.code, ErrorCode.HTTPError, `${e.code}: ${e.message}`);
      assert.equal(e.statusCode, 500);
      return true;
    });
    assert.equal((await client.chat.postMessage({ channel: general, text: 'second' })).ok, true);
    assert.equal((await u.chaosRules())[0].hits, 1);
    await u.removeChaos();
    assert.deepEqual(await u.chaosRules(), []);
    await assert.rejects(u.addChaos({ action: { kind: 'no-such-kind' } }), (e) => {
      assert.ok(e instanceof DtuError);
      assert.equal(e.status, 400);
      assert.equal(e.code, 'invalid_rule');
      return true;
    });
  });

  test('withUniverse forks and always deletes', async () => {
    let id;
    await assert.rejects(
      withUniverse(dtu.universe, async (u) => {
        id = u.id;
        assert.notEqual(u.id, dtu.universe.id);
        throw new Error('the test failed');
      }),
      /the test failed/,
    );
    await assert.rejects(dtu.server.control.getUniverse(id), (e) => e.status === 404);
  });
});

test('the hooks: a server per suite, a universe per test, each deleted after', async () => {
  const hooks = {};
  const dtu = useDtu(
    Object.fromEntries(['before', 'after', 'beforeEach', 'afterEach'].map((k) => [k, (fn) => (hooks[k] = fn)])),
    { bin },
  );
  assert.throws(() => dtu.universe, DtuError);
  await hooks.before();
  try {
    await hooks.beforeEach();
    const u = dtu.universe;
    assert.equal((await dtu.server.control.getUniverse(u.id)).id, u.id);
    await hooks.afterEach();
    await assert.rejects(dtu.server.control.getUniverse(u.id), (e) => e.status === 404);
    assert.throws(() => dtu.universe, DtuError);
  } finally {
    await hooks.after();
  }
  assert.notEqual(dtu.server.child.exitCode ?? dtu.server.child.signalCode, null, 'the server was stopped');
  assert.equal(dtu.server.child.exitCode, 0);
});

test('a running server by URL (DTU_URL), and refusals', async () => {
  const token = `dtu-admin-${'cd'.repeat(32)}`;
  const started = await startDtu({ bin, env: { DTU_ADMIN_TOKEN: token } });
  try {
    const url = started.controlUrl.replace(/\/_dtu\/$/, '');
    const connected = await startDtu({ url, adminToken: token });
    assert.equal(connected.controlUrl, started.controlUrl);
    const u = await connected.newUniverse();
    assert.ok(u.slack.bot_token.startsWith(`xoxb-${u.id}-`));
    await u.delete();
    await connected.stop(); // a connected server is left running
    assert.equal((await started.control.health()).status, 'ok');
    await assert.rejects(startDtu({ url, adminToken: 'wrong' }), (e) => {
      assert.ok(e instanceof DtuError);
      assert.equal(e.status, 401);
      assert.match(e.message, /DTU_ADMIN_TOKEN/);
      return true;
    });
  } finally {
    await started.stop();
  }
  await assert.rejects(startDtu({ bin: '/nonexistent/dtu' }), /no dtu binary at \/nonexistent\/dtu/);
});
