// Policies and their rules, authenticators, network zones and trusted origins through @okta/okta-sdk-nodejs.
import assert from 'node:assert/strict';
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

test('policies: the defaults, create at a priority, rules, lifecycle, delete', async () => {
  await withOkta(dtu, async ({ client }) => {
    const defaults = await all(client.policyApi.listPolicies({ type: 'PASSWORD' }));
    assert.deepEqual(
      defaults.map((p) => [p.name, p.system, p.priority, p.constructor.name]),
      [['Default Policy', true, 1, 'PasswordPolicy']],
    );
    assert.equal(defaults[0].settings.password.lockout.maxAttempts, 10);

    const first = await client.policyApi.createPolicy({
      policy: { type: 'OKTA_SIGN_ON', name: 'Node first', conditions: { people: { groups: { include: [] } } } },
    });
    assert.match(first.id, /^00p/);
    const second = await client.policyApi.createPolicy({ policy: { type: 'OKTA_SIGN_ON', name: 'Node second', priority: 1 } });
    const order = await all(client.policyApi.listPolicies({ type: 'OKTA_SIGN_ON' }));
    assert.deepEqual(order.map((p) => [p.name, p.priority]), [['Node second', 1], ['Node first', 2], ['Default Policy', 3]]);

    const rule = await client.policyApi.createPolicyRule({
      policyId: first.id,
      policyRule: {
        type: 'SIGN_ON',
        name: 'Always MFA',
        conditions: { network: { connection: 'ANYWHERE' } },
        actions: { signon: { access: 'ALLOW', requireFactor: true, factorPromptMode: 'ALWAYS' } },
      },
    });
    assert.equal(rule.constructor.name, 'OktaSignOnPolicyRule');
    assert.equal(rule.actions.signon.requireFactor, true);
    const rules = await all(client.policyApi.listPolicyRules({ policyId: first.id }));
    assert.deepEqual(rules.map((r) => r.name), ['Always MFA']);
    await client.policyApi.deactivatePolicyRule({ policyId: first.id, ruleId: rule.id });
    assert.equal((await client.policyApi.getPolicyRule({ policyId: first.id, ruleId: rule.id })).status, 'INACTIVE');
    const renamed = await client.policyApi.replacePolicyRule({
      policyId: first.id,
      ruleId: rule.id,
      policyRule: { type: 'SIGN_ON', name: 'Renamed', actions: { signon: { access: 'DENY' } } },
    });
    assert.equal(renamed.name, 'Renamed');
    await client.policyApi.deletePolicyRule({ policyId: first.id, ruleId: rule.id });
    await expectOktaError(404, 'E0000007', client.policyApi.getPolicyRule({ policyId: first.id, ruleId: rule.id }));

    await client.policyApi.deactivatePolicy({ policyId: second.id });
    assert.equal((await client.policyApi.getPolicy({ policyId: second.id })).status, 'INACTIVE');
    await client.policyApi.deletePolicy({ policyId: second.id });
    await expectOktaError(404, 'E0000007', client.policyApi.getPolicy({ policyId: second.id }));
    await expectOktaError(400, 'E0000001', client.policyApi.deletePolicy({ policyId: defaults[0].id }));
  });
});

test('a password policy for a group refuses a weak password with Okta causes', async () => {
  await withOkta(dtu, async ({ client }) => {
    const group = await client.groupApi.createGroup({ group: { profile: { name: 'Node strict' } } });
    await client.policyApi.createPolicy({
      policy: {
        type: 'PASSWORD',
        name: 'Node strict',
        priority: 1,
        conditions: { people: { groups: { include: [group.id] } } },
        settings: { password: { complexity: { minLength: 14, minSymbol: 1 } } },
      },
    });
    const err = await expectOktaError(
      400,
      'E0000001',
      client.userApi.createUser({ body: { ...userBody({ password: 'N0de-Pw-1234' }), groupIds: [group.id] } }),
    );
    assert.match(err.errorCauses[0].errorSummary, /^password: Password requirements were not met\. Password requirements: at least 14 characters/);
    const ok = await client.userApi.createUser({ body: { ...userBody({ password: 'N0de-Secret-Pw-14' }), groupIds: [group.id] } });
    assert.equal(ok.status, 'ACTIVE');
  });
});

