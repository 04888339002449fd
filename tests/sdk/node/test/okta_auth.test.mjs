// Factors, the Authentication API, the SDK's PrivateKey (OAuth) mode and
// twin-issued JWTs checked by @okta/jwt-verifier.
import assert from 'node:assert/strict';
import { createHash, createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import OktaJwtVerifier from '@okta/jwt-verifier';

import { startDtu } from '../helpers/dtu.mjs';
import { Client, all, expectOktaError, journal, raw, userBody, withOkta } from './okta_support.test.mjs';

const SEEDED_PASSWORD = 'Tw1n-Passw0rd!';
let dtu;

before(async () => {
  dtu = await startDtu();
});

after(async () => {
  await dtu?.stop();
});

function base32decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, '')) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function totp(secret, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const digest = createHmac('sha1', base32decode(secret)).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

async function authn(org, username, password) {
  const res = await fetch(`${org.org_url}/api/v1/authn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return { status: res.status, body: await res.json() };
}

test('TOTP factors: enrol, activate and verify with real codes through the SDK', async () => {
  await withOkta(dtu, async ({ client }) => {
    const user = await client.userApi.getUser({ userId: 'laura@acme.test' });
    const factor = await client.userFactorApi.enrollFactor({ userId: user.id, body: { factorType: 'token:software:totp', provider: 'OKTA' } });
    assert.equal(factor.status, 'PENDING_ACTIVATION');
    const secret = factor._embedded.activation.sharedSecret;
    const wrong = ['000000', '111111', '222222'].find((c) => ![-30_000, 0, 30_000].some((d) => totp(secret, Date.now() + d) === c));
    await expectOktaError(403, 'E0000068', client.userFactorApi.activateFactor({ userId: user.id, factorId: factor.id, body: { passCode: wrong } }));
    const active = await client.userFactorApi.activateFactor({ userId: user.id, factorId: factor.id, body: { passCode: totp(secret) } });
    assert.equal(active.status, 'ACTIVE');
    const verified = await client.userFactorApi.verifyFactor({ userId: user.id, factorId: factor.id, body: { passCode: totp(secret) } });
    assert.equal(verified.factorResult, 'SUCCESS');
    const listed = await all(client.userFactorApi.listFactors({ userId: user.id }));
    assert.deepEqual(listed.map((f) => [f.factorType, f.status]), [['token:software:totp', 'ACTIVE']]);
    await client.userFactorApi.unenrollFactor({ userId: user.id, factorId: factor.id });
    assert.deepEqual(await all(client.userFactorApi.listFactors({ userId: user.id })), []);
  });
});

test('failed sign-ins lock a user out; the SDK unlocks', async () => {
  await withOkta(dtu, async ({ client, org }) => {
    for (let i = 0; i < 10; i += 1) {
      const { status, body } = await authn(org, 'olivia@acme.test', `bad-${i}`);
      assert.equal(status, 401);
      assert.equal(body.errorCode, 'E0000004');
    }
    const locked = await client.userApi.getUser({ userId: 'olivia@acme.test' });
    assert.equal(locked.status, 'LOCKED_OUT');
    assert.equal((await authn(org, 'olivia@acme.test', SEEDED_PASSWORD)).body.status, 'LOCKED_OUT');
    await expectOktaError(400, 'E0000001', client.userApi.suspendUser({ userId: locked.id }));
    await client.userApi.unlockUser({ userId: locked.id });
    const ok = await authn(org, 'olivia@acme.test', SEEDED_PASSWORD);
    assert.equal(ok.body.status, 'SUCCESS');
    assert.ok(ok.body.sessionToken);
  });
});

test('PrivateKey mode: private_key_jwt client credentials with admin-granted scopes', async () => {
  await withOkta(dtu, async ({ client, org, universe }) => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'node-key', use: 'sig', alg: 'RS256' };
    const app = await client.applicationApi.createApplication({
      application: {
        label: 'Node automation',
        signOnMode: 'OPENID_CONNECT',
        name: 'oidc_client',
        credentials: { oauthClient: { token_endpoint_auth_method: 'private_key_jwt' } },
        settings: { oauthClient: { grant_types: ['client_credentials'], response_types: ['token'], application_type: 'service', jwks: { keys: [jwk] } } },
      },
    });
    assert.equal(app.credentials.oauthClient.client_secret, undefined);
    for (const scopeId of ['okta.users.read', 'okta.groups.read']) {
      const grant = await client.applicationApi.grantConsentToScope({ appId: app.id, oAuth2ScopeConsentGrant: { issuer: org.org_url, scopeId } });
      assert.equal(grant.scopeId, scopeId);
    }
    const service = new Client({
      orgUrl: org.org_url,
      authorizationMode: 'PrivateKey',
      clientId: app.id,
      scopes: 'okta.users.read okta.groups.read',
      privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }),
      keyId: 'node-key',
    });
    const users = await all(service.userApi.listUsers());
    assert.equal(users.length, 14);
    assert.ok((await all(service.groupApi.listGroups())).length >= 7);
    await expectOktaError(403, 'E0000006', service.userApi.createUser({ body: userBody() }));
    // a scope nobody granted is refused at the token endpoint
    const greedy = new Client({
      orgUrl: org.org_url,
      authorizationMode: 'PrivateKey',
      clientId: app.id,
      scopes: 'okta.users.manage',
      privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }),
      keyId: 'node-key',
    });
    await assert.rejects(all(greedy.userApi.listUsers()));
    const tokenCalls = (await journal(dtu, universe)).filter((e) => e.operation === 'okta.oauth2.token');
    // the granted client got a token; the greedy one invalid_scope (the SDK asks again after the 401)
    const [first, ...rest] = tokenCalls.map((e) => e.status);
    assert.equal(first, 200);
    assert.ok(rest.length >= 1 && rest.every((s) => s === 400), JSON.stringify(rest));
  });
});

test('@okta/jwt-verifier accepts the default server access and ID tokens', async () => {
  await withOkta(dtu, async ({ client, org }) => {
    const issuer = `${org.org_url}/oauth2/default`;
    const verifier = new OktaJwtVerifier({ issuer, testing: { disableHttpsCheck: true } });
    const basic = `Basic ${Buffer.from(`${org.client_id}:${org.client_secret}`).toString('base64')}`;
    const tokenRes = await fetch(`${issuer}/v1/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'reports:read' }),
    });
    const cc = await tokenRes.json();
    const jwt = await verifier.verifyAccessToken(cc.access_token, 'api://default');
    assert.equal(jwt.claims.cid, org.client_id);
    assert.deepEqual(jwt.claims.scp, ['reports:read']);
    await assert.rejects(verifier.verifyAccessToken(cc.access_token, 'api://other'));

    // authorization code + PKCE, headless through a session token
    const app = await client.applicationApi.getApplication({ appId: org.client_id });
    const redirectUri = app.settings.oauthClient.redirect_uris[0];
    const { body } = await authn(org, 'hannah@acme.test', SEEDED_PASSWORD);
    const verifierCode = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifierCode).digest('base64url');
    const nonce = randomBytes(8).toString('hex');
    const params = new URLSearchParams({
      client_id: org.client_id, response_type: 'code', scope: 'openid profile', redirect_uri: redirectUri,
      state: 'xyz', nonce, code_challenge: challenge, code_challenge_method: 'S256', sessionToken: body.sessionToken,
    });
    const auth = await fetch(`${issuer}/v1/authorize?${params}`, { redirect: 'manual' });
    assert.equal(auth.status, 302);
    const code = new URL(auth.headers.get('location')).searchParams.get('code');
    const exchanged = await fetch(`${issuer}/v1/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifierCode }),
    });
    const tokens = await exchanged.json();
    const idToken = await verifier.verifyIdToken(tokens.id_token, org.client_id, nonce);
    const hannah = await client.userApi.getUser({ userId: 'hannah@acme.test' });
    assert.equal(idToken.claims.sub, hannah.id);
    assert.equal(idToken.claims.preferred_username, 'hannah@acme.test');
    const access = await verifier.verifyAccessToken(tokens.access_token, 'api://default');
    assert.equal(access.claims.uid, hannah.id);
    await assert.rejects(verifier.verifyIdToken(tokens.id_token, org.client_id, 'another-nonce'));
    const wrongVerifier = await fetch(`${issuer}/v1/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifierCode }),
    });
    assert.equal((await wrongVerifier.json()).error, 'invalid_grant');
    assert.equal((await raw(org, 'GET', '/oauth2/default/v1/keys')).status, 200);
  });
});

