/**
 * Whether a Matrix user's event goes to the plugin, and how: through their own logins, through
 * the portal's relay, or not at all (the user told once, kindly). Only for plugins that
 * declare `logins` with `required` (the default).
 */
import type { PermissionCheck } from '../permissions/index.js';
import type { LoginSupport, RelayInfo, RelaySender, UserLogin } from './contract.js';
import type { PortalRelays } from './relay.js';

export type SenderVerdict =
  | { readonly go: true; readonly logins: readonly UserLogin[]; readonly relay?: RelayInfo }
  | { readonly go: false; readonly tell?: string };

export interface SenderGateOptions {
  readonly support: LoginSupport;
  readonly logins: { forUser(userId: string): readonly UserLogin[] };
  readonly relays: PortalRelays;
  readonly permissions: PermissionCheck;
  readonly commandPrefix: string;
  /** Only portals are gated: elsewhere (a room the bot shares that is bridged to nothing) events go on as before. */
  readonly isPortal: (roomId: string) => Promise<boolean>;
}

/** `<name> text`; `* name text` for an emote. */
export function defaultRelayFormat(sender: RelaySender, text: string, kind: 'text' | 'emote' | 'notice'): string {
  return kind === 'emote' ? `* ${sender.displayName} ${text}` : `<${sender.displayName}> ${text}`;
}

export class SenderGate {
  constructor(private readonly options: SenderGateOptions) {}

  /** Is a login needed at all (else events go on as before, with `scope.logins` filled in)? */
  get required(): boolean {
    return this.options.support.required !== false;
  }

  loginsOf(userId: string): readonly UserLogin[] {
    return this.options.logins.forUser(userId);
  }

  async judge(sender: string, roomId: string, displayName: () => Promise<string>): Promise<SenderVerdict> {
    const logins = this.loginsOf(sender);
    if (!this.required || logins.length > 0 || !await this.options.isPortal(roomId)) return { go: true, logins };
    const { relays, permissions, support, commandPrefix } = this.options;
    if (await relays.setting(roomId) && permissions.allows(sender, 'relay')) {
      const relaySender: RelaySender = { userId: sender, displayName: await displayName() };
      const format = support.relayFormat?.bind(support) ?? defaultRelayFormat;
      return { go: true, logins, relay: { sender: relaySender, format: (text, kind = 'text') => format(relaySender, text, kind) } };
    }
    if (!await relays.firstRefusal(roomId, sender)) return { go: false };
    const how = permissions.allows(sender, 'user')
      ? `To have your messages bridged, log in: send ${commandPrefix}login to me in a direct chat.`
      : 'You are not allowed to log in to this bridge.';
    return { go: false, tell: `${sender}: your message was not bridged: you are not logged in, and relay is off in this room. ${how} (I will say this once.)` };
  }
}
