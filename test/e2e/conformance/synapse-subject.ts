import { AppserviceListener } from '../../conformance/listener.js';
import type { ConformanceSubject } from '../../conformance/subject.js';
import { roomPath, txnId } from '../../conformance/scenarios/common.js';
import { call } from '../../conformance/subject.js';
import { ensureDelivering, type E2eContext } from '../harness/index.js';

/** The e2e tier's Synapse as a conformance subject: appservice `conformance`, a bare listener on its port. */
export async function synapseSubject(ctx: E2eContext): Promise<ConformanceSubject & { stop(): Promise<void> }> {
  const appservice = ctx.appservice('conformance');
  const listener = await AppserviceListener.start(appservice.port, appservice.registration.hs_token);
  const subject: ConformanceSubject & { stop(): Promise<void> } = {
    kind: 'synapse',
    url: ctx.synapse.url,
    serverName: ctx.synapse.serverName,
    registration: appservice.registration,
    prefix: appservice.prefix,
    listener,
    async createUser(name) {
      const user = await ctx.synapse.createUser(name);
      // The admin API's login token has no device; a person's client logs in with a password
      // and gets one (whoami then says device_id), as the test homeserver's users have.
      const login = await call(subject, undefined, 'POST', '/_matrix/client/v3/login', {
        body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: `pw-${localpartOf(user.userId)}` },
      });
      const token = (login.body as { access_token?: unknown }).access_token;
      if (login.status !== 200 || typeof token !== 'string') throw new Error(`password login of ${user.userId} answered ${login.status}`);
      return { userId: user.userId, accessToken: token };
    },
    async limitSends(user, roomId) {
      // One message a second, burst one: a send spends the burst, the next one is refused.
      await ctx.synapse.overrideRateLimit(user.userId, 1, 1);
      await call(subject, user.accessToken, 'PUT', roomPath(roomId, `send/m.room.message/${txnId()}`), { body: { msgtype: 'm.text', body: 'spends the burst' } });
    },
    async unlimitSends(user) {
      await ctx.synapse.overrideRateLimit(user.userId, 0, 0);
    },
    stop: () => listener.stop(),
  };
  await ensureListenerDelivering(ctx, subject);
  return subject;
}

/** A room made by the bot must reach the listener (see `ensureDelivering`). */
function ensureListenerDelivering(ctx: E2eContext, subject: ConformanceSubject): Promise<void> {
  return ensureDelivering(ctx.synapse, async (timeoutMs) => {
    const created = await call(subject, subject.registration.as_token, 'POST', '/_matrix/client/v3/createRoom', { body: { name: 'conformance probe' } });
    const roomId = (created.body as { room_id?: unknown }).room_id;
    try {
      await subject.listener.waitForEvent((e) => e['room_id'] === roomId, 'the probe room', timeoutMs);
      return true;
    } catch {
      return false;
    }
  });
}

function localpartOf(userId: string): string {
  return userId.slice(1, userId.indexOf(':'));
}
