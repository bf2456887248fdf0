import { randomBytes } from 'node:crypto';
import type { HomeserverClient } from '../homeserver/client.js';
import { route } from '../homeserver/route.js';
import type { Section } from '../store/index.js';
import type { DeviceIdentity } from './requests.js';

/** What the main store remembers of a crypto device, to notice a crypto store that went missing. */
export interface DeviceRecord extends DeviceIdentity {
  /** Set once the machine made its keys: a store without them later means the keys were lost. */
  readonly curve25519?: string;
  readonly ed25519?: string;
  readonly createdAt: number;
  /** False until the device was made on the homeserver (`loginDevice`); absent once it was. */
  readonly loggedIn?: false;
}

/** The crypto store is gone or belongs to another identity: refusing beats a silent new identity. */
export class CryptoStoreLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CryptoStoreLost';
  }
}

/**
 * The device a user of ours encrypts with: remembered in the main store, or chosen here and
 * written first (so that the id is on disk before the homeserver knows it), marked
 * `loggedIn: false` until `loginDevice` made it on the homeserver.
 */
export async function ensureDevice(section: Section<DeviceRecord>, userId: string, now = Date.now()): Promise<DeviceRecord> {
  const known = await section.get(userId);
  if (known) return known;
  const deviceId = `BK${randomBytes(5).toString('hex').toUpperCase()}`;
  const record: DeviceRecord = { userId, deviceId, createdAt: now, loggedIn: false };
  await section.put(userId, record);
  return record;
}

/**
 * Makes a chosen device on the homeserver with an appservice login
 * (`m.login.application_service`, which needs no password); nothing for one made before.
 * Kept apart from `ensureDevice` so that a bridge can do it once it listens: the homeserver
 * pushes the device change to the appservice at once, and a push that fails makes Synapse
 * count the appservice as down (and drop to-device messages meanwhile).
 */
export async function loginDevice(section: Section<DeviceRecord>, client: HomeserverClient, userId: string): Promise<void> {
  const record = await section.get(userId);
  if (!record || record.loggedIn !== false) return;
  await client.request('POST', route('/_matrix/client/v3/login'), {
    body: {
      type: 'm.login.application_service',
      identifier: { type: 'm.id.user', user: userId },
      device_id: record.deviceId,
      initial_device_display_name: 'bridgekit',
    },
    // Logging in again with the same device id reuses the device: safe to repeat.
    idempotent: true,
  });
  const { loggedIn: _pending, ...done } = { ...(await section.get(userId) ?? record) };
  await section.put(userId, done);
}

/**
 * Compares the keys the machine opened with against the ones remembered. A device with
 * remembered keys and a machine that had to start from nothing (or holds other keys)
 * means the crypto store was lost or replaced: the caller must stop, loudly.
 */
export async function checkIdentity(
  section: Section<DeviceRecord>, record: DeviceRecord, keys: { curve25519: string; ed25519: string }, restored: boolean,
): Promise<DeviceRecord> {
  if (record.curve25519 === undefined) {
    const updated = { ...record, ...keys };
    await section.put(record.userId, updated);
    return updated;
  }
  if (!restored || record.curve25519 !== keys.curve25519 || record.ed25519 !== keys.ed25519) {
    throw new CryptoStoreLost(
      `The crypto store of ${record.userId} (device ${record.deviceId}, identity key ${record.curve25519}) is missing or was replaced `
      + `(${restored ? `it now holds identity key ${keys.curve25519}` : 'nothing was found to restore'}). `
      + 'Encrypted rooms would see a new, unverified identity and old messages could not be read. '
      + 'Restore the store from a backup; or, to start over with a new device on purpose, start once with '
      + '`encryption.newDeviceIfStoreLost: true` (docs/encryption.md, "Losing the crypto store").',
    );
  }
  return record;
}
