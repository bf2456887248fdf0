import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the end-to-end tier finds its homeserver. Everything comes from the environment,
 * so the same tests run against the Synapse that scripts/e2e-synapse.sh starts or against
 * a Synapse of your own (see test/e2e/README.md).
 */
export interface E2eEnv {
  /** Client-server base URL, e.g. http://127.0.0.1:8450 (BRIDGEKIT_E2E_HS_URL). */
  readonly hsUrl: string;
  /** Access token of a server admin (BRIDGEKIT_E2E_ADMIN_TOKEN): users are made through the admin API. */
  readonly adminToken: string;
  /** The HS_HOME of a ../shared/synapse instance (BRIDGEKIT_E2E_SYNAPSE_HOME): registers appservices and restarts with its scripts. */
  readonly synapseHome: string | undefined;
  /** The folder of setup.sh, register-appservice.sh, stop.sh, start.sh (BRIDGEKIT_E2E_SYNAPSE_SCRIPTS, default ../shared/synapse). */
  readonly synapseScripts: string;
  /** Without a Synapse home: the folder holding the registrations you installed (BRIDGEKIT_E2E_REGISTRATIONS_DIR). */
  readonly registrationsDir: string | undefined;
  /** Without a Synapse home: a shell command that restarts your Synapse and returns once it answers (BRIDGEKIT_E2E_RESTART_CMD). */
  readonly restartCommand: string | undefined;
  /** First of ten loopback ports the bridges under test listen on (BRIDGEKIT_E2E_PORT_BASE). */
  readonly portBase: number;
}

/** The repository root (this file is dist/test/e2e/harness/env.js once built). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

const VARIABLES = `
  BRIDGEKIT_E2E_HS_URL           the homeserver's client-server URL (e.g. http://127.0.0.1:8450)
  BRIDGEKIT_E2E_ADMIN_TOKEN      an access token of a server admin
and either
  BRIDGEKIT_E2E_SYNAPSE_HOME     the HS_HOME of a ../shared/synapse instance (setup.sh HS_HOME PORT)
  BRIDGEKIT_E2E_SYNAPSE_SCRIPTS  (optional) the folder of its scripts, default the nearest ../shared/synapse
or, for a Synapse of your own,
  BRIDGEKIT_E2E_REGISTRATIONS_DIR  registrations written by \`npm run e2e:registrations -- DIR\`,
                                   listed in your homeserver's app_service_config_files
  BRIDGEKIT_E2E_RESTART_CMD        a shell command that restarts your Synapse and waits until it answers
optional
  BRIDGEKIT_E2E_PORT_BASE        first of ten loopback ports for the bridges under test
                                 (default 20000 + 10 × (homeserver port − 8000), e.g. 24500 for 8450)
Or run scripts/e2e-synapse.sh, which builds and starts Synapse and sets all of them.`;

/** What is missing or wrong in the environment; empty when the tier can run. */
export function envProblems(env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  const url = env['BRIDGEKIT_E2E_HS_URL'];
  if (!url) problems.push('BRIDGEKIT_E2E_HS_URL is not set');
  else if (!isLoopbackHttpUrl(url)) problems.push(`BRIDGEKIT_E2E_HS_URL must be an http(s) URL on a loopback address (got ${url})`);
  if (!env['BRIDGEKIT_E2E_ADMIN_TOKEN']) problems.push('BRIDGEKIT_E2E_ADMIN_TOKEN is not set');
  const home = env['BRIDGEKIT_E2E_SYNAPSE_HOME'];
  if (home) {
    if (!existsSync(join(home, 'homeserver.yaml'))) problems.push(`BRIDGEKIT_E2E_SYNAPSE_HOME=${home} holds no homeserver.yaml (run setup.sh on it first)`);
    const scripts = scriptsDir(env);
    if (!existsSync(join(scripts, 'register-appservice.sh'))) problems.push(`no register-appservice.sh in ${scripts} (set BRIDGEKIT_E2E_SYNAPSE_SCRIPTS)`);
  } else {
    const dir = env['BRIDGEKIT_E2E_REGISTRATIONS_DIR'];
    if (!dir) problems.push('neither BRIDGEKIT_E2E_SYNAPSE_HOME nor BRIDGEKIT_E2E_REGISTRATIONS_DIR is set');
    else if (!existsSync(dir)) problems.push(`BRIDGEKIT_E2E_REGISTRATIONS_DIR=${dir} does not exist`);
    if (!env['BRIDGEKIT_E2E_RESTART_CMD']) problems.push('BRIDGEKIT_E2E_RESTART_CMD is not set (needed without BRIDGEKIT_E2E_SYNAPSE_HOME: some tests restart the homeserver)');
  }
  const base = env['BRIDGEKIT_E2E_PORT_BASE'];
  if (base !== undefined && !validPortBase(Number(base))) problems.push(`BRIDGEKIT_E2E_PORT_BASE must be a port from 1024 to 65526 (got ${base})`);
  return problems;
}

/** The problems and the variables that fix them, as the tier prints them. */
export function explainProblems(problems: readonly string[]): string {
  return `The end-to-end tier needs a real homeserver and cannot run:\n${problems.map((p) => `  - ${p}`).join('\n')}\n\nSet${VARIABLES}\n`;
}

let cached: E2eEnv | undefined;

/** The parsed environment; throws with the explanation when something is missing. */
export function e2eEnv(env: NodeJS.ProcessEnv = process.env): E2eEnv {
  if (cached && env === process.env) return cached;
  const problems = envProblems(env);
  if (problems.length > 0) throw new Error(explainProblems(problems));
  const hsUrl = env['BRIDGEKIT_E2E_HS_URL']!.replace(/\/+$/, '');
  const parsed: E2eEnv = {
    hsUrl,
    adminToken: env['BRIDGEKIT_E2E_ADMIN_TOKEN']!,
    synapseHome: env['BRIDGEKIT_E2E_SYNAPSE_HOME'] || undefined,
    synapseScripts: scriptsDir(env),
    registrationsDir: env['BRIDGEKIT_E2E_REGISTRATIONS_DIR'] || undefined,
    restartCommand: env['BRIDGEKIT_E2E_RESTART_CMD'] || undefined,
    portBase: env['BRIDGEKIT_E2E_PORT_BASE'] ? Number(env['BRIDGEKIT_E2E_PORT_BASE']) : defaultPortBase(hsUrl),
  };
  if (env === process.env) cached = parsed;
  return parsed;
}

/** BRIDGEKIT_E2E_SYNAPSE_SCRIPTS, else the nearest `shared/synapse` beside the clone or a folder above it (a worktree). */
function scriptsDir(env: NodeJS.ProcessEnv): string {
  const given = env['BRIDGEKIT_E2E_SYNAPSE_SCRIPTS'];
  if (given) return resolve(given);
  const candidates = [1, 2, 3].map((up) => resolve(REPO_ROOT, ...Array<string>(up).fill('..'), 'shared', 'synapse'));
  return candidates.find((dir) => existsSync(join(dir, 'register-appservice.sh'))) ?? candidates[0]!;
}

/** 20000 + 10 × (port − 8000): homeservers on neighbouring ports get disjoint bridge ports. */
function defaultPortBase(hsUrl: string): number {
  const url = new URL(hsUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const base = 20_000 + 10 * (port - 8_000);
  return validPortBase(base) ? base : 24_000;
}

function validPortBase(base: number): boolean {
  return Number.isInteger(base) && base >= 1024 && base + 9 <= 65_535;
}

/** The tier talks to loopback only, like every other test here. */
function isLoopbackHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  } catch {
    return false;
  }
}
