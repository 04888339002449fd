// Users API through @okta/okta-sdk-nodejs: listing with the SDK's own
// Collection paging, search/filter/q, CRUD, the lifecycle state machine and
// its errors as OktaApiError, and the SDK's self-href cache.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startDtu } from '../helpers/dtu.mjs';
import { PASSWORD, all, expectOktaError, oktaClient, raw, userBody, withOkta } from './okta_support.test.mjs';

let dtu;

before(async () => {
  dtu = await startDtu();
});

after(async () => {
  await dtu?.stop();
});

test('listUsers pages to the end through the Link headers', async () => {
  await withOkta(dtu, async ({ client, org }) => {
    const users = await all(client.userApi.listUsers({ limit: 3 }));
    const logins = users.map((u) => u.profile.login);
    assert.equal(logins.length, 14);
    assert.equal(new Set(logins).size, 14);
    assert.ok(!logins.includes('victor@acme.test'), 'deprovisioned users are hidden');
    assert.ok(users.every((u) => u.created instanceof Date));
    const res = await raw(org, 'GET', '/api/v1/users?limit=3');
    const link = res.headers.get('link');
    assert.match(link, new RegExp(`^<${org.org_url}/api/v1/users\\?limit=3>; rel="self", <${org.org_url}/api/v1/users\\?after=\\w+&limit=3>; rel="next"$`));
  });
});

test('search, filter and q', async () => {
  await withOkta(dtu, async ({ client }) => {
    const logins = async (params) => (await all(client.userApi.listUsers(params))).map((u) => u.profile.login).sort();
    assert.deepEqual(await logins({ search: 'status eq "DEPROVISIONED"' }), ['victor@acme.test']);
    assert.deepEqual(await logins({ search: 'profile.department eq "sales" and (status eq "SUSPENDED" or profile.firstName sw "ni")' }), [
      'ivan@acme.test',
      'nina@acme.test',
    ]);
    assert.deepEqual(await logins({ filter: 'status eq "SUSPENDED"' }), ['ivan@acme.test']);
    assert.deepEqual(await logins({ filter: 'status eq "suspended"' }), []);
    assert.deepEqual(await logins({ q: 'kow' }), ['kevin@acme.test']);
    const sorted = await all(client.userApi.listUsers({ search: 'profile.department eq "Operations"', sortBy: 'profile.lastName', sortOrder: 'asc', limit: 1 }));
    assert.deepEqual(sorted.map((u) => u.profile.lastName), ['Jensen', 'Kowalski', 'Lopez']);
    await expectOktaError(400, 'E0000031', all(client.userApi.listUsers({ search: 'status ne "ACTIVE"' })));
    await expectOktaError(400, 'E0000031', all(client.userApi.listUsers({ filter: 'profile.city eq "Paris"' })));
  });
});

test('create, read by login, update, replace and delete', async () => {
  await withOkta(dtu, async ({ client, org }) => {
    const created = await client.userApi.createUser({ body: userBody({ first: 'Ada', last: 'Lovelace', title: 'Countess' }) });
    assert.equal(created.status, 'ACTIVE');
    assert.match(created.id, /^00u[0-9A-Za-z]{17}$/);
    assert.equal(created._links.self.href, `${org.org_url}/api/v1/users/${created.id}`);
    const byLogin = await client.userApi.getUser({ userId: created.profile.login });
    assert.equal(byLogin.id, created.id);
    const updated = await client.userApi.updateUser({ userId: created.id, user: { profile: { nickName: 'Ada' } } });
    assert.equal(updated.profile.nickName, 'Ada');
    assert.equal(updated.profile.title, 'Countess');
    const { firstName, lastName, email, login } = updated.profile;
    const replaced = await client.userApi.replaceUser({ userId: created.id, user: { profile: { firstName, lastName, email, login } } });
    assert.equal(replaced.profile.title, undefined);
    assert.equal(replaced.profile.nickName, undefined);
    await client.userApi.deleteUser({ userId: created.id });
    assert.equal((await client.userApi.getUser({ userId: created.id })).status, 'DEPROVISIONED');
    await client.userApi.deleteUser({ userId: created.id });
    await expectOktaError(404, 'E0000007', client.userApi.getUser({ userId: created.id }));
  });
});

test('creation statuses and validation errors', async () => {
  await withOkta(dtu, async ({ client }) => {
    assert.equal((await client.userApi.createUser({ body: userBody({ password: null }) })).status, 'PROVISIONED');
    assert.equal((await client.userApi.createUser({ body: userBody(), activate: false })).status, 'STAGED');
    assert.equal((await client.userApi.createUser({ body: userBody(), nextLogin: 'changePassword' })).status, 'PASSWORD_EXPIRED');
    await expectOktaError(400, 'E0000124', client.userApi.createUser({ body: userBody({ password: null }), nextLogin: 'changePassword' }));
    const dup = await expectOktaError(400, 'E0000001', client.userApi.createUser({ body: userBody({ login: 'bob@acme.test' }) }));
    assert.deepEqual(dup.errorCauses, [{ errorSummary: 'login: An object with this field already exists in the current organization' }]);
    const bad = await expectOktaError(
      400,
      'E0000001',
      client.userApi.createUser({ body: { profile: { login: 'x@example.com', email: 'x@example.com', firstName: 'X' } } }),
    );
    assert.deepEqual(bad.errorCauses, [{ errorSummary: 'lastName: The field cannot be left blank' }]);
  });
});

const STATUSES = ['STAGED', 'PROVISIONED', 'ACTIVE', 'RECOVERY', 'PASSWORD_EXPIRED', 'SUSPENDED', 'DEPROVISIONED'];

