import type { RemoteChannel } from '../remote-events.js';

/** One level of MSC2346's hierarchy (protocol, network or channel). `avatar_url` is an `mxc://` URI. */
export interface BridgeInfoSection {
  /** Case-insensitive; lowercase is best (MSC2346). */
  readonly id: string;
  readonly displayname?: string;
  readonly avatar_url?: string;
  readonly external_url?: string;
}

/**
 * What a plugin says about itself for the `m.bridge` state event (MSC2346) every portal
 * carries. Protocol and network are static; the channel comes from each `RemoteChannel`.
 */
export interface BridgeInfo {
  /** The network's kind as users know it: `{ id: 'irc', displayname: 'IRC' }`. */
  readonly protocol: BridgeInfoSection;
  /** The one network this bridge is connected to (an IRC server), when the protocol has networks. */
  readonly network?: BridgeInfoSection;
  /**
   * The channel section of a portal. Default: `id` the channel's id, `displayname` its
   * name, `avatar_url` the portal's avatar, `external_url` the channel's `externalUrl`.
   * What this returns is laid over the default. At start, for portals made by an earlier
   * run, `channel` may carry only what bridgekit remembered (id, name, externalUrl).
   */
  channel?(channel: RemoteChannel): Partial<BridgeInfoSection>;
  /**
   * The start of the state key, naming the bridge software (MSC2346: reverse DNS,
   * e.g. `org.example.my-bridge`). Default `bridgekit.<plugin name>`.
   */
  readonly stateKeyPrefix?: string;
}

/** The content of `m.bridge` / `uk.half-shot.bridge` (MSC2346). */
export interface BridgeInfoContent {
  readonly bridgebot: string;
  readonly creator?: string;
  readonly protocol: BridgeInfoSection;
  readonly network?: BridgeInfoSection;
  readonly channel: BridgeInfoSection;
  readonly [vendorKey: string]: unknown;
}
