/**
 * IRC logins: a Matrix user connects with their own nick, and with its password when the
 * nick is registered (SASL PLAIN, or NickServ IDENTIFY: config `loginAuth`). One login per
 * user (one IRC server). The connection's state is the login's state.
 */
import { LoginError, type LoginProcess, type LoginStep, type LoginSupport, type LoginWithCredentials, type UserLogin } from 'matrix-bridgekit';
import type { Core } from './core.js';
import { ircLower, isValidNick } from './nicks.js';
import { channelId } from './portals.js';

export function ircLoginSupport(core: () => Core): LoginSupport {
  return {
    flows: [{ id: 'nick', name: 'IRC nick', description: 'Your own IRC nick, with its password if it is registered.' }],
    // In login mode only users who logged in speak as themselves; the others need a portal's relay.
    get required(): boolean {
      return core().config.mode === 'login';
    },
    begin(_flowId, user): LoginProcess {
      return {
        async start(): Promise<LoginStep> {
          const { config } = core();
          return {
            kind: 'input', stepId: 'nick',
            instructions: `Log in to ${config.server.host} with your own nick.`,
            fields: [
              { id: 'nick', type: 'username', name: 'Nick', description: 'the IRC nick to use' },
              {
                id: 'password', type: 'password', name: 'Password', optional: true,
                description: config.loginAuth === 'sasl' ? 'your account\'s password, sent by SASL (leave empty for an unregistered nick)' : 'your NickServ password (leave empty for an unregistered nick)',
              },
            ],
          };
        },
        async submit(input): Promise<LoginStep> {
          const { config, ctx } = core();
          const nick = input['nick'] ?? '';
          if (!isValidNick(nick, config.server.maxNickLength)) {
            throw new LoginError('M_INVALID_PARAM', `${nick} is not a valid IRC nick (letters, digits and []\\\`_^{|}-, at most ${config.server.maxNickLength}, not starting with a digit)`);
          }
          const other = ctx.logins.forUser(user.userId).find((l) => l.remoteId !== ircLower(nick));
          if (other) throw new LoginError('M_FORBIDDEN', `you are logged in as ${other.remoteName} already: log out of it first (logout ${other.id})`);
          const password = input['password'] ?? '';
          return {
            kind: 'complete',
            login: {
              remoteId: ircLower(nick), remoteName: `${nick} on ${config.server.host}`,
              credentials: password !== '' ? { password } : {},
              metadata: { nick, auth: password !== '' ? config.loginAuth : 'none' },
            },
          };
        },
      };
    },
    async connect(login: LoginWithCredentials): Promise<void> {
      const c = core();
      c.connections.attachLogin(login, await portalChannelsOf(c, login.userId));
    },
    async logout(login: UserLogin): Promise<void> {
      core().connections.detachLogin(login.userId);
    },
    // Removed in another process of a cluster: this one's connection was a standby (or had
    // just taken over), so it is stopped here without anything more.
    async disconnect(login: UserLogin): Promise<void> {
      core().connections.detachLogin(login.userId);
    },
  };
}

/** The bridged channels whose portals the user is in. */
async function portalChannelsOf(core: Core, userId: string): Promise<string[]> {
  const channels: string[] = [];
  for (const name of core.bridged.all()) {
    const roomId = await core.ctx.mappings.roomForChannel(channelId(name));
    const room = roomId === undefined ? undefined : await core.ctx.room(roomId);
    if (await room?.membership(userId) === 'join') channels.push(name);
  }
  return channels;
}
