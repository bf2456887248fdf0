import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import echo from '../../../bridges/echo/index.js';
import { E2eBridge, e2e, eventually, sleep, type E2eContext } from '../harness/index.js';
import { EncryptingClient } from './js-sdk-client.js';

const TO_DEVICE_KEYS = ['de.sorunome.msc2409.to_device', 'to_device'];

/**
 * Between Synapse and the bridge: answers every transaction 200 at once, passes its events
 * on, and holds its to-device messages back for `holdMs`, then hands them over as a
 * transaction of their own. The bridge sees messages whose room keys come late.
 */
class KeyDelayingProxy {
  holdMs = 0;
  private count = 0;
  private constructor(private readonly server: Server, private readonly target: () => string) {}

  static async start(port: number, target: () => string): Promise<KeyDelayingProxy> {
    let self: KeyDelayingProxy | undefined;
    const server = createServer((req, res) => {
      void self!.handle(req).then((status) => {
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': '2' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    self = new KeyDelayingProxy(server, target);
    return self;
  }

  private async handle(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const auth = String(req.headers.authorization ?? '');
    const held = TO_DEVICE_KEYS.flatMap((k) => (Array.isArray(body[k]) ? body[k] as unknown[] : []));
    if (!req.url?.includes('/transactions/') || this.holdMs === 0 || held.length === 0) return forward(this.target(), req.url ?? '/', auth, body);
    for (const k of TO_DEVICE_KEYS) delete body[k];
    const status = await forward(this.target(), req.url, auth, body);
    const late = { events: [], 'de.sorunome.msc2409.to_device': held };
    const url = `/_matrix/app/v1/transactions/late-keys-${++this.count}`;
    setTimeout(() => { void forward(this.target(), url, auth, late); }, this.holdMs);
    return status;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function forward(base: string, path: string, authorization: string, body: unknown): Promise<number> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const out = request(new URL(path, base), {
      method: 'PUT', agent: false, headers: { authorization, 'content-type': 'application/json', 'content-length': String(data.length) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 502));
    });
    out.on('error', () => resolve(502));
    out.end(data);
  });
}

describe('encryption: room keys that arrive after the message', function () {
  let ctx: E2eContext;
  let bot: E2eBridge;
  let proxy: KeyDelayingProxy;
  let alice: EncryptingClient | undefined;

  before(async () => {
    ctx = await e2e();
    const appservice = ctx.appservice('encrypted');
    bot = await E2eBridge.start(ctx.synapse, appservice, echo, { port: 0, config: { encryption: { enabled: true, keyWaitSeconds: 4 } } });
    proxy = await KeyDelayingProxy.start(appservice.port, () => bot.bridge.url);
  });
  after(async () => {
    alice?.stop();
    await proxy?.close();
    await bot?.stop();
  });

  it('a message waits for its late key and is answered; one whose key comes after the wait is told to the room, once', async () => {
    alice = await EncryptingClient.newUser(ctx.synapse, 'alice');
    const roomId = await alice.createEncryptedRoom('late keys');
    await alice.inviteAndWaitForJoin(roomId, bot.botUserId);

    proxy.holdMs = 1_500;
    const started = performance.now();
    await alice.say(roomId, '!echo late but fine');
    await alice.waitForDecrypted(roomId, bot.botUserId, (b) => b === 'late but fine', 'the answer to the message whose key came late', 30_000);
    assert.ok(performance.now() - started >= 1_500, 'the answer came after the held key, not before');

    // A new room key (alice's session is rotated by a member change) held past keyWaitSeconds.
    const bob = await ctx.synapse.createUser('bob');
    await alice.client.invite(roomId, bob.userId);
    await bob.client.join(roomId);
    await eventually(() => alice!.client.getRoom(roomId)?.getMember(bob.userId)?.membership === 'join', 'alice to see bob joined');
    await alice.client.getCrypto()!.forceDiscardSession(roomId);
    proxy.holdMs = 8_000;
    await alice.say(roomId, '!echo too late');
    await alice.waitForDecrypted(roomId, bot.botUserId, (b) => /could not decrypt a message/.test(b), 'the bot telling the room it could not read', 30_000);
    await sleep(9_000); // the key arrives meanwhile; nothing more is said
    const room = alice.client.getRoom(roomId)!;
    const fromBot = room.getLiveTimeline().getEvents().filter((e) => e.getSender() === bot.botUserId && e.getType() === 'm.room.message');
    assert.equal(fromBot.filter((e) => /could not decrypt/.test(String(e.getContent()['body']))).length, 1, 'told once');
    assert.ok(!fromBot.some((e) => e.getContent()['body'] === 'too late'), 'not answered after the wait (no re-delivery of late keys yet)');
    assert.ok(bot.logs.some((l) => l.msg === 'an encrypted event could not be decrypted'), 'logged');
  });
});
