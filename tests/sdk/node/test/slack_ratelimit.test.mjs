// The 429 path through @slack/web-api: built-in retry after Retry-After, and
// rejectRateLimitedCalls; then --realistic-limits (tier buckets per method).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode, WebAPIRateLimitedError } from '@slack/web-api';

import { createUniverse, deleteUniverse, startDtu } from '../helpers/dtu.mjs';
import { addChaosRule, webClient, withSlack } from './slack_support.test.mjs';

const RULE = {
  match: { service: 'slack', operation: 'chat.postMessage' },
  trigger: { first_n: 1 },
  action: { kind: 'rate_limit', retry_after_s: 1 },
};

let dtu;
before(async () => {
  dtu = await startDtu();
});
after(async () => {
  await dtu?.stop();
});

test('the default client waits Retry-After and retries', async () => {
  await withSlack(dtu, async ({ universe, slack, channel }) => {
    const general = await channel('general');
    await addChaosRule(dtu, universe, RULE);
    const client = webClient(slack, 'bot');
    let rateLimited = null;
    client.on('rate_limited', (retryAfter) => {
      rateLimited = retryAfter;
    });
    const started = Date.now();
    const posted = await client.chat.postMessage({ channel: general, text: 'after a pause' });
    assert.equal(posted.ok, true);
    assert.equal(rateLimited, 1);
    assert.ok(Date.now() - started >= 1000, `retried after ${Date.now() - started} ms`);
    const top = (await client.conversations.history({ channel: general, limit: 2 })).messages;
    assert.equal(top.filter((m) => m.text === 'after a pause').length, 1);
  });
});

test('rejectRateLimitedCalls surfaces WebAPIRateLimitedError', async () => {
  await withSlack(dtu, async ({ universe, slack, channel }) => {
    const general = await channel('general');
    await addChaosRule(dtu, universe, RULE);
    const client = webClient(slack, 'bot', { rejectRateLimitedCalls: true });
    await assert.rejects(client.chat.postMessage({ channel: general, text: 'x' }), (e) => {
      assert.ok(e instanceof WebAPIRateLimitedError, String(e));
      assert.equal(e.code, ErrorCode.RateLimitedError);
      assert.equal(e.retryAfter, 1);
      return true;
    });
    assert.equal((await client.chat.postMessage({ channel: general, text: 'y' })).ok, true);
  });
});

test('--realistic-limits: a tier-2 method allows 20 calls a minute', async () => {
  const limited = await startDtu({ args: ['--realistic-limits'] });
  try {
    const universe = await createUniverse(limited);
    try {
      const client = webClient(universe.slack, 'bot', { rejectRateLimitedCalls: true });
      for (let i = 0; i < 20; i += 1) {
        await client.conversations.list({ limit: 1 });
      }
      let error = null;
      try {
        await client.conversations.list({ limit: 1 });
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof WebAPIRateLimitedError && error.code === ErrorCode.RateLimitedError, String(error));
      assert.ok(error.retryAfter >= 1 && error.retryAfter <= 3, `retryAfter ${error.retryAfter}`);
      // another method has its own bucket
      assert.equal((await client.users.info({ user: universe.slack.bot_user_id })).ok, true);
    } finally {
      await deleteUniverse(limited, universe.id);
    }
  } finally {
    await limited.stop();
  }
});
