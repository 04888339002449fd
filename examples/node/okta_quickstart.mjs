// Quickstart: the official @okta/okta-sdk-nodejs (8.x) against DTU, unchanged but for orgUrl.
// Run `dtu serve` first; export DTU_ADMIN_TOKEN (the admin_token it printed)
// and DTU_CONTROL_URL when it is not on the default port.
import okta from '@okta/okta-sdk-nodejs';

const control = process.env.DTU_CONTROL_URL ?? 'http://127.0.0.1:8700/_dtu/';
const { org_url: orgUrl, api_token: token } = (await (await fetch(`${control}universes/default`, {
  headers: { authorization: `Bearer ${process.env.DTU_ADMIN_TOKEN}` },
})).json()).okta;

const client = new okta.Client({ orgUrl, token });
const engineers = [];
for await (const user of await client.userApi.listUsers({ search: 'profile.department eq "Engineering"' })) {
  engineers.push(user);
}
console.log('connected to', orgUrl, '-', engineers.length, 'engineers');
for (const user of engineers) console.log(' ', user.profile.login, user.status);

try {
  await client.userApi.getUser({ id: 'nobody@acme.test' });
} catch (e) {
  console.log('as on Okta:', e.errorCode, e.errorSummary);
}
