// dtu-testing for Node: a `dtu serve` per suite and a universe of its own per test (an
// O(1) fork, deleted afterwards), with helpers over the control plane. No build step
// and no dependencies: Node 20's fetch and child_process.
//
//   import { before, after, beforeEach, afterEach, test } from 'node:test';
//   import { useDtu } from 'dtu-testing';
//   const dtu = useDtu({ before, after, beforeEach, afterEach });
//   test('posts', async () => {
//     const { slack } = dtu.universe;              // the manifest's settings
//     ...
//     assert.deepEqual(await dtu.universe.operations('slack'), ['chat.postMessage']);
//   });
//
// Jest and Vitest: useDtu({ before: beforeAll, after: afterAll, beforeEach, afterEach }).

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const MANIFEST_TIMEOUT_MS = 30_000;
export const STOP_TIMEOUT_MS = 5_000;
const PANIC_MARKER = 'panicked at';

/** A control-plane refusal (`status`, `code`: the control plane's error code) or an unreachable server. */
export class DtuError extends Error {
  constructor(message, { status = null, code = null } = {}) {
    super(message);
    this.name = 'DtuError';
    this.status = status;
    this.code = code;
  }
}

/** The control plane (`/_dtu/`): paths are relative to the control URL. */
export class ControlPlane {
  constructor(controlUrl, adminToken = null) {
    this.controlUrl = controlUrl.endsWith('/') ? controlUrl : `${controlUrl}/`;
    this.adminToken = adminToken;
  }

  /** One call; returns the Response, or throws DtuError when its status is not in `ok`. */
  async request(method, relPath, { body, params, ok = [200, 201, 204] } = {}) {
    const url = new URL(relPath.replace(/^\/+/, ''), this.controlUrl);
    for (const [k, v] of Object.entries(params ?? {})) {
      if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    }
    const headers = { accept: 'application/json' };
    if (this.adminToken) headers.authorization = `Bearer ${this.adminToken}`;
    const init = { method, headers, redirect: 'error' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      throw new DtuError(`${method} ${url}: ${e.cause?.message ?? e.message}`);
    }
    if (!ok.includes(res.status)) {
      const text = await res.text();
      let code = null;
      let message = text;
      try {
        ({ code, message } = JSON.parse(text).error);
      } catch {
        // not the control plane's error dialect
      }
      const hint = res.status === 401 ? " (is DTU_ADMIN_TOKEN the server's admin token?)" : '';
      throw new DtuError(`${method} ${relPath} -> ${res.status} ${code ?? ''}: ${message}${hint}`, {
        status: res.status,
        code,
      });
    }
    return res;
  }

  async json(method, relPath, options = {}) {
    const res = await this.request(method, relPath, options);
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }

  health() {
    return this.json('GET', 'health');
  }

  /**
   * A new universe's manifest object: from a fixture (`{fixture}`: a name or an inline
   * object; default `default`), or a fork (O(1)) of `{forkOf}` (at `{snapshot}`).
   */
  createUniverse({ fixture, forkOf, snapshot, id, seed } = {}) {
    const body = {};
    if (fixture !== undefined) body.fixture = fixture;
    if (forkOf !== undefined) body.from = forkOf;
    if (snapshot !== undefined) body.snapshot = snapshot;
    if (id !== undefined) body.id = id;
    if (seed !== undefined) body.seed = seed;
    return this.json('POST', 'universes', { body });
  }

  getUniverse(id) {
    return this.json('GET', `universes/${encodeURIComponent(id)}`);
  }

  async deleteUniverse(id, { missingOk = true } = {}) {
    await this.request('DELETE', `universes/${encodeURIComponent(id)}`, { ok: missingOk ? [204, 404] : [204] });
  }
}

/**
 * One universe. `manifest` is its object as the control plane gives it; `slack`,
 * `okta`, `jira` and `google` are its twins' settings (snake_case, as in the manifest:
 * `slack.base_url`, `slack.bot_token`, `okta.org_url`, `okta.api_token`,
 * `jira.base_url`, `jira.email`, `jira.api_token`, `google.access_token`,
 * `google.discovery_urls`, …); reading a twin the server lacks throws.
 */
