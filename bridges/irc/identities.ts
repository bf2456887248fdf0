/**
 * Which ghost an IRC nick is.
 *
 * A ghost's remote id (and so its Matrix id, `@_irc_<id>`) is the case-folded nick it had
 * when the bridge first saw it; its display name is the nick as written. A nick change
 * keeps the ghost and changes its display name in every portal, as the issue asks, so
 * for the rest of that IRC session the new nick maps to the old id. These renames are
 * the only entries kept (in memory, and in the plugin's kv for restarts); a QUIT ends the
 * session and drops them. Should a new user take a renamed ghost's original nick while
 * the renamed one is still online, the newcomer gets `<nick>!2` (`!` never occurs in a
 * nick, so no real nick can collide with it).
 */
import type { KeyValue, Logger, RemoteUser } from 'matrix-bridgekit';
import { ircLower, isValidNick } from './nicks.js';

export class NickIdentities {
  /** Folded nick → ghost id, for nicks that are not their ghost's own id. */
  private readonly byNick = new Map<string, string>();
  /** Ghost id → its current nick, for the same renamed ghosts. */
  private readonly byGhost = new Map<string, string>();

  constructor(private readonly kv: KeyValue, private readonly logger: Logger) {}

  async load(): Promise<void> {
    for await (const [key, id] of this.kv.entries<string>('nick>')) {
      const nick = key.slice('nick>'.length);
      this.byNick.set(nick, id);
    }
    for await (const [key, nick] of this.kv.entries<string>('ghost>')) this.byGhost.set(key.slice('ghost>'.length), nick);
  }

  /** The ghost id of a nick seen on IRC now (assigned on first sight). */
  idFor(nick: string): string {
    const folded = ircLower(nick);
    const known = this.byNick.get(folded);
    if (known !== undefined) return known;
    if (!this.byGhost.has(folded)) return folded;
    // The nick's own id belongs to a renamed ghost still online: a fresh id.
    let n = 2;
    while (this.byGhost.has(`${folded}!${n}`) || [...this.byNick.values()].includes(`${folded}!${n}`)) n++;
    const id = `${folded}!${n}`;
    this.set(folded, id, nick);
    return id;
  }

  /** The ghost as a remote user: its id, the nick as display name. */
  user(nick: string): RemoteUser {
    return { id: this.idFor(nick), displayName: nick };
  }

  /** A nick change: same ghost, new nick. Returns the ghost id. */
  renamed(oldNick: string, newNick: string): string {
    const id = this.idFor(oldNick);
    const oldFolded = ircLower(oldNick);
    const newFolded = ircLower(newNick);
    if (oldFolded !== newFolded) this.unset(oldFolded);
    if (newFolded === id) this.unset(newFolded, id);
    else this.set(newFolded, id, newNick);
    return id;
  }

  /** The user left IRC (QUIT): their nick is free for whoever takes it next. */
  gone(nick: string): void {
    const folded = ircLower(nick);
    const id = this.byNick.get(folded);
    if (id !== undefined) this.unset(folded, id);
  }

  /** The nick a ghost has now, when the bridge can tell. */
  nickOf(id: string): string | undefined {
    return this.byGhost.get(id) ?? (isValidNick(id, 64) && ircLower(id) === id ? id : undefined);
  }

  private set(folded: string, id: string, nick: string): void {
    this.byNick.set(folded, id);
    this.byGhost.set(id, nick);
    this.persist(this.kv.put(`nick>${folded}`, id), this.kv.put(`ghost>${id}`, nick));
  }

  private unset(folded: string, id?: string): void {
    const ghost = id ?? this.byNick.get(folded);
    this.byNick.delete(folded);
    const ops = [this.kv.del(`nick>${folded}`)];
    if (ghost !== undefined) {
      this.byGhost.delete(ghost);
      ops.push(this.kv.del(`ghost>${ghost}`));
    }
    this.persist(...ops);
  }

  private persist(...ops: Promise<void>[]): void {
    Promise.all(ops).catch((err: unknown) => this.logger.warn({ err }, 'could not store an IRC nick mapping'));
  }
}
