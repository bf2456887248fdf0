import { isDeepStrictEqual } from 'node:util';
import type { JsonObject } from '../../events/types.js';
import type { RemoteChannel } from '../remote-events.js';
import type { BridgeInfo, BridgeInfoSection } from './types.js';

/** The stable type (MSC2346) and the unstable twin clients read today; both carry the same content. */
export const BRIDGE_INFO_TYPES = ['m.bridge', 'uk.half-shot.bridge'] as const;

export interface PortalInfoInput {
  readonly channel: RemoteChannel;
  /** The portal's avatar as an `mxc://` URI, when it has one. */
  readonly avatarMxc?: string;
  /** The Matrix user who asked for the bridge (a provisioned room); unknown for portals made on demand. */
  readonly creator?: string;
}

/** The event's content and state key for one portal. */
export interface PortalInfo {
  readonly stateKey: string;
  readonly content: JsonObject;
}

/**
 * Builds the MSC2346 event of a portal: `bridgebot`, `creator`, `protocol`, `network`,
 * `channel`. The state key is `<prefix>://<protocol id>/<network id>/<channel id>` (the
 * network part left out when there is none), each id with `%` and `/` escaped.
 */
export function portalInfo(info: BridgeInfo, pluginName: string, bridgebot: string, input: PortalInfoInput): PortalInfo {
  const { channel } = input;
  const section: BridgeInfoSection = {
    id: channel.id,
    ...(channel.name !== undefined ? { displayname: channel.name } : {}),
    ...(input.avatarMxc !== undefined ? { avatar_url: input.avatarMxc } : {}),
    ...(channel.externalUrl !== undefined ? { external_url: channel.externalUrl } : {}),
    ...info.channel?.(channel),
  };
  const content: JsonObject = {
    bridgebot,
    ...(input.creator !== undefined ? { creator: input.creator } : {}),
    protocol: clean(info.protocol),
    ...(info.network !== undefined ? { network: clean(info.network) } : {}),
    channel: clean(section),
  };
  const path = [info.protocol.id, ...(info.network !== undefined ? [info.network.id] : []), section.id].map(escapeId).join('/');
  return { stateKey: `${info.stateKeyPrefix ?? `bridgekit.${pluginName}`}://${path}`, content };
}

/** True when the stored content says the same as `wanted` (key order aside). */
export function sameContent(stored: JsonObject | undefined, wanted: JsonObject): boolean {
  return stored !== undefined && isDeepStrictEqual(stored, wanted);
}

function escapeId(id: string): string {
  return id.replaceAll('%', '%25').replaceAll('/', '%2F');
}

/** Only the keys that are set: `undefined` has no place in an event's JSON. */
function clean(section: BridgeInfoSection): JsonObject {
  const out: JsonObject = { id: section.id };
  for (const key of ['displayname', 'avatar_url', 'external_url'] as const) {
    const value = section[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
