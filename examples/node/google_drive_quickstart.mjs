// Quickstart: the official googleapis (178) against DTU's Google twin, unchanged but
// for rootUrl (uploads take it per call too; google.discoverAPI(url) avoids that).
// Run `dtu serve` first; export DTU_ADMIN_TOKEN (the admin_token it printed)
// and DTU_CONTROL_URL when it is not on the default port.
import { Readable } from 'node:stream';
import { google } from 'googleapis';

const control = process.env.DTU_CONTROL_URL ?? 'http://127.0.0.1:8700/_dtu/';
const { google: g } = await (await fetch(`${control}universes/default`, {
  headers: { authorization: `Bearer ${process.env.DTU_ADMIN_TOKEN}` },
})).json();

const auth = new google.auth.OAuth2();
auth.setCredentials({ access_token: g.access_tokens['bob@acme.test'] });
const rootUrl = `${g.endpoint}/`;
const drive = google.drive({ version: 'v3', auth, rootUrl });
const about = await drive.about.get({ fields: 'user(emailAddress)' });
console.log('connected to', g.endpoint, 'as', about.data.user.emailAddress);

const made = await drive.files.create(
  { requestBody: { name: 'hello.txt' }, media: { mimeType: 'text/plain', body: Readable.from(['Hello from DTU']) }, fields: 'id,name,size' },
  { rootUrl },
);
console.log('uploaded', made.data.name, made.data.size, 'bytes');
const listed = await drive.files.list({ q: "'me' in owners and trashed = false", fields: 'files(name)' });
for (const f of listed.data.files) console.log(' ', f.name);

try {
  await drive.files.get({ fileId: 'no-such-file' });
} catch (e) {
  console.log('as on Google:', e.status, e.message);
}
