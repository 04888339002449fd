// googleapis 178 against the Drive twin: google.drive({rootUrl}) and
// google.discoverAPI(url), uploads with stream bodies (chunked CRLF multipart),
// downloads, search and paging, sharing through groups and shared drives, errors
// as GaxiosError, gaxios' retry rules, google-auth-library's OAuth2 client
// refreshing against the twin's token endpoint, and a JWT-bearer grant.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSign } from 'node:crypto';
import { copyFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';

import { google } from 'googleapis';

import { REPO_ROOT, control, createUniverse, deleteUniverse, startDtu } from '../helpers/dtu.mjs';

let dtu;

before(async () => {
  dtu = await startDtu();
});

after(async () => {
  await dtu?.stop();
});

const FOLDER = 'application/vnd.google-apps.folder';

function authFor(universe, email) {
  const g = universe.google;
  const auth = new google.auth.OAuth2();
  auth.setCredentials({ access_token: email ? g.access_tokens[email] : g.access_token });
  return auth;
}

function driveFor(universe, email) {
  const rootUrl = `${universe.google.endpoint}/`;
  return { drive: google.drive({ version: 'v3', auth: authFor(universe, email), rootUrl }), rootUrl };
}

async function withUniverse(fn) {
  const universe = await createUniverse(dtu);
  try {
    await fn(universe);
  } finally {
    await deleteUniverse(dtu, universe.id, { allowMissing: true });
  }
}

async function expectDriveError(promise, status, reason) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.status, status, e.message);
    const body = e.response?.data?.error;
    assert.equal(body.code, status);
    assert.equal(body.message, body.errors[0].message);
    if (reason) assert.equal(body.errors[0].reason, reason);
    return true;
  });
}

test('uploads with stream bodies, downloads and metadata', async () => {
  await withUniverse(async (universe) => {
    const { drive, rootUrl } = driveFor(universe);
    const folder = await drive.files.create({ requestBody: { name: 'Node', mimeType: FOLDER }, fields: 'id,mimeType' });
    assert.equal(folder.data.mimeType, FOLDER);
    const body = Readable.from(['chunk one\r\n', 'chunk two']);
    const created = await drive.files.create(
      { requestBody: { name: 'stream.txt', parents: [folder.data.id] }, media: { mimeType: 'text/plain', body }, fields: 'id,size,md5Checksum,parents' },
      { rootUrl },
    );
    assert.equal(created.data.size, '20');
    assert.deepEqual(created.data.parents, [folder.data.id]);
    const text = await drive.files.get({ fileId: created.data.id, alt: 'media' }, { responseType: 'text' });
    assert.equal(text.data, 'chunk one\r\nchunk two');
    const json = await drive.files.create(
      { requestBody: { name: 'data.json' }, media: { mimeType: 'application/json', body: '{"a":1}' }, fields: 'id' },
      { rootUrl },
    );
    const parsed = await drive.files.get({ fileId: json.data.id, alt: 'media' });
    assert.deepEqual(parsed.data, { a: 1 }, 'gaxios parses by the stored content type');
    const stream = await drive.files.get({ fileId: created.data.id, alt: 'media' }, { responseType: 'stream' });
    const chunks = [];
    for await (const c of stream.data) chunks.push(c);
    assert.equal(Buffer.concat(chunks).toString(), 'chunk one\r\nchunk two');
    const updated = await drive.files.update(
      { fileId: created.data.id, media: { mimeType: 'text/plain', body: Readable.from(['v2']) }, fields: 'size,version' },
      { rootUrl },
    );
    assert.equal(updated.data.size, '2');
    const meta = await drive.files.get({ fileId: created.data.id, fields: '*' });
    assert.equal(meta.data.name, 'stream.txt');
    assert.equal(typeof meta.data.version, 'string');
  });
});

test('discoverAPI builds a client whose uploads reach the twin', async () => {
  await withUniverse(async (universe) => {
    const drive = await google.discoverAPI(universe.google.discovery_urls.drive);
    const auth = authFor(universe);
    const made = await drive.files.create({
      auth,
      requestBody: { name: 'discovered.txt' },
      media: { mimeType: 'text/plain', body: Readable.from(['found']) },
      fields: 'id,name,size',
    });
    assert.equal(made.data.size, '5');
    const listed = await drive.files.list({ auth, q: "name = 'discovered.txt'", fields: 'files(id)' });
    assert.deepEqual(listed.data.files, [{ id: made.data.id }]);
  });
});

test('search, ordering and paging to the end', async () => {
  await withUniverse(async (universe) => {
    const { drive } = driveFor(universe, 'carol@acme.test');
    const parent = (await drive.files.create({ requestBody: { name: 'Pages', mimeType: FOLDER } })).data.id;
    for (const n of ['b', 'a', 'e', 'c', 'd']) {
      await drive.files.create({ requestBody: { name: `${n}.txt`, parents: [parent] } });
    }
    const names = [];
    let pageToken;
    do {
      const res = await drive.files.list({ q: `'${parent}' in parents and trashed = false`, orderBy: 'name', pageSize: 2, pageToken, fields: 'nextPageToken,files(name)' });
      names.push(...res.data.files.map((f) => f.name));
      pageToken = res.data.nextPageToken;
    } while (pageToken);
    assert.deepEqual(names, ['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt']);
    const noToken = await drive.files.list({ q: `'${parent}' in parents`, pageSize: 2, fields: 'files(name)' });
    assert.equal(noToken.data.nextPageToken, undefined);
    await expectDriveError(drive.files.list({ q: "name = 'unterminated" }), 400, 'invalid');
    await expectDriveError(drive.files.list({ fields: 'files(nope)' }), 400, 'invalidParameter');
  });
});

