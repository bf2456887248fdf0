/**
 * The portals' `m.bridge` event: protocol IRC, network the IRC server, channel the `#chan`
 * with an `irc://` link to it (`ircs://` over TLS).
 */
import type { BridgeInfo } from 'matrix-bridgekit';
import type { IrcConfig } from './config.js';
import { channelName } from './portals.js';

export function ircBridgeInfo(config: IrcConfig): BridgeInfo {
  const { host, port, tls } = config.server;
  const server = `${tls ? 'ircs' : 'irc'}://${host}:${port}`;
  return {
    protocol: { id: 'irc', displayname: 'IRC' },
    network: { id: host.toLowerCase(), displayname: host, external_url: server },
    stateKeyPrefix: 'bridgekit.irc',
    channel(channel) {
      const name = channelName(channel.id);
      // A direct conversation has no channel on IRC: its id stays bridgekit's.
      if (name === undefined) return {};
      return { id: name, displayname: channel.name ?? name, external_url: `${server}/${encodeURIComponent(name)}` };
    },
  };
}
