import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import type { HomeserverClient } from '../homeserver/client.js';
import { MatrixError } from '../homeserver/errors.js';
import { route } from '../homeserver/route.js';
import type { Logger } from '../log/logger.js';
import type { Section } from '../store/index.js';
import { deviceQuery, sendOutgoing, type DeviceIdentity } from './requests.js';
import { seal, unseal, type Sealed } from './sealed.js';

/** What the main store keeps of a user's cross-signing identity: the private keys, sealed. */
export interface CrossSigningRecord {
  /** The public master key (unpadded base64), to name the identity in logs and checks. */
  readonly masterKey: string;
  /** `{ master, selfSigning, userSigning }` seeds, sealed with the configured passphrase. */
  readonly sealed: Sealed;
  /** Whether the homeserver accepted the public keys (else the upload is tried again at start). */
  readonly uploaded: boolean;
}

interface PrivateKeys {
  readonly master?: string;
  readonly selfSigning?: string;
  readonly userSigning?: string;
}

export interface CrossSigningDeps {
  readonly machine: wasm.OlmMachine;
  readonly client: HomeserverClient;
  readonly device: DeviceIdentity;
  readonly section: Section<CrossSigningRecord>;
  readonly passphrase: string;
  readonly logger: Logger;
  /** Resolves once the machine's state is on disk (nothing leaves before). */
  readonly flushed: () => Promise<void>;
}

/** What became of the bot's cross-signing at start, for the log line and tests. */
export type CrossSigningOutcome = 'made' | 'kept' | 'restored' | 'upload-refused' | 'exists-elsewhere';

/** The bot's public master key as this store knows it (none when it has no identity). */
export async function knownMasterKey(section: Section<CrossSigningRecord>, userId: string): Promise<string | undefined> {
  return (await section.get(userId))?.masterKey;
}

const UIA_HELP = 'Synapse asks for user-interactive auth to upload cross-signing keys, which an appservice user cannot pass; '
  + 'set `experimental_features: { msc3967_enabled: true }` in homeserver.yaml (no auth for the first upload) and restart the bridge '
  + '(docs/encryption.md, "Cross-signing")';

/**
 * Gives the bot a cross-signing identity (master, self-signing and user-signing keys) and
 * signs its device with it, so that a person verifies the bot once and every device it
 * ever has is trusted through that. The private keys are sealed with the configured
 * passphrase and written to the main store **before** the public keys leave, and are
 * imported again if the crypto store was replaced (its new device is then signed by the
 * same identity).
 */
export async function ensureCrossSigning(deps: CrossSigningDeps): Promise<CrossSigningOutcome> {
  const { machine, section, device } = deps;
  const status = await machine.crossSigningStatus();
  const record = await section.get(device.userId);

  if (record && !status.hasMaster) {
    const keys = await unseal(record.sealed, deps.passphrase) as PrivateKeys;
    await machine.importCrossSigningKeys(keys.master ?? null, keys.selfSigning ?? null, keys.userSigning ?? null);
    await deps.flushed();
    if (record.uploaded) {
      await signOwnDevice(deps);
      return 'restored';
    }
  } else if (record?.uploaded) {
    // Opened once per start: a passphrase changed in the config is said now, not when the keys are next needed.
    await unseal(record.sealed, deps.passphrase);
    return 'kept';
  }
  if (!record && await masterKeyOnServer(deps)) {
    deps.logger.warn({ userId: device.userId }, 'the homeserver already holds cross-signing keys for the bot that this store does not have; '
      + 'they are left as they are (replacing them needs user-interactive auth) and the bot\'s device is not cross-signed');
    return 'exists-elsewhere';
  }

  const requests = await machine.bootstrapCrossSigning(record === undefined);
  const current = record ?? await sealCurrent(deps);
  if (!record) await section.put(device.userId, current);
  await deps.flushed();
  try {
    if (requests.uploadKeysRequest) await sendOutgoing(machine, deps.client, device, requests.uploadKeysRequest as wasm.KeysUploadRequest);
    await deps.client.request('POST', route('/_matrix/client/v3/keys/device_signing/upload'), {
      body: JSON.parse(requests.uploadSigningKeysRequest.body), asUser: device.userId, query: deviceQuery(device), idempotent: false,
    });
    await sendOutgoing(machine, deps.client, device, requests.uploadSignaturesRequest);
  } catch (err) {
    if (!(err instanceof MatrixError)) throw err;
    deps.logger.error({ userId: device.userId, status: err.status, errcode: err.errcode }, `the bot's cross-signing keys were not accepted: ${UIA_HELP}`);
    return 'upload-refused';
  }
  await section.put(device.userId, { ...current, uploaded: true });
  return 'made';
}

async function sealCurrent(deps: CrossSigningDeps): Promise<CrossSigningRecord> {
  const exported = await deps.machine.exportCrossSigningKeys();
  const identity = await deps.machine.getIdentity(new wasm.UserId(deps.device.userId));
  const masterKey = identity ? masterPublicKey(identity.masterKey) : undefined;
  if (!exported?.masterKey || !masterKey) throw new Error('the crypto machine made no cross-signing keys');
  const keys: PrivateKeys = { master: exported.masterKey, selfSigning: exported.self_signing_key, userSigning: exported.userSigningKey };
  return { masterKey, sealed: await seal(keys, deps.passphrase), uploaded: false };
}

/** The key of a cross-signing key JSON (`{ keys: { "ed25519:<key>": "<key>" } }`). */
function masterPublicKey(json: string): string | undefined {
  const parsed = JSON.parse(json) as { keys?: Record<string, string> };
  return Object.values(parsed.keys ?? {})[0];
}

async function masterKeyOnServer(deps: CrossSigningDeps): Promise<boolean> {
  const answer = await deps.client.request<{ master_keys?: Record<string, unknown> }>('POST', route('/_matrix/client/v3/keys/query'), {
    body: { device_keys: { [deps.device.userId]: [] } }, asUser: deps.device.userId, query: deviceQuery(deps.device), idempotent: true,
  });
  return answer.master_keys?.[deps.device.userId] !== undefined;
}

/** A device made after the identity (a replaced crypto store) is signed with the self-signing key. */
async function signOwnDevice(deps: CrossSigningDeps): Promise<void> {
  const own = await deps.machine.getDevice(new wasm.UserId(deps.device.userId), new wasm.DeviceId(deps.device.deviceId));
  if (!own || own.isCrossSignedByOwner()) return;
  const request = await own.verify();
  await deps.flushed();
  await sendOutgoing(deps.machine, deps.client, deps.device, request);
}
