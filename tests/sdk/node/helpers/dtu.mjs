// The suite's harness over dtu-testing (clients/node, imported from the repository:
// a `file:` dependency would put a path outside the directory into package-lock.json,
// which the Dockerfile's `npm ci` of these pins in /opt/dtu cannot resolve), as the
// Python suite's conftest is over clients/python's plugin: the package starts
// `dtu serve --port-base 0` (the binary: $DTU_BIN, else <repo>/target/debug/dtu), reads
// its manifest, makes universes and stops the server, failing on an unclean exit or a
// panic. What stays here is the suite's own: its admin token, given to the package,
// and `control()`, a raw call whose status a test asserts on (refusals included).

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startDtu as startServer } from '../../../../clients/node/index.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url)); // tests/sdk/node/helpers
export const REPO_ROOT = path.resolve(HERE, '../../../..');

/** The admin token of every server the suite starts (the package hands it over as DTU_ADMIN_TOKEN). */
export const ADMIN_TOKEN = `dtu-admin-node-${randomBytes(16).toString('hex')}`;

export function dtuBinary() {
  return process.env.DTU_BIN || path.join(REPO_ROOT, 'target', 'debug', 'dtu');
}

/**
 * Starts `dtu serve --port-base 0 [args]` through dtu-testing: the package's server
 * (`manifest`, `control`, `controlUrl`, `adminToken`, `newUniverse()`, `fork()`,
 * `stderr()`, `stop()`).
 * @param {{args?: string[], env?: Record<string, string>}} [options] extra CLI args / env
 */
export async function startDtu({ args = [], env = {} } = {}) {
  const bin = dtuBinary();
  if (!existsSync(bin)) {
    throw new Error(`dtu binary not found at ${bin}; run \`cargo build\` at the repo root or set DTU_BIN`);
  }
  return startServer({ bin, args, env, adminToken: ADMIN_TOKEN });
}

/**
 * One control-plane call with the server's admin token; `body` (if given) is sent as
 * JSON. Returns the fetch Response, whatever its status.
 * @param {{controlUrl: string, adminToken: string}} dtu a server from startDtu
 * @param {string} method
 * @param {string} relPath relative to the control URL, e.g. 'universes/default'
 * @param {unknown} [body]
 */
export async function control(dtu, method, relPath, body) {
  const init = { method, redirect: 'error', headers: { authorization: `Bearer ${dtu.adminToken}` } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return fetch(new URL(relPath.replace(/^\/+/, ''), dtu.controlUrl), init);
}

/** A new universe (POST universes with `body`) as its manifest object. */
export async function createUniverse(dtu, body = {}) {
  return dtu.control.json('POST', 'universes', { body });
}

/** Deletes a universe (with {allowMissing: true} an unknown one is fine too). */
export async function deleteUniverse(dtu, id, { allowMissing = false } = {}) {
  await dtu.control.deleteUniverse(id, { missingOk: allowMissing });
}
