import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { registrationSchema, type Registration } from '../../../src/registration/index.js';

/**
 * The appservices the tier registers, once per run (each registration restarts Synapse).
 * Each has its own slot — its bridge listens on `portBase + slot` — its own bot and its own
 * user namespace, so the bridges of different tests never see each other's events.
 * Slots 0–9 are all taken: a new test file shares one whose bot it does not disturb.
 */
export const APPSERVICES = {
  /** The echo bot, invited by users. */
  echo: { slot: 0 },
  /** The webhook bridge. */
  webhook: { slot: 1 },
  /** Delivery under stress: restarts, floods, retries, ephemeral data. */
  delivery: { slot: 2 },
  /** `rate_limited: true`: Synapse applies its message rate limits to this appservice's users. */
  ratelimited: { slot: 3, rateLimited: true },
  /** The conformance suite's bare listener (test/conformance): no bridge, only what Synapse pushes. */
  conformance: { slot: 4 },
  /** The IRC bridge with a real ngircd (test/e2e/bridges/irc.e2e.ts). */
  irc: { slot: 5 },
  /** bridgekit's own features as a person meets them: make-room-admin, spaces, ghosts' profiles and presence. */
  features: { slot: 6 },
  /** End-to-end encryption: MSC3202 device data in its transactions (`org.matrix.msc3202: true`). */
  encrypted: { slot: 7, encryption: true },
  /** The IRC bridge with encryption on (test/e2e/crypto/irc-portal.e2e.ts). */
  ircencrypted: { slot: 8, encryption: true },
  /** The bot's cross-signing (test/e2e/crypto/cross-signing.e2e.ts): the homeserver keeps its keys for good, so its own bot. */
  crosssigned: { slot: 9, encryption: true },
} as const satisfies Record<string, AppserviceSpec>;

export interface AppserviceSpec {
  readonly slot: number;
  readonly rateLimited?: boolean;
  readonly encryption?: boolean;
}

export type AppserviceName = keyof typeof APPSERVICES;

/** What a test needs to run a bridge for one registered appservice. */
export interface E2eAppservice {
  readonly name: AppserviceName;
  readonly port: number;
  readonly registration: Registration;
  /** The registration file as given to the homeserver. */
  readonly path: string;
  /** The bot is `e2ebot_<name>`, ghosts are `e2e_<name>_*`. */
  readonly botLocalpart: string;
  readonly prefix: string;
}

/** The fields a registration of this tier has, for `name` listening on `port`. */
function describe(name: AppserviceName, port: number, serverName: string): Omit<Registration, 'as_token' | 'hs_token'> {
  const spec: AppserviceSpec = APPSERVICES[name];
  const domain = serverName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    id: `bridgekit-e2e-${name}`,
    url: `http://127.0.0.1:${port}`,
    sender_localpart: `e2ebot_${name}`,
    namespaces: {
      users: [{ exclusive: true, regex: `@e2e_${name}_.*:${domain}` }],
      aliases: [{ exclusive: true, regex: `#e2e_${name}_.*:${domain}` }],
      rooms: [],
    },
    rate_limited: spec.rateLimited === true,
    receive_ephemeral: true,
    'de.sorunome.msc2409.push_ephemeral': true,
    ...(spec.encryption === true ? { 'org.matrix.msc3202': true } : {}),
  };
}

/**
 * Writes (or keeps) the registration files of every appservice in `dir`. Tokens are made
 * once and kept, so a registration that did not change is not registered again (which
 * would restart Synapse for nothing).
 */
export async function writeRegistrations(dir: string, portBase: number, serverName: string): Promise<E2eAppservice[]> {
  await mkdir(dir, { recursive: true });
  const out: E2eAppservice[] = [];
  for (const name of Object.keys(APPSERVICES) as AppserviceName[]) {
    const port = portBase + APPSERVICES[name].slot;
    const path = join(dir, `${name}.yaml`);
    const old = existsSync(path) ? registrationSchema.safeParse(parse(await readFile(path, 'utf8'))) : undefined;
    const registration: Registration = {
      ...describe(name, port, serverName),
      as_token: old?.success ? old.data.as_token : randomBytes(32).toString('hex'),
      hs_token: old?.success ? old.data.hs_token : randomBytes(32).toString('hex'),
    };
    const text = `# bridgekit end-to-end tier: appservice "${name}" (test/e2e/harness/appservices.ts)\n${stringify(registration)}`;
    if (!old?.success || (await readFile(path, 'utf8')) !== text) await writeFile(path, text, { mode: 0o600 });
    out.push(toAppservice(name, path, registration));
  }
  return out;
}

/** Reads the registrations a user installed on their own homeserver, checking they are this tier's. */
export async function readRegistrations(dir: string, portBase: number, serverName: string): Promise<E2eAppservice[]> {
  const out: E2eAppservice[] = [];
  for (const name of Object.keys(APPSERVICES) as AppserviceName[]) {
    const path = join(dir, `${name}.yaml`);
    if (!existsSync(path)) throw new Error(`${path} is missing: write the registrations with \`npm run e2e:registrations -- ${dir}\` and install them`);
    const registration = registrationSchema.parse(parse(await readFile(path, 'utf8')));
    const expected = describe(name, portBase + APPSERVICES[name].slot, serverName);
    if (registration.url !== expected.url || registration.sender_localpart !== expected.sender_localpart) {
      throw new Error(`${path} was written for another port base or server (url ${registration.url}, expected ${expected.url}): write it again`);
    }
    out.push(toAppservice(name, path, registration));
  }
  return out;
}

function toAppservice(name: AppserviceName, path: string, registration: Registration): E2eAppservice {
  return {
    name, path, registration,
    port: Number(new URL(registration.url ?? '').port),
    botLocalpart: registration.sender_localpart,
    prefix: `e2e_${name}_`,
  };
}
