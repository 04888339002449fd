// More Web API methods through @slack/web-api: api.test, files.remote.*, canvases.*,
// calls.*, slackLists.*, users.setPhoto, bookmarks.edit, team.*, and metadata entities.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { WebClient } from '@slack/web-api';

import { startDtu } from '../helpers/dtu.mjs';
import { expectSlackError, withSlack } from './slack_support.test.mjs';

let dtu;
before(async () => {
  dtu = await startDtu();
});
after(async () => {
  await dtu?.stop();
});

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32)]);
const md = (markdown) => ({ type: 'markdown', markdown });

test('api.test echoes its arguments and fails on demand, with or without a token', async () => {
  await withSlack(dtu, async ({ bot, slack }) => {
    const echoed = await bot.api.test({ foo: 'bar' });
    assert.deepEqual(echoed.args, { foo: 'bar' });
    const failed = await expectSlackError('my_error', bot.api.test({ error: 'my_error' }));
    assert.equal(failed.args.error, 'my_error');
    const anonymous = new WebClient(undefined, { slackApiUrl: slack.base_url, retryConfig: { retries: 0 } });
    assert.equal((await anonymous.api.test()).ok, true);
  });
});

test('remote files: add, share, list, update, remove', async () => {
  await withSlack(dtu, async ({ bot, user, channel }) => {
    const general = await channel('general');
    const { file } = await bot.files.remote.add({ external_id: 'n-1', external_url: 'https://docs.example.com/n1', title: 'Node doc' });
    assert.equal(file.is_external, true);
    assert.equal(file.external_id, 'n-1');
    await expectSlackError('file_not_found', user.files.remote.info({ file: file.id }));
    const shared = await bot.files.remote.share({ external_id: 'n-1', channels: general });
    assert.deepEqual(shared.file.channels, [general]);
    assert.equal((await user.files.remote.info({ file: file.id })).file.title, 'Node doc');
    const listed = await bot.files.remote.list({ channel: general });
    assert.deepEqual(listed.files.map((f) => f.id), [file.id]);
    const updated = await bot.files.remote.update({ external_id: 'n-1', title: 'Node doc v2' });
    assert.equal(updated.file.title, 'Node doc v2');
    await expectSlackError('too_many_ids', bot.files.remote.info({ file: file.id, external_id: 'n-1' }));
    await bot.files.remote.remove({ external_id: 'n-1' });
    await expectSlackError('file_not_found', bot.files.remote.info({ external_id: 'n-1' }));
  });
});

test('canvases: create, look up, edit, share, channel canvas', async () => {
  await withSlack(dtu, async ({ bot, user, channel }) => {
    const general = await channel('general');
    const { canvas_id } = await user.canvases.create({ title: 'Plan', document_content: md('# Goals\nship\n\n## Risks\nnone') });
    const { sections } = await user.canvases.sections.lookup({ canvas_id, criteria: { section_types: ['h2'] } });
    assert.equal(sections.length, 1);
    await user.canvases.edit({ canvas_id, changes: [{ operation: 'insert_before', section_id: sections[0].id, document_content: md('## Owners') }] });
    const headers = await user.canvases.sections.lookup({ canvas_id, criteria: { section_types: ['any_header'] } });
    assert.equal(headers.sections.length, 3);
    await expectSlackError('canvas_not_found', bot.canvases.sections.lookup({ canvas_id, criteria: { contains_text: 'ship' } }));
    await user.canvases.access.set({ canvas_id, access_level: 'read', user_ids: [(await bot.auth.test()).user_id] });
    assert.equal((await bot.canvases.sections.lookup({ canvas_id, criteria: { contains_text: 'ship' } })).sections.length, 1);
    await expectSlackError('restricted_action', bot.canvases.delete({ canvas_id }));
    await user.canvases.delete({ canvas_id });
    const channelCanvas = await bot.conversations.canvases.create({ channel_id: general, document_content: md('# Hi') });
    assert.match(channelCanvas.canvas_id, /^F/);
    await expectSlackError('channel_canvas_already_exists', bot.conversations.canvases.create({ channel_id: general }));
  });
});

test('calls: add, participants, end', async () => {
  await withSlack(dtu, async ({ bot, userId }) => {
    const bob = await userId('bob');
    const { call } = await bot.calls.add({ external_unique_id: 'node-call', join_url: 'https://calls.example.com/n', users: [{ slack_id: bob }] });
    await bot.calls.participants.add({ id: call.id, users: [{ external_id: 'guest', display_name: 'Guest' }] });
    assert.equal((await bot.calls.info({ id: call.id })).call.users.length, 2);
    await bot.calls.end({ id: call.id });
    assert.ok('date_end' in (await bot.calls.info({ id: call.id })).call);
    await expectSlackError('inactive_call', bot.calls.end({ id: call.id }));
    await expectSlackError('invalid_call_id', bot.calls.info({ id: 'R0NOPE' }));
  });
});

