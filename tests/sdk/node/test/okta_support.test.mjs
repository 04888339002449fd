// Shared helpers for the okta_*.test.mjs files (this module registers no tests).
//
// withOkta(dtu, fn) gives fn a fresh universe and an @okta/okta-sdk-nodejs Client
// for its org, and deletes the universe afterwards.

import assert from 'node:assert/strict';
import okta from '@okta/okta-sdk-nodejs';

import { control, createUniverse, deleteUniverse } from '../helpers/dtu.mjs';

export const { Client, OktaApiError } = okta;
export const PASSWORD = 'N0de-Secret-Pw';

export function oktaClient(orgInfo, options = {}) {
  return new Client({ orgUrl: orgInfo.org_url, token: orgInfo.api_token, ...options });
}

/** Runs fn({universe, org, client}) in a fresh universe. */
export async function withOkta(dtu, fn, clientOptions = {}) {
  const universe = await createUniverse(dtu);
  const org = universe.okta;
  assert.ok(org && org.org_url && org.api_token, `no okta in the manifest: ${JSON.stringify(universe)}`);
  const client = oktaClient(org, clientOptions);
  try {
    await fn({ universe, org, client });
  } finally {
    await deleteUniverse(dtu, universe.id, { allowMissing: true });
  }
}

/** Awaits a call that must fail with an OktaApiError of `status` and `code`; returns it. */
export async function expectOktaError(status, code, promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof OktaApiError, `expected an OktaApiError, got ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.status, status, e.message);
    assert.equal(e.errorCode, code, e.message);
    assert.ok(e.errorId?.startsWith('oae'), e.errorId);
    return e;
  }
  assert.fail(`expected ${status} ${code}, but the call succeeded`);
}

/** Drains an SDK Collection. */
export async function all(collectionPromise) {
  const out = [];
  for await (const item of await collectionPromise) out.push(item);
  return out;
}

let seq = 0;
/** A createUser body; `password: null` makes a user without credentials. */
export function userBody({ first = 'Nod', last = 'Js', password = PASSWORD, ...extra } = {}) {
  seq += 1;
  const login = extra.login ?? `${first.toLowerCase()}.${last.toLowerCase()}${seq}-${Date.now()}@example.com`;
  delete extra.login;
  const body = { profile: { firstName: first, lastName: last, email: login, login, ...extra } };
  if (password) body.credentials = { password: { value: password } };
  return body;
}

export async function addChaosRule(dtu, universe, rule) {
  const res = await control(dtu, 'POST', `universes/${universe.id}/chaos/rules`, rule);
  const text = await res.text();
  assert.ok(res.status === 200 || res.status === 201, `chaos rule -> ${res.status}: ${text}`);
  return JSON.parse(text);
}

export async function journal(dtu, universe) {
  const res = await control(dtu, 'GET', `universes/${universe.id}/journal?service=okta`);
  assert.equal(res.status, 200);
  return (await res.text())
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** A raw call to the org with the API token (for what the SDK hides). */
export async function raw(org, method, path, body) {
  const init = { method, headers: { authorization: `SSWS ${org.api_token}` }, redirect: 'manual' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return fetch(org.org_url + path, init);
}