test('sharing through groups, 404 for strangers, 403 for readers', async () => {
  await withUniverse(async (universe) => {
    const alice = driveFor(universe, 'alice@acme.test').drive;
    const kevin = driveFor(universe, 'kevin@acme.test').drive;
    const ivanless = driveFor(universe, 'grace@acme.test').drive;
    const doc = (await alice.files.create({ requestBody: { name: 'ops.txt' } })).data.id;
    await expectDriveError(kevin.files.get({ fileId: doc }), 404, 'notFound');
    const p = await alice.permissions.create({ fileId: doc, sendNotificationEmail: false, requestBody: { type: 'group', role: 'reader', emailAddress: 'operations@acme.test' } });
    assert.equal(p.data.type, 'group');
    assert.equal((await kevin.files.get({ fileId: doc, fields: 'name' })).data.name, 'ops.txt');
    await expectDriveError(kevin.files.update({ fileId: doc, requestBody: { name: 'x' } }), 403, 'insufficientFilePermissions');
    await expectDriveError(ivanless.files.get({ fileId: doc }), 404);
    const perms = await alice.permissions.list({ fileId: doc, fields: 'permissions(type,role,emailAddress)' });
    assert.ok(perms.data.permissions.some((x) => x.emailAddress === 'operations@acme.test' && x.role === 'reader'));
    await alice.permissions.delete({ fileId: doc, permissionId: p.data.id });
    await expectDriveError(kevin.files.get({ fileId: doc }), 404);
  });
});

test('shared drives need supportsAllDrives', async () => {
  await withUniverse(async (universe) => {
    const { drive } = driveFor(universe, 'judy@acme.test');
    const d = await drive.drives.create({ requestId: 'node-1', requestBody: { name: 'IT' } });
    const f = await drive.files.create({ supportsAllDrives: true, requestBody: { name: 'inventory.csv', parents: [d.data.id] }, fields: 'id,driveId' });
    assert.equal(f.data.driveId, d.data.id);
    await expectDriveError(drive.files.get({ fileId: f.data.id }), 404);
    const listed = await drive.files.list({ corpora: 'drive', driveId: d.data.id, includeItemsFromAllDrives: true, supportsAllDrives: true, fields: 'files(name)' });
    assert.deepEqual(listed.data.files, [{ name: 'inventory.csv' }]);
  });
});

test('export, trash and delete', async () => {
  await withUniverse(async (universe) => {
    const { drive, rootUrl } = driveFor(universe);
    const doc = await drive.files.create(
      { requestBody: { name: 'Notes', mimeType: 'application/vnd.google-apps.document' }, media: { mimeType: 'text/plain', body: 'exported text' } },
      { rootUrl },
    );
    const out = await drive.files.export({ fileId: doc.data.id, mimeType: 'text/plain' }, { responseType: 'text' });
    assert.equal(out.data.replace(/^\uFEFF/, ''), 'exported text');
    await drive.files.update({ fileId: doc.data.id, requestBody: { trashed: true } });
    const trashed = await drive.files.list({ q: 'trashed = true', fields: 'files(id)' });
    assert.deepEqual(trashed.data.files, [{ id: doc.data.id }]);
    const del = await drive.files.delete({ fileId: doc.data.id });
    assert.equal(del.status, 204);
    await expectDriveError(drive.files.get({ fileId: doc.data.id }), 404, 'notFound');
  });
});

test('changes, revisions, comments, copy and generateIds', async () => {
  await withUniverse(async (universe) => {
    const { drive, rootUrl } = driveFor(universe, 'dave@acme.test');
    const start = (await drive.changes.getStartPageToken()).data.startPageToken;
    const ids = (await drive.files.generateIds({ count: 2 })).data.ids;
    assert.equal(ids.length, 2);
    const f = await drive.files.create(
      { requestBody: { id: ids[0], name: 'versioned.txt' }, media: { mimeType: 'text/plain', body: 'one' }, fields: 'id' },
      { rootUrl },
    );
    assert.equal(f.data.id, ids[0]);
    await drive.files.update({ fileId: f.data.id, media: { mimeType: 'text/plain', body: 'two' } }, { rootUrl });
    const revs = (await drive.revisions.list({ fileId: f.data.id })).data.revisions;
    assert.equal(revs.length, 2);
    const first = await drive.revisions.get({ fileId: f.data.id, revisionId: revs[0].id, alt: 'media' }, { responseType: 'text' });
    assert.equal(first.data, 'one');
    const changes = (await drive.changes.list({ pageToken: start, fields: 'newStartPageToken,changes(fileId)' })).data;
    assert.ok(changes.changes.every((c) => c.fileId === f.data.id) && changes.changes.length >= 2);
    assert.ok(changes.newStartPageToken);
    const c = await drive.comments.create({ fileId: f.data.id, requestBody: { content: 'ship it' }, fields: 'id,content' });
    assert.equal(c.data.content, 'ship it');
    await expectDriveError(drive.comments.list({ fileId: f.data.id }), 400, 'required');
    const copy = await drive.files.copy({ fileId: f.data.id, requestBody: { name: 'copied.txt' }, fields: 'id,name,size' });
    assert.deepEqual([copy.data.name, copy.data.size], ['copied.txt', '3']);
  });
});

