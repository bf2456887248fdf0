import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import echo from '../../../bridges/echo/index.js';
import type { BridgePlugin, MatrixMessage } from '../../../src/index.js';
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
    if (!req.url?.includes('/transactions/') || this.holdMs === 0 || held.length === 0) return this.forwardWhileStopped(req.url ?? '/', auth, body);
    for (const k of TO_DEVICE_KEYS) delete body[k];
    const status = await this.forwardWhileStopped(req.url, auth, body);
    const late = { events: [], 'de.sorunome.msc2409.to_device': held };
    const url = `/_matrix/app/v1/transactions/late-keys-${process.pid}-${++this.count}`;
    setTimeout(() => { void this.deliver(url, auth, late); }, this.holdMs);
    return status;
  }

  /** While the bridge is stopped (a restart), Synapse's request waits rather than fail into a long backoff. */
  private async forwardWhileStopped(url: string, auth: string, body: unknown): Promise<number> {
    let status = 502;
    for (let tries = 0; tries < 80 && !this.closed; tries++) {
      status = await forward(this.target(), url, auth, body);
      if (status !== 502) return status;
      await sleep(500);
    }
    return status;
  }

  /** Like Synapse, a held transaction is sent again until the bridge takes it (it may be stopped). */
  private async deliver(url: string, auth: string, body: unknown): Promise<void> {
    for (let tries = 0; tries < 120 && !this.closed; tries++) {
      if (await forward(this.target(), url, auth, body) === 200) return;
      await sleep(500);
    }
  }

  private closed = false;

  close(): Promise<void> {
    this.closed = true;
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
  /** What the plugin was handed: echo, plus a record of messages and undecryptable events. */
  const messages: MatrixMessage[] = [];
  const undecryptable: string[] = [];
  const recordingEcho = (): BridgePlugin<unknown> => ({
    ...(echo as BridgePlugin<unknown>),
    async onMessage(message) { messages.push(message); },
    async onUndecryptable(event) { undecryptable.push(event.eventId); },
  });

  before(async () => {
    ctx = await e2e();
    const appservice = ctx.appservice('encrypted');
    bot = await E2eBridge.start(ctx.synapse, appservice, recordingEcho, { port: 0, config: { encryption: { enabled: true, keyWaitSeconds: 4 } } });
    proxy = await KeyDelayingProxy.start(appservice.port, () => bot.bridge.url);
    await ctx.synapse.ensureAppserviceUp(appservice);
  });
  after(async () => {
    alice?.stop();
    await proxy?.close();
    await bot?.stop();
  });

  /** Alice's next message goes out under a new room key (her session is discarded). */
  async function newRoomKey(roomId: string): Promise<void> {
    await alice!.client.getCrypto()!.forceDiscardSession(roomId);
  }

  function fromBot(roomId: string, matches: (body: string) => boolean): number {
    const room = alice!.client.getRoom(roomId)!;
    return room.getLiveTimeline().getEvents()
      .filter((e) => e.getSender() === bot.botUserId && e.getType() === 'm.room.message' && matches(String(e.getContent()['body']))).length;
  }

  it('a message waits for its late key and is answered; one whose key comes after the wait is told to the room once, then answered once when the key comes', async () => {
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
    await newRoomKey(roomId);
    proxy.holdMs = 8_000;
    const tooLate = await alice.say(roomId, '!echo too late');
    const said = performance.now();
    await alice.waitForDecrypted(roomId, bot.botUserId, (b) => /could not decrypt a message/.test(b), 'the bot telling the room it could not read', 30_000);
    assert.ok(undecryptable.includes(tooLate), 'the plugin heard of it as undecryptable');
    await alice.waitForDecrypted(roomId, bot.botUserId, (b) => b === 'too late', 'the answer once the late key came', 30_000);
    assert.ok(performance.now() - said >= 8_000, 'answered after the key came, not before');
    await sleep(2_000);
    assert.equal(fromBot(roomId, (b) => /could not decrypt/.test(b)), 1, 'told once');
    assert.equal(fromBot(roomId, (b) => b === 'too late'), 1, 'answered once');
    assert.ok(bot.logs.some((l) => l.msg === 'an encrypted event could not be decrypted'), 'logged');
    assert.ok(bot.logs.some((l) => String(l.msg).startsWith('the room key of an event passed on as undecryptable came') && l['eventId'] === tooLate), 'the late delivery logged');
  });

  it('a restart between the undecryptable delivery and the key: the key brings the message to the plugin after the restart, with late: true, once', async () => {
    proxy.holdMs = 0;
    const roomId = await alice!.createEncryptedRoom('late keys across a restart');
    await alice!.inviteAndWaitForJoin(roomId, bot.botUserId);
    await alice!.say(roomId, 'first words'); // sessions set up, key not held
    await eventually(() => messages.some((m) => m.body === 'first words'), 'the first message handed to the plugin', 30_000);

    await newRoomKey(roomId);
    proxy.holdMs = 12_000;
    const eventId = await alice!.say(roomId, 'said before the restart');
    await eventually(() => undecryptable.includes(eventId), 'the message handed on as undecryptable', 30_000);
    await bot.stopOnly(); // the held key arrives while the bridge is stopped: the proxy tries again, like Synapse
    await sleep(12_000);
    await bot.start();
    const late = await eventually(() => messages.find((m) => m.eventId === eventId), 'the message handed on after the restart', 30_000);
    assert.equal(late.body, 'said before the restart');
    assert.equal(late.encryption?.late, true);
    assert.equal(late.encryption?.encrypted, true);
    await alice!.say(roomId, 'after it');
    await eventually(() => messages.some((m) => m.body === 'after it'), 'a later message', 30_000);
    assert.equal(messages.filter((m) => m.eventId === eventId).length, 1, 'handed on once');
    assert.ok(!messages.find((m) => m.body === 'first words')?.encryption?.late, 'an on-time message is not marked late');
  });
});