test('slackLists: create, items, update cells, delete', async () => {
  await withSlack(dtu, async ({ user }) => {
    const created = await user.slackLists.create({
      name: 'Node board',
      schema: [
        { key: 'title', name: 'Title', type: 'text', is_primary_column: true },
        { key: 'points', name: 'Points', type: 'number' },
      ],
    });
    const [title, points] = created.list_metadata.schema.map((c) => c.id);
    const { item } = await user.slackLists.items.create({
      list_id: created.list_id,
      initial_fields: [{ column_id: title, rich_text: [{ type: 'rich_text', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'Task' }] }] }] }],
    });
    await user.slackLists.items.update({ list_id: created.list_id, cells: [{ row_id: item.id, column_id: points, number: [5] }] });
    const info = await user.slackLists.items.info({ list_id: created.list_id, id: item.id });
    const fields = Object.fromEntries(info.record.fields.map((f) => [f.key, f]));
    assert.equal(fields.title.text, 'Task');
    assert.equal(fields.points.value, 5);
    await expectSlackError('invalid_input_type', user.slackLists.items.update({ list_id: created.list_id, cells: [{ row_id: item.id, column_id: points, date: ['2026-01-01'] }] }));
    await user.slackLists.items.delete({ list_id: created.list_id, id: item.id });
    assert.deepEqual((await user.slackLists.items.list({ list_id: created.list_id })).items, []);
    await expectSlackError('list_not_found', user.slackLists.items.list({ list_id: 'F0NOPE' }));
  });
});

test('users.setPhoto, bookmarks.edit, team billing and preferences, entity metadata', async () => {
  await withSlack(dtu, async ({ bot, user, channel }) => {
    const photo = await user.users.setPhoto({ image: PNG });
    assert.match(photo.profile.image_192, /avatars\.slack-edge\.com/);
    await expectSlackError('bad_image', user.users.setPhoto({ image: Buffer.from('text') }));
    await user.users.deletePhoto();
    const general = await channel('general');
    const { bookmark } = await bot.bookmarks.add({ channel_id: general, title: 'A', type: 'link', link: 'https://a.example.com' });
    const edited = await bot.bookmarks.edit({ channel_id: general, bookmark_id: bookmark.id, title: 'B' });
    assert.equal(edited.bookmark.title, 'B');
    assert.equal((await bot.team.billing.info()).plan, 'std');
    assert.equal((await user.team.preferences.list()).who_can_post_general, 'everyone');
    const entity = { entity_type: 'slack#/entities/task', url: 'https://t.example.com/1', external_ref: { id: 't1' }, entity_payload: { attributes: { title: { text: 'T' } } } };
    const posted = await bot.chat.postMessage({ channel: general, text: 'task', metadata: { entities: [entity] } });
    assert.equal(posted.message.metadata.entities[0].external_ref.id, 't1');
    await expectSlackError('invalid_metadata_schema', bot.chat.postMessage({ channel: general, text: 'x', metadata: { entities: [{}] } }));
  });
});

test('dnd snoozes, reminders, chat streams, Connect invitations', async () => {
  await withSlack(dtu, async ({ bot, user, channel }) => {
    const snooze = await user.dnd.setSnooze({ num_minutes: 10 });
    assert.equal(snooze.snooze_remaining, 600);
    assert.equal((await user.dnd.info()).snooze_enabled, true);
    await user.dnd.endSnooze();
    await expectSlackError('snooze_end_failed', user.dnd.endSnooze());
    const { reminder } = await user.reminders.add({ text: 'ship it', time: 'in 2 hours' });
    assert.equal(reminder.recurring, false);
    assert.deepEqual((await user.reminders.list()).reminders.map((r) => r.id), [reminder.id]);
    await user.reminders.complete({ reminder: reminder.id });
    await expectSlackError('cannot_parse', user.reminders.add({ text: 'x', time: 'eventually' }));
    const general = await channel('general');
    const { ts: parent } = await user.chat.postMessage({ channel: general, text: 'question' });
    const { ts } = await bot.chat.startStream({ channel: general, thread_ts: parent, markdown_text: 'Hel' });
    await bot.chat.appendStream({ channel: general, ts, markdown_text: 'lo' });
    const stopped = await bot.chat.stopStream({ channel: general, ts });
    assert.equal(stopped.message.text, 'Hello');
    await expectSlackError('message_not_in_streaming_state', bot.chat.appendStream({ channel: general, ts, markdown_text: 'x' }));
    const incidents = await channel('incidents');
    const sent = await bot.conversations.inviteShared({ channel: incidents, emails: 'partner@vendor.example' });
    const { invites } = await bot.conversations.listConnectInvites();
    assert.deepEqual(invites.map((i) => i.invite.id), [sent.invite_id]);
  });
});
