/**
 * A plugin with logins for the tests: a `password` flow (username, password), a `code`
 * flow (shows a code, then waits until the test says the user used it), and handlers that
 * record what they were given (the sender's logins, the relay's text).
 */
import type { BridgePlugin, PluginContext } from '../../src/plugin/contract.js';
import type { LoginProcess, LoginStep, LoginWithCredentials, UserLogin } from '../../src/logins/contract.js';
import { LoginError } from '../../src/logins/errors.js';

export interface Seen {
  readonly sender: string;
  readonly body: string;
  readonly logins: readonly string[];
  readonly relayed?: string;
}

export class LoginPluginProbe {
  ctx: PluginContext | undefined;
  readonly seen: Seen[] = [];
  readonly connected: LoginWithCredentials[] = [];
  readonly loggedOut: UserLogin[] = [];
  readonly cancelled: string[] = [];
  /** Resolves the code flow's wait. */
  approveCode: (() => void) | undefined;
}

export function loginPlugin(probe: LoginPluginProbe, options: { required?: boolean; relayFormat?: boolean } = {}): BridgePlugin<unknown> {
  const passwordFlow = (userId: string): LoginProcess => ({
    async start(): Promise<LoginStep> {
      return {
        kind: 'input', stepId: 'credentials', instructions: 'Log in with your account.',
        fields: [
          { id: 'username', type: 'username', name: 'Username', pattern: '[a-z][a-z0-9]*' },
          { id: 'password', type: 'password', name: 'Password' },
        ],
      };
    },
    async submit(input): Promise<LoginStep> {
      if (input['username'] === 'refused') throw new LoginError('M_FORBIDDEN', 'that account may not log in here');
      if (input['username'] === 'crash') throw new Error('the remote network is down');
      return {
        kind: 'complete',
        login: { remoteId: input['username']!, remoteName: `${input['username']} on Testnet`, credentials: { password: input['password']! }, metadata: { for: userId } },
      };
    },
    async cancel() {
      probe.cancelled.push(userId);
    },
  });
  const codeFlow = (userId: string): LoginProcess => ({
    async start(): Promise<LoginStep> {
      return { kind: 'display', stepId: 'code', instructions: 'Type this code in your Testnet app.', display: { type: 'code', data: 'ABC-123' } };
    },
    async submit(): Promise<LoginStep> {
      throw new Error('no input here');
    },
    wait(): Promise<LoginStep> {
      return new Promise((resolve) => {
        probe.approveCode = () => resolve({ kind: 'complete', login: { remoteId: `code-${userId}`, remoteName: 'by code', credentials: { token: 'tok-secret' } } });
      });
    },
    async cancel() {
      probe.cancelled.push(userId);
    },
  });
  return {
    name: 'logintest',
    capabilities: { messages: true, edits: true, reactions: true },
    async start(ctx) {
      probe.ctx = ctx;
    },
    logins: {
      flows: [
        { id: 'password', name: 'Password', description: 'Your Testnet username and password.' },
        { id: 'code', name: 'Code', description: 'A code to type in the Testnet app.' },
      ],
      begin(flowId, user) {
        return flowId === 'code' ? codeFlow(user.userId) : passwordFlow(user.userId);
      },
      async connect(login) {
        probe.connected.push(login);
        const ctx = probe.ctx!;
        await ctx.logins.report(login.id, 'connecting');
        if (login.credentials['password'] === 'wrong') await ctx.logins.report(login.id, 'bad_credentials', 'the password was refused');
        else await ctx.logins.report(login.id, 'connected');
      },
      async logout(login) {
        probe.loggedOut.push(login);
      },
      ...(options.required === false ? { required: false } : {}),
      ...(options.relayFormat ? { relayFormat: (sender, text) => `[${sender.displayName}] ${text}` } : {}),
    },
    async onMessage(message, _room, scope) {
      probe.seen.push({
        sender: message.sender, body: message.body, logins: scope.logins.map((l) => l.remoteId),
        ...(scope.relay ? { relayed: scope.relay.format(message.body, message.msgtype === 'm.emote' ? 'emote' : 'text') } : {}),
      });
    },
  };
}
