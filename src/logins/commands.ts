/**
 * The bot commands bridgekit adds for plugins with logins: `login [flow]`, `logout <login>`,
 * `logins`, and `relay on|off|status` (per portal).
 */
import type { BotCommand } from '../bot/command.js';
import { BotLogin } from './bot-login.js';
import type { UserLogin } from './contract.js';
import type { PortalRelays } from './relay.js';
import type { LoginService } from './service.js';

/** The power level `relay on|off` needs in the room (moderators), besides the `relay` permission. */
export const RELAY_POWER_LEVEL = 50;

export interface LoginCommandsOptions {
  readonly service: LoginService;
  readonly conversation: BotLogin;
  readonly relays: PortalRelays;
  /** Whether a room is a portal (relay is for portals only). */
  readonly isPortal: (roomId: string) => Promise<boolean>;
  readonly prefix: string;
}

export function loginCommands(options: LoginCommandsOptions): BotCommand[] {
  const { service, conversation, relays, prefix } = options;
  return [
    {
      name: 'login',
      summary: 'log in to the remote network with your own account (in your direct chat with me)',
      usage: '[flow]',
      async run(invocation) {
        if (!invocation.inManagementRoom) {
          await invocation.reply(`Logging in asks for secrets: send ${prefix}login to me in a direct chat.`);
          return;
        }
        const flows = service.flows();
        const wanted = invocation.args[0];
        const flow = wanted !== undefined ? flows.find((f) => f.id === wanted.toLowerCase()) : flows.length === 1 ? flows[0] : undefined;
        if (!flow) {
          await invocation.reply(`${wanted !== undefined ? `There is no login flow "${wanted}". ` : ''}${BotLogin.describeFlows(flows, prefix)}`);
          return;
        }
        await conversation.begin(invocation.sender, invocation.roomId, flow.id, `login:${invocation.message.eventId}`);
      },
    },
    {
      name: 'logout',
      summary: 'remove one of your logins',
      usage: '<login>',
      minArgs: 1,
      async run(invocation) {
        const wanted = invocation.args[0]!;
        const login = service.list(invocation.sender).find((l) => l.id === wanted || l.remoteId === wanted || l.remoteName === wanted);
        if (!login) {
          await invocation.reply(`You have no login "${wanted}". Send ${prefix}logins for the list.`);
          return;
        }
        await service.logout(invocation.sender, login.id);
        await invocation.reply(`Logged out of ${login.remoteName} (${login.id}).`);
      },
    },
    {
      name: 'logins',
      summary: 'list your logins and their states',
      async run(invocation) {
        const logins = service.list(invocation.sender);
        if (logins.length === 0) {
          await invocation.reply(`You have no logins. Send ${prefix}login to log in.`);
          return;
        }
        await invocation.reply(['Your logins:', ...logins.map(describeLogin)].join('\n'));
      },
    },
    {
      name: 'relay',
      summary: 'relay mode in this portal: messages of people without a login go out through the bridge, with their name',
      usage: 'on | off | status',
      permission: 'relay',
      minArgs: 1,
      async run(invocation) {
        const sub = invocation.args[0]!.toLowerCase();
        if (!await options.isPortal(invocation.roomId)) {
          await invocation.reply('Relay mode is for portals (rooms bridged to the remote network); this room is not one.');
          return;
        }
        if (sub === 'status') {
          const setting = await relays.setting(invocation.roomId);
          await invocation.reply(setting ? `Relay mode is on here (turned on by ${setting.enabledBy}).` : 'Relay mode is off here.');
          return;
        }
        if (sub !== 'on' && sub !== 'off') {
          await invocation.reply(invocation.usage);
          return;
        }
        if (invocation.senderLevel < RELAY_POWER_LEVEL && !invocation.bridgeAdmin) {
          await invocation.reply(`${prefix}relay ${sub} needs power level ${RELAY_POWER_LEVEL} in this room; you have ${invocation.senderLevel}.`);
          return;
        }
        await relays.set(invocation.roomId, sub === 'on', invocation.sender);
        if (sub === 'off') await relays.forgetRefusals(invocation.roomId);
        await invocation.reply(sub === 'on'
          ? 'Relay mode is on: messages of people without a login go out through the bridge, with their name.'
          : 'Relay mode is off: only people with a login are bridged.');
      },
    },
  ];
}

export function describeLogin(login: UserLogin): string {
  const { state, message } = login.status;
  return `- ${login.id}: ${login.remoteName} — ${state.replace(/_/g, ' ')}${message ? ` (${message})` : ''}`;
}