test('network zones and trusted origins', async () => {
  await withOkta(dtu, async ({ client, org }) => {
    const seeded = await all(client.networkZoneApi.listNetworkZones());
    assert.deepEqual(seeded.map((z) => z.name).sort(), ['BlockedIpZone', 'LegacyIpZone']);
    const zone = await client.networkZoneApi.createNetworkZone({
      zone: { type: 'IP', name: 'Node office', gateways: [{ type: 'CIDR', value: '198.51.100.0/24' }], proxies: [] },
    });
    assert.match(zone.id, /^nzo/);
    assert.equal(zone.gateways[0].value, '198.51.100.0/24');
    await expectOktaError(
      400,
      'E0000001',
      client.networkZoneApi.createNetworkZone({ zone: { type: 'IP', name: 'Bad', gateways: [{ type: 'CIDR', value: '300.1.1.1/8' }] } }),
    );
    assert.equal((await client.networkZoneApi.deactivateNetworkZone({ zoneId: zone.id })).status, 'INACTIVE');
    const replaced = await client.networkZoneApi.replaceNetworkZone({
      zoneId: zone.id,
      zone: { type: 'IP', name: 'Node office 2', gateways: [{ type: 'RANGE', value: '203.0.113.1-203.0.113.5' }] },
    });
    assert.equal(replaced.name, 'Node office 2');

    // The zone in a sign-on rule.
    const policy = await client.policyApi.createPolicy({ policy: { type: 'OKTA_SIGN_ON', name: 'Zoned' } });
    const rule = await client.policyApi.createPolicyRule({
      policyId: policy.id,
      policyRule: {
        type: 'SIGN_ON',
        name: 'Office only',
        conditions: { network: { connection: 'ZONE', include: [zone.id] } },
        actions: { signon: { access: 'ALLOW' } },
      },
    });
    assert.deepEqual(rule.conditions.network.include, [zone.id]);
    await expectOktaError(400, 'E0000001', client.networkZoneApi.deleteNetworkZone({ zoneId: zone.id }));
    await client.policyApi.deletePolicyRule({ policyId: policy.id, ruleId: rule.id });
    await client.networkZoneApi.deleteNetworkZone({ zoneId: zone.id });
    await expectOktaError(404, 'E0000007', client.networkZoneApi.getNetworkZone({ zoneId: zone.id }));

    const origin = await client.trustedOriginApi.createTrustedOrigin({
      trustedOrigin: { name: 'Node app', origin: 'http://localhost:5173', scopes: [{ type: 'CORS' }, { type: 'REDIRECT' }] },
    });
    assert.match(origin.id, /^tos/);
    assert.deepEqual(origin.scopes.map((s) => s.type), ['CORS', 'REDIRECT']);
    const listed = await all(client.trustedOriginApi.listTrustedOrigins({ q: 'Node' }));
    assert.deepEqual(listed.map((o) => o.id), [origin.id]);
    assert.equal((await client.trustedOriginApi.deactivateTrustedOrigin({ trustedOriginId: origin.id })).status, 'INACTIVE');
    await expectOktaError(
      400,
      'E0000001',
      client.trustedOriginApi.createTrustedOrigin({ trustedOrigin: { name: 'Bad', origin: 'localhost:5173', scopes: [{ type: 'CORS' }] } }),
    );
    await client.trustedOriginApi.deleteTrustedOrigin({ trustedOriginId: origin.id });
    const gone = await raw(org, 'GET', `/api/v1/trustedOrigins/${origin.id}`);
    assert.equal(gone.status, 404);
  });
});

test('authenticators: a new org\'s, activate and deactivate, the password stays on, methods', async () => {
  await withOkta(dtu, async ({ client }) => {
    const listed = await all(client.authenticatorApi.listAuthenticators());
    assert.deepEqual(
      listed.map((a) => [a.key, a.status]),
      [['okta_email', 'ACTIVE'], ['okta_password', 'ACTIVE'], ['okta_verify', 'ACTIVE'],
        ['phone_number', 'INACTIVE'], ['security_question', 'INACTIVE'], ['webauthn', 'INACTIVE']],
    );
    const phone = listed.find((a) => a.key === 'phone_number');
    const active = await client.authenticatorApi.activateAuthenticator({ authenticatorId: phone.id });
    assert.equal(active.status, 'ACTIVE');
    const methods = await all(client.authenticatorApi.listAuthenticatorMethods({ authenticatorId: phone.id }));
    assert.deepEqual(methods.map((m) => [m.type, m.status]), [['sms', 'ACTIVE'], ['voice', 'INACTIVE']]);
    const inactive = await client.authenticatorApi.deactivateAuthenticator({ authenticatorId: phone.id });
    assert.equal(inactive.status, 'INACTIVE');
    const password = listed.find((a) => a.key === 'okta_password');
    await expectOktaError(400, 'E0000001', client.authenticatorApi.deactivateAuthenticator({ authenticatorId: password.id }));
    await expectOktaError(404, 'E0000007', client.authenticatorApi.getAuthenticator({ authenticatorId: 'autNOPE0000000000000' }));
  });
});
