// Groups, applications and the System Log through @okta/okta-sdk-nodejs.
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

test('groups: create, members with paging, user groups, stats, delete', async () => {
  await withOkta(dtu, async ({ client }) => {
    const groups = await all(client.groupApi.listGroups());
    assert.equal(groups.find((g) => g.profile.name === 'Everyone').type, 'BUILT_IN');
    const group = await client.groupApi.createGroup({ group: { profile: { name: 'Node club', description: 'JS' } } });
    assert.match(group.id, /^00g/);
    const users = await all(client.userApi.listUsers());
    for (const u of users.slice(0, 5)) await client.groupApi.assignUserToGroup({ groupId: group.id, userId: u.id });
    const members = await all(client.groupApi.listGroupUsers({ groupId: group.id, limit: 2 }));
    assert.deepEqual(members.map((m) => m.id).sort(), users.slice(0, 5).map((u) => u.id).sort());
    const theirs = await all(client.userApi.listUserGroups({ userId: users[0].id }));
    assert.ok(theirs.some((g) => g.id === group.id));
    const [withStats] = await all(client.groupApi.listGroups({ q: 'Node club', expand: 'stats' }));
    assert.equal(withStats._embedded.stats.usersCount, 5);
    await client.groupApi.unassignUserFromGroup({ groupId: group.id, userId: users[0].id });
    assert.equal((await all(client.groupApi.listGroupUsers({ groupId: group.id }))).length, 4);
    await expectOktaError(400, 'E0000001', client.groupApi.createGroup({ group: { profile: { name: 'node CLUB' } } }));
    await client.groupApi.deleteGroup({ groupId: group.id });
    await expectOktaError(404, 'E0000007', client.groupApi.getGroup({ groupId: group.id }));
  });
});

test('applications: typed models, create, assignments, lifecycle and delete rules', async () => {
  await withOkta(dtu, async ({ client }) => {
    const apps = await all(client.applicationApi.listApplications());
    const kinds = Object.fromEntries(apps.map((a) => [a.label, a.constructor.name]));
    assert.deepEqual(kinds, {
      'Acme Wiki': 'BookmarkApplication',
      'Payroll (Legacy)': 'BasicAuthApplication',
      'Acme Portal': 'OpenIdConnectApplication',
      'Expense Tracker': 'OpenIdConnectApplication',
    });
    const app = await client.applicationApi.createApplication({
      application: {
        label: 'Node OIDC',
        signOnMode: 'OPENID_CONNECT',
        name: 'oidc_client',
        settings: { oauthClient: { grant_types: ['client_credentials'], response_types: ['token'], application_type: 'service' } },
      },
    });
    assert.equal(app.credentials.oauthClient.client_id, app.id);
    assert.ok(app.credentials.oauthClient.client_secret);
    const carol = await client.userApi.getUser({ userId: 'carol' });
    const appUser = await client.applicationApi.assignUserToApplication({ appId: app.id, appUser: { id: carol.id, scope: 'USER' } });
    assert.equal(appUser.scope, 'USER');
    assert.equal(appUser.credentials.userName, 'carol@acme.test');
    const eng = (await all(client.groupApi.listGroups({ q: 'Engineering' })))[0];
    await client.applicationApi.assignGroupToApplication({ appId: app.id, groupId: eng.id, applicationGroupAssignment: { priority: 1 } });
    const appUsers = await all(client.applicationApi.listApplicationUsers({ appId: app.id, limit: 2 }));
    assert.equal(appUsers.length, 4); // carol directly, bob/dave/erin through Engineering
    assert.equal(appUsers.find((u) => u.id === carol.id).scope, 'USER');
    const links = await all(client.userApi.listAppLinks({ userId: carol.id }));
    assert.ok(links.some((l) => l.label === 'Node OIDC'));
    await expectOktaError(403, 'E0000056', client.applicationApi.deleteApplication({ appId: app.id }));
    await client.applicationApi.deactivateApplication({ appId: app.id });
    await client.applicationApi.deleteApplication({ appId: app.id });
    await expectOktaError(404, 'E0000007', client.applicationApi.getApplication({ appId: app.id }));
    await expectOktaError(
      400,
      'E0000001',
      client.applicationApi.createApplication({ application: { label: 'Broken', signOnMode: 'BOOKMARK', name: 'bookmark', settings: { app: {} } } }),
    );
  });
});

test('system log: events for writes, filters, and paging with until', async () => {
  await withOkta(dtu, async ({ client, org }) => {
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const since = '2000-01-01T00:00:00.000Z';
    const user = await client.userApi.createUser({ body: userBody(), activate: false });
    await client.userApi.activateUser({ userId: user.id, sendEmail: false });
    await client.userApi.suspendUser({ userId: user.id });
    await client.userApi.unsuspendUser({ userId: user.id });
    const events = await all(client.systemLogApi.listLogEvents({ since, until, limit: 1 }));
    assert.deepEqual(
      events.map((e) => e.eventType),
      ['user.lifecycle.create', 'user.lifecycle.activate', 'user.lifecycle.suspend', 'user.lifecycle.unsuspend'],
    );
    assert.ok(events.every((e) => e.published instanceof Date && e.actor.id === org.admin_user_id && e.target[0].id === user.id));
    const suspends = await all(client.systemLogApi.listLogEvents({ since, until, filter: 'eventType eq "user.lifecycle.suspend"' }));
    assert.equal(suspends.length, 1);
    const desc = await all(client.systemLogApi.listLogEvents({ since, until, sortOrder: 'DESCENDING' }));
    assert.equal(desc[0].eventType, 'user.lifecycle.unsuspend');
    const res = await raw(org, 'GET', `/api/v1/logs?since=${since}`);
    assert.match(res.headers.get('link'), /rel="next"$/, 'a polling request always has a next link');
  });
});
