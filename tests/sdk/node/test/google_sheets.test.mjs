// googleapis 178 (sheets v4, docs v1) and google-spreadsheet 5.3 against the
// Google twin. googleapis takes the twin as `rootUrl`; google-spreadsheet and
// google-auth-library's JWT have no endpoint setting, so their own hooks (ky's
// `extend`, gaxios' request interceptors) send Google's hosts to the twin.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Gaxios } from 'gaxios';
import { JWT } from 'google-auth-library';
import { GoogleSpreadsheet } from 'google-spreadsheet';
import { google } from 'googleapis';

import { createUniverse, deleteUniverse, startDtu } from '../helpers/dtu.mjs';

let dtu;

before(async () => {
  dtu = await startDtu();
});

after(async () => {
  await dtu?.stop();
});

async function withUniverse(fn) {
  const universe = await createUniverse(dtu);
  try {
    await fn(universe);
  } finally {
    await deleteUniverse(dtu, universe.id, { allowMissing: true });
  }
}

function authFor(universe, email) {
  const g = universe.google;
  const auth = new google.auth.OAuth2();
  auth.setCredentials({ access_token: email ? g.access_tokens[email] : g.access_token });
  return auth;
}

function clients(universe, email) {
  const rootUrl = `${universe.google.endpoint}/`;
  const auth = authFor(universe, email);
  return {
    sheets: google.sheets({ version: 'v4', auth, rootUrl }),
    docs: google.docs({ version: 'v1', auth, rootUrl }),
    drive: google.drive({ version: 'v3', auth, rootUrl }),
  };
}

async function expectApiError(promise, status, messagePart) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.status, status, e.message);
    const body = e.response?.data?.error;
    assert.equal(body.code, status);
    assert.ok(body.status, 'Sheets and Docs errors carry a canonical status');
    if (messagePart) assert.ok(body.message.includes(messagePart), body.message);
    return true;
  });
}

test('googleapis sheets: create, values, formulas, batchUpdate and errors', async () => {
  await withUniverse(async (universe) => {
    const { sheets, drive } = clients(universe);
    const { data: book } = await sheets.spreadsheets.create({
      requestBody: { properties: { title: 'Headcount' }, sheets: [{ properties: { title: 'People' } }] },
    });
    const id = book.spreadsheetId;
    assert.equal(book.sheets[0].properties.title, 'People');
    const file = await drive.files.get({ fileId: id, fields: 'mimeType' });
    assert.equal(file.data.mimeType, 'application/vnd.google-apps.spreadsheet');

    const up = await sheets.spreadsheets.values.update({
      spreadsheetId: id,
      range: 'People!A1',
      valueInputOption: 'USER_ENTERED',
      requestBody: { values: [['team', 'count'], ['eng', '12'], ['sales', '8'], ['total', '=SUM(B2:B3)']] },
    });
    assert.equal(up.data.updatedRange, 'People!A1:B4');
    assert.equal(up.data.updatedCells, 8);

    let got = await sheets.spreadsheets.values.get({ spreadsheetId: id, range: 'People!B4' });
    assert.deepEqual(got.data.values, [['20']]);
    await sheets.spreadsheets.values.update({
      spreadsheetId: id, range: 'People!B2', valueInputOption: 'RAW', requestBody: { values: [[30]] },
    });
    got = await sheets.spreadsheets.values.get({ spreadsheetId: id, range: 'People!B4', valueRenderOption: 'UNFORMATTED_VALUE' });
    assert.deepEqual(got.data.values, [[38]]);

    const ap = await sheets.spreadsheets.values.append({
      spreadsheetId: id, range: 'People!A1:B1', valueInputOption: 'USER_ENTERED', requestBody: { values: [['ops', '3']] },
    });
    assert.equal(ap.data.tableRange, 'People!A1:B4');
    assert.equal(ap.data.updates.updatedRange, 'People!A5:B5');

    const batch = await sheets.spreadsheets.values.batchGet({
      spreadsheetId: id, ranges: ["'People'!A:A", 'People!B1:B2'], majorDimension: 'COLUMNS',
    });
    assert.deepEqual(batch.data.valueRanges[0].values, [['team', 'eng', 'sales', 'total', 'ops']]);
    assert.deepEqual(batch.data.valueRanges[1].values, [['count', '30']]);

    const res = await sheets.spreadsheets.batchUpdate({
      spreadsheetId: id,
      requestBody: {
        requests: [
          { addSheet: { properties: { title: 'Rota' } } },
          { findReplace: { find: 'eng', replacement: 'engineering', allSheets: true } },
        ],
      },
    });
    assert.equal(res.data.replies[0].addSheet.properties.title, 'Rota');
    assert.equal(res.data.replies[1].findReplace.occurrencesChanged, 1);

    await expectApiError(
      sheets.spreadsheets.values.get({ spreadsheetId: id, range: 'Nope!A1' }), 400, 'Unable to parse range: Nope!A1');
    await expectApiError(
      sheets.spreadsheets.batchUpdate({ spreadsheetId: id, requestBody: { requests: [{ deleteSheet: { sheetId: 4242 } }] } }),
      400, 'Invalid requests[0].deleteSheet');
    await expectApiError(sheets.spreadsheets.get({ spreadsheetId: 'missing' }), 404);
    const csv = await drive.files.export({ fileId: id, mimeType: 'text/csv' }, { responseType: 'text' });
    assert.equal(csv.data, 'team,count\r\nengineering,30\r\nsales,8\r\ntotal,38\r\nops,3');
  });
});

