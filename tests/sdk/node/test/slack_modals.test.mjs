// Modals with Bolt for JavaScript (@slack/bolt) over Socket Mode: a simulated person runs
// the app's shortcuts (whose trigger ids open modals), types in an external select and
// submits; the app's ack `response_action` decides what the person sees next, which the
// twin's simulate endpoints answer.
import assert from 'node:assert/strict';
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



const plain = (text) => ({ type: 'plain_text', text });
const option = (text, value) => ({ text: plain(text), value });

const REQUEST = {
  type: 'modal',
  callback_id: 'access_request',
  title: plain('Request access'),
  submit: plain('Request'),
  blocks: [
    { type: 'input', block_id: 'system', label: plain('System'),
      element: { type: 'external_select', action_id: 'system_pick', min_query_length: 1 } },
    { type: 'input', block_id: 'reason', label: plain('Reason'),
      element: { type: 'plain_text_input', action_id: 'why', multiline: true } },
    { type: 'input', block_id: 'until', label: plain('Until'), optional: true,
      element: { type: 'datepicker', action_id: 'date' } },
  ],
};

const CONFIRM = {
  type: 'modal', callback_id: 'confirm', title: plain('Confirm'), submit: plain('Yes'),
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Sure?' } }],
};

test('shortcuts open modals whose submissions follow the ack response_action', async () => {
  await withSlack(dtu, async ({ universe, slack, bot, channel, userId }) => {
    const app = new App({
      token: slack.bot_token,
      appToken: slack.app_token,
      socketMode: true,
      clientOptions: { slackApiUrl: slack.base_url },
      logLevel: LogLevel.ERROR,
    });
    const shortcuts = [];
    const opened = [];
    const submissions = [];
    const open = async ({ shortcut, ack, client }) => {
      await ack();
      shortcuts.push(shortcut);
      const res = await client.views.open({ trigger_id: shortcut.trigger_id, view: REQUEST });
      opened.push(res.view);
    };
    app.shortcut('request_access', open);
    app.shortcut('request_from_message', open);
    app.options('system_pick', async ({ options, ack }) => {
      const systems = ['Grafana', 'GitHub', 'Okta'].filter((s) => s.toLowerCase().startsWith(options.value.toLowerCase()));
      await ack({ options: systems.map((s) => option(s, s.toLowerCase())) });
    });
    app.view('access_request', async ({ ack, view, body }) => {
      submissions.push(body);
      const reason = view.state.values.reason.why.value;
      if (reason.length < 10) {
        await ack({ response_action: 'errors', errors: { reason: 'Tell us a bit more' } });
      } else {
        await ack({ response_action: 'push', view: CONFIRM });
      }
    });
    app.view('confirm', async ({ ack }) => {
      await ack({ response_action: 'clear' });
    });
    await app.start();
    try {
      const alice = await userId('alice');
      const ran = await slackControl(dtu, universe, 'POST', 'simulate/shortcut',
        { user: 'alice', callback_id: 'request_access' }, 201);
      assert.equal(ran.type, 'shortcut');
      const modal = await waitFor('the modal', () => opened[0]);
      assert.equal(shortcuts[0].type, 'shortcut');
      assert.equal(shortcuts[0].trigger_id, ran.trigger_id);
      assert.equal(shortcuts[0].user.id, alice);

      const suggested = await slackControl(dtu, universe, 'POST', 'simulate/block_suggestion',
        { user: 'alice', view_id: modal.id, action_id: 'system_pick', value: 'g' }, 200);
      assert.deepEqual(suggested.options, [option('Grafana', 'grafana'), option('GitHub', 'github')]);

      const submit = (values) => slackControl(dtu, universe, 'POST', 'simulate/view_submission',
        { view_id: modal.id, user: 'alice', values }, 200);
      let answer = await submit({ system: { system_pick: 'github' }, reason: { why: 'need it' } });
      assert.equal(answer.response_action, 'errors');
      assert.deepEqual(answer.errors, { reason: 'Tell us a bit more' });
      assert.deepEqual(answer.stack.map((v) => v.id), [modal.id]);
      const body = submissions[0];
      assert.equal(body.type, 'view_submission');
      assert.equal(body.user.id, alice);
      assert.equal(body.view.id, modal.id);
      assert.equal(body.view.callback_id, 'access_request');
      // An external select's option is the one the person picked from the app's list.
      assert.equal(body.view.state.values.system.system_pick.selected_option.value, 'github');
      assert.deepEqual(body.view.state.values.until.date, { type: 'datepicker', selected_date: null });

      // The person fixes the reason (the system stays picked): the app pushes a confirmation.
      answer = await submit({ reason: { why: 'on-call rotation next week' }, until: { date: '2026-06-30' } });
      assert.equal(answer.response_action, 'push');
      assert.equal(answer.stack.length, 2);
      assert.equal(answer.view.callback_id, 'confirm');
      assert.equal(submissions[1].view.state.values.system.system_pick.selected_option.value, 'github');
      assert.equal(submissions[1].view.state.values.until.date.selected_date, '2026-06-30');

      answer = await slackControl(dtu, universe, 'POST', 'simulate/view_submission', { view_id: answer.view.id }, 200);
      assert.equal(answer.response_action, 'clear');
      assert.deepEqual(answer.stack, []);
      assert.equal(answer.closed.length, 2);

      // A message shortcut carries the message and opens a modal too.
      const general = await channel('general');
      const posted = await bot.chat.postMessage({ channel: general, text: 'who can see prod logs?' });
      const onMessage = await slackControl(dtu, universe, 'POST', 'simulate/shortcut',
        { user: 'bob', callback_id: 'request_from_message', channel: 'general', message_ts: posted.ts }, 201);
      assert.equal(onMessage.type, 'message_action');
      await waitFor('the second modal', () => opened[1]);
      const action = shortcuts[1];
      assert.equal(action.type, 'message_action');
      assert.equal(action.message.text, 'who can see prod logs?');
      assert.equal(action.channel.id, general);
      assert.equal(action.response_url, onMessage.response_url);
    } finally {
      await app.stop();
    }
  });
});
