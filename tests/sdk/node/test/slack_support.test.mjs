// Shared helpers for the slack_*.test.mjs files (this module registers no tests).
//
// withSlack(dtu, fn) gives fn a fresh universe with bot/user/app WebClients and small
// lookups, and deletes the universe afterwards.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, LogLevel, WebAPIPlatformError, WebClient } from '@slack/web-api';

import { control, createUniverse, deleteUniverse } from '../helpers/dtu.mjs';

export function webClient(slack, kind = 'bot', options = {}) {
  return new WebClient(slack[`${kind}_token`], {
    slackApiUrl: slack.base_url,
    logLevel: LogLevel.ERROR,
    ...options,
  });
}

/** Runs fn({universe, slack, bot, user, app, channel, userId}) in a fresh universe. */
export async function withSlack(dtu, fn) {
  const universe = await createUniverse(dtu);
  const slack = universe.slack;
  const bot = webClient(slack, 'bot');
  const user = webClient(slack, 'user');
  const app = webClient(slack, 'app');
  const channel = async (name) => {
    for await (const page of user.paginate('conversations.list', { types: 'public_channel,private_channel' })) {
      const found = page.channels.find((c) => c.name === name);
      if (found) return found.id;
    }
    throw new Error(`no channel ${name}`);
  };
  const userId = async (handle) => (await bot.users.lookupByEmail({ email: `${handle}@acme.test` })).user.id;
  try {
    await fn({ universe, slack, bot, user, app, channel, userId });
  } finally {
    await deleteUniverse(dtu, universe.id, { allowMissing: true });
  }
}

/** Awaits a call that must fail with a Slack platform error `code`; returns e.data. */
export async function expectSlackError(code, promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof WebAPIPlatformError, `expected a platform error, got ${e.code}: ${e.message}`);
    assert.equal(e.code, ErrorCode.PlatformError);
    assert.equal(e.data.ok, false);
    assert.equal(e.data.error, code, JSON.stringify(e.data));
    return e.data;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

/** Installs a universe chaos rule; returns the created rule. */
export async function addChaosRule(dtu, universe, rule) {
  const res = await control(dtu, 'POST', `universes/${universe.id}/chaos/rules`, rule);
  const text = await res.text();
  assert.ok(res.status === 200 || res.status === 201, `chaos rule -> ${res.status}: ${text}`);
  return JSON.parse(text);
}

export async function advanceClock(dtu, universe, seconds) {
  const res = await control(dtu, 'POST', `universes/${universe.id}/clock/advance`, { seconds });
  assert.equal(res.status, 200, await res.text());
}

/** Polls check() until it returns something truthy (bounded). */
export async function waitFor(what, check, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await check();
    if (got) return got;
    if (Date.now() > deadline) assert.fail(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(50);
  }
}

/** A call under the universe's Slack control routes, asserting its status; its JSON. */
export async function slackControl(dtu, universe, method, path, body, expect) {
  const res = await control(dtu, method, `universes/${universe.id}/slack/${path}`, body);
  const text = await res.text();
  assert.equal(res.status, expect, `${method} ${path} -> ${res.status}: ${text}`);
  return JSON.parse(text);
}