export class Universe {
  constructor(control, manifest) {
    this.control = control;
    this.manifest = manifest;
    this.id = manifest.id;
  }

  #need(service) {
    const s = this.manifest[service];
    if (!s) throw new DtuError(`universe ${this.id} has no ${service} twin (it has ${this.services().join(', ')})`);
    return s;
  }

  get slack() {
    return this.#need('slack');
  }

  get okta() {
    return this.#need('okta');
  }

  get jira() {
    return this.#need('jira');
  }

  get google() {
    return this.#need('google');
  }

  /** The twins this universe has. */
  services() {
    return ['slack', 'okta', 'jira', 'google'].filter((s) => this.manifest[s]);
  }

  #path(rest = '') {
    return `universes/${encodeURIComponent(this.id)}${rest ? `/${rest}` : ''}`;
  }

  /** A copy (O(1)) of this universe, now or at `snapshot`; delete it when done. */
  async fork({ snapshot, id } = {}) {
    return new Universe(this.control, await this.control.createUniverse({ forkOf: this.id, snapshot, id }));
  }

  async reset() {
    await this.control.json('POST', this.#path('reset'));
  }

  delete() {
    return this.control.deleteUniverse(this.id);
  }

  snapshot(name) {
    return this.control.json('POST', this.#path('snapshots'), { body: { name } });
  }

  async snapshots() {
    return (await this.control.json('GET', this.#path('snapshots'))).snapshots;
  }

  async restore(name) {
    await this.control.json('POST', this.#path(`snapshots/${encodeURIComponent(name)}/restore`));
  }

  /** What changed since a snapshot (`initial`: since the universe was made): `{slack: {messages: {created, updated, deleted}}}`. */
  async diff(since = 'initial') {
    return (await this.control.json('GET', this.#path('diff'), { params: { since } })).services;
  }

  /** The diff as lines: `slack.messages created M0001`. */
  async changes(since = 'initial') {
    const out = [];
    for (const [service, collections] of Object.entries(await this.diff(since))) {
      for (const [collection, kinds] of Object.entries(collections)) {
        for (const kind of ['created', 'updated', 'deleted']) {
          for (const item of kinds[kind] ?? []) out.push(`${service}.${collection} ${kind} ${item.id}`);
        }
      }
    }
    return out;
  }

  state(service) {
    return this.control.json('GET', this.#path('state'), { params: { service } });
  }

  /**
   * Every request the twins recorded, oldest first, each with its answer's body as
   * `response` (unless `responseBodies: false`); filters: service, operation, since, afterSeq, limit.
   */
  async journal({ service, operation, since, afterSeq, limit, responseBodies = true } = {}) {
    const res = await this.control.request('GET', this.#path('journal'), {
      params: { service, operation, since, after_seq: afterSeq, limit, response_bodies: responseBodies ? undefined : 'false' },
    });
    return (await res.text())
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
  }

  /** The journal's operation names, in order (`chat.postMessage`, …). */
  async operations(service) {
    return (await this.journal({ service, responseBodies: false })).map((e) => e.operation);
  }

  /** `{now, frozen}`. */
  clock() {
    return this.control.json('GET', this.#path('clock'));
  }

  /** Set the time (RFC 3339) and/or freeze or thaw it; what is left out is kept. */
  setClock({ now, frozen } = {}) {
    const body = {};
    if (now !== undefined) body.now = now;
    if (frozen !== undefined) body.frozen = frozen;
    return this.control.json('PUT', this.#path('clock'), { body });
  }

  freezeClock(now) {
    return this.setClock({ now, frozen: true });
  }

  thawClock() {
    return this.setClock({ frozen: false });
  }

  advanceClock(seconds) {
    return this.control.json('POST', this.#path('clock/advance'), { body: { seconds } });
  }

  /** Installs a chaos rule (`{match, trigger, action, limits}`); returns it with its id. */
  addChaos(rule) {
    return this.control.json('POST', this.#path('chaos/rules'), { body: rule });
  }

  /** This universe's rules with their hit counts. */
  async chaosRules() {
    const answer = await this.control.json('GET', this.#path('chaos/rules'));
    return Array.isArray(answer) ? answer : answer.rules;
  }

  /** Removes one rule, or every rule of this universe when no id is given. */
  async removeChaos(ruleId) {
    await this.control.request('DELETE', this.#path(`chaos/rules${ruleId ? `/${encodeURIComponent(ruleId)}` : ''}`));
  }
}

/** `bin`, else `$DTU_BIN`, else `dtu` on PATH (left to the shell's lookup). */
export function dtuBinary(bin) {
  const chosen = bin ?? process.env.DTU_BIN;
  if (chosen && !existsSync(chosen)) throw new DtuError(`no dtu binary at ${chosen} (DTU_BIN)`);
  return chosen ?? 'dtu';
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child, ms) {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    function onExit() {
      clearTimeout(timer);
      resolve(true);
    }
    child.once('exit', onExit);
  });
}

async function readManifest(file) {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null; // not there yet: the server renames a complete file into place
  }
}

function tail(text, n = 8000) {
  return text.length > n ? `…${text.slice(-n)}` : text;
}

/**
 * A `dtu serve` for tests: with `url` (default `DTU_URL`) and no `bin`, the running
 * server there (`adminToken`, default `DTU_ADMIN_TOKEN`); else `dtu serve --port-base 0
 * [args]` started now (`bin`, else `DTU_BIN`, else `dtu` on PATH), with `adminToken` as
 * its admin token when given (else the server makes one and its manifest says which).
 * Returns `{manifest, control, controlUrl, adminToken, newUniverse(), fork(), stderr(), stop()}`;
 * `stop()` ends a server started here and throws if it did not exit cleanly or panicked.
 */
export async function startDtu({
  bin,
  args = [],
  env = {},
  url = process.env.DTU_URL,
  adminToken = process.env.DTU_ADMIN_TOKEN ?? null,
  timeoutMs = MANIFEST_TIMEOUT_MS,
} = {}) {
  if (url && bin === undefined) return connectDtu(url, adminToken);
  const binary = dtuBinary(bin);
  const workdir = await mkdtemp(path.join(tmpdir(), 'dtu-'));
  const manifestPath = path.join(workdir, 'manifest.json');
  const stderrPath = path.join(workdir, 'stderr.log');
  const stderr = () => (existsSync(stderrPath) ? readFileSync(stderrPath, 'utf8') : '');
  const out = openSync(path.join(workdir, 'stdout.log'), 'w');
  const err = openSync(stderrPath, 'w');
  let child;
  try {
    child = spawn(binary, ['serve', '--port-base', '0', '--manifest', manifestPath, ...args], {
      cwd: workdir,
      stdio: ['ignore', out, err],
      // The admin token it is given goes through the environment, not the argument list.
      env: { RUST_BACKTRACE: '1', ...process.env, ...(adminToken ? { DTU_ADMIN_TOKEN: adminToken } : {}), ...env },
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  let spawnError = null;
  child.on('error', (e) => {
    spawnError = e;
  });
  const killOnExit = () => {
    if (!exited(child)) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  async function terminate() {
    if (exited(child) || spawnError) return false;
    child.kill('SIGTERM');
    if (await waitForExit(child, STOP_TIMEOUT_MS)) return false;
    child.kill('SIGKILL');
    await waitForExit(child, STOP_TIMEOUT_MS);
    return true;
  }

  let manifest = null;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    manifest = await readManifest(manifestPath);
    if (manifest !== null || exited(child) || spawnError) break;
    await sleep(50);
  }
  if (manifest === null) {
    const early = exited(child) || spawnError;
    const status = spawnError
      ? `${spawnError.message}${spawnError.code === 'ENOENT' ? '; set DTU_BIN, put dtu on PATH, or set DTU_URL' : ''}`
      : `status ${child.exitCode ?? child.signalCode}`;
    await terminate();
    process.off('exit', killOnExit);
    const why = early ? `exited (${status}) before writing its manifest` : `wrote no manifest within ${timeoutMs / 1000} s`;
    throw new DtuError(`dtu serve ${why}.\n--- stderr (${stderrPath}) ---\n${tail(stderr())}`);
  }

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    const killed = await terminate();
    process.off('exit', killOnExit);
    const text = stderr();
    const problems = [];
    if (killed) problems.push(`did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM (killed)`);
    else if (child.exitCode !== 0) problems.push(`exited with ${child.exitCode ?? child.signalCode}`);
    if (text.includes(PANIC_MARKER)) problems.push('panicked');
    if (problems.length) throw new DtuError(`dtu serve ${problems.join(' and ')}\n--- stderr (${stderrPath}) ---\n${tail(text)}`);
    await rm(workdir, { recursive: true, force: true });
  }
  return server(manifest, new ControlPlane(manifest.control_url, manifest.admin_token ?? null), { child, workdir, stderr, stop });
}

/** A running `dtu serve`: `url` is its control port (`http://127.0.0.1:8700`) or control URL (`…/_dtu/`). */
export async function connectDtu(url, adminToken = process.env.DTU_ADMIN_TOKEN ?? null) {
  const base = url.replace(/\/+$/, '');
  const controlUrl = base.endsWith('/_dtu') ? `${base}/` : `${base}/_dtu/`;
  const control = new ControlPlane(controlUrl, adminToken);
  await control.health();
  let manifest;
  try {
    manifest = await control.getUniverse('default');
  } catch (e) {
    if (e.status !== 404) throw e;
    manifest = { id: 'default' }; // `default` may have been deleted; the server is fine
  }
  return server({ control_url: controlUrl, ...manifest }, control, { stop: async () => {} });
}

function server(manifest, control, { child = null, workdir = null, stderr = () => '', stop }) {
  return {
    manifest,
    control,
    controlUrl: control.controlUrl,
    adminToken: control.adminToken,
    child,
    workdir,
    stderr,
    stop,
    /** A universe made from a fixture (`default` when none); delete it when done. */
    async newUniverse({ fixture, id, seed } = {}) {
      return new Universe(control, await control.createUniverse({ fixture, id, seed }));
    },
    /** A fork (O(1)) of a universe (by id), at `snapshot` when given; delete it when done. */
    async fork(universeId, { snapshot } = {}) {
      return new Universe(control, await control.createUniverse({ forkOf: universeId, snapshot }));
    },
  };
}

/** Runs `fn(universe)` in a fork of the Universe `base` and deletes the fork afterwards, whatever `fn` did. */
export async function withUniverse(base, fn) {
  const universe = await base.fork();
  try {
    return await fn(universe);
  } finally {
    await universe.delete();
  }
}

/**
 * Registers a server for the suite and a universe per test with the framework's hooks:
 * node:test `{before, after, beforeEach, afterEach}`; Jest and Vitest `{before:
 * beforeAll, after: afterAll, beforeEach, afterEach}`. Returns a handle whose
 * `server`, `base` (the suite's base universe, made once from `fixture`) and `universe`
 * (the current test's fork, deleted after it) are set while tests run.
 * Options: those of startDtu, plus `fixture` (a name or an inline fixture object).
 */
export function useDtu({ before, after, beforeEach, afterEach }, { fixture, ...options } = {}) {
  const handle = { server: null, base: null, current: null };
  Object.defineProperty(handle, 'universe', {
    enumerable: true,
    get() {
      if (!handle.current) throw new DtuError('no universe: read dtu.universe inside a test');
      return handle.current;
    },
  });
  before(async () => {
    handle.server = await startDtu(options);
    handle.base = await handle.server.newUniverse({ fixture });
  });
  after(async () => {
    try {
      await handle.base?.delete();
    } finally {
      await handle.server?.stop();
    }
  });
  beforeEach(async () => {
    handle.current = await handle.base.fork();
  });
  afterEach(async () => {
    const u = handle.current;
    handle.current = null;
    await u?.delete();
  });
  return handle;
}
