import type { BridgeConfig } from '../config/index.js';

export type BotConfig = BridgeConfig['bot'];

/**
 * Who may invite the bot: the users and servers of `bot.invites`; with both lists empty,
 * anyone on the homeserver's own domain. The bridge's own users may always.
 */
export class InvitePolicy {
  private readonly users: ReadonlySet<string>;
  private readonly servers: ReadonlySet<string>;

  constructor(invites: BotConfig['invites'], private readonly domain: string, private readonly isControlled: (userId: string) => boolean) {
    this.users = new Set(invites.users);
    this.servers = new Set(invites.servers);
  }

  allows(inviter: string): boolean {
    if (this.isControlled(inviter)) return true;
    const server = serverOf(inviter);
    if (this.users.size === 0 && this.servers.size === 0) return server === this.domain;
    return this.users.has(inviter) || (server !== undefined && this.servers.has(server));
  }
}

/** `@alice:example.org:8448` → `example.org:8448` (the server name is all after the first colon). */
function serverOf(userId: string): string | undefined {
  const colon = userId.indexOf(':');
  return colon < 0 ? undefined : userId.slice(colon + 1);
}
