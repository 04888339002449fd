// Quickstart: jira.js (6.x) against DTU, unchanged but for the host.
// Run `dtu serve` first; export DTU_ADMIN_TOKEN (the admin_token it printed)
// and DTU_CONTROL_URL when it is not on the default port.
import { createCloudClient, NotFoundError } from 'jira.js';

const control = process.env.DTU_CONTROL_URL ?? 'http://127.0.0.1:8700/_dtu/';
const site = (await (await fetch(`${control}universes/default`, {
  headers: { authorization: `Bearer ${process.env.DTU_ADMIN_TOKEN}` },
})).json()).jira;

const jira = createCloudClient({
  host: site.base_url,
  auth: { type: 'basic', email: site.email, apiToken: site.api_token },
});
const { issues } = await jira.issueSearch.searchAndReconsileIssuesUsingJql({
  jql: 'project = ENG AND status != Done ORDER BY priority DESC',
  fields: ['summary', 'status'],
});
console.log('connected to', site.base_url, '-', issues.length, 'open ENG issues');
for (const issue of issues) console.log(' ', issue.key, issue.fields.status.name, '-', issue.fields.summary);

try {
  await jira.issues.getIssue({ issueIdOrKey: 'ENG-404' });
} catch (e) {
  if (!(e instanceof NotFoundError)) throw e;
  console.log('as on Jira:', e.status, e.body.errorMessages[0]);
}
