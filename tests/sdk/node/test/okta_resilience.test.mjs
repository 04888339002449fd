// Rate limits and injected faults through @okta/okta-sdk-nodejs: the SDK's 429
// retry needs a single X-Rate-Limit-Reset and a Date header.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startDtu } from '../helpers/dtu.mjs';
import { addChaosRule, all, expectOktaError, journal, oktaClient, raw, withOkta } from './okta_support.test.mjs';

let dtu;

before(async () => {
  dtu = await startDtu();
});

after(async () => {
  await dtu?.stop();
});

const RATE_LIMIT_ONCE = {
  match: { service: 'okta' },
  trigger: { first_n: 1 },
  action: { kind: 'rate_limit', retry_after_s: 1 },
};

test('the SDK backs off on a 429 and succeeds', async () => {
  await withOkta(dtu, async ({ client, universe }) => {
    await addChaosRule(dtu, universe, RATE_LIMIT_ONCE);
    const events = [];
    client.requestExecutor.on('backoff', () => events.push('backoff'));
    client.requestExecutor.on('resume', () => events.push('resume'));
    const started = Date.now();
    const users = await all(client.userApi.listUsers({ limit: 200 }));
    const elapsed = Date.now() - started;
    assert.equal(users.length, 14);
    assert.deepEqual(events, ['backoff', 'resume']);
    assert.ok(elapsed >= 1000 && elapsed < 10_000, `waited ${elapsed} ms`);
    const entries = await journal(dtu, universe);
    assert.deepEqual(
      entries.map((e) => [e.operation, e.status]),
      [
        ['okta.users.list', 429],
        ['okta.users.list', 200],
      ],
    );
  });
});

test('a 429 beyond maxRetries is an OktaApiError E0000047', async () => {
  await withOkta(dtu, async ({ org, universe }) => {
    await addChaosRule(dtu, universe, { ...RATE_LIMIT_ONCE, trigger: { first_n: 3 } });
    const client = oktaClient(org, { maxRetries: 0 });
    const e = await expectOktaError(429, 'E0000047', client.userApi.getUser({ userId: 'me' }));
    assert.equal(e.headers.get('x-rate-limit-remaining'), '0');
    assert.match(e.headers.get('x-rate-limit-reset'), /^\d+$/);
    assert.ok(e.headers.get('date'));
  });
});

test('injected errors are Okta errors; unmatched paths are not found', async () => {
  await withOkta(dtu, async ({ client, org, universe }) => {
    await addChaosRule(dtu, universe, {
      match: { service: 'okta', operation: 'okta.groups.create' },
      trigger: { first_n: 1 },
      action: { kind: 'error', status: 503 },
    });
    await expectOktaError(503, 'E0000010', client.groupApi.createGroup({ group: { profile: { name: 'Flaky' } } }));
    const group = await client.groupApi.createGroup({ group: { profile: { name: 'Flaky' } } });
    assert.equal(group.profile.name, 'Flaky');
    const res = await raw(org, 'GET', '/api/v1/definitely/not/here');
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal((await res.json()).errorCode, 'E0000007');
    const put = await raw(org, 'PATCH', '/api/v1/users');
    assert.equal(put.status, 405);
    assert.equal((await put.json()).errorCode, 'E0000022');
  });
});
