/**
 * The other frameworks `bench/run.ts` compares bridgekit with, installed under
 * `bench/peers/` from their own package.json and lock (never project dependencies):
 *
 *   npm ci --prefix bench/peers --ignore-scripts
 *
 * `--ignore-scripts` (also in bench/peers/.npmrc): both peers depend on
 * `@matrix-org/matrix-sdk-crypto-nodejs`, whose postinstall downloads a native binary
 * from outside the npm registry, which cannot work here. Without it, that package's
 * index.js throws on require, and both peers require it at load time (matrix-bot-sdk's
 * index pulls in its e2ee/CryptoClient and RustEngine, and matrix-appservice-bridge
 * loads matrix-bot-sdk's Element fork the same way). `stubCrypto()` answers those
 * requires with a stub whose every export throws when used. Neither benchmark enables
 * encryption, so the stub is never called: it only lets the modules load. If a code
 * path did touch it, the server would fail loudly, never measure something else.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './harness.js';

export const PEERS_DIR = join(ROOT, 'bench', 'peers');

export const PEER_PACKAGES = ['matrix-appservice-bridge', 'matrix-bot-sdk'] as const;
export type PeerPackage = (typeof PEER_PACKAGES)[number];

/** The installed version of a peer package, or undefined when it is not installed. */
export function installedVersion(name: string): string | undefined {
  const file = join(PEERS_DIR, 'node_modules', name, 'package.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
}

/**
 * Installs the peers if any is missing: `npm ci` when a lock exists, else `npm install`,
 * scripts off. Returns, per package, undefined when it is there, or why it is not.
 */
export function ensurePeersInstalled(log: (line: string) => void): Record<PeerPackage, string | undefined> {
  const missing = () => PEER_PACKAGES.filter((p) => installedVersion(p) === undefined);
  const reasons = {} as Record<PeerPackage, string | undefined>;
  if (missing().length > 0 && process.env['BENCH_PEERS_INSTALL'] !== '0') {
    const lock = existsSync(join(PEERS_DIR, 'package-lock.json'));
    const args = [lock ? 'ci' : 'install', '--prefix', PEERS_DIR, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];
    log(`installing the peer frameworks: npm ${args.join(' ')} ...`);
    const started = performance.now();
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const run = spawnSync(npm, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n').filter((l) => !/Unknown user config/.test(l));
    if (run.error || run.status !== 0) {
      const why = run.error ? run.error.message : `npm exited with ${run.status}: ${output.slice(-3).join(' / ')}`;
      log(`  peer install failed: ${why}`);
      for (const p of missing()) reasons[p] = `install failed: ${why}`;
    } else {
      log(`  installed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  for (const p of missing()) reasons[p] ??= process.env['BENCH_PEERS_INSTALL'] === '0'
    ? 'not installed (BENCH_PEERS_INSTALL=0; run npm ci --prefix bench/peers --ignore-scripts)'
    : 'not installed';
  return reasons;
}

const CRYPTO_MODULES = /^@(matrix-org|turt2live)\/matrix-sdk-crypto-nodejs(-|$)/;

class CryptoStubbed extends Error {
  constructor(what: string) {
    super(`${what}: end-to-end encryption is stubbed out in the benchmark (@matrix-org/matrix-sdk-crypto-nodejs has no native binary here)`);
  }
}

/** Every property is a function/class that throws when called or constructed. */
const cryptoStub: unknown = new Proxy({}, {
  get(_target, key) {
    if (typeof key === 'symbol' || key === '__esModule' || key === 'then' || key === 'default') return undefined;
    return new Proxy(function stubbed() {}, {
      apply() { throw new CryptoStubbed(`matrix-sdk-crypto-nodejs.${key}()`); },
      construct() { throw new CryptoStubbed(`new matrix-sdk-crypto-nodejs.${key}`); },
      get(_t, member) {
        if (typeof member === 'symbol' || member === 'prototype') return undefined;
        return () => { throw new CryptoStubbed(`matrix-sdk-crypto-nodejs.${key}.${String(member)}`); };
      },
    });
  },
});

let stubbed = false;
let cryptoRequests = 0;

/** Answers every require of the crypto package (from any peer, at any depth) with the stub. */
export function stubCrypto(): void {
  if (stubbed) return;
  stubbed = true;
  const M = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const load = M._load;
  M._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    if (CRYPTO_MODULES.test(request)) {
      cryptoRequests++;
      return cryptoStub;
    }
    return load.call(this, request, parent, isMain);
  };
}

/** How many times a peer required the crypto package (and got the stub). */
export function cryptoStubRequests(): number {
  return cryptoRequests;
}

/** Requires a peer package from bench/peers/node_modules (CommonJS), crypto stubbed. */
export function requirePeer<T>(name: PeerPackage): T {
  if (installedVersion(name) === undefined) throw new Error(`${name} is not installed under bench/peers (npm ci --prefix bench/peers --ignore-scripts)`);
  stubCrypto();
  return createRequire(join(PEERS_DIR, 'package.json'))(name) as T;
}
