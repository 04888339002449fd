// Tiers 1-3 through @slack/web-api: auth, users, conversations, chat.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startDtu } from '../helpers/dtu.mjs';
import { advanceClock, expectSlackError, webClient, withSlack } from './slack_support.test.mjs';

let dtu;
before(async () => {
  dtu = await startDtu();
});
after(async () => {
  await dtu?.stop();
});

test('auth.test for bot and user tokens, scopes in response_metadata', async () => {
  await withSlack(dtu, async ({ slack, bot, user }) => {
    const me = await bot.auth.test();
    assert.equal(me.user_id, slack.bot_user_id);
    assert.equal(me.team_id, slack.team_id);
    assert.match(me.bot_id, /^B/);
    assert.equal(me.url, 'https://acme.slack.com/');
    assert.equal(me.is_enterprise_install, false);
    assert.ok(me.response_metadata.scopes.includes('chat:write'));
    const alice = await user.auth.test();
    assert.equal(alice.user, 'alice');
    assert.equal(alice.bot_id, undefined);
  });
});

test('auth errors: not_authed, invalid_auth, revoked, missing_scope, token type', async () => {
  await withSlack(dtu, async ({ slack, bot, user, app }) => {
    const anonymous = webClient({ ...slack, bot_token: undefined });
    await expectSlackError('not_authed', anonymous.auth.test());
    await expectSlackError('invalid_auth', webClient({ ...slack, bot_token: 'xoxb-nope' }).auth.test());
    const denied = await expectSlackError('missing_scope', bot.users.setPresence({ presence: 'away' }));
    assert.equal(denied.needed, 'users:write');
    assert.ok(denied.provided.split(',').includes('channels:read'));
    await expectSlackError('not_allowed_token_type', bot.search.messages({ query: 'x' }));
    await expectSlackError('not_allowed_token_type', app.conversations.list());
    await expectSlackError('unknown_method', bot.apiCall('chat.nope'));
    assert.equal((await user.auth.revoke()).revoked, true);
    await expectSlackError('token_revoked', user.auth.test());
  });
});

test('users: paginate to the end, info, lookupByEmail, profile', async () => {
  await withSlack(dtu, async ({ bot, user, userId }) => {
    const ids = [];
    let pages = 0;
    for await (const page of bot.paginate('users.list', { limit: 5 })) {
      pages += 1;
      ids.push(...page.members.map((m) => m.id));
    }
    assert.equal(pages, 4);
    assert.equal(new Set(ids).size, 17);
    const carol = await userId('carol');
    const info = await bot.users.info({ user: carol });
    assert.equal(info.user.real_name, 'Carol Chen');
    assert.equal(info.user.profile.email, 'carol@acme.test');
    await expectSlackError('users_not_found', bot.users.lookupByEmail({ email: 'ghost@acme.test' }));
    await expectSlackError('user_not_found', bot.users.info({ user: 'U0NOPE' }));
    await user.users.profile.set({ profile: { status_text: 'Heads down' } });
    const alice = (await user.auth.test()).user_id;
    assert.equal((await bot.users.profile.get({ user: alice })).profile.status_text, 'Heads down');
    const convs = await bot.users.conversations({ types: ['public_channel', 'private_channel'] });
    assert.deepEqual(convs.channels.map((c) => c.name).sort(), ['announcements', 'general', 'incidents']);
  });
});

test('conversations: list with paginate, history, replies, visibility', async () => {
  await withSlack(dtu, async ({ bot, user, channel }) => {
    const names = [];
    for await (const page of bot.paginate('conversations.list', { limit: 4 })) {
      names.push(...page.channels.map((c) => c.name));
    }
    assert.equal(names.length, 6);
    assert.ok(!names.includes('leadership'));
    const general = await channel('general');
    const history = await bot.conversations.history({ channel: general, limit: 2 });
    assert.equal(history.messages.length, 2);
    assert.equal(history.has_more, true);
    assert.ok(Number(history.messages[0].ts) > Number(history.messages[1].ts));
    const thread = history.messages.find((m) => m.reply_count) ??
      (await bot.conversations.history({ channel: general })).messages.find((m) => m.reply_count);
    const replies = await bot.conversations.replies({ channel: general, ts: thread.ts });
    assert.equal(replies.messages.length, 3);
    await expectSlackError('not_in_channel', bot.conversations.history({ channel: await channel('sales') }));
    await expectSlackError('channel_not_found', bot.conversations.info({ channel: await channel('leadership') }));
    assert.equal((await user.conversations.info({ channel: await channel('leadership') })).channel.is_private, true);
  });
});

