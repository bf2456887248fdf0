import type { Registration, NamespaceRule } from './schema.js';

/**
 * The registration's namespaces, compiled once. Matching is anchored at the start, as
 * Synapse does (`re.match`), so a rule written without `^` behaves the same here.
 */
export class Namespaces {
  private readonly users: RegExp[];
  private readonly aliases: RegExp[];
  private readonly rooms: RegExp[];
  readonly botUserId: string;

  constructor(registration: Registration, readonly domain: string) {
    const compile = (rules: NamespaceRule[] | undefined) => (rules ?? []).map((r) => new RegExp(`^(?:${r.regex})`));
    this.users = compile(registration.namespaces.users);
    this.aliases = compile(registration.namespaces.aliases);
    this.rooms = compile(registration.namespaces.rooms);
    this.botUserId = `@${registration.sender_localpart}:${domain}`;
  }

  /** The bot or a user inside a user namespace: someone bridgekit may act as. */
  isControlledUser(userId: string): boolean {
    return userId === this.botUserId || this.users.some((r) => r.test(userId));
  }

  isVirtualUser(userId: string): boolean {
    return userId !== this.botUserId && this.users.some((r) => r.test(userId));
  }

  isOwnAlias(alias: string): boolean {
    return this.aliases.some((r) => r.test(alias));
  }

  isOwnRoom(roomId: string): boolean {
    return this.rooms.some((r) => r.test(roomId));
  }
}