async function makeUser(client, status) {
  if (status === 'STAGED') return client.userApi.createUser({ body: userBody(), activate: false });
  if (status === 'PROVISIONED') return client.userApi.createUser({ body: userBody({ password: null }) });
  const user = await client.userApi.createUser({ body: userBody() });
  if (status === 'RECOVERY') await client.userApi.generateResetPasswordToken({ userId: user.id, sendEmail: false });
  if (status === 'PASSWORD_EXPIRED') await client.userApi.expirePassword({ userId: user.id });
  if (status === 'SUSPENDED') await client.userApi.suspendUser({ userId: user.id });
  if (status === 'DEPROVISIONED') await client.userApi.deactivateUser({ userId: user.id });
  return user;
}

const OPS = {
  activate: [['STAGED', 'DEPROVISIONED'], 403, 'E0000016', (c, id) => c.userApi.activateUser({ userId: id, sendEmail: false })],
  reactivate: [['PROVISIONED'], 403, 'E0000038', (c, id) => c.userApi.reactivateUser({ userId: id, sendEmail: false })],
  deactivate: [STATUSES.filter((s) => s !== 'DEPROVISIONED'), 403, 'E0000038', (c, id) => c.userApi.deactivateUser({ userId: id })],
  suspend: [['ACTIVE'], 400, 'E0000001', (c, id) => c.userApi.suspendUser({ userId: id })],
  unsuspend: [['SUSPENDED'], 400, 'E0000001', (c, id) => c.userApi.unsuspendUser({ userId: id })],
  unlock: [[], 403, 'E0000032', (c, id) => c.userApi.unlockUser({ userId: id })],
  resetPassword: [
    ['PROVISIONED', 'ACTIVE', 'RECOVERY', 'PASSWORD_EXPIRED'],
    403,
    'E0000038',
    (c, id) => c.userApi.generateResetPasswordToken({ userId: id, sendEmail: false }),
  ],
  expirePassword: [['ACTIVE', 'RECOVERY', 'PASSWORD_EXPIRED'], 403, 'E0000038', (c, id) => c.userApi.expirePassword({ userId: id })],
  resetFactors: [STATUSES.filter((s) => !['STAGED', 'DEPROVISIONED'].includes(s)), 403, 'E0000038', (c, id) => c.userApi.resetFactors({ userId: id })],
};

test('every illegal lifecycle transition is an OktaApiError and changes nothing', async () => {
  // The SDK's cache would answer getUser from memory; read state without it.
  await withOkta(
    dtu,
    async ({ client }) => {
      for (const [op, [legal, status, code, call]] of Object.entries(OPS)) {
        for (const from of STATUSES) {
          const user = await makeUser(client, from);
          assert.equal((await client.userApi.getUser({ userId: user.id })).status, from);
          if (legal.includes(from)) {
            await call(client, user.id);
          } else {
            const e = await expectOktaError(status, code, call(client, user.id));
            assert.ok(e.message.includes(code), `${op} from ${from}`);
            assert.equal((await client.userApi.getUser({ userId: user.id })).status, from, `${op} from ${from}`);
          }
        }
      }
    },
    { cacheMiddleware: null },
  );
});

test('lifecycle answers: activation and reset tokens, expired password', async () => {
  await withOkta(dtu, async ({ client, org }) => {
    const user = await client.userApi.createUser({ body: userBody(), activate: false });
    const token = await client.userApi.activateUser({ userId: user.id, sendEmail: false });
    assert.ok(token.activationToken);
    assert.ok(token.activationUrl.startsWith(org.org_url));
    const reset = await client.userApi.generateResetPasswordToken({ userId: user.id, sendEmail: false });
    assert.ok(reset.resetPasswordUrl.includes('/reset_password/'));
    const expired = await client.userApi.expirePassword({ userId: user.id });
    assert.equal(expired.status, 'PASSWORD_EXPIRED');
    const changed = await client.userApi.changePassword({
      userId: user.id,
      changePasswordRequest: { oldPassword: { value: PASSWORD }, newPassword: { value: 'Fresh-Passw0rd' } },
    });
    assert.equal(changed.provider.type, 'OKTA');
    assert.equal((await client.userApi.getUser({ userId: user.id })).status, 'ACTIVE');
  });
});

test('the SDK cache serves stale reads after out-of-band changes, and SDK writes evict', async () => {
  await withOkta(dtu, async ({ client, org }) => {
    const bob = await client.userApi.getUser({ userId: 'bob@acme.test' });
    await client.userApi.getUser({ userId: bob.id }); // cached under _links.self.href
    const res = await raw(org, 'POST', `/api/v1/users/${bob.id}/lifecycle/suspend`);
    assert.equal(res.status, 200);
    assert.equal((await client.userApi.getUser({ userId: bob.id })).status, 'ACTIVE', 'served from the cache');
    await client.userApi.unsuspendUser({ userId: bob.id });
    assert.equal((await client.userApi.getUser({ userId: bob.id })).status, 'ACTIVE');
    await client.userApi.suspendUser({ userId: bob.id });
    assert.equal((await client.userApi.getUser({ userId: bob.id })).status, 'SUSPENDED', 'evicted by the write');
  });
});

test('a bad token is E0000011 and a foreign universe token is refused', async () => {
  await withOkta(dtu, async ({ org, universe }) => {
    const bad = oktaClient({ ...org, api_token: '00invalid' });
    await expectOktaError(401, 'E0000011', all(bad.userApi.listUsers()));
    assert.ok(org.org_url.endsWith(`/u/${universe.id}`), org.org_url);
    const prefixed = oktaClient({ org_url: org.org_url, api_token: '00default-notreal' });
    await expectOktaError(401, 'E0000011', prefixed.userApi.getUser({ userId: 'me' }));
  });
});
