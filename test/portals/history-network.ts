/**
 * A fake chat network that keeps history, and a plugin on it: what `fetchHistory` needs
 * (the network's own storage is in memory; bridgekit, the homeserver and the store are real).
 */
import type { BridgePlugin, HistoryMessage, HistoryRequest, PluginContext, RemoteChannel, RoomUpgrade } from '../../src/index.js';

export interface Said {
  readonly channel: string;
  readonly sender: string;
  readonly text: string;
  readonly ts: number;
}

export class HistoryNetwork {
  private readonly messages = new Map<string, HistoryMessage[]>();
  private next = 1;
  /** What the plugin was asked, in order. */
  readonly requests: Array<{ channel: string } & HistoryRequest> = [];
  /** While set, `fetchHistory` waits for it (to hold a catch-up open). */
  hold: Promise<void> | undefined;
  /** Answer with the whole history, ignoring `after` and `before` (a careless plugin). */
  ignoreRange = false;
  ctx: PluginContext | undefined;
  /** The upgrades the plugin was told of. */
  readonly upgrades: RoomUpgrade[] = [];

  /** A message happens on the network (while the bridge may be down); returns its id. */
  said(said: Said): HistoryMessage {
    const message: HistoryMessage = {
      kind: 'message', channel: { id: said.channel, name: said.channel }, sender: { id: said.sender, displayName: said.sender },
      id: `m${this.next++}`, text: said.text, ts: said.ts,
    };
    this.messages.set(said.channel, [...(this.messages.get(said.channel) ?? []), message]);
    return message;
  }

  /** A message happens and the running bridge hears of it (a live push). */
  live(said: Said): Promise<unknown> {
    const message = this.said(said);
    if (!this.ctx) throw new Error('no bridge running');
    return this.ctx.remote.push(message);
  }

  async history(channel: RemoteChannel, request: HistoryRequest): Promise<readonly HistoryMessage[]> {
    this.requests.push({ channel: channel.id, ...request });
    await this.hold;
    const all = this.messages.get(channel.id) ?? [];
    if (this.ignoreRange) return all;
    const from = request.after === undefined ? 0 : all.findIndex((m) => m.id === request.after) + 1;
    const to = request.before === undefined ? all.length : all.findIndex((m) => m.id === request.before);
    return all.slice(from, to < 0 ? all.length : to).slice(-request.limit);
  }

  /** `keepsHistory: false`: a plugin (version) without `fetchHistory`. */
  plugin(keepsHistory = true): BridgePlugin<unknown> {
    return {
      name: 'historytest',
      capabilities: { messages: true },
      start: async (ctx) => { this.ctx = ctx; },
      onRoomUpgrade: async (upgrade) => { this.upgrades.push(upgrade); },
      ...(keepsHistory ? { fetchHistory: (channel: RemoteChannel, request: HistoryRequest) => this.history(channel, request) } : {}),
    };
  }
}
