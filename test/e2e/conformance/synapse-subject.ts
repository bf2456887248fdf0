import { AppserviceListener } from '../../conformance/listener.js';
import type { ConformanceSubject } from '../../conformance/subject.js';
import { roomPath, txnId } from '../../conformance/scenarios/common.js';
import { call } from '../../conformance/subject.js';
import type { E2eContext } from '../harness/index.js';

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
      return { userId: user.userId, accessToken: user.client.accessToken };
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
  return subject;
}
