// Custom authorization servers (CRUD, scopes, claims, key rotation) and event hooks
// (create, verify against a loopback receiver, delivery) through @okta/okta-sdk-nodejs.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { startDtu } from '../helpers/dtu.mjs';
import { all, expectOktaError, raw, userBody, withOkta } from './okta_support.test.mjs';

let dtu;

before(async () => {
  dtu = await startDtu();
});

after(async () => {
  await dtu?.stop();
});

test('authorization servers: CRUD, scopes, claims, keys and tokens for its audience', async () => {
  await withOkta(dtu, async ({ org, client }) => {
    const api = client.authorizationServerApi;
    const server = await api.createAuthorizationServer({
      authorizationServer: { name: 'Billing', description: 'billing', audiences: ['api://billing'] },
    });
    assert.ok(server.id.startsWith('aus'));
    assert.equal(server.issuer, `${org.org_url}/oauth2/${server.id}`);
    const listed = await all(api.listAuthorizationServers({}));
    assert.ok(listed.some((s) => s.id === 'default') && listed.some((s) => s.id === server.id));

    const scope = await api.createOAuth2Scope({ authServerId: server.id, oAuth2Scope: { name: 'invoices:read', description: 'Read' } });
    assert.equal(scope.name, 'invoices:read');
    assert.equal(scope.system, false);
    const scopes = await all(api.listOAuth2Scopes({ authServerId: server.id }));
    assert.ok(scopes.some((s) => s.name === 'openid' && s.system));
    const claim = await api.createOAuth2Claim({
      authServerId: server.id,
      oAuth2Claim: { name: 'team', status: 'ACTIVE', claimType: 'RESOURCE', valueType: 'EXPRESSION', value: '"finance"', alwaysIncludeInToken: true, conditions: { scopes: [] } },
    });
    assert.equal(claim.valueType, 'EXPRESSION');
    const claims = await all(api.listOAuth2Claims({ authServerId: server.id }));
    assert.deepEqual(claims.map((c) => c.name), ['team']);
    await expectOktaError(400, 'E0000001', api.createOAuth2Scope({ authServerId: server.id, oAuth2Scope: { name: 'okta.users.read' } }));

    // a policy and a rule (raw: the request shapes), then a token carries the claim
    const policy = await (await raw(org, 'POST', `/api/v1/authorizationServers/${server.id}/policies`, {
      type: 'OAUTH_AUTHORIZATION_POLICY', name: 'All', priority: 1, conditions: { clients: { include: ['ALL_CLIENTS'] } },
    })).json();
    const rule = await raw(org, 'POST', `/api/v1/authorizationServers/${server.id}/policies/${policy.id}/rules`, {
      type: 'RESOURCE_ACCESS', name: 'cc', conditions: { people: { groups: { include: ['EVERYONE'] } }, grantTypes: { include: ['client_credentials'] }, scopes: { include: ['invoices:read'] } },
      actions: { token: { accessTokenLifetimeMinutes: 30 } },
    });
    assert.equal(rule.status, 201, await rule.clone().text());
    const token = async () => {
      const res = await fetch(`${org.org_url}/oauth2/${server.id}/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${org.client_id}:${org.client_secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'invoices:read' }),
      });
      assert.equal(res.status, 200);
      return res.json();
    };
    const first = await token();
    assert.equal(first.expires_in, 1800);
    const [header, payload] = first.access_token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url')));
    assert.equal(payload.aud, 'api://billing');
    assert.equal(payload.team, 'finance');

    // rotation: the new key signs, the old one stays published
    const rotated = await all(api.rotateAuthorizationServerKeys({ authServerId: server.id, use: { use: 'sig' } }));
    const active = rotated.find((k) => k.status === 'ACTIVE');
    assert.notEqual(active.kid, header.kid);
    assert.ok(rotated.some((k) => k.status === 'EXPIRED' && k.kid === header.kid));
    const second = await token();
    assert.equal(JSON.parse(Buffer.from(second.access_token.split('.')[0], 'base64url')).kid, active.kid);

    const replaced = await api.replaceAuthorizationServer({ authServerId: server.id, authorizationServer: { name: 'Billing 2', audiences: ['api://billing'] } });
    assert.equal(replaced.name, 'Billing 2');
    await api.deactivateAuthorizationServer({ authServerId: server.id });
    const inactive = await fetch(`${org.org_url}/oauth2/${server.id}/v1/keys`);
    assert.equal(inactive.status, 404);
    await api.deleteAuthorizationServer({ authServerId: server.id });
    await expectOktaError(404, 'E0000007', api.getAuthorizationServer({ authServerId: server.id }));
  });
});

test('event hooks: create, verify, deliver user.lifecycle.create', async () => {
  const received = { gets: [], posts: [] };
  const receiver = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET') {
        received.gets.push(req.headers);
        res.end(JSON.stringify({ verification: req.headers['x-okta-verification-challenge'] }));
      } else {
        received.posts.push({ headers: req.headers, body: JSON.parse(data) });
        res.end('{}');
      }
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    await withOkta(dtu, async ({ client }) => {
      const hooks = client.eventHookApi;
      const hook = await hooks.createEventHook({
        eventHook: {
          name: 'node watcher',
          events: { type: 'EVENT_TYPE', items: ['user.lifecycle.create'] },
          channel: { type: 'HTTP', version: '1.0.0', config: { uri: `http://127.0.0.1:${receiver.address().port}/hook`, authScheme: { type: 'HEADER', key: 'Authorization', value: 'node-secret' } } },
        },
      });
      assert.equal(hook.verificationStatus, 'UNVERIFIED');
      const verified = await hooks.verifyEventHook({ eventHookId: hook.id });
      assert.equal(verified.verificationStatus, 'VERIFIED');
      assert.ok(received.gets[0]['x-okta-verification-challenge']);

      const user = await client.userApi.createUser({ body: userBody({ login: 'node.hooked@acme.test', email: 'node.hooked@acme.test' }) });
      for (let i = 0; i < 100 && received.posts.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(received.posts.length, 1);
      const { headers, body } = received.posts[0];
      assert.equal(headers.authorization, 'node-secret');
      assert.equal(body.eventType, 'com.okta.event_hook');
      assert.equal(body.data.events[0].eventType, 'user.lifecycle.create');
      assert.equal(body.data.events[0].target[0].id, user.id);

      const listed = await all(await hooks.listEventHooks());
      assert.deepEqual(listed.map((h) => h.id), [hook.id]);
      await hooks.deactivateEventHook({ eventHookId: hook.id });
      await hooks.deleteEventHook({ eventHookId: hook.id });
      await expectOktaError(404, 'E0000007', hooks.getEventHook({ eventHookId: hook.id }));
    });
  } finally {
    receiver.close();
  }
});