test('googleapis docs: create, insert, replace, indexes and writeControl', async () => {
  await withUniverse(async (universe) => {
    const { docs } = clients(universe);
    const { data: doc } = await docs.documents.create({ requestBody: { title: 'Postmortem' } });
    const id = doc.documentId;
    assert.equal(doc.body.content[1].endIndex, 2);
    const r = await docs.documents.batchUpdate({
      documentId: id,
      requestBody: {
        requests: [
          { insertText: { location: { index: 1 }, text: 'Summary 🔥\nImpact: none' } },
          { replaceAllText: { containsText: { text: 'none', matchCase: true }, replaceText: 'minor' } },
        ],
        writeControl: { requiredRevisionId: doc.revisionId },
      },
    });
    assert.deepEqual(r.data.replies, [{}, { replaceAllText: { occurrencesChanged: 1 } }]);
    const { data: after } = await docs.documents.get({ documentId: id });
    const paras = after.body.content.filter((c) => c.paragraph);
    assert.equal(paras[0].endIndex, 1 + 'Summary '.length + 2 + 1);
    assert.equal(paras[1].paragraph.elements[0].textRun.content, 'Impact: minor\n');
    await expectApiError(
      docs.documents.batchUpdate({
        documentId: id,
        requestBody: { requests: [{ insertText: { location: { index: 10 }, text: 'x' } }] },
      }),
      400, 'surrogate pair');
    await expectApiError(
      docs.documents.batchUpdate({
        documentId: id,
        requestBody: { requests: [{ insertText: { location: { index: 1 }, text: 'x' } }], writeControl: { requiredRevisionId: doc.revisionId } },
      }),
      400, 'revision');
  });
});

function twinTransport(universe) {
  // gaxios' own hook: Google's token host goes to the twin's token endpoint.
  const transporter = new Gaxios();
  transporter.interceptors.request.add({
    resolved: async (config) => {
      const url = String(config.url);
      if (url.startsWith('https://oauth2.googleapis.com/token') || url.startsWith('https://www.googleapis.com/oauth2/v4/token')) {
        config.url = new URL(universe.google.token_uri);
      }
      return config;
    },
  });
  return transporter;
}

function spreadsheetOnTwin(universe, id, auth) {
  const doc = new GoogleSpreadsheet(id, auth);
  // ky's own hook: the same client with the twin as its prefix.
  doc.sheetsApi = doc.sheetsApi.extend({ prefix: `${universe.google.endpoint}/v4/spreadsheets/${id}` });
  doc.driveApi = doc.driveApi.extend({ prefix: `${universe.google.endpoint}/drive/v3/files/${id}` });
  return doc;
}

test('google-spreadsheet 5.3 with a service-account JWT: load, rows, cells, sheets', async () => {
  await withUniverse(async (universe) => {
    const sa = universe.google.service_account;
    const jwt = new JWT({
      email: sa.client_email,
      key: sa.private_key,
      scopes: ['https://www.googleapis.com/auth/spreadsheets', 'https://www.googleapis.com/auth/drive'],
      transporter: twinTransport(universe),
    });
    const { sheets } = clients(universe);
    // Made by the service account through googleapis with the same JWT.
    const made = await google.sheets({ version: 'v4', auth: jwt, rootUrl: `${universe.google.endpoint}/` }).spreadsheets.create({
      requestBody: { properties: { title: 'Rota' } },
    });
    const id = made.data.spreadsheetId;
    const doc = spreadsheetOnTwin(universe, id, jwt);
    await doc.loadInfo();
    assert.equal(doc.title, 'Rota');
    const sheet = doc.sheetsByIndex[0];
    await sheet.setHeaderRow(['week', 'primary', 'secondary']);
    await sheet.addRows([
      { week: '1', primary: 'bob', secondary: 'carol' },
      { week: '2', primary: 'carol', secondary: 'dave' },
    ]);
    const rows = await sheet.getRows();
    assert.deepEqual(rows.map((r) => r.get('primary')), ['bob', 'carol']);
    rows[1].set('secondary', 'erin');
    await rows[1].save();
    await sheet.loadCells('A1:D3');
    assert.equal(sheet.getCellByA1('C3').value, 'erin');
    sheet.getCellByA1('D1').formula = '=COUNTA(A2:A3)';
    await sheet.saveUpdatedCells();
    await sheet.loadCells('D1');
    assert.equal(sheet.getCellByA1('D1').value, 2);
    const added = await doc.addSheet({ title: 'Swaps', headerValues: ['who', 'when'] });
    assert.equal(added.title, 'Swaps');
    await doc.loadInfo();
    assert.deepEqual(doc.sheetsByIndex.map((s) => s.title), ['Sheet1', 'Swaps']);
    // The manifest's user cannot see the service account's spreadsheet.
    await expectApiError(sheets.spreadsheets.get({ spreadsheetId: id }), 404);
  });
});
