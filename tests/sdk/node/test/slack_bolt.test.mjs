// Bolt for JavaScript (@slack/bolt) apps against the Slack twin, unchanged but for the
// API URL: Socket Mode (Bolt forwards clientOptions.slackApiUrl to apps.connections.open)
// and the Events API over HTTP (Bolt's own receiver verifies the twin's signatures).
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';

import bolt from '@slack/bolt';

import { control, startDtu } from '../helpers/dtu.mjs';
import { slackControl, waitFor, withSlack } from './slack_support.test.mjs';

const { App, LogLevel } = bolt;

let dtu;
before(async () => {
  dtu = await startDtu();
});
after(async () => {
  await dtu?.stop();
});



const say = (universe, user, channel, text) =>
  slackControl(dtu, universe, 'POST', 'simulate/message', { user, channel, text }, 201);

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a Socket Mode Bolt app answers a person', async () => {
  await withSlack(dtu, async ({ universe, slack, bot, channel, userId }) => {
    const app = new App({
      token: slack.bot_token,
      appToken: slack.app_token,
      socketMode: true,
      clientOptions: { slackApiUrl: slack.base_url },
      logLevel: LogLevel.ERROR,
    });
    const seen = [];
    app.message('hello', async ({ message, say: reply }) => {
      seen.push(message);
      await reply(`Hi <@${message.user}>, from Bolt-JS`);
    });
    app.event('reaction_added', async ({ event, client }) => {
      await client.chat.postMessage({ channel: event.item.channel, thread_ts: event.item.ts, text: `thanks for the :${event.reaction}:` });
    });
    await app.start();
    try {
      const settings = await slackControl(dtu, universe, 'GET', 'app', undefined, 200);
      assert.equal(settings.connections, 1);
      const general = await channel('general');
      const carol = await userId('carol');
      const said = await say(universe, 'carol', 'general', 'hello bolt');
      assert.equal(said.channel, general);

      const reply = await waitFor('the reply', async () => {
        const { messages } = await bot.conversations.history({ channel: general, limit: 5 });
        return messages.find((m) => m.bot_id && m.text.includes('from Bolt-JS'));
      });
      assert.equal(reply.text, `Hi <@${carol}>, from Bolt-JS`);
      assert.equal(seen.length, 1);
      assert.equal(seen[0].ts, said.ts);
      assert.equal(seen[0].channel_type, 'channel');

      await slackControl(dtu, universe, 'POST', 'simulate/reaction', { user: 'dave', channel: general, ts: said.ts, name: 'tada' }, 201);
      const thanks = await waitFor('the thread reply', async () => {
        const { messages } = await bot.conversations.replies({ channel: general, ts: said.ts });
        return messages.find((m) => m.bot_id && m.text.startsWith('thanks'));
      });
      assert.equal(thanks.text, 'thanks for the :tada:');
      const outbox = await slackControl(dtu, universe, 'GET', 'events', undefined, 200);
      const hello = outbox.events.find((e) => e.payload.event.ts === said.ts && e.type === 'message');
      assert.equal(hello.route, 'socket_mode');
      assert.equal(hello.status, 'delivered');
    } finally {
      await app.stop();
    }
    await waitFor('the socket to close', async () => (await slackControl(dtu, universe, 'GET', 'app', undefined, 200)).connections === 0);
  });
});

test('an HTTP Bolt app verifies the twin\'s signed events', async () => {
  await withSlack(dtu, async ({ universe, slack, bot, channel, userId }) => {
    const port = await freePort();
    const app = new App({
      token: slack.bot_token,
      signingSecret: slack.signing_secret,
      clientOptions: { slackApiUrl: slack.base_url },
      logLevel: LogLevel.ERROR,
    });
    app.message('hello', async ({ message, say: reply }) => {
      await reply(`Hello <@${message.user}> over HTTP`);
    });
    await app.start(port);
    try {
      const url = `http://127.0.0.1:${port}/slack/events`;
      // Bolt answers the url_verification challenge itself.
      const settings = await slackControl(dtu, universe, 'PUT', 'app', { request_url: url, socket_mode: false }, 200);
      assert.equal(settings.delivery_mode, 'http');
      const general = await channel('general');
      await say(universe, 'erin', 'general', 'hello http');
      const reply = await waitFor('the reply', async () => {
        const { messages } = await bot.conversations.history({ channel: general, limit: 5 });
        return messages.find((m) => m.bot_id && m.text.includes('over HTTP'));
      });
      assert.equal(reply.text, `Hello <@${await userId('erin')}> over HTTP`);

      // A wrong secret: Bolt refuses the handshake, so the URL is not saved.
      await slackControl(dtu, universe, 'PUT', 'app', { request_url: null }, 200);
      const refused = await slackControl(dtu, universe, 'PUT', 'app', { request_url: url, signing_secret: 'not-the-secret' }, 400);
      assert.match(refused.error.message, /url_verification failed/);
      assert.equal((await slackControl(dtu, universe, 'GET', 'app', undefined, 200)).request_url, null);
    } finally {
      await app.stop();
    }
  });
});

test('a Socket Mode Bolt app runs a slash command and a button click', async () => {
  await withSlack(dtu, async ({ universe, slack, bot, channel, userId }) => {
    const app = new App({
      token: slack.bot_token,
      appToken: slack.app_token,
      socketMode: true,
      clientOptions: { slackApiUrl: slack.base_url },
      logLevel: LogLevel.ERROR,
    });
    const blocks = [
      { type: 'actions', block_id: 'choices', elements: [
        { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'yes' },
      ] },
    ];
    const commands = [];
    app.command('/deploy', async ({ command, ack, respond }) => {
      commands.push(command);
      await ack(`Deploying ${command.text}`);
      await respond({ response_type: 'in_channel', text: `Deploy ${command.text}?`, blocks });
    });
    app.action('approve', async ({ body, ack, respond }) => {
      await ack();
      await respond({ replace_original: true, text: `Approved by <@${body.user.id}>` });
    });
    await app.start();
    try {
      const general = await channel('general');
      const erin = await userId('erin');
      const ran = await slackControl(dtu, universe, 'POST', 'simulate/slash_command',
        { user: 'erin', channel: 'general', command: '/deploy', text: 'jobs' }, 201);
      assert.equal(ran.route, 'socket_mode');
      const question = await waitFor('the question', async () =>
        (await bot.conversations.history({ channel: general, limit: 10 })).messages.find((m) => m.text === 'Deploy jobs?'));
      assert.equal(commands[0].user_id, erin);
      assert.equal(commands[0].channel_id, general);
      const acked = await waitFor('the ack', async () =>
        (await slackControl(dtu, universe, 'GET', 'events', undefined, 200)).events
          .find((e) => e.type === 'slash_command' && e.status === 'delivered'));
      assert.deepEqual(acked.deliveries.at(-1).response, { text: 'Deploying jobs' });

      await slackControl(dtu, universe, 'POST', 'simulate/block_action',
        { user: 'erin', channel: 'general', message_ts: question.ts, action_id: 'approve' }, 201);
      const answered = await waitFor('the replaced question', async () =>
        (await bot.conversations.history({ channel: general, limit: 10 })).messages
          .find((m) => m.ts === question.ts && m.text.startsWith('Approved')));
      assert.equal(answered.text, `Approved by <@${erin}>`);
    } finally {
      await app.stop();
    }
  });
});
