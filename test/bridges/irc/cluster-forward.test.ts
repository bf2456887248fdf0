/**
 * The IRC bridge spread over two real `bridgekit run` processes on one PostgreSQL store,
 * against a real ngircd: the homeserver sends every transaction to process A (so A handles
 * the portal), while the bot's IRC connection runs in process B. A Matrix message reaches
 * IRC through B, once; when B is killed, A takes the connection over and delivers what
 * was sent meanwhile, once.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestHomeserver } from '../../../src/testing/index.js';
import { BridgeProcess, writeDeploymentRegistration, type Deployment } from '../../helpers/bridge-process.js';
import { freePort, waitFor } from '../../helpers/net.js';
import { Ngircd, ngircdAvailable } from '../../helpers/ngircd.js';
import { usePgServer } from '../../helpers/pg-server.js';
import { IrcPerson, type Seen } from './irc-person.js';
import { sameNick } from '../../../bridges/irc/nicks.js';

const PLUGIN = fileURLToPath(new URL('../../../bridges/irc/index.js', import.meta.url));
const CHANNEL = '#cluster';

describe('IRC bridge on two processes: Matrix messages forwarded to the process running the connection', function () {
  this.timeout(120_000);
  const server = usePgServer();
  let irc: Ngircd;
  let dir: string;
  let hs: TestHomeserver | undefined;
  let person: IrcPerson | undefined;
  const processes: BridgeProcess[] = [];

  before(async () => {
    if (!ngircdAvailable()) throw new Error('ngircd is not installed: run scripts/test-deps.sh (npm test does)');
    irc = await Ngircd.start();
  });
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'bridgekit-irc-cluster-')); });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.kill();
    person?.quit();
    person = undefined;
    await hs?.stop();
    hs = undefined;
    await rm(dir, { recursive: true, force: true });
  });
  after(async () => {
    await irc?.stop();
  });

  /**
   * Processes A and B of one deployment (the IRC bridge in `mode`, a schema of its own) and
   * the test homeserver, which sends every transaction to A: A leases the portal's room.
   * dave, on IRC, is in the channel.
   */
  async function deploy(mode: 'relay' | 'puppet'): Promise<{ a: BridgeProcess; b: BridgeProcess; schema: string }> {
    const portA = await freePort();
    const schema = server.schema();
    const base = {
      dir, homeserverUrl: 'http://127.0.0.1:1', publicUrl: `http://127.0.0.1:${portA}`, registrationPath: join(dir, 'registration.yaml'),
      store: { url: server.url(), schema }, plugin: PLUGIN, cluster: { leaseTtlSeconds: 2, pollSeconds: 0.2 }, bot: 'ircbot', prefix: '_irc_',
      config: { inbox: { retryBaseMs: 50, retryMaxMs: 500, maxAttempts: 6 } },
      pluginConfig: { server: { host: '127.0.0.1', port: irc.port, maxNickLength: 9 }, mode, flood: { burst: 10, intervalMs: 20 }, reconnect: { baseMs: 100, maxMs: 500 }, sendTimeoutMs: 10_000 },
      logLevel: 'info',
    } satisfies Deployment;
    const registration = await writeDeploymentRegistration(base);
    hs = await TestHomeserver.start({ appservice: registration, retryBaseMs: 50, retryMaxMs: 1_000, pushTimeoutMs: 15_000 });
    const deployment: Deployment = { ...base, homeserverUrl: hs.url };
    const a = await BridgeProcess.create(deployment, 'a', portA);
    const b = await BridgeProcess.create(deployment, 'b', await freePort());
    processes.push(a, b);
    person = await IrcPerson.connect(irc.port, 'dave');
    await person.join(CHANNEL);
    return { a, b, schema };
  }

  /** Forwarded messages not delivered yet, read from the store's table. */
  async function waitingForwards(schema: string): Promise<number> {
    const client = new pg.Client({ connectionString: server.url() });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(schema)}.bridgekit_kv WHERE k >= $1 AND k < $2`,
        [Buffer.from('!leases.forwards!'), Buffer.from('!leases.forwards"')]);
      return rows[0]!.n;
    } finally {
      await client.end();
    }
  }

  /** How many times `text` reached the channel from the bot. */
  function relayed(text: string): number {
    return person!.lines.filter((l) => l.command === 'PRIVMSG' && l.nick !== undefined && sameNick(l.nick, 'matrixbridge')
      && l.params[0] === CHANNEL && l.params[1] === text).length;
  }

  it('sends through the connection process B holds, once; after B is killed, through A once it takes the connection over', async () => {
    const { a, b, schema } = await deploy('relay');
    // B alone first: it takes the bot's connection.
    await b.start();
    await waitFor(() => b.log.includes('took a connection lease'), 15_000, 'b to take the bot\'s connection');
    await a.start();
    const alice = await hs!.registerUser('alice');
    // The alias query reaches A, which bridges the channel: B's bot joins it.
    const from = person!.mark();
    const roomId = await alice.client.join(`#_irc_cluster:localhost`);
    await person!.waitFor((l) => l.command === 'JOIN' && l.nick !== undefined && sameNick(l.nick, 'matrixbridge'), 'the bot (in B) to join', { from });
    await waitFor(() => hs!.memberships(roomId)[alice.userId] === 'join', 10_000, 'alice in the portal');

    await alice.client.sendText(roomId, 'hello from A');
    await person!.waitFor((l) => l.command === 'PRIVMSG' && l.params[1] === '<alice> hello from A', 'the message through B\'s bot');
    assert.ok(!a.log.includes('took a connection lease'), 'A never ran the bot: the message went through B');
    // B deletes what it delivered (once IRC confirmed it); killed before that, A would send it again (at least once).
    await waitFor(async () => await waitingForwards(schema) === 0, 10_000, 'B to record the delivery');

    // B dies; what alice says meanwhile waits in the store until A runs the bot.
    await b.kill();
    await alice.client.sendText(roomId, 'while B is gone');
    await person!.waitFor((l) => l.command === 'PRIVMSG' && l.params[1] === '<alice> while B is gone', 'the message through A\'s bot after the takeover', { timeoutMs: 30_000 });
    // (Its log may come a moment later than IRC's line: it is written in the background.)
    await waitFor(() => a.log.includes('took a connection lease'), 10_000, 'A\'s log to say it runs the bot now');
    await alice.client.sendText(roomId, 'A holds it now');
    await person!.waitFor((l) => l.command === 'PRIVMSG' && l.params[1] === '<alice> A holds it now', 'the message through A\'s own bot');

    await person!.sync();
    await new Promise((r) => setTimeout(r, 500));
    for (const text of ['<alice> hello from A', '<alice> while B is gone', '<alice> A holds it now']) assert.equal(relayed(text), 1, `${text} reached IRC once`);
  });

  it('puppet mode: a user\'s own connection moves to B to spread the connections, and their messages reach IRC through it once; back to A when B stops', async () => {
    const { a, b, schema } = await deploy('puppet');
    const said = (text: string) => (l: Seen) => l.command === 'PRIVMSG' && l.nick !== undefined && sameNick(l.nick, 'alice') && l.params[0] === CHANNEL && l.params[1] === text;
    await a.start();
    const alice = await hs!.registerUser('alice');
    const from = person!.mark();
    const roomId = await alice.client.join(`#_irc_cluster:localhost`);
    await waitFor(() => hs!.memberships(roomId)[alice.userId] === 'join', 10_000, 'alice in the portal');
    await person!.waitFor((l) => l.command === 'JOIN' && l.nick !== undefined && sameNick(l.nick, 'alice'), 'alice\'s connection (in A) to join', { from });
    await alice.client.sendText(roomId, 'first');
    await person!.waitFor(said('first'), 'the first message, through A');

    // B knows alice's connection from the portal's members: A, over its share (2 of 2), gives it up to B.
    const moved = person!.mark();
    await b.start();
    await waitFor(() => /"lease":"conn:irc:puppet:@alice:localhost","msg":"took a connection lease/.test(b.log), 20_000, 'B to take alice\'s connection');
    await waitFor(() => a.log.includes('over this process\'s share of the connections'), 10_000, 'A to say why it gave it up');
    const quit = await person!.waitFor((l) => l.command === 'QUIT' && l.nick !== undefined && sameNick(l.nick, 'alice'), 'alice\'s connection to leave A', { from: moved });
    await person!.waitFor((l) => l.command === 'JOIN' && l.nick !== undefined && sameNick(l.nick, 'alice') && l.at >= quit.at, 'alice\'s connection (in B) to join', { from: moved });
    await alice.client.sendText(roomId, 'second');
    await person!.waitFor(said('second'), 'the second message, handled by A, through B');
    await waitFor(async () => await waitingForwards(schema) === 0, 10_000, 'B to record the delivery');

    // B stops cleanly: A takes alice's connection back.
    assert.equal(await b.stop(), 0);
    await alice.client.sendText(roomId, 'third');
    await person!.waitFor(said('third'), 'the third message, through A again', { timeoutMs: 30_000 });

    await person!.sync();
    await new Promise((r) => setTimeout(r, 500));
    for (const text of ['first', 'second', 'third']) assert.equal(person!.lines.filter(said(text)).length, 1, `${text} reached IRC once`);
  });
});
