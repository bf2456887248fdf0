import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, loadConfig, readYamlFile, type BridgeConfig } from '../config/index.js';
import { HomeserverApi, MatrixError } from '../homeserver/index.js';
import { silentLogger } from '../log/logger.js';
import { probeVersions } from '../metrics/index.js';
import { loadPlugin, validatePluginConfig } from '../plugin/loader.js';
import { loadRegistration, validateRegistration, type Registration } from '../registration/index.js';
import { Sections, Store, StoreOpenError } from '../store/index.js';
import { checkPostgresStore } from './doctor-postgres.js';
import { isStoreLocked } from './store-access.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do about a failure. */
  readonly advice?: string;
  /** Lines printed under the result (what doctor did to check). */
  readonly notes?: readonly string[];
}

export const pass = (name: string, detail: string, notes?: string[]): CheckResult => ({ name, status: 'pass', detail, ...(notes ? { notes } : {}) });
export const fail = (name: string, detail: string, advice: string, notes?: string[]): CheckResult => ({ name, status: 'fail', detail, advice, ...(notes ? { notes } : {}) });
export const skip = (name: string, why: string): CheckResult => ({ name, status: 'skip', detail: why });

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}

function problemsOf(e: unknown): string {
  return e instanceof ConfigError ? e.problems.join('; ') : firstLine(e);
}

export async function checkConfig(path: string): Promise<{ result: CheckResult; config?: BridgeConfig }> {
  const name = 'config valid';
  let config: BridgeConfig;
  try {
    config = await loadConfig(path);
  } catch (e) {
    return { result: fail(name, e instanceof ConfigError ? e.message.replace(/\n\s*/g, '; ') : firstLine(e), `fix ${path} (every key is listed in config.example.yaml)`) };
  }
  try {
    const plugin = await loadPlugin(config.bridge.plugin, config.configDir);
    await validatePluginConfig(plugin, config.bridge.config);
    return { result: pass(name, `${resolve(path)} (plugin ${plugin.name})`), config };
  } catch (e) {
    return { result: fail(name, problemsOf(e), 'fix bridge.plugin / bridge.config in the config'), config };
  }
}

/** The registration file: readable, valid, and describing this bridge. Its tokens are used by later checks even when it disagrees with the config. */
export async function checkRegistration(config: BridgeConfig): Promise<{ result: CheckResult; registration?: Registration }> {
  const name = 'registration matches the config';
  const path = config.appservice.registration;
  try {
    const registration = await loadRegistration(path, config);
    return { result: pass(name, `${path} (id ${registration.id}, bot @${registration.sender_localpart}:${config.homeserver.domain})`), registration };
  } catch (e) {
    const missing = e instanceof ConfigError && /cannot be read \(ENOENT\)/.test(e.message);
    if (missing) return { result: fail(name, `${path} does not exist`, 'run bridgekit generate-registration -c <config>, then give the file to the homeserver') };
    let registration: Registration | undefined;
    try {
      registration = validateRegistration(await readYamlFile(path, 'registration'), path);
    } catch {
      registration = undefined;
    }
    const advice = registration
      ? 'make the config and the registration agree (or run bridgekit generate-registration --force and reload it in the homeserver)'
      : 'fix the file, or write a new one with bridgekit generate-registration --force (then reload it in the homeserver)';
    return { result: fail(name, problemsOf(e), advice), ...(registration ? { registration } : {}) };
  }
}

/** The spec versions a homeserver claims, lowest to highest: `v1.1 … v1.12`. */
export function versionRange(versions: readonly string[]): string {
  const numbered = versions
    .map((v) => ({ v, m: /^v(\d+)\.(\d+)$/.exec(v) }))
    .filter((x): x is { v: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]) || Number(a.m[2]) - Number(b.m[2]));
  const first = numbered[0];
  const last = numbered[numbered.length - 1];
  if (!first || !last) return versions.join(', ') || 'no versions';
  return first === last ? first.v : `${first.v} … ${last.v}`;
}

export async function checkHomeserver(config: BridgeConfig): Promise<CheckResult> {
  const name = 'homeserver reachable';
  const url = config.homeserver.url;
  try {
    const versions = await probeVersions(url, 5_000);
    return pass(name, `${url} speaks ${versionRange(versions)}`);
  } catch (e) {
    return fail(name, `${url}: ${firstLine(e)}`, 'check homeserver.url in the config and that the homeserver is running');
  }
}

/** A client that asks once: doctor reports what happens now, it does not wait out outages. */
export function doctorApi(config: BridgeConfig, registration: Registration): HomeserverApi {
  return HomeserverApi.fromRegistration(registration, {
    baseUrl: config.homeserver.url, domain: config.homeserver.domain, logger: silentLogger(),
    retry: { maxAttempts: 1, timeoutMs: 10_000 },
  });
}

export async function checkBot(api: HomeserverApi): Promise<CheckResult> {
  const name = 'bot registered';
  const bot = api.client.botUserId;
  try {
    const { userId } = await api.account.whoami();
    if (userId !== bot) return fail(name, `the homeserver says the as_token belongs to ${userId}, not ${bot}`, 'check appservice.bot and sender_localpart in registration.yaml');
    return pass(name, bot);
  } catch (e) {
    if (e instanceof MatrixError && e.isUnknownToken) {
      return fail(name, `the homeserver does not know the as_token (${e.errcode})`, 'add registration.yaml to the homeserver\'s app_service_config_files and restart it, or check the as_token in registration.yaml');
    }
    if (e instanceof MatrixError) {
      return fail(name, `${bot}: ${e.status} ${e.errcode}: ${e.error}`, 'run the bridge once (it registers the bot), or check the as_token in registration.yaml');
    }
    return fail(name, `${bot}: ${firstLine(e)}`, 'check that the homeserver is reachable');
  }
}

async function nearestExisting(path: string): Promise<string> {
  let current = path;
  for (;;) {
    try {
      await access(current, constants.F_OK);
      return current;
    } catch {
      const parent = dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/** Opens the store and writes (then deletes) one key; a store the running bridge holds passes with a note. */
export async function checkStore(config: BridgeConfig): Promise<CheckResult> {
  const name = 'store writable';
  const path = config.store.path;
  if (path === undefined) return checkPostgresStore(config.store);
  const existing = await nearestExisting(path);
  if (existing !== path) {
    try {
      await access(existing, constants.W_OK);
      return pass(name, `${path} does not exist yet; the bridge creates it on first start (${existing} is writable)`);
    } catch {
      return fail(name, `${path} does not exist and ${existing} is not writable`, 'create the folder for store.path, or point store.path somewhere writable');
    }
  }
  let store: Store;
  try {
    store = await Store.open(path);
  } catch (e) {
    if (isStoreLocked(e)) return pass(name, `${path} is held by the running bridge (it has it open for writing; not probed)`);
    if (e instanceof StoreOpenError) return fail(name, `${path} ${e.detail}`, e.advice);
    return fail(name, `${path}: cannot open (${firstLine(e)})`, 'check the permissions of store.path and that it holds a bridgekit Level store');
  }
  try {
    const probe = store.section<number>(Sections.doctorProbe);
    await probe.put('probe', Date.now());
    await probe.del('probe');
    return pass(name, path);
  } catch (e) {
    return fail(name, `${path}: a write failed (${firstLine(e)})`, 'check the permissions of store.path and free disk space');
  } finally {
    await store.close();
  }
}
