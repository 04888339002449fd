// Quickstart: the official @slack/web-api against DTU, unchanged but for slackApiUrl.
// Run `dtu serve` first; export DTU_ADMIN_TOKEN (the admin_token it printed)
// and DTU_CONTROL_URL when it is not on the default port.
import { WebClient } from '@slack/web-api';

const control = process.env.DTU_CONTROL_URL ?? 'http://127.0.0.1:8700/_dtu/';
const universe = await (await fetch(`${control}universes/default`, {
  headers: { authorization: `Bearer ${process.env.DTU_ADMIN_TOKEN}` },
})).json();
const { bot_token: token, base_url: slackApiUrl } = universe.slack;

const client = new WebClient(token, { slackApiUrl });
console.log('connected to', (await client.auth.test()).team);

const { channels } = await client.conversations.list();
const general = channels.find((c) => c.name === 'general');
const posted = await client.chat.postMessage({ channel: general.id, text: 'Hello from DTU' });
console.log('posted', posted.ts, 'in #general');

try {
  await client.conversations.history({ channel: 'C0NOSUCHCHAN' });
} catch (e) {
  console.log('as on Slack:', e.data.error);
}
