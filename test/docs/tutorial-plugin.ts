/**
 * The bridge built in docs/writing-a-plugin.md, kept as code so the tutorial is tested.
 * It bridges "Chatter", a tiny in-memory chat network, to Matrix.
 */
import type { BridgePlugin, PluginContext } from 'matrix-bridgekit';

/** The remote network: channels of messages, and listeners for new ones. */
export class Chatter {
  private readonly listeners: Array<(channel: string, from: string, text: string, id: string) => void> = [];
  readonly sent: Array<{ channel: string; from: string; text: string }> = [];
  private nextId = 1;

  /** A Chatter user says something (this is the remote side talking). */
  say(channel: string, from: string, text: string): void {
    const id = `c${this.nextId++}`;
    for (const listener of this.listeners) listener(channel, from, text, id);
  }

  /** The bridge posts into a channel on behalf of a Matrix user. */
  post(channel: string, from: string, text: string): void {
    this.sent.push({ channel, from, text });
  }

  onMessage(listener: (channel: string, from: string, text: string, id: string) => void): void {
    this.listeners.push(listener);
  }

  channelExists(name: string): boolean {
    return /^[a-z]+$/.test(name);
  }
}

export function chatterBridge(network: Chatter): BridgePlugin {
  let ctx: PluginContext | undefined;
  return {
    name: 'chatter',
    capabilities: { messages: true },

    async start(context) {
      ctx = context;
      // Remote → Matrix: push; bridgekit creates the portal and the ghost, maps the id,
      // keeps order per channel and never posts the same remote message twice.
      network.onMessage((channel, from, text, id) => {
        void context.remote.push({
          kind: 'message',
          channel: { id: channel, name: `#${channel}` },
          sender: { id: from, displayName: from },
          id,
          text,
        }).catch((err: unknown) => context.logger.error({ err, channel, id }, 'could not bridge a Chatter message'));
      });
    },

    // Matrix → remote: the room as the mirror sees it comes along; find the channel.
    async onMessage(message, room) {
      const channel = await ctx!.mappings.channelForRoom(room.roomId);
      if (!channel) return; // not a portal
      const name = (await room.member(message.sender))?.displayname ?? message.sender;
      network.post(channel, name, message.body);
    },

    // `#_chatter_<channel>:<domain>` asked for by a Matrix user: create the portal on demand.
    async lookupChannel(id) {
      return network.channelExists(id) ? { id, name: `#${id}` } : undefined;
    },
  };
}
