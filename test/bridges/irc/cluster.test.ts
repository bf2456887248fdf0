/**
 * The IRC bridge's connections in cluster mode: two bridge "processes" on one PostgreSQL
 * schema, each with the IRC connections of the plugin, against a real ngircd. The bot's
 * connection and a login's run once, in one process, and move when it stops.
 */
import assert from 'node:assert/strict';
import type { LoginWithCredentials } from '../../../src/logins/contract.js';
import { silentLogger } from '../../../src/log/logger.js';
import { DirectKeyValue } from '../../../src/plugin/kv.js';
import { ircConfigSchema } from '../../../bridges/irc/config.js';
import { Connections } from '../../../bridges/irc/connections.js';
import { sameNick } from '../../../bridges/irc/nicks.js';
import { Ngircd, ngircdAvailable } from '../../helpers/ngircd.js';
import { usePgServer } from '../../helpers/pg-server.js';
import { joinCluster, type ClusterMember } from '../../cluster/member.js';
import { IrcPerson } from './irc-person.js';

const CHANNEL = '#cluster';

const login: LoginWithCredentials = {
  id: 'l1', userId: '@carol:localhost', flowId: 'nick', remoteId: 'carol', remoteName: 'carol on 127.0.0.1',
  metadata: { nick: 'carol' }, createdAt: 0, status: { state: 'connected', since: 0 }, credentials: {},
};

describe('IRC bridge in cluster mode: one connection per bot, login and puppet across processes', function () {
  this.timeout(60_000);
  const pg = usePgServer();
  let irc: Ngircd;
  let person: IrcPerson | undefined;
  const running: Array<{ member: ClusterMember; connections: Connections }> = [];

  before(async () => {
    if (!ngircdAvailable()) throw new Error('ngircd is not installed: run scripts/test-deps.sh (npm test does)');
    irc = await Ngircd.start();
  });
  after(async () => {
    person?.quit();
    await irc?.stop();
  });
  afterEach(async () => {
    for (const { member, connections } of running.splice(0)) {
      await member.stop();
      connections.stopAll();
    }
  });

  async function process(schema: string): Promise<{ member: ClusterMember; connections: Connections }> {
    const member = await joinCluster(pg.url(), schema);
    const config = ircConfigSchema.parse({ server: { host: '127.0.0.1', port: irc.port }, reconnect: { baseMs: 100, maxMs: 500 }, flood: { burst: 10, intervalMs: 20 } });
    const connections = new Connections({
      config, kv: new DirectKeyValue(member.store.section('plugin.irc')), logger: silentLogger(), leases: member.leases.forPlugin('irc'),
      onBotLine: () => undefined, onPuppetLine: () => undefined,
    });
    connections.bot.want(CHANNEL);
    connections.start();
    connections.attachLogin(login, [CHANNEL]);
    (await connections.forUser('@erin:localhost', 'erin')).want(CHANNEL);
    const one = { member, connections };
    running.push(one);
    return one;
  }

  /** The channel's members as the server lists them now. */
  async function names(): Promise<string[]> {
    const from = person!.mark();
    await person!.send('NAMES', CHANNEL);
    await person!.waitFor((l) => l.command === '366', 'the end of NAMES', { from });
    return person!.lines.slice(from).filter((l) => l.command === '353')
      .flatMap((l) => (l.params[l.params.length - 1] ?? '').split(' ')).map((n) => n.replace(/^[@+]/, '')).filter((n) => n !== '').sort();
  }

  async function settled(expected: string[], what: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      seen = await names();
      if (JSON.stringify(seen) === JSON.stringify(expected)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`${what}: the channel holds ${seen.join(', ')}, not ${expected.join(', ')}`);
  }

  it('connects the bot, the login and the puppet once, and from the other process when the holder of the bot stops', async () => {
    person = await IrcPerson.connect(irc.port, 'dave');
    await person.join(CHANNEL);
    const schema = pg.schema();
    const first = await process(schema);
    const second = await process(schema);
    const everyone = ['carol', 'dave', 'erin', 'matrixbridge'].sort();
    await settled(everyone, 'both connections up');
    // Both processes keep trying their leases: still one bot and one carol (a second would be matrixbr1, carol1 …).
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(await names(), everyone);
    const holder = first.member.leases.holding.includes('conn:irc:bot') ? first : second;
    const other = holder === first ? second : first;
    const all = ['conn:irc:bot', 'conn:irc:login:l1', 'conn:irc:puppet:@erin:localhost'];
    assert.deepEqual([...first.member.leases.holding, ...second.member.leases.holding].sort(), all, 'each held once');
    assert.equal(holder.connections.bot.isRegistered, true);
    assert.equal(other.connections.bot.isRegistered, false);

    const from = person.mark();
    await holder.member.stop();
    const quit = await person.waitFor((l) => l.command === 'QUIT' && l.nick !== undefined && sameNick(l.nick, 'matrixbridge'), 'the bot to quit', { from });
    await person.waitFor((l) => l.command === 'JOIN' && l.nick !== undefined && sameNick(l.nick, 'matrixbridge') && l.at >= quit.at, 'the bot to join again', { from });
    await settled(everyone, 'the other process to run every connection');
    assert.deepEqual([...other.member.leases.holding].sort(), all);
    assert.ok(other.connections.bot.isRegistered);
  });
});
