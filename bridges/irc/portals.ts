/**
 * Channel ids and the list of bridged channels.
 *
 * A channel's remote id is its case-folded name without the leading `#`, so its portal
 * alias reads `#_irc_<channel>:<domain>` (`#_irc_test` for `#test`); channels of other
 * types keep their prefix (`&local` → `#_irc_=26local`). A direct conversation between
 * an IRC user (ghost id G) and a Matrix user M is the channel `pm:G:M`: `:` never occurs
 * in a channel name, so the two kinds cannot collide.
 */
import type { KeyValue, RemoteChannel } from 'matrix-bridgekit';
import { ircLower, isValidChannel } from './nicks.js';

export function channelId(name: string): string {
  const folded = ircLower(name);
  return folded.startsWith('#') ? folded.slice(1) : folded;
}

/** The channel name of a remote id (undefined when the id is not a channel's). */
export function channelName(id: string): string | undefined {
  if (id.startsWith('pm:')) return undefined;
  const name = /^[&+!]/.test(id) ? id : `#${id}`;
  return isValidChannel(name) ? name : undefined;
}

export interface DmChannel {
  readonly ghostId: string;
  readonly userId: string;
}

export function dmChannelId(ghostId: string, userId: string): string {
  return `pm:${ghostId}:${userId}`;
}

export function parseDm(id: string): DmChannel | undefined {
  const m = /^pm:([^:]+):(@.+)$/.exec(id);
  return m ? { ghostId: m[1]!, userId: m[2]! } : undefined;
}

/** The bridged channels (id → name as first written), kept in the plugin's kv. */
export class BridgedChannels {
  private readonly names = new Map<string, string>();

  constructor(private readonly kv: KeyValue, private readonly allowlist: readonly string[]) {}

  async load(): Promise<void> {
    for await (const [key, name] of this.kv.entries<string>('chan>')) this.names.set(key.slice('chan>'.length), name);
  }

  /** May `name` be bridged (configured channel list, when there is one)? */
  allowed(name: string): boolean {
    return isValidChannel(name) && (this.allowlist.length === 0 || this.allowlist.some((c) => ircLower(c) === ircLower(name)));
  }

  async add(name: string): Promise<void> {
    const id = channelId(name);
    if (this.names.has(id)) return;
    this.names.set(id, name);
    await this.kv.put(`chan>${id}`, name);
  }

  has(name: string): boolean {
    return this.names.has(channelId(name));
  }

  /** Name of a bridged channel by id. */
  nameOf(id: string): string | undefined {
    return this.names.get(id) ?? channelName(id);
  }

  all(): string[] {
    return [...this.names.values()];
  }

  /** The channel as the pipeline wants it: public, as anyone may /join it on IRC. */
  remote(name: string, topic?: string): RemoteChannel {
    return { id: channelId(name), name, public: true, ...(topic !== undefined ? { topic } : {}) };
  }
}
