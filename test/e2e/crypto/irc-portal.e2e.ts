import assert from 'node:assert/strict';
import { createIrcPlugin } from '../../../bridges/irc/index.js';
import { Ngircd, ngircdAvailable } from '../../helpers/ngircd.js';
import { IrcPerson } from '../../bridges/irc/irc-person.js';
import { E2eBridge, e2e, eventually, type E2eContext } from '../harness/index.js';
import { EncryptingClient } from './js-sdk-client.js';

/**
 * The IRC bridge with encryption on (`default: true`: new portals are encrypted), a real
 * ngircd and a real encrypting client: what IRC people say reaches the Matrix user through
 * their ghosts, each encrypting with its own device, and the client decrypts it.
 */
describe('encryption: IRC ghosts speaking in an encrypted portal (real ngircd, matrix-js-sdk)', function () {
  this.timeout(120_000);
  const RUN = Date.now().toString(36);
  const channel = `#crypt${RUN}`;
  let ctx: E2eContext;
  let irc: Ngircd;
  let bridge: E2eBridge;
  let alice: EncryptingClient | undefined;
  const people: IrcPerson[] = [];
  const ghost = (nick: string) => `@${ctx.appservice('ircencrypted').prefix}${nick.toLowerCase()}:${ctx.synapse.serverName}`;
  const portal = (name: string) => `#${ctx.appservice('ircencrypted').prefix}${name.slice(1)}:${ctx.synapse.serverName}`;

  before(async () => {
    if (!ngircdAvailable()) throw new Error('ngircd is not installed: run scripts/test-deps.sh');
    ctx = await e2e();
    irc = await Ngircd.start();
    bridge = await E2eBridge.start(ctx.synapse, ctx.appservice('ircencrypted'), createIrcPlugin, {
      config: { encryption: { enabled: true, default: true, keyWaitSeconds: 5 } },
      pluginConfig: {
        server: { host: '127.0.0.1', port: irc.port },
        botNick: `bc${RUN}`.slice(0, 16),
        flood: { burst: 5, intervalMs: 50 },
        reconnect: { baseMs: 200, maxMs: 1_000 },
        sendTimeoutMs: 15_000,
        mediaBaseUrl: ctx.synapse.url,
      },
    });
  });

  after(async () => {
    alice?.stop();
    for (const p of people) p.quit();
    await bridge?.stop();
    await irc?.close();
  });

  it('IRC lines arrive encrypted from their ghost\'s own device and the client decrypts them', async () => {
    const dave = await IrcPerson.connect(irc.port, 'dave');
    people.push(dave);
    await dave.join(channel);
    alice = await EncryptingClient.newUser(ctx.synapse, 'alice');
    const roomId = (await alice.client.joinRoom(portal(channel))).roomId;
    await eventually(async () => alice!.client.getRoom(roomId) !== null && await alice!.client.getCrypto()!.isEncryptionEnabledInRoom(roomId), 'the portal to be encrypted', 30_000);
    await eventually(() => alice!.client.getRoom(roomId)?.getMember(ghost('dave'))?.membership === 'join', 'dave\'s ghost in the portal', 30_000);

    await dave.say(channel, 'hello, encrypted Matrix');
    const line = await alice.waitForDecrypted(roomId, ghost('dave'), (b) => b === 'hello, encrypted Matrix', 'dave\'s line, decrypted', 30_000);
    assert.equal(line.getWireType(), 'm.room.encrypted', 'sent encrypted');
    assert.equal(line.isDecryptionFailure(), false);
    assert.equal(alice.undecryptableFrom(roomId, ghost('dave')), 0, 'nothing from the ghost the client could not read');

    const from = dave.mark();
    await alice.say(roomId, 'hello, IRC');
    const heard = await dave.waitFor((l) => l.command === 'PRIVMSG' && l.params[0] === channel && l.params[1] === 'hello, IRC', 'alice\'s encrypted line on IRC', { from, timeoutMs: 30_000 });
    assert.ok(heard.nick, 'said by someone on IRC');

    await dave.say(channel, 'and again');
    await alice.waitForDecrypted(roomId, ghost('dave'), (b) => b === 'and again', 'dave\'s second line, decrypted', 30_000);
  });
});
