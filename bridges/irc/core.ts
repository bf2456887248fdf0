import type { Logger, PluginContext } from 'matrix-bridgekit';
import type { ChannelStates } from './channels.js';
import type { IrcConfig } from './config.js';
import type { Connections } from './connections.js';
import type { NickIdentities } from './identities.js';
import type { BridgedChannels } from './portals.js';
import type { Pusher } from './pusher.js';
import type { RecentMessages } from './recent.js';

/** What the parts of the IRC bridge share, made once in `start`. */
export interface Core {
  readonly ctx: PluginContext<IrcConfig>;
  readonly config: IrcConfig;
  readonly logger: Logger;
  readonly connections: Connections;
  readonly identities: NickIdentities;
  readonly bridged: BridgedChannels;
  /** IRC-side state of the channels the bot is in. */
  readonly channels: ChannelStates;
  readonly pusher: Pusher;
  readonly recent: RecentMessages;
  /** Relay mode: folded nick → the Matrix user who last wrote to it (where its replies go). */
  readonly relayPartners: Map<string, string>;
}
