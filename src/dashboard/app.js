// The DTU dashboard: vanilla JavaScript over the control plane's JSON API (/_dtu/…).
// No build step; `dtu serve` serves this file from its binary.
'use strict';

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** An element: el('td', {class: 'x', onclick: f}, 'text', child…). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A control-plane call; a refusal becomes an ApiError carrying the plane's own message. */
async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path.startsWith('/') ? path : '/_dtu/' + path, opts);
  } catch (e) {
    throw new ApiError(0, 'the server did not answer (is dtu serve still running?)');
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text || response.statusText;
    let code;
    try {
      const parsed = JSON.parse(text);
      if (parsed && parsed.error && parsed.error.message) {
        message = parsed.error.message;
        code = parsed.error.code;
      }
    } catch (_) { /* not JSON: the text as it came */ }
    throw new ApiError(response.status, message, code);
  }
  const type = response.headers.get('content-type') || '';
  if (type.includes('application/json') && text) return JSON.parse(text);
  if (type.includes('ndjson')) return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  return text;
}

function showError(e) {
  const box = $('#error');
  if (!box) return;
  const message = e instanceof ApiError ? e.message : (e && e.message) || String(e);
  box.textContent = message;
  box.hidden = false;
}

function clearError() {
  const box = $('#error');
  if (box) box.hidden = true;
}

function flash(message) {
  const box = $('#flash');
  if (!box) return;
  box.textContent = message;
  box.hidden = false;
}

/** An event handler that shows a refusal on the page instead of throwing. */
function guarded(fn) {
  return async (event) => {
    if (event && event.preventDefault && event.type === 'submit') event.preventDefault();
    clearError();
    try {
      await fn(event);
    } catch (e) {
      showError(e);
    }
  };
}

const enc = encodeURIComponent;
const pretty = (v) => JSON.stringify(v, null, 2);
const short = (v, n = 120) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > n ? s.slice(0, n) + '…' : s;
};

async function serverInfo() {
  try {
    const info = await api('GET', 'info');
    $('#server-info').textContent = `dtu ${info.version}`;
    return info;
  } catch (e) {
    showError(e);
    return { twins: [], fixtures: [] };
  }
}

// ---------------------------------------------------------------- universes

async function universesPage() {
  const info = await serverInfo();
  const fixtures = $('#create-fixture');
  for (const f of info.fixtures || []) fixtures.append(el('option', { value: f, selected: f === info.default_fixture }, f));

  async function render() {
    const { universes } = await api('GET', 'universes');
    const tbody = $('#universes tbody');
    tbody.replaceChildren();
    const from = $('#fork-from');
    const chosen = from.value;
    from.replaceChildren();
    for (const u of universes) {
      const id = u.id;
      from.append(el('option', { value: id, selected: id === chosen }, id));
      tbody.append(el('tr', { dataset: { universe: id } },
        el('td', {}, el('a', { href: `/universes/${enc(id)}`, class: 'universe-link' }, id)),
        el('td', {}, u.fixture),
        el('td', {}, u.created_at),
        el('td', { class: 'actions' },
          el('button', { type: 'button', class: 'fork', onclick: guarded(async () => {
            const made = await api('POST', 'universes', { from: id });
            flash(`Forked ${id} as ${made.id}`);
            await render();
          }) }, 'Fork'),
          el('button', { type: 'button', class: 'reset', onclick: guarded(async () => {
            await api('POST', `universes/${enc(id)}/reset`);
            flash(`Reset ${id} to its initial state`);
          }) }, 'Reset'),
          el('a', { class: 'button export', href: `/_dtu/universes/${enc(id)}/export`, download: `${id}.json` }, 'Export'),
          el('button', { type: 'button', class: 'delete danger', onclick: guarded(async () => {
            if (!window.confirm(`Delete universe ${id}? Its state, journal and tokens go with it.`)) return;
            await api('DELETE', `universes/${enc(id)}`);
            flash(`Deleted ${id}`);
            await render();
          }) }, 'Delete'))));
    }
    if (!universes.length) tbody.append(el('tr', {}, el('td', { colspan: 4, class: 'muted' }, 'No universes.')));
  }

  $('#create-form').addEventListener('submit', guarded(async () => {
    const body = { fixture: $('#create-fixture').value };
    const id = $('#create-id').value.trim();
    if (id) body.id = id;
    const made = await api('POST', 'universes', body);
    flash(`Created ${made.id} from ${made.fixture}`);
    $('#create-id').value = '';
    await render();
  }));
  $('#fork-form').addEventListener('submit', guarded(async () => {
    const body = { from: $('#fork-from').value };
    const id = $('#fork-id').value.trim();
    const snapshot = $('#fork-snapshot').value.trim();
    if (id) body.id = id;
    if (snapshot) body.snapshot = snapshot;
    const made = await api('POST', 'universes', body);
    flash(`Forked ${body.from} as ${made.id}`);
    $('#fork-id').value = '';
    await render();
  }));
  await guarded(render)();
}

