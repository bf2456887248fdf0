/**
 * Who may do what with the bridge, from the config's `permissions` map (as mautrix's):
 * keys are a user ID (`@alice:example.org`), a server name (`example.org`) or `*`; values
 * are levels, each including the ones below it:
 *
 * - `none`: the bridge ignores the user's commands and does not carry their messages.
 * - `relay`: their messages may go through a portal's relay (when it is on there).
 * - `user`: may use the bridge: log in, bridge rooms, send through their own login.
 * - `admin`: bridge administrator: passes every command's power check.
 *
 * The most specific key wins (user ID, then server, then `*`). `bot.admins` are `admin`
 * whatever the map says, so configs from before the map keep working.
 */
export const PERMISSION_LEVELS = ['none', 'relay', 'user', 'admin'] as const;
export type PermissionLevel = typeof PERMISSION_LEVELS[number];

/** What the config's `permissions` section is: key → level. */
export type PermissionsConfig = Readonly<Record<string, PermissionLevel>>;

/** The default without a `permissions` section: anyone may use the bridge, as before the map existed. */
export const DEFAULT_PERMISSIONS: PermissionsConfig = { '*': 'user' };

const rank = (level: PermissionLevel): number => PERMISSION_LEVELS.indexOf(level);

/** The permission check other parts call (bot commands, relay, provisioning). */
export interface PermissionCheck {
  /** The user's level. */
  levelOf(userId: string): PermissionLevel;
  /** True when the user's level is `level` or above. */
  allows(userId: string, level: PermissionLevel): boolean;
}

export class Permissions implements PermissionCheck {
  private readonly map: ReadonlyMap<string, PermissionLevel>;
  private readonly admins: ReadonlySet<string>;

  constructor(config: PermissionsConfig = DEFAULT_PERMISSIONS, admins: readonly string[] = []) {
    this.map = new Map(Object.entries(config));
    this.admins = new Set(admins);
  }

  levelOf(userId: string): PermissionLevel {
    if (this.admins.has(userId)) return 'admin';
    const exact = this.map.get(userId);
    if (exact !== undefined) return exact;
    const server = serverOf(userId);
    const byServer = server === undefined ? undefined : this.map.get(server);
    return byServer ?? this.map.get('*') ?? 'none';
  }

  allows(userId: string, level: PermissionLevel): boolean {
    return rank(this.levelOf(userId)) >= rank(level);
  }
}

/** `@alice:example.org:8448` → `example.org:8448` (the server name is all after the first colon). */
export function serverOf(userId: string): string | undefined {
  const colon = userId.indexOf(':');
  return colon < 0 ? undefined : userId.slice(colon + 1);
}