async function addRule(universe, rule) {
  const res = await control(dtu, 'POST', `universes/${universe.id}/chaos/rules`, rule);
  assert.ok(res.status === 200 || res.status === 201, await res.text());
}

test('gaxios retries a GET after 429 and 503, never a POST, never a 403', async () => {
  await withUniverse(async (universe) => {
    const { drive } = driveFor(universe);
    await addRule(universe, { match: { service: 'google', operation: 'drive.files.list' }, trigger: { first_n: 2 }, action: { kind: 'error', status: 429 } });
    const listed = await drive.files.list({ pageSize: 1 });
    assert.equal(listed.status, 200);
    await addRule(universe, { match: { service: 'google', operation: 'drive.files.create' }, trigger: { first_n: 1 }, action: { kind: 'error', status: 503 } });
    await expectDriveError(drive.files.create({ requestBody: { name: 'x' } }), 503, 'backendError');
    await addRule(universe, { match: { service: 'google', operation: 'drive.about.get' }, trigger: { first_n: 1 }, action: { kind: 'error', status: 403, error: 'userRateLimitExceeded' } });
    await expectDriveError(drive.about.get({ fields: 'user' }), 403, 'userRateLimitExceeded');
    assert.equal((await drive.about.get({ fields: 'user(emailAddress)' })).data.user.emailAddress, universe.google.user);
  });
});

test('OAuth2 refresh and a JWT-bearer assertion against the twin token endpoint', async () => {
  await withUniverse(async (universe) => {
    const g = universe.google;
    const oauth = new google.auth.OAuth2({
      clientId: g.oauth_client.client_id,
      clientSecret: g.oauth_client.client_secret,
      endpoints: { oauth2TokenUrl: g.token_uri },
    });
    oauth.setCredentials({ refresh_token: g.refresh_token });
    const drive = google.drive({ version: 'v3', auth: oauth, rootUrl: `${g.endpoint}/` });
    assert.equal((await drive.about.get({ fields: 'user(emailAddress)' })).data.user.emailAddress, g.user);
    // google-auth-library's JWT client posts to Google's token URL whatever the key file
    // says; an assertion signed here goes to the key file's token_uri, as the grant defines.
    const sa = g.service_account;
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'RS256', typ: 'JWT', kid: sa.private_key_id })}.${b64({
      iss: sa.client_email, sub: 'erin@acme.test', aud: sa.token_uri, scope: 'https://www.googleapis.com/auth/drive', iat: now, exp: now + 3600,
    })}`;
    const signature = createSign('RSA-SHA256').update(unsigned).sign(sa.private_key).toString('base64url');
    const res = await fetch(sa.token_uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${unsigned}.${signature}` }),
    });
    assert.equal(res.status, 200);
    const { access_token: token, token_type: type } = await res.json();
    assert.equal(type, 'Bearer');
    const erin = new google.auth.OAuth2();
    erin.setCredentials({ access_token: token });
    const asErin = google.drive({ version: 'v3', auth: erin, rootUrl: `${g.endpoint}/` });
    assert.equal((await asErin.about.get({ fields: 'user(emailAddress)' })).data.user.emailAddress, 'erin@acme.test');
    const forged = await fetch(sa.token_uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${unsigned}.AAAA` }),
    });
    assert.equal(forged.status, 400);
    assert.equal((await forged.json()).error, 'invalid_grant');
  });
});

test('the README quickstart runs unchanged', async () => {
  // Copied next to this suite's node_modules, so it resolves the pinned googleapis.
  const suiteDir = path.join(REPO_ROOT, 'tests', 'sdk', 'node');
  const copy = path.join(suiteDir, '.example-google-drive-quickstart.mjs');
  await copyFile(path.join(REPO_ROOT, 'examples', 'node', 'google_drive_quickstart.mjs'), copy);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [copy], {
      env: { ...process.env, DTU_CONTROL_URL: dtu.controlUrl, DTU_ADMIN_TOKEN: dtu.adminToken },
      timeout: 60_000,
    });
    assert.match(stdout, /connected to .* as bob@acme\.test/);
    assert.match(stdout, /uploaded hello\.txt 14 bytes/);
    assert.match(stdout, /Architecture\.md/);
    assert.match(stdout, /as on Google: 404 File not found: no-such-file\./);
  } finally {
    await rm(copy, { force: true });
  }
});