// ---------------------------------------------------------------- one universe

function universePage() {
  const u = document.body.dataset.universe;
  const base = `universes/${enc(u)}`;
  let info = { twins: [] };
  let gone = false;

  /** Marks the page as showing a universe that no longer exists. */
  function markGone() {
    if (gone) return;
    gone = true;
    const banner = $('#gone-banner');
    banner.textContent = `Universe ${u} was deleted. What this page shows is what it held before; nothing here can change it any more.`;
    banner.hidden = false;
    $('#journal-live').textContent = 'stopped: universe deleted';
    $('#journal-live').classList.remove('live');
  }
  /** Runs fn; a 404 for the universe marks the page as gone rather than erroring. */
  function action(fn) {
    return guarded(async (event) => {
      try {
        await fn(event);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404 && e.code === 'unknown_universe') markGone();
        throw e;
      }
    });
  }

  // Tabs.
  function showTab() {
    const name = (location.hash || '#overview').slice(1);
    for (const s of $$('section.tab')) s.hidden = s.id !== `tab-${name}`;
    for (const a of $$('#tabs a')) a.classList.toggle('active', a.dataset.tab === name);
    if (name === 'diff') action(loadSnapshotsForDiff)();
    if (name === 'chaos') action(renderRules)();
    if (name === 'state' && !$('#collections').children.length) action(loadState)();
  }
  window.addEventListener('hashchange', showTab);

  // Overview.
  async function renderUniverse() {
    const obj = await api('GET', base);
    $('#universe-fixture').textContent = `fixture ${obj.fixture}, created ${obj.created_at}`;
    const tbody = $('#endpoints tbody');
    tbody.replaceChildren();
    for (const t of info.twins || []) {
      const m = obj[t.service];
      if (!m) continue;
      const url = m.base_url || m.org_url || m.endpoint || t.base_url;
      tbody.append(el('tr', {}, el('th', {}, t.service), el('td', {}, el('code', {}, url || '')),
        el('td', {}, el('details', {}, el('summary', {}, 'settings'), el('pre', {}, pretty(m))))));
    }
  }
  async function renderSnapshots() {
    const { snapshots } = await api('GET', `${base}/snapshots`);
    const tbody = $('#snapshots tbody');
    tbody.replaceChildren();
    if (!snapshots.length) tbody.append(el('tr', {}, el('td', { colspan: 3, class: 'muted' }, 'No snapshots yet (the diff and reset start from the initial state).')));
    for (const s of snapshots) {
      tbody.append(el('tr', { dataset: { snapshot: s.name } }, el('td', {}, s.name), el('td', {}, s.created_at),
        el('td', { class: 'actions' },
          el('button', { type: 'button', class: 'restore', onclick: action(async () => {
            await api('POST', `${base}/snapshots/${enc(s.name)}/restore`);
            flash(`Restored snapshot ${s.name}`);
            await renderClock();
          }) }, 'Restore'),
          el('a', { class: 'button', href: `#diff`, onclick: () => { $('#diff-since').dataset.want = s.name; } }, 'Diff since'))));
    }
    return snapshots;
  }
  async function renderClock() {
    const clock = await api('GET', `${base}/clock`);
    $('#clock-now').textContent = clock.now;
    $('#clock-frozen').textContent = clock.frozen ? 'frozen' : 'running';
    $('#clock-freeze').checked = !!clock.frozen;
  }

  $('#reset-button').addEventListener('click', action(async () => {
    await api('POST', `${base}/reset`);
    flash('Reset to the initial state');
    await renderClock();
  }));
  $('#delete-button').addEventListener('click', action(async () => {
    if (!window.confirm(`Delete universe ${u}?`)) return;
    await api('DELETE', base);
    markGone();
  }));
  $('#snapshot-form').addEventListener('submit', action(async (event) => {
    event.preventDefault();
    const name = $('#snapshot-name').value.trim();
    await api('POST', `${base}/snapshots`, { name });
    flash(`Took snapshot ${name}`);
    $('#snapshot-name').value = '';
    await renderSnapshots();
  }));
  $('#clock-set-form').addEventListener('submit', action(async (event) => {
    event.preventDefault();
    const body = { frozen: $('#clock-freeze').checked };
    const now = $('#clock-input').value.trim();
    if (now) body.now = now;
    await api('PUT', `${base}/clock`, body);
    await renderClock();
  }));
  $('#clock-advance-form').addEventListener('submit', action(async (event) => {
    event.preventDefault();
    const seconds = Number($('#advance-seconds').value);
    await api('POST', `${base}/clock/advance`, { seconds });
    await renderClock();
  }));
  $('#freeze-button').addEventListener('click', action(async () => {
    await api('PUT', `${base}/clock`, { frozen: true });
    await renderClock();
  }));
  $('#thaw-button').addEventListener('click', action(async () => {
    await api('PUT', `${base}/clock`, { frozen: false });
    await renderClock();
  }));

  // State: collections and records.
  let state = {};
  let collection = null;
  async function loadState() {
    const service = $('#state-service').value;
    if (!service) return;
    const all = await api('GET', `${base}/state?service=${enc(service)}`);
    state = all[service] || {};
    collection = null;
    renderCollections();
    renderRecords();
  }
  function renderCollections() {
    const list = $('#collections');
    list.replaceChildren();
    const scalars = {};
    for (const [name, value] of Object.entries(state)) {
      if (value && typeof value === 'object') {
        const n = Array.isArray(value) ? value.length : Object.keys(value).length;
        list.append(el('li', {}, el('a', { href: '#state', class: collection === name ? 'collection active' : 'collection',
          dataset: { collection: name }, onclick: (e) => { e.preventDefault(); collection = name; renderCollections(); renderRecords(); } },
        name, ' ', el('span', { class: 'count' }, n))));
      } else {
        scalars[name] = value;
      }
    }
    if (Object.keys(scalars).length) list.append(el('li', { class: 'muted' }, el('details', {}, el('summary', {}, 'settings'), el('pre', {}, pretty(scalars)))));
  }
  function renderRecords() {
    const box = $('#records');
    box.replaceChildren();
    const query = $('#state-search').value.trim().toLowerCase();
    const names = collection ? [collection] : (query ? Object.keys(state).filter((k) => state[k] && typeof state[k] === 'object') : []);
    if (!names.length) {
      $('#records-title').textContent = 'Choose a collection, or search them all.';
      return;
    }
    let shown = 0;
    let total = 0;
    const LIMIT = 200;
    for (const name of names) {
      const entries = Array.isArray(state[name]) ? state[name].map((v, i) => [String(i), v]) : Object.entries(state[name]);
      for (const [id, record] of entries) {
        const text = JSON.stringify(record);
        if (query && !id.toLowerCase().includes(query) && !text.toLowerCase().includes(query)) continue;
        total += 1;
        if (shown >= LIMIT) continue;
        shown += 1;
        box.append(el('details', { class: 'record', dataset: { id } },
          el('summary', {}, el('code', {}, names.length > 1 ? `${name}/${id}` : id), ' ', el('span', { class: 'muted' }, short(record, 100))),
          el('pre', {}, pretty(record))));
      }
    }
    $('#records-title').textContent = `${collection || 'every collection'}: ${total} record${total === 1 ? '' : 's'}` +
      (query ? ` matching “${query}”` : '') + (total > shown ? ` (first ${shown} shown)` : '');
  }
  $('#state-service').addEventListener('change', action(loadState));
  $('#state-search').addEventListener('input', () => renderRecords());
  $('#state-form').addEventListener('submit', (e) => e.preventDefault());

  // Diff.
  async function loadSnapshotsForDiff() {
    const { snapshots } = await api('GET', `${base}/snapshots`);
    const select = $('#diff-since');
    const want = select.dataset.want || select.value || 'initial';
    select.replaceChildren();
    const names = snapshots.map((s) => s.name);
    if (!names.includes('initial')) names.unshift('initial');
    for (const name of names) select.append(el('option', { value: name, selected: name === want }, name));
    delete select.dataset.want;
    await renderDiff();
  }
  async function renderDiff() {
    const since = $('#diff-since').value || 'initial';
    const diff = await api('GET', `${base}/diff?since=${enc(since)}`);
    const list = $('#diff-list');
    list.replaceChildren();
    let count = 0;
    for (const [service, collections] of Object.entries(diff.services || {})) {
      for (const [name, changes] of Object.entries(collections || {})) {
        for (const kind of ['created', 'updated', 'deleted']) {
          for (const change of changes[kind] || []) {
            count += 1;
            const body = kind === 'updated'
              ? el('div', { class: 'before-after' }, el('div', {}, el('h4', {}, 'before'), el('pre', {}, pretty(change.before))),
                el('div', {}, el('h4', {}, 'after'), el('pre', {}, pretty(change.after))))
              : el('pre', {}, pretty(change.record !== undefined ? change.record : change));
            list.append(el('li', { class: `change ${kind}` }, el('details', {},
              el('summary', {}, el('span', { class: `badge ${kind}` }, kind), ' ', `${service} · ${name} · `, el('code', {}, change.id)),
              kind === 'updated' ? changedFields(change.before, change.after) : null, body)));
          }
        }
      }
    }
    $('#diff-summary').textContent = count ? `${count} change${count === 1 ? '' : 's'} since ${since}` : `No changes since ${since}.`;
  }
  function changedFields(before, after) {
    if (!before || !after || typeof before !== 'object' || typeof after !== 'object') return null;
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    const changed = [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    return el('p', { class: 'muted' }, `fields changed: ${changed.join(', ')}`);
  }
  $('#diff-form').addEventListener('submit', action(async (event) => { event.preventDefault(); await renderDiff(); }));
  $('#diff-since').addEventListener('change', action(renderDiff));

  // Journal: polled once a second for the entries after the last seq seen.
  const entries = [];
  let lastSeq = 0;
  const KEEP = 5000;
  const SHOW = 500;
  function journalFilter(e) {
    const service = $('#journal-service').value;
    const op = $('#journal-operation').value.trim().toLowerCase();
    const status = $('#journal-status').value;
    const fault = $('#journal-fault').value;
    if (service && e.service !== service) return false;
    if (op && !String(e.operation).toLowerCase().includes(op)) return false;
    if (status && String(e.status)[0] !== status) return false;
    if (fault === 'yes' && !e.fault) return false;
    if (fault === 'no' && e.fault) return false;
    return true;
  }
  function journalRow(e) {
    const cls = e.status >= 500 ? 's5' : e.status >= 400 ? 's4' : 's2';
    return el('details', { class: 'entry', dataset: { seq: e.seq, operation: e.operation, service: e.service },
      ontoggle: (ev) => { if (ev.target.open) loadResponse(e); } },
      el('summary', {},
        el('span', { class: 'seq' }, `#${e.seq}`), ' ',
        el('span', { class: 'time' }, e.time), ' ',
        el('span', { class: 'service' }, e.service), ' ',
        el('strong', { class: 'operation' }, e.operation), ' ',
        el('span', { class: `status ${cls}` }, e.status), ' ',
        e.fault ? el('span', { class: 'badge fault' }, `fault ${e.fault}`) : null, ' ',
        el('span', { class: 'muted' }, `${Number(e.latency_ms).toFixed(1)} ms`)),
      el('dl', {},
        el('dt', {}, 'request'), el('dd', {}, el('code', {}, `${e.method} ${e.path}${e.query ? '?' + e.query : ''}`)),
        el('dt', {}, 'principal'), el('dd', {}, e.principal || '—'),
        el('dt', {}, 'request body'), el('dd', {}, e.request_body ? el('pre', { class: 'request-body' }, prettyBody(e.request_body)) : '(none)'),
        el('dt', {}, 'response'), el('dd', {}, `status ${e.status}` + (e.fault ? `, fault ${e.fault}` : '') +
          (e.retry_after_s != null ? `, Retry-After ${e.retry_after_s} s` : '') + (e.matched ? '' : ', no operation matched')),
        el('dt', {}, 'response body'), el('dd', { class: 'response-slot' }, responseView(e))));
  }
  // The list is polled without response bodies; an opened entry fetches its own.
  function responseView(e) {
    if (!e.responseLoaded) return el('span', { class: 'muted' }, 'loading…');
    if (e.responseError) return el('span', { class: 'muted' }, e.responseError);
    const r = e.response;
    if (!r) return el('span', { class: 'muted' }, '(none)');
    const size = r.size != null ? `${r.size} bytes` : 'size unknown';
    const about = el('p', { class: 'muted response-about' }, `${r.content_type || 'no content type'}, ${size}` +
      (r.truncated ? ', truncated: its start only' : ''));
    const why = {
      binary: 'not text: kept by size and type only',
      streamed: 'streamed to the client: not kept',
      evicted: 'dropped to keep the journal within its memory budget',
    }[r.omitted];
    if (r.body == null) return el('div', {}, about, el('span', { class: 'muted response-omitted' }, why || '(not kept)'));
    return el('div', {}, about, el('pre', { class: 'response-body' }, r.truncated ? r.body : prettyBody(r.body)));
  }
  async function loadResponse(e) {
    if (e.responseLoaded || e.responseLoading) return;
    e.responseLoading = true;
    try {
      const [got] = await api('GET', `${base}/journal?after_seq=${e.seq - 1}&limit=1`);
      if (got && got.seq === e.seq) e.response = got.response;
      else e.responseError = 'no longer in the journal (the ring dropped it)';
    } catch (err) {
      e.responseError = `could not be read: ${err.message}`;
    }
    e.responseLoaded = true;
    e.responseLoading = false;
    const slot = $(`#journal-entries details.entry[data-seq="${e.seq}"] .response-slot`);
    if (slot) slot.replaceChildren(responseView(e));
  }
  function prettyBody(text) {
    try { return pretty(JSON.parse(text)); } catch (_) { /* form or text */ }
    if (/^[^=&\s]+=[^&]*(&[^=&\s]+=[^&]*)*$/.test(text)) {
      return Array.from(new URLSearchParams(text)).map(([k, v]) => `${k} = ${v}`).join('\n');
    }
    return text;
  }
  function renderJournal() {
    const box = $('#journal-entries');
    const shown = entries.filter(journalFilter);
    const open = new Set($$('details.entry[open]', box).map((d) => d.dataset.seq));
    box.replaceChildren(...shown.slice(-SHOW).reverse().map((e) => {
      const row = journalRow(e);
      if (open.has(String(e.seq))) row.open = true;
      return row;
    }));
    $('#journal-count').textContent = `${shown.length} of ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}` +
      (shown.length > SHOW ? ` (newest ${SHOW} shown)` : '');
  }
  async function pollJournal() {
    if (gone) return;
    let fresh;
    try {
      fresh = await api('GET', `${base}/journal?after_seq=${lastSeq}&response_bodies=false`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) { markGone(); return; }
      $('#journal-live').textContent = `retrying: ${e.message}`;
      setTimeout(pollJournal, 2000);
      return;
    }
    const added = fresh.filter((e) => e.seq > lastSeq);
    for (const e of added) {
      entries.push(e);
      lastSeq = Math.max(lastSeq, e.seq);
    }
    if (entries.length > KEEP) entries.splice(0, entries.length - KEEP);
    if (added.length || !$('#journal-count').textContent) renderJournal();
    $('#journal-live').textContent = 'live';
    setTimeout(pollJournal, 1000);
  }
  for (const id of ['#journal-service', '#journal-status', '#journal-fault']) $(id).addEventListener('change', renderJournal);
  $('#journal-operation').addEventListener('input', renderJournal);
  $('#journal-filters').addEventListener('submit', (e) => e.preventDefault());

  // Chaos.
  function ruleRow(r, scope) {
    const path = scope === 'global' ? 'chaos/rules' : `${base}/chaos/rules`;
    const trigger = Object.keys(r.trigger || {}).length ? short(r.trigger) : 'every call';
    return el('tr', { dataset: { rule: r.id } },
      el('td', {}, el('code', {}, r.id)),
      el('td', {}, Object.keys(r.match || {}).length ? short(r.match) : 'everything'),
      el('td', {}, trigger + (r.limits && r.limits.times ? `, ${r.limits.times} times` : '')),
      el('td', {}, short(r.action)),
      el('td', { class: 'matched' }, r.matched),
      el('td', { class: 'hits' }, r.hits, r.spent ? ' (spent)' : ''),
      el('td', {}, el('button', { type: 'button', class: 'delete-rule danger', onclick: action(async () => {
        await api('DELETE', `${path}/${enc(r.id)}`);
        await renderRules();
      }) }, 'Delete')));
  }
  async function renderRules() {
    const [mine, global] = await Promise.all([api('GET', `${base}/chaos/rules`), api('GET', 'chaos/rules')]);
    const fill = (sel, rules, scope) => {
      const tbody = $(`${sel} tbody`);
      tbody.replaceChildren(...rules.map((r) => ruleRow(r, scope)));
      if (!rules.length) tbody.append(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No rules.')));
    };
    fill('#rules', mine.rules, 'universe');
    fill('#global-rules', global.rules, 'global');
  }
  function ruleFromForm() {
    const raw = $('#rule-json').value.trim();
    if (raw) {
      try { return JSON.parse(raw); } catch (e) { throw new Error(`the rule is not JSON: ${e.message}`); }
    }
    const match = {};
    const service = $('#rule-service').value;
    const operation = $('#rule-operation').value.trim();
    if (service) match.service = service;
    if (operation) match.operation = operation;
    const trigger = {};
    const kind = $('#rule-trigger').value;
    const tv = $('#rule-trigger-value').value.trim();
    if (kind !== 'always') trigger[kind] = Number(tv);
    const actionKind = $('#rule-action').value;
    const av = $('#rule-action-value').value.trim();
    const act = { kind: actionKind };
    if (av) {
      if (actionKind === 'rate_limit') act.retry_after_s = Number(av);
      else if (actionKind === 'error' || actionKind === 'commit_then_fail') act.status = Number(av);
      else if (actionKind === 'latency') act.fixed_ms = Number(av);
    } else if (actionKind === 'latency') {
      act.fixed_ms = 100;
    }
    const rule = { match, trigger, action: act };
    const times = $('#rule-times').value.trim();
    if (times) rule.limits = { times: Number(times) };
    return rule;
  }
  $('#rule-form').addEventListener('submit', action(async (event) => {
    event.preventDefault();
    const rule = ruleFromForm();
    const path = $('#rule-scope').value === 'global' ? 'chaos/rules' : `${base}/chaos/rules`;
    const made = await api('POST', path, rule);
    flash(`Added rule ${made.id}`);
    await renderRules();
  }));
  let profiles = [];
  $('#profile-name').addEventListener('change', () => {
    const p = profiles.find((x) => x.name === $('#profile-name').value);
    $('#profile-description').textContent = p ? `${p.description || ''} (${p.rules.length} rules)` : '';
  });
  $('#profile-form').addEventListener('submit', action(async (event) => {
    event.preventDefault();
    const p = profiles.find((x) => x.name === $('#profile-name').value);
    if (!p) throw new Error('choose a profile');
    for (const rule of p.rules) await api('POST', `${base}/chaos/rules`, rule);
    flash(`Applied ${p.name}: ${p.rules.length} rules`);
    await renderRules();
  }));

  (async () => {
    info = await serverInfo();
    for (const t of info.twins || []) {
      for (const sel of ['#state-service', '#journal-service', '#rule-service']) $(sel).append(el('option', { value: t.service }, t.service));
    }
    try {
      profiles = (await api('GET', '/dashboard/api/chaos-profiles')).profiles;
      for (const p of profiles) $('#profile-name').append(el('option', { value: p.name }, p.name));
      $('#profile-name').dispatchEvent(new Event('change'));
    } catch (e) { showError(e); }
    await action(async () => {
      await renderUniverse();
      await renderSnapshots();
      await renderClock();
    })();
    showTab();
    pollJournal();
  })();
}

// ---------------------------------------------------------------- evaluations

async function evalsPage() {
  await serverInfo();
  const { dirs } = await api('GET', '/dashboard/api/evals');
  const list = $('#eval-dirs');
  $('#evals-none').hidden = dirs.length > 0;
  for (const d of dirs) {
    list.append(el('li', {}, el('a', { href: `#eval-${d.index}`, class: 'eval-dir', onclick: guarded(() => openDir(d)) }, d.path),
      ' ', el('span', { class: 'muted' }, d.files.join(', ') || 'no results yet')));
  }
  const view = $('#eval-view');
  let shown = null;
  const comparable = dirs.filter((d) => d.files.includes('results.json'));
  if (comparable.length >= 2) {
    for (const [sel, pick] of [['#compare-a', 0], ['#compare-b', 1]]) {
      $(sel).replaceChildren(...comparable.map((d) => el('option', { value: d.index }, d.path)));
      $(sel).value = String(comparable[pick].index);
    }
    $('#compare-form').hidden = false;
    $('#compare-form').addEventListener('submit', guarded(() => showComparison($('#compare-a').value, $('#compare-b').value)));
  }
  // The evaluator's own comparison (dtu eval compare), laid out; nothing recomputed here.
  async function showComparison(a, b) {
    const box = $('#compare-view');
    box.replaceChildren(el('p', { class: 'muted' }, 'comparing…'));
    const r = await api('GET', `/dashboard/api/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
    const c = r.comparison;
    const pct = (x) => `${(x * 100).toFixed(1)}%`;
    const points = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} points`;
    const counts = (x) => (x ? `${x[0]}/${x[1]}` : '–');
    const direction = (s) => (s.delta == null ? '' : s.delta > 0 ? 'better' : s.delta < 0 ? 'worse' : 'same');
    const table = el('table', { class: 'grid', id: 'compare-scenarios' },
      el('thead', {}, el('tr', {}, ['scenario', 'A', 'B', 'change', 'p', 'label', ''].map((h) => el('th', {}, h)))),
      el('tbody', {}, c.scenarios.map((s) => el('tr', { class: `delta ${direction(s)}`, dataset: { scenario: s.id, label: s.label } },
        el('td', {}, el('code', {}, s.id)),
        el('td', { class: 'a' }, counts(s.a)),
        el('td', { class: 'b' }, counts(s.b)),
        el('td', { class: 'change' }, s.delta == null ? '' : `${s.delta >= 0 ? '+' : ''}${Math.round(s.delta * 100)}%`),
        el('td', {}, s.p_value == null ? '' : s.p_value.toFixed(3)),
        el('td', { class: 'label' }, s.label),
        el('td', { class: 'direction' }, c.regressions.includes(s.id) ? 'REGRESSION' : direction(s))))));
    const named = (dir) => `${dir.path} (agent ${dir.agent})`;
    const list = (what) => c.scenarios.filter((s) => direction(s) === what).map((s) => s.id);
    const better = list('better');
    const worse = list('worse');
    box.replaceChildren(
      el('h2', {}, 'A against B'),
      el('p', { class: 'muted' }, `A: ${named(r.a)}; B: ${named(r.b)}; Fisher's exact test at ${r.alpha}`),
      el('p', { class: 'compare-summary' }, `satisfaction ${pct(c.satisfaction_a)} → ${pct(c.satisfaction_b)} (${points(c.satisfaction_b - c.satisfaction_a)})` +
        (c.paired_delta != null ? `; paired change over ${c.shared} shared scenario(s): ${points(c.paired_delta)} (95% CI ${points(c.paired_ci95[0])} to ${points(c.paired_ci95[1])})` : '')),
      el('p', { class: 'compare-better' }, `better: ${better.join(', ') || 'none'}`),
      el('p', { class: 'compare-worse' }, `worse: ${worse.join(', ') || 'none'}` +
        (c.regressions.length ? ` (regressions: ${c.regressions.join(', ')})` : '')),
      table,
      el('h4', {}, 'As dtu eval compare prints it'),
      el('pre', { class: 'compare-text' }, r.text));
  }
  const chosen = dirs.find((d) => location.hash === `#eval-${d.index}`) || (dirs.length === 1 ? dirs[0] : null);
  if (chosen) guarded(() => openDir(chosen))();

  async function openDir(d) {
    if (shown === d.index) return;
    shown = d.index;
    view.replaceChildren(el('p', { class: 'muted' }, 'loading…'));
    const results = d.files.includes('results.json') ? await api('GET', `/dashboard/api/evals/${d.index}/results.json`) : null;
    const runs = d.files.includes('runs.jsonl') ? await api('GET', `/dashboard/api/evals/${d.index}/runs.jsonl`) : [];
    view.replaceChildren();
    view.append(el('h2', {}, d.path));
    if (d.files.includes('report.html')) view.append(el('p', {}, el('a', { href: `/dashboard/api/evals/${d.index}/report.html`, target: '_blank', rel: 'noopener' }, 'the evaluator\'s report.html')));
    if (results) {
      const s = results.summary || {};
      view.append(el('p', { class: 'summary' }, `agent ${results.agent}: satisfaction ${fmt(s.satisfaction)} over ${s.scenarios} scenarios, ${s.runs} runs (${s.satisfied} satisfied, ${s.agent_errors} agent errors, ${s.infra_errors} infrastructure errors)`));
    }
    const byScenario = new Map();
    for (const r of runs) {
      if (!byScenario.has(r.scenario)) byScenario.set(r.scenario, []);
      byScenario.get(r.scenario).push(r);
    }
    const scenarios = results && results.scenarios ? results.scenarios : [...byScenario.keys()].map((id) => ({ id, title: '' }));
    const table = el('table', { class: 'grid', id: 'scenarios' }, el('thead', {}, el('tr', {}, el('th', {}, 'scenario'), el('th', {}, 'title'), el('th', {}, 'satisfied'), el('th', {}, 'rate'))));
    const tbody = el('tbody');
    table.append(tbody);
    const runsBox = el('div', { id: 'runs' });
    for (const sc of scenarios) {
      const scRuns = byScenario.get(sc.id) || [];
      tbody.append(el('tr', { dataset: { scenario: sc.id } },
        el('td', {}, el('a', { href: `#eval-${d.index}`, class: 'scenario-link', onclick: (e) => { e.preventDefault(); showRuns(sc, scRuns, runsBox); } }, sc.id)),
        el('td', {}, sc.title || ''),
        el('td', {}, sc.runs !== undefined ? `${sc.satisfied}/${sc.runs}` : `${scRuns.filter((r) => r.outcome === 'satisfied').length}/${scRuns.length}`),
        el('td', {}, sc.rate !== undefined ? fmt(sc.rate) : '')));
    }
    view.append(table, runsBox);
  }
  function fmt(x) { return typeof x === 'number' ? x.toFixed(2) : String(x); }
  function showRuns(sc, runs, box) {
    box.replaceChildren(el('h3', {}, `Runs of ${sc.id}`));
    const detailBox = el('div', { id: 'run-detail' });
    const ul = el('ul', { class: 'list' });
    runs.forEach((r, i) => {
      ul.append(el('li', {}, el('a', { href: '#', class: `run-link outcome-${r.outcome}`, onclick: (e) => { e.preventDefault(); showRun(r, detailBox); } },
        `run ${r.repetition !== undefined ? r.repetition : i}: ${r.outcome}`), ' ', el('span', { class: 'muted' }, `${Math.round(r.duration_ms)} ms, ${r.started_at}`)));
    });
    if (!runs.length) ul.append(el('li', { class: 'muted' }, 'No runs recorded for this scenario.'));
    box.append(ul, detailBox);
  }
  function showRun(r, box) {
    const d = r.detail || {};
    box.replaceChildren(...[
      el('h3', {}, `${r.scenario}, run ${r.repetition}: ${r.outcome}`),
      r.error ? el('p', { class: 'error run-error' }, r.error) : null,
      r.agent ? el('p', { class: 'muted agent' }, `the agent ${r.agent.description || `exited ${r.agent.exit_code}`}${r.agent.timed_out ? ' (timed out)' : ''} after ${Math.round(r.agent.duration_ms)} ms`) : null,
      el('h4', {}, 'Checks'),
      el('table', { class: 'grid checks' }, el('tbody', {}, (r.checks || []).map((c) => el('tr', { class: `check ${c.status}` },
        el('td', {}, c.status), el('td', {}, el('code', {}, c.id)), el('td', {}, c.kind), el('td', {}, c.message))))),
      el('h4', {}, 'Trajectory (journal)'),
      el('pre', { class: 'trajectory' }, (d.journal || []).join('\n') || '(not recorded)'),
      el('h4', {}, 'State diff'),
      el('pre', { class: 'run-diff' }, d.diff ? pretty(d.diff) : '(not recorded)'),
      el('h4', {}, 'Agent stdout'),
      el('pre', { class: 'stdout' }, d.stdout || '(empty)'),
      el('h4', {}, 'Agent stderr'),
      el('pre', { class: 'stderr' }, d.stderr || '(empty)')].filter(Boolean));
  }
}

document.addEventListener('DOMContentLoaded', () => {
  const pages = { universes: universesPage, universe: universePage, evals: evalsPage, gone: serverInfo };
  const run = pages[document.body.dataset.page];
  if (run) guarded(run)();
});
