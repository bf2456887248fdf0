import { TestHomeserver } from '../../src/testing/index.js';
import type { Registration } from '../../src/registration/index.js';
import { AppserviceListener } from './listener.js';
import type { ConformanceSubject } from './subject.js';

/** The appservice the scenarios use, shaped like the e2e tier's (bot `e2ebot_conformance`, users `@e2e_conformance_*`). */
export function conformanceRegistration(url: string, serverName: string, tokens: { as: string; hs: string }): Registration {
  const domain = serverName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    id: 'bridgekit-e2e-conformance',
    url,
    as_token: tokens.as,
    hs_token: tokens.hs,
    sender_localpart: 'e2ebot_conformance',
    namespaces: {
      users: [{ exclusive: true, regex: `@e2e_conformance_.*:${domain}` }],
      aliases: [{ exclusive: true, regex: `#e2e_conformance_.*:${domain}` }],
      rooms: [],
    },
    rate_limited: false,
    receive_ephemeral: true,
    'de.sorunome.msc2409.push_ephemeral': true,
  };
}

/** bridgekit's test homeserver as a conformance subject, with its own listener. Stop it with `stop()`. */
export async function testHomeserverSubject(): Promise<ConformanceSubject & { stop(): Promise<void> }> {
  const tokens = { as: 'conformance-as-token', hs: 'conformance-hs-token' };
  const listener = await AppserviceListener.start(0, tokens.hs);
  const registration = conformanceRegistration(`http://127.0.0.1:${listener.port}`, 'localhost', tokens);
  const hs = await TestHomeserver.start({ serverName: 'localhost', appservice: registration });
  let users = 0;
  return {
    kind: 'test-homeserver',
    url: hs.url,
    serverName: hs.serverName,
    registration,
    prefix: 'e2e_conformance_',
    listener,
    async createUser(name) {
      users += 1;
      const user = await hs.registerUser(`${name.toLowerCase()}${users}`);
      return { userId: user.userId, accessToken: user.accessToken };
    },
    async limitSends() {
      hs.rateLimitNext({ path: '/send/', count: 1, retryAfterMs: 1_000 });
    },
    async unlimitSends() {
      hs.clearFaults();
    },
    async stop() {
      await hs.stop();
      await listener.stop();
    },
  };
}
