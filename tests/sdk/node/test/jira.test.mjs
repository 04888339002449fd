// The Jira twin through jira.js: v6 (`createCloudClient`, `createAgileClient`, with
// `onSchemaMismatch: 'throw'` so its zod schemas check every response) and v5
// (`Version2Client`, `Version3Client`, `AgileClient`), unchanged but for the host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  createAgileClient,
  createCloudClient,
  NotFoundError,
  AuthError,
  RateLimitError,
  ApiError,
} from 'jira.js';
import { AgileClient, Version2Client, Version3Client } from 'jira.js-v5';
import { control, createUniverse, deleteUniverse, startDtu } from '../helpers/dtu.mjs';

let dtu;
before(async () => {
  dtu = await startDtu();
});
after(async () => {
  await dtu?.stop();
});

/** A fresh universe for one test, deleted afterwards. */
async function withUniverse(fn) {
  const u = await createUniverse(dtu, {});
  try {
    await fn(u, u.jira);
  } finally {
    await deleteUniverse(dtu, u.id);
  }
}

function v6(site, extra = {}) {
  const auth = { type: 'basic', email: site.email, apiToken: site.api_token };
  const config = { host: site.base_url, auth, onSchemaMismatch: 'throw', ...extra };
  return { jira: createCloudClient(config), agile: createAgileClient(config) };
}

function v5(site) {
  const config = { host: site.base_url, authentication: { basic: { email: site.email, apiToken: site.api_token } } };
  return { v2: new Version2Client(config), v3: new Version3Client(config), agile: new AgileClient(config) };
}

