// Tiers 4-6 through @slack/web-api: reactions, pins, bookmarks, usergroups, search,
// emoji, dnd, and files.uploadV2 (multipart `body` part to the upload URL).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startDtu } from '../helpers/dtu.mjs';
import { expectSlackError, withSlack } from './slack_support.test.mjs';

let dtu;
before(async () => {
  dtu = await startDtu();
});
after(async () => {
  await dtu?.stop();
});

test('reactions and pins', async () => {
  await withSlack(dtu, async ({ bot, user, channel }) => {
    const general = await channel('general');
    const { ts } = await bot.chat.postMessage({ channel: general, text: 'react' });
    await bot.reactions.add({ channel: general, timestamp: ts, name: 'white_check_mark' });
    await user.reactions.add({ channel: general, timestamp: ts, name: 'white_check_mark' });
    const got = await bot.reactions.get({ channel: general, timestamp: ts });
    assert.equal(got.message.reactions[0].count, 2);
    await expectSlackError('already_reacted', bot.reactions.add({ channel: general, timestamp: ts, name: 'white_check_mark' }));
    await bot.reactions.remove({ channel: general, timestamp: ts, name: 'white_check_mark' });
    await expectSlackError('no_reaction', bot.reactions.remove({ channel: general, timestamp: ts, name: 'white_check_mark' }));
    const listed = [];
    for await (const page of user.paginate('reactions.list', { limit: 1 })) listed.push(...page.items);
    assert.equal(listed[0].message.ts, ts);
    await bot.pins.add({ channel: general, timestamp: ts });
    await expectSlackError('already_pinned', bot.pins.add({ channel: general, timestamp: ts }));
    const pins = await bot.pins.list({ channel: general });
    assert.deepEqual(pins.items.map((i) => i.message.ts), [ts]);
    await bot.pins.remove({ channel: general, timestamp: ts });
    assert.equal((await bot.pins.list({ channel: general })).items.length, 0);
  });
});

test('bookmarks', async () => {
  await withSlack(dtu, async ({ bot, channel }) => {
    const general = await channel('general');
    const { bookmark } = await bot.bookmarks.add({ channel_id: general, title: 'Runbook', type: 'link', link: 'https://wiki.acme.test/runbook' });
    assert.match(bookmark.id, /^Bk/);
    assert.deepEqual((await bot.bookmarks.list({ channel_id: general })).bookmarks.map((b) => b.title), ['Runbook']);
    await expectSlackError('invalid_link', bot.bookmarks.add({ channel_id: general, title: 'x', type: 'link', link: 'nope' }));
    await bot.bookmarks.remove({ channel_id: general, bookmark_id: bookmark.id });
    await expectSlackError('not_found', bot.bookmarks.remove({ channel_id: general, bookmark_id: bookmark.id }));
  });
});

test('usergroups, search, emoji, dnd', async () => {
  await withSlack(dtu, async ({ bot, user, userId }) => {
    const { usergroups } = await bot.usergroups.list({ include_users: true });
    const oncall = usergroups.find((g) => g.handle === 'oncall');
    assert.equal(oncall.users.length, 3);
    const created = await bot.usergroups.create({ name: 'Node Owners', handle: 'node-owners' });
    const carol = await userId('carol');
    const updated = await bot.usergroups.users.update({ usergroup: created.usergroup.id, users: [carol].join(',') });
    assert.deepEqual(updated.usergroup.users, [carol]);
    assert.deepEqual((await bot.usergroups.users.list({ usergroup: created.usergroup.id })).users, [carol]);
    await expectSlackError('name_already_exists', bot.usergroups.create({ name: 'Node Owners', handle: 'other' }));
    await bot.usergroups.disable({ usergroup: created.usergroup.id });
    await expectSlackError('no_such_subteam', bot.usergroups.users.list({ usergroup: created.usergroup.id }));
    const found = await user.search.messages({ query: 'Globex' });
    assert.equal(found.messages.total, 1);
    assert.equal(found.messages.matches[0].channel.name, 'sales');
    await expectSlackError('no_query', user.search.messages({ query: '' }));
    assert.deepEqual((await bot.emoji.list()).emoji, {});
    assert.equal((await bot.dnd.info({ user: carol })).dnd_enabled, false);
  });
});

test('files.uploadV2 shares into a channel; info, list, delete', async () => {
  await withSlack(dtu, async ({ bot, channel }) => {
    const general = await channel('general');
    const result = await bot.files.uploadV2({
      channel_id: general,
      file: Buffer.from('hello from node\n'),
      filename: 'hello.txt',
      title: 'Hello',
      initial_comment: 'A file from Node',
    });
    assert.equal(result.ok, true);
    const file = result.files[0].files[0];
    assert.match(file.id, /^F/);
    assert.equal(file.title, 'Hello');
    assert.equal(file.size, 16);
    const top = (await bot.conversations.history({ channel: general, limit: 1 })).messages[0];
    assert.equal(top.subtype, 'file_share');
    assert.equal(top.text, 'A file from Node');
    assert.equal(top.files[0].id, file.id);
    assert.deepEqual((await bot.files.info({ file: file.id })).file.channels, [general]);
    assert.deepEqual((await bot.files.list({ channel: general })).files.map((f) => f.id), [file.id]);
    await bot.files.delete({ file: file.id });
    await expectSlackError('file_deleted', bot.files.info({ file: file.id }));
    await expectSlackError('method_deprecated', bot.apiCall('files.upload', { channels: general, content: 'old' }));
  });
});
