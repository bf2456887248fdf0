/**
 * What the bot's connection knows about each channel it is in: members (with their
 * channel modes and user@host, for ban masks), the topic, whether the bot is operator.
 * Fed every line the bot reads; the inbound side asks it.
 */
import type { RemoteUser } from 'matrix-bridgekit';
import { ircLower } from './nicks.js';
import type { IrcLine } from './wire.js';

export interface Member {
  nick: string;
  ident?: string;
  host?: string;
  /** Channel prefix modes (o, v, …). */
  readonly modes: Set<string>;
}

export interface ChannelState {
  readonly name: string;
  readonly members: Map<string, Member>;
  topic?: string;
  /** True once the member list (NAMES) after the bot's join is complete. */
  synced: boolean;
  pendingNames?: Member[];
  /** Ban masks set on IRC → the ghosts each banned in Matrix (to unban them on -b). */
  bans?: Map<string, RemoteUser[]>;
}

/** Modes that make a channel operator (founder and admin count as operator). */
export const OPERATOR_MODES = new Set(['q', 'a', 'o']);

export function isOperator(member: Member | undefined): boolean {
  return member !== undefined && [...member.modes].some((m) => OPERATOR_MODES.has(m));
}

/** `PREFIX=(ov)@+` as symbol → mode. */
export function prefixModes(isupport: ReadonlyMap<string, string>): Map<string, string> {
  const m = /^\(([^)]*)\)(.*)$/.exec(isupport.get('PREFIX') ?? '(ov)@+');
  const out = new Map<string, string>();
  if (!m) return out;
  [...m[1]!].forEach((mode, i) => {
    const symbol = m[2]![i];
    if (symbol !== undefined) out.set(symbol, mode);
  });
  return out;
}

export interface ModeChange {
  readonly adding: boolean;
  readonly mode: string;
  readonly param?: string;
}

/** A MODE line's changes, with the parameters each takes (from PREFIX and CHANMODES). */
export function parseModes(modes: string, params: readonly string[], isupport: ReadonlyMap<string, string>): ModeChange[] {
  const prefix = new Set(prefixModes(isupport).values());
  const [listModes = 'beI', always = 'k', whenSet = 'l'] = (isupport.get('CHANMODES') ?? 'beI,k,l,imnpst').split(',');
  const out: ModeChange[] = [];
  let adding = true;
  let next = 0;
  for (const mode of modes) {
    if (mode === '+' || mode === '-') {
      adding = mode === '+';
      continue;
    }
    const takes = prefix.has(mode) || listModes.includes(mode) || always.includes(mode) || (adding && whenSet.includes(mode));
    const param = takes ? params[next++] : undefined;
    out.push({ adding, mode, ...(param !== undefined ? { param } : {}) });
  }
  return out;
}

/** IRC glob (`*`, `?`) against a `nick!user@host`, case-insensitively. */
export function maskMatches(mask: string, target: string): boolean {
  const pattern = ircLower(mask).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${pattern}$`).test(ircLower(target));
}

export class ChannelStates {
  private readonly channels = new Map<string, ChannelState>();
  private readonly syncWaiters = new Map<string, Set<() => void>>();

  get(channel: string): ChannelState | undefined {
    return this.channels.get(ircLower(channel));
  }

  all(): ChannelState[] {
    return [...this.channels.values()];
  }

  /** The bot (re)joined: a fresh state, filled by the NAMES that follow. */
  reset(channel: string): ChannelState {
    const state: ChannelState = { name: channel, members: new Map(), synced: false };
    this.channels.set(ircLower(channel), state);
    return state;
  }

  forget(channel: string): void {
    this.channels.delete(ircLower(channel));
  }

  /** Channels `nick` is in. */
  channelsOf(nick: string): ChannelState[] {
    const key = ircLower(nick);
    return this.all().filter((c) => c.members.has(key));
  }

  /** Resolves when the channel's member list is complete (or after `timeoutMs`). */
  whenSynced(channel: string, timeoutMs: number): Promise<boolean> {
    if (this.get(channel)?.synced) return Promise.resolve(true);
    const key = ircLower(channel);
    return new Promise((resolve) => {
      const waiters = this.syncWaiters.get(key) ?? new Set();
      this.syncWaiters.set(key, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve(this.get(channel)?.synced ?? false);
      };
      const timer = setTimeout(done, timeoutMs);
      waiters.add(done);
    });
  }

  /** NAMES (353) into the pending list; at its end (366) the list replaces the members. */
  names(line: IrcLine, isupport: ReadonlyMap<string, string>): ChannelState | undefined {
    const channel = line.command === '353' ? line.params[2] : line.params[1];
    const state = channel === undefined ? undefined : this.get(channel);
    if (!state) return undefined;
    if (line.command === '353') {
      const symbols = prefixModes(isupport);
      state.pendingNames ??= [];
      for (const entry of (line.params[3] ?? '').split(' ')) {
        let name = entry;
        const modes = new Set<string>();
        while (name.length > 0 && symbols.has(name[0]!)) {
          modes.add(symbols.get(name[0]!)!);
          name = name.slice(1);
        }
        const nick = name.split('!')[0] ?? '';
        if (nick !== '') state.pendingNames.push({ nick, modes });
      }
      return undefined;
    }
    state.members.clear();
    for (const member of state.pendingNames ?? []) state.members.set(ircLower(member.nick), member);
    delete state.pendingNames;
    state.synced = true;
    for (const wake of [...(this.syncWaiters.get(ircLower(state.name)) ?? [])]) wake();
    return state;
  }

  /** A member's new nick in every channel. */
  rename(oldNick: string, newNick: string): void {
    for (const state of this.channelsOf(oldNick)) {
      const member = state.members.get(ircLower(oldNick))!;
      state.members.delete(ircLower(oldNick));
      member.nick = newNick;
      state.members.set(ircLower(newNick), member);
    }
  }
}