const doc = (text) => ({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

test('v6: server info, myself and projects pass the schemas', async () => {
  await withUniverse(async (_u, site) => {
    const { jira } = v6(site);
    const info = await jira.serverInfo.getServerInfo();
    assert.equal(info.deploymentType, 'Cloud');
    const me = await jira.myself.getCurrentUser();
    assert.equal(me.accountId, site.account_id);
    const page = await jira.projects.searchProjects({ maxResults: 2 });
    assert.equal(page.total, 3);
    assert.equal(page.isLast, false);
    assert.deepEqual(page.values.map((p) => p.key), ['ENG', 'HR']);
    const last = await jira.projects.searchProjects({ startAt: 2, maxResults: 2 });
    assert.deepEqual(last.values.map((p) => p.key), ['OPS']);
    assert.equal(last.isLast, true);
    const eng = await jira.projects.getProject({ projectIdOrKey: 'ENG', expand: ['issueTypes', 'lead'] });
    assert.equal(eng.lead.displayName, 'Bob Baker');
    const fields = await jira.issueFields.getFields();
    assert.ok(fields.some((f) => f.id === 'customfield_10020' && f.name === 'Sprint'));
    const statuses = await jira.projects.getAllStatuses({ projectIdOrKey: 'ENG' });
    assert.deepEqual(statuses[0].statuses.map((s) => s.name), ['To Do', 'In Progress', 'Done']);
  });
});

test('v6: create, read as ADF, edit, transition, delete', async () => {
  await withUniverse(async (_u, site) => {
    const { jira } = v6(site);
    // A string description goes through v2 and is read back as a document.
    const created = await jira.issues.createIssue({
      fields: { project: { key: 'ENG' }, issuetype: { name: 'Bug' }, summary: 'From jira.js', description: 'h2. Steps\n\n*crash*' },
    });
    assert.equal(created.key, 'ENG-9');
    const adf = await jira.issues.createIssue({
      fields: { project: { key: 'ENG' }, issuetype: { name: 'Task' }, summary: 'ADF', description: doc('hello') },
    });
    assert.equal(adf.key, 'ENG-10');
    const issue = await jira.issues.getIssue({ issueIdOrKey: created.key, expand: ['names', 'renderedFields'] });
    assert.equal(issue.fields.description.type, 'doc');
    assert.equal(issue.fields.description.content[0].type, 'heading');
    assert.equal(issue.names.summary, 'Summary');
    assert.equal(issue.fields.priority.name, 'Medium');
    await jira.issues.editIssue({ issueIdOrKey: created.key, fields: { summary: 'Renamed', labels: ['js'] } });
    const transitions = await jira.issues.getTransitions({ issueIdOrKey: created.key });
    assert.deepEqual(transitions.transitions.map((t) => t.name), ['In Progress', 'Done']);
    const done = transitions.transitions.find((t) => t.name === 'Done');
    await jira.issues.doTransition({ issueIdOrKey: created.key, transition: { id: done.id } });
    const after = await jira.issues.getIssue({ issueIdOrKey: created.key, fields: ['summary', 'status', 'labels', 'resolution'] });
    assert.deepEqual(Object.keys(after.fields).sort(), ['labels', 'resolution', 'status', 'summary']);
    assert.equal(after.fields.status.name, 'Done');
    assert.equal(after.fields.resolution.name, 'Done');
    const log = await jira.issues.getChangeLogs({ issueIdOrKey: created.key });
    assert.ok(log.values.some((h) => h.items.some((i) => i.field === 'status' && i.toString === 'Done')));
    await jira.issues.deleteIssue({ issueIdOrKey: created.key, deleteSubtasks: true });
    await assert.rejects(jira.issues.getIssue({ issueIdOrKey: created.key }), (e) => {
      assert.ok(e instanceof NotFoundError);
      assert.deepEqual(e.body.errorMessages, ['Issue does not exist or you do not have permission to see it.']);
      return true;
    });
    await assert.rejects(
      jira.issues.doTransition({ issueIdOrKey: adf.key, transition: { id: '999' } }),
      (e) => e instanceof ApiError && e.status === 400 && e.body.errorMessages[0] === "Transition id '999' is not valid for this issue.",
    );
  });
});

test('v6: bulk create reports per-element errors', async () => {
  await withUniverse(async (_u, site) => {
    const { jira } = v6(site);
    const result = await jira.issues.createIssues({
      issueUpdates: [
        { fields: { project: { key: 'HR' }, issuetype: { name: 'Task' }, summary: 'Bulk A', description: doc('a') } },
        { fields: { project: { key: 'HR' }, issuetype: { name: 'Nope' }, summary: 'Bulk B' } },
      ],
    });
    assert.deepEqual(result.issues.map((i) => i.key), ['HR-4']);
    assert.equal(result.errors[0].failedElementNumber, 1);
    assert.equal(result.errors[0].elementErrors.errors.issuetype, 'Specify a valid issue type');
  });
});

test('v6: search/jql pages by token to the end', async () => {
  await withUniverse(async (_u, site) => {
    const { jira } = v6(site);
    const keys = [];
    let nextPageToken;
    let pages = 0;
    do {
      const page = await jira.issueSearch.searchAndReconsileIssuesUsingJql({
        jql: 'project = ENG ORDER BY key ASC',
        maxResults: 3,
        fields: ['summary', 'status', 'assignee'],
        nextPageToken,
      });
      pages += 1;
      keys.push(...page.issues.map((i) => i.key));
      nextPageToken = page.nextPageToken;
      assert.equal(page.isLast, nextPageToken === undefined);
    } while (nextPageToken);
    assert.equal(pages, 3);
    assert.deepEqual(keys, ['ENG-1', 'ENG-2', 'ENG-3', 'ENG-4', 'ENG-5', 'ENG-6', 'ENG-7', 'ENG-8']);
    const post = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({
      jql: 'project = OPS AND status != Done', fields: ['summary'], maxResults: 50,
    });
    assert.equal(post.issues.length, 3);
    const count = await jira.issueSearch.countIssues({ jql: 'project = ENG' });
    assert.equal(count.count, 8);
    await assert.rejects(
      jira.issueSearch.searchAndReconsileIssuesUsingJql({ jql: 'project = ENG AND' }),
      (e) => e.status === 400 && /Expecting a field name before the end of the query/.test(e.body.errorMessages[0]),
    );
    const picker = await jira.issueSearch.getIssuePickerResource({ query: 'safari' });
    assert.deepEqual(picker.sections.flatMap((s) => s.issues.map((i) => i.key)), ['ENG-4']);
  });
});

test('v6: comments (string bodies via v2, read back as ADF), worklogs, watchers', async () => {
  await withUniverse(async (_u, site) => {
    const { jira } = v6(site);
    const c = await jira.issueComments.addComment({ issueIdOrKey: 'ENG-3', body: 'Looks *good*' });
    assert.equal(c.body.type, 'doc');
    const c2 = await jira.issueComments.addComment({ issueIdOrKey: 'ENG-3', body: doc('second') });
    const comments = await jira.issueComments.getComments({ issueIdOrKey: 'ENG-3' });
    assert.deepEqual(comments.comments.map((x) => x.id), [c.id, c2.id]);
    await jira.issueComments.deleteComment({ issueIdOrKey: 'ENG-3', id: c.id });
    await assert.rejects(jira.issueComments.getComment({ issueIdOrKey: 'ENG-3', id: c.id }), NotFoundError);
    const w = await jira.issueWorklogs.addWorklog({ issueIdOrKey: 'ENG-3', timeSpentSeconds: 3600, comment: doc('db work') });
    assert.equal(w.timeSpent, '1h');
    const logs = await jira.issueWorklogs.getIssueWorklog({ issueIdOrKey: 'ENG-3' });
    assert.equal(logs.total, 1);
    await jira.issueWatchers.addWatcher({ issueIdOrKey: 'ENG-3', body: site.users['erin@acme.test'].account_id });
    const watchers = await jira.issueWatchers.getIssueWatchers({ issueIdOrKey: 'ENG-3' });
    assert.ok(watchers.watchers.some((x) => x.displayName === 'Erin Evans'));
    await jira.issues.assignIssue({ issueIdOrKey: 'ENG-3', accountId: site.users['erin@acme.test'].account_id });
    const assigned = await jira.issues.getIssue({ issueIdOrKey: 'ENG-3', fields: ['assignee'] });
    assert.equal(assigned.fields.assignee.displayName, 'Erin Evans');
  });
});

test('v6: attachments both ways and issue links', async () => {
  await withUniverse(async (_u, site) => {
    const { jira } = v6(site);
    const [att] = await jira.issueAttachments.addAttachment({
      issueIdOrKey: 'ENG-4',
      attachments: { filename: 'note.txt', content: new Blob(['hello from node'], { type: 'text/plain' }) },
    });
    assert.equal(att.filename, 'note.txt');
    assert.equal(att.size, 15);
    const meta = await jira.issueAttachments.getAttachment({ id: String(att.id) });
    assert.equal(meta.mimeType, 'text/plain');
    const content = await jira.issueAttachments.getAttachmentContent({ id: String(att.id) });
    assert.equal(Buffer.from(content).toString(), 'hello from node');
    await jira.issueLinks.linkIssues({ type: { name: 'Relates' }, inwardIssue: { key: 'ENG-4' }, outwardIssue: { key: 'ENG-5' } });
    const issue = await jira.issues.getIssue({ issueIdOrKey: 'ENG-5', fields: ['issuelinks'] });
    const link = issue.fields.issuelinks.find((l) => l.type.name === 'Relates');
    assert.equal(link.outwardIssue.key, 'ENG-4');
    const fetched = await jira.issueLinks.getIssueLink({ linkId: link.id });
    assert.equal(fetched.inwardIssue.key, 'ENG-4');
    await jira.issueLinks.deleteIssueLink({ linkId: link.id });
    await assert.rejects(jira.issueLinks.getIssueLink({ linkId: link.id }), NotFoundError);
    const types = await jira.issueLinkTypes.getIssueLinkTypes();
    assert.deepEqual(types.issueLinkTypes.map((t) => t.name), ['Blocks', 'Cloners', 'Duplicate', 'Relates']);
  });
});

test('v6: agile boards and sprints', async () => {
  await withUniverse(async (_u, site) => {
    const { agile } = v6(site);
    const boards = await agile.board.getAllBoards();
    assert.deepEqual(boards.values.map((b) => b.name), ['ENG board', 'OPS board']);
    const eng = boards.values[0];
    const sprints = await agile.board.getAllSprints({ boardId: eng.id });
    assert.deepEqual(sprints.values.map((s) => s.state), ['closed', 'active', 'future']);
    const sprint = await agile.sprint.createSprint({ name: 'Node sprint', originBoardId: eng.id });
    assert.equal(sprint.state, 'future');
    await agile.sprint.moveIssuesToSprintAndRank({ sprintId: sprint.id, issues: ['ENG-6'] });
    const inSprint = await agile.sprint.getIssuesForSprint({ sprintId: sprint.id });
    assert.deepEqual(inSprint.issues.map((i) => i.key), ['ENG-6']);
    // /rest/software/1.0 pages by token: walk to the end, three at a time.
    const onBoard = [];
    let nextPageToken;
    do {
      const page = await agile.board.getIssuesForBoard({ boardId: eng.id, maxResults: 3, nextPageToken });
      onBoard.push(...page.issues.map((i) => i.key));
      nextPageToken = page.nextPageToken;
      assert.equal(page.isLast, nextPageToken === undefined);
    } while (nextPageToken);
    assert.equal(onBoard.length, 8);
    assert.equal((await agile.board.getApproximateIssueCountForBoard({ boardId: eng.id })).count, 8);
    const backlog = await agile.board.getIssuesForBacklog({ boardId: eng.id });
    assert.ok(!backlog.issues.some((i) => i.key === 'ENG-6'));
    await agile.backlog.moveIssuesToBacklog({ issues: ['ENG-6'] });
    const again = await agile.board.getIssuesForBacklog({ boardId: eng.id });
    assert.ok(again.issues.some((i) => i.key === 'ENG-6'));
    await assert.rejects(agile.board.getBoard({ boardId: 999 }), NotFoundError);
  });
});

test('v6: bearer auth, bad credentials and a forced 429', async () => {
  await withUniverse(async (u, site) => {
    const bearer = createCloudClient({ host: site.base_url, auth: { type: 'bearer', token: site.bearer_token }, onSchemaMismatch: 'throw' });
    assert.equal((await bearer.myself.getCurrentUser()).accountId, site.account_id);
    const bad = createCloudClient({ host: site.base_url, auth: { type: 'basic', email: site.email, apiToken: 'nope' }, onSchemaMismatch: 'throw' });
    await assert.rejects(bad.myself.getCurrentUser(), AuthError);
    const rule = { match: { service: 'jira' }, trigger: { first_n: 1 }, action: { kind: 'rate_limit', retry_after_s: 3 } };
    const res = await control(dtu, 'POST', `universes/${u.id}/chaos/rules`, rule);
    assert.ok(res.status === 200 || res.status === 201, await res.text());
    const { jira } = v6(site);
    await assert.rejects(jira.myself.getCurrentUser(), (e) => {
      assert.ok(e instanceof RateLimitError);
      assert.equal(e.retryAfterMs, 3000);
      return true;
    });
    assert.equal((await jira.myself.getCurrentUser()).accountId, site.account_id);
  });
});

test('v5: Version2Client strings, Version3Client documents, AgileClient', async () => {
  await withUniverse(async (_u, site) => {
    const { v2, v3, agile } = v5(site);
    const created = await v2.issues.createIssue({
      fields: { project: { key: 'OPS' }, issuetype: { name: 'Task' }, summary: 'From v5', description: 'plain *text*' },
    });
    assert.equal(created.key, 'OPS-5');
    const asV2 = await v2.issues.getIssue({ issueIdOrKey: created.key });
    assert.equal(asV2.fields.description, 'plain *text*');
    const asV3 = await v3.issues.getIssue({ issueIdOrKey: created.key });
    assert.equal(asV3.fields.description.type, 'doc');
    await v3.issueComments.addComment({ issueIdOrKey: created.key, comment: doc('v3 comment') });
    const comments = await v2.issueComments.getComments({ issueIdOrKey: created.key });
    assert.equal(comments.comments[0].body, 'v3 comment');
    const search = await v3.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql: 'project = OPS ORDER BY key', fields: ['summary'] });
    assert.deepEqual(search.issues.map((i) => i.key), ['OPS-1', 'OPS-2', 'OPS-3', 'OPS-4', 'OPS-5']);
    assert.equal(search.nextPageToken, undefined);
    await assert.rejects(v3.issueSearch.searchForIssuesUsingJql({ jql: 'project = OPS' }), (e) => {
      assert.equal(e.status, 410);
      assert.match(e.response.data.errorMessages[0], /CHANGE-2046/);
      return true;
    });
    await v2.issues.doTransition({ issueIdOrKey: created.key, transition: { id: '21' } });
    assert.equal((await v2.issues.getIssue({ issueIdOrKey: created.key })).fields.status.name, 'In Progress');
    const meta = await v2.issues.getCreateIssueMeta({ projectKeys: ['OPS'], expand: 'projects.issuetypes.fields' });
    assert.equal(meta.projects[0].key, 'OPS');
    const types = await v3.issues.getCreateIssueMetaIssueTypes({ projectIdOrKey: 'OPS' });
    assert.equal(types.issueTypes.length, 5);
    const boards = await agile.board.getAllBoards({ type: 'scrum' });
    assert.deepEqual(boards.values.map((b) => b.name), ['ENG board']);
    const sprints = await agile.board.getAllSprints({ boardId: boards.values[0].id, state: 'active' });
    assert.deepEqual(sprints.values.map((s) => s.name), ['ENG Sprint 2']);
    await assert.rejects(v2.issues.getIssue({ issueIdOrKey: 'NOPE-1' }), (e) => e.status === 404);
  });
});