test('Sessions API: the SDK makes a session from a session token, reads, refreshes and revokes it', async () => {
  await withOkta(dtu, async ({ client, org }) => {
    const { body } = await authn(org, 'carol@acme.test', SEEDED_PASSWORD);
    const session = await client.sessionApi.createSession({ createSessionRequest: { sessionToken: body.sessionToken } });
    const carol = await client.userApi.getUser({ userId: 'carol@acme.test' });
    assert.equal(session.userId, carol.id);
    assert.equal(session.login, 'carol@acme.test');
    assert.equal(session.status, 'ACTIVE');
    assert.ok(session.expiresAt instanceof Date && session.expiresAt > session.createdAt);
    // The token was spent by the first exchange.
    await expectOktaError(401, 'E0000004', client.sessionApi.createSession({ createSessionRequest: { sessionToken: body.sessionToken } }));
    const read = await client.sessionApi.getSession({ sessionId: session.id });
    assert.equal(read.id, session.id);
    const refreshed = await client.sessionApi.refreshSession({ sessionId: session.id });
    assert.equal(refreshed.id, session.id);
    await client.sessionApi.revokeSession({ sessionId: session.id });
    await expectOktaError(404, 'E0000007', client.sessionApi.getSession({ sessionId: session.id }));
  });
});
