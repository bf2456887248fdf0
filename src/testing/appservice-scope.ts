import { Namespaces, type Registration, type NamespaceRule } from '../registration/index.js';

/**
 * What the registered appservice owns, as the homeserver judges it: the bot and its user
 * namespaces (for masquerading), and the exclusive namespaces no one else may claim.
 */
export class AppserviceScope {
  readonly namespaces: Namespaces;
  private readonly exclusiveUsers: RegExp[];
  private readonly exclusiveAliases: RegExp[];

  constructor(readonly registration: Registration, serverName: string) {
    this.namespaces = new Namespaces(registration, serverName);
    const exclusive = (rules: NamespaceRule[] | undefined) =>
      (rules ?? []).filter((rule) => rule.exclusive).map((rule) => new RegExp(`^(?:${rule.regex})`));
    this.exclusiveUsers = exclusive(registration.namespaces.users);
    this.exclusiveAliases = exclusive(registration.namespaces.aliases);
  }

  get botUserId(): string {
    return this.namespaces.botUserId;
  }

  /** The bot or a user in any of its user namespaces: someone it may act as. */
  controls(userId: string): boolean {
    return this.namespaces.isControlledUser(userId);
  }

  ownsUserExclusively(userId: string): boolean {
    return userId === this.botUserId || this.exclusiveUsers.some((r) => r.test(userId));
  }

  inAliasNamespace(alias: string): boolean {
    return this.namespaces.isOwnAlias(alias);
  }

  ownsAliasExclusively(alias: string): boolean {
    return this.exclusiveAliases.some((r) => r.test(alias));
  }

  inRoomNamespace(roomId: string): boolean {
    return this.namespaces.isOwnRoom(roomId);
  }

  /** Synapse 1.94 reads only the unstable key; newer servers the stable one. Either turns it on. */
  get wantsEphemeral(): boolean {
    return this.registration.receive_ephemeral === true || this.registration['de.sorunome.msc2409.push_ephemeral'] === true;
  }
}