test('conversations: create, join, invite, topic, archive, open', async () => {
  await withSlack(dtu, async ({ bot, channel, userId }) => {
    await expectSlackError('invalid_name_specials', bot.conversations.create({ name: 'Bad Name' }));
    await expectSlackError('name_taken', bot.conversations.create({ name: 'random' }));
    const created = await bot.conversations.create({ name: 'node-launch' });
    const id = created.channel.id;
    const [carol, dave] = [await userId('carol'), await userId('dave')];
    await bot.conversations.invite({ channel: id, users: [carol, dave].join(',') });
    const again = await expectSlackError('already_in_channel', bot.conversations.invite({ channel: id, users: carol }));
    assert.deepEqual(again.errors, [{ user: carol, ok: false, error: 'already_in_channel' }]);
    const members = await bot.conversations.members({ channel: id });
    assert.equal(members.members.length, 3);
    const topic = await bot.conversations.setTopic({ channel: id, topic: 'Launch day' });
    assert.equal(topic.channel.topic.value, 'Launch day');
    const joined = await bot.conversations.join({ channel: await channel('engineering') });
    assert.equal(joined.channel.is_member, true);
    const warned = await bot.conversations.join({ channel: id });
    assert.equal(warned.warning, 'already_in_channel');
    await bot.conversations.archive({ channel: id });
    await expectSlackError('is_archived', bot.chat.postMessage({ channel: id, text: 'x' }));
    await expectSlackError('already_archived', bot.conversations.archive({ channel: id }));
    const dm = await bot.conversations.open({ users: carol });
    assert.match(dm.channel.id, /^D/);
    assert.equal((await bot.conversations.open({ users: carol })).channel.id, dm.channel.id);
  });
});

test('chat: post (blocks as JSON strings), thread, update, delete, permalink', async () => {
  await withSlack(dtu, async ({ bot, channel }) => {
    const general = await channel('general');
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Node* says hi' } }];
    const posted = await bot.chat.postMessage({ channel: general, text: 'Node says hi', blocks });
    assert.deepEqual(posted.message.blocks, blocks);
    const reply = await bot.chat.postMessage({ channel: general, text: 'in thread', thread_ts: posted.ts });
    assert.equal(reply.message.thread_ts, posted.ts);
    const parent = (await bot.conversations.history({ channel: general, limit: 1 })).messages[0];
    assert.equal(parent.ts, posted.ts);
    assert.equal(parent.reply_count, 1);
    const updated = await bot.chat.update({ channel: general, ts: posted.ts, text: 'edited' });
    assert.equal(updated.message.edited.user, posted.message.user);
    const link = await bot.chat.getPermalink({ channel: general, message_ts: posted.ts });
    assert.equal(link.permalink, `https://acme.slack.com/archives/${general}/p${posted.ts.replace('.', '')}`);
    await expectSlackError('no_text', bot.chat.postMessage({ channel: general, text: '' }));
    await expectSlackError('msg_too_long', bot.chat.postMessage({ channel: general, text: 'x'.repeat(40001) }));
    await expectSlackError('channel_not_found', bot.chat.postMessage({ channel: 'C0NOPE', text: 'x' }));
    await bot.chat.delete({ channel: general, ts: reply.ts });
    await expectSlackError('message_not_found', bot.chat.delete({ channel: general, ts: reply.ts }));
    const eph = await bot.chat.postEphemeral({ channel: general, user: posted.message.user, text: 'psst' });
    assert.ok(eph.message_ts);
  });
});

test('chat: scheduled messages post when the universe clock reaches post_at', async () => {
  await withSlack(dtu, async ({ universe, bot, channel }) => {
    const general = await channel('general');
    const postAt = Math.floor(Date.now() / 1000) + 120;
    const scheduled = await bot.chat.scheduleMessage({ channel: general, text: 'from the future', post_at: postAt });
    assert.match(scheduled.scheduled_message_id, /^Q/);
    const listed = await bot.chat.scheduledMessages.list({ channel: general });
    assert.deepEqual(listed.scheduled_messages.map((m) => m.id), [scheduled.scheduled_message_id]);
    await advanceClock(dtu, universe, 121);
    const top = (await bot.conversations.history({ channel: general, limit: 1 })).messages[0];
    assert.equal(top.text, 'from the future');
    assert.equal((await bot.chat.scheduledMessages.list({})).scheduled_messages.length, 0);
    await expectSlackError('time_in_past', bot.chat.scheduleMessage({ channel: general, text: 'x', post_at: 1 }));
  });
});
