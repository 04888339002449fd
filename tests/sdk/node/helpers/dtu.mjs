// Test helpers: start `dtu serve` and talk to its control plane.
//
// startDtu() spawns the server binary ($DTU_BIN, else <repo>/target/debug/dtu)
// with `--port-base 0`, waits for the manifest it writes once every listener is
// up, and returns {manifest, controlUrl, stop()}. stop() sends SIGTERM (SIGKILL
// after 5 s), awaits exit, and asserts a clean exit with no panic on stderr.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url)); // tests/sdk/node/helpers
export const REPO_ROOT = path.resolve(HERE, '../../../..');
export const MANIFEST_TIMEOUT_MS = 30_000;
export const STOP_TIMEOUT_MS = 5_000;
const PANIC_MARKER = 'panicked at';

export function dtuBinary() {
  return process.env.DTU_BIN || path.join(REPO_ROOT, 'target', 'debug', 'dtu');
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
    // Not there yet (the server renames a complete temp file into place).
    return null;
  }
}

function tail(text, n = 8000) {
  return text.length > n ? `…${text.slice(-n)}` : text;
}

/**
 * Start `dtu serve --port-base 0 --manifest <tmp>/manifest.json`.
 * @param {{args?: string[], env?: Record<string, string>}} [options] extra CLI args / env
 * @returns {Promise<{manifest: any, controlUrl: string, workdir: string, child: import('node:child_process').ChildProcess, stderr: () => string, stop: () => Promise<void>}>}
 */
/**
 * The admin token every server these helpers start is given (DTU_ADMIN_TOKEN), and
 * that `control()` sends: the control plane answers nothing else.
 */
export const ADMIN_TOKEN = `dtu-admin-node-${randomBytes(16).toString('hex')}`;

export async function startDtu({ args = [], env = {} } = {}) {
  const binary = dtuBinary();
  if (!existsSync(binary)) {
    throw new Error(`dtu binary not found at ${binary}; run \`cargo build\` at the repo root or set DTU_BIN`);
  }
  const workdir = await mkdtemp(path.join(tmpdir(), 'dtu-node-'));
  const manifestPath = path.join(workdir, 'manifest.json');
  const stdoutPath = path.join(workdir, 'stdout.log');
  const stderrPath = path.join(workdir, 'stderr.log');
  const stderr = () => (existsSync(stderrPath) ? readFileSync(stderrPath, 'utf8') : '');

  // Output goes straight to files: nothing to drain, and it survives a crash.
  const out = openSync(stdoutPath, 'w');
  const err = openSync(stderrPath, 'w');
  let child;
  try {
    child = spawn(binary, ['serve', '--port-base', '0', '--manifest', manifestPath, ...args], {
      cwd: workdir,
      stdio: ['ignore', out, err],
      env: { RUST_BACKTRACE: '1', ...process.env, DTU_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  let spawnError = null;
  child.on('error', (e) => {
    spawnError = e;
  });
  // Never leave a server behind if the test process exits without stop().
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
  const deadline = Date.now() + MANIFEST_TIMEOUT_MS;
  while (Date.now() < deadline) {
    manifest = await readManifest(manifestPath);
    if (manifest !== null || exited(child) || spawnError) break;
    await sleep(50);
  }
  if (manifest === null) {
    const early = exited(child) || spawnError;
    const status = spawnError ? spawnError.message : `status ${child.exitCode ?? child.signalCode}`;
    await terminate();
    process.off('exit', killOnExit);
    const why = early
      ? `exited (${status}) before writing its manifest`
      : `wrote no manifest within ${MANIFEST_TIMEOUT_MS / 1000} s`;
    throw new Error(`dtu serve ${why}.\n--- stderr (${stderrPath}) ---\n${tail(stderr())}`);
  }

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    const killed = await terminate();
    process.off('exit', killOnExit);
    const text = stderr();
    const where = `\n--- stderr (${stderrPath}) ---\n${tail(text)}`;
    assert.ok(!killed, `dtu serve did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM (killed)${where}`);
    assert.ok(!text.includes(PANIC_MARKER), `dtu serve panicked${where}`);
    assert.equal(child.exitCode, 0, `dtu serve exited with ${child.exitCode ?? child.signalCode}${where}`);
    await rm(workdir, { recursive: true, force: true });
  }

  return { manifest, controlUrl: manifest.control_url, workdir, child, stderr, stop };
}

function controlUrlFor(controlUrl, relPath) {
  const base = controlUrl.endsWith('/') ? controlUrl : `${controlUrl}/`;
  return base + relPath.replace(/^\/+/, '');
}

/**
 * One control-plane call. `body` (if given) is sent as JSON. Returns the fetch Response.
 * @param {string} controlUrl e.g. manifest.control_url
 * @param {string} method
 * @param {string} relPath relative to the control URL, e.g. 'universes/default'
 * @param {unknown} [body]
 */
export async function control(controlUrl, method, relPath, body) {
  const init = { method, redirect: 'error', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return fetch(controlUrlFor(controlUrl, relPath), init);
}

/** POST universes → the new universe object (asserts 201). */
export async function createUniverse(controlUrl, body = {}) {
  const res = await control(controlUrl, 'POST', 'universes', body);
  const text = await res.text();
  assert.equal(res.status, 201, `POST universes -> ${res.status}: ${text}`);
  return JSON.parse(text);
}

/** DELETE universes/{id} (asserts 204; with {allowMissing: true} a 404 is fine too). */
export async function deleteUniverse(controlUrl, id, { allowMissing = false } = {}) {
  const res = await control(controlUrl, 'DELETE', `universes/${encodeURIComponent(id)}`);
  const text = await res.text();
  const ok = res.status === 204 || (allowMissing && res.status === 404);
  assert.ok(ok, `DELETE universes/${id} -> ${res.status}: ${text}`);
}
