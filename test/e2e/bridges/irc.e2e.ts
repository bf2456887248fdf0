import assert from 'node:assert/strict';
import { createIrcPlugin } from '../../../bridges/irc/index.js';
import { Ngircd, ngircdAvailable } from '../../helpers/ngircd.js';
import { IrcPerson } from '../../bridges/irc/irc-person.js';
import { E2eBridge, bodyOf, e2e, ensureDelivering, eventually, type E2eContext, type E2eUser } from '../harness/index.js';
import { botJoinsInvite } from './probe.js';

/**
 * The IRC bridge on Synapse with a real ngircd, as people use it: a Matrix user joins a
 * channel's portal by its alias, IRC people talk and come and go, change nick and go away,
 * and the bridge restarts in the middle.
 */
describe('IRC bridge on Synapse (real ngircd)', function () {
  this.timeout(120_000);
  const RUN = Date.now().toString(36);
  const lobby = `#lobby${RUN}`;
  const second = `#second${RUN}`;
  const botNick = `bk${RUN}`.slice(0, 16);
  let ctx: E2eContext;
  let irc: Ngircd;
  let bridge: E2eBridge;
  let alice: E2eUser;
  let dave: IrcPerson;
  let lobbyRoom: string;
  let secondRoom: string;
  const people: IrcPerson[] = [];
  const ghost = (nick: string) => `@${ctx.appservice('irc').prefix}${nick.toLowerCase()}:${ctx.synapse.serverName}`;
  const portal = (channel: string) => `#${ctx.appservice('irc').prefix}${channel.slice(1)}:${ctx.synapse.serverName}`;
  const person = async (nick: string) => {
    const p = await IrcPerson.connect(irc.port, nick);
    people.push(p);
    return p;
  };
  const displayName = async (roomId: string, userId: string) => {
    try {
      return (await alice.client.getState(roomId, 'm.room.member', userId))['displayname'];
    } catch {
      return undefined;
    }
  };

  before(async () => {
    if (!ngircdAvailable()) throw new Error('ngircd is not installed: run scripts/test-deps.sh');
    ctx = await e2e();
    irc = await Ngircd.start();
    bridge = await E2eBridge.start(ctx.synapse, ctx.appservice('irc'), createIrcPlugin, {
      pluginConfig: {
        server: { host: '127.0.0.1', port: irc.port },
        botNick,
        flood: { burst: 5, intervalMs: 50 },
        reconnect: { baseMs: 200, maxMs: 1_000 },
        awayPollMs: 300,
        sendTimeoutMs: 15_000,
        mediaBaseUrl: ctx.synapse.url,
      },
    });
    alice = await ctx.synapse.createUser('alice');
    await ensureDelivering(ctx.synapse, (timeoutMs) => botJoinsInvite(alice, bridge.botUserId, timeoutMs));
    dave = await person('dave');
    await dave.join(lobby);
    await dave.join(second);
  });

  after(async () => {
    for (const p of people) p.quit();
    await bridge?.stop();
    await irc?.close();
  });

  it('makes a portal of a channel when a Matrix user joins its alias, with the IRC people in it as ghosts', async () => {
    lobbyRoom = await alice.client.join(portal(lobby));
    secondRoom = await alice.client.join(portal(second));
    await alice.waitForMembership(lobbyRoom, ghost('dave'), 'join');
    await alice.waitForMembership(secondRoom, ghost('dave'), 'join');
    // Alice is on IRC as herself (puppet mode), with her Synapse display name as nick.
    await dave.waitFor((l) => l.command === 'JOIN' && l.nick === 'alice' && l.params[0] === lobby, 'alice joining on IRC');
  });

  it('carries messages both ways', async () => {
    await dave.say(lobby, 'hello from IRC');
    const fromIrc = await alice.waitForEvent(lobbyRoom, (e) => e.sender === ghost('dave') && bodyOf(e) === 'hello from IRC', 'dave\'s line');
    assert.equal(fromIrc.content['msgtype'], 'm.text');
    const from = dave.mark();
    await alice.say(lobbyRoom, 'hello from Matrix', 'hello from <b>Matrix</b>');
    const line = await dave.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[0] === lobby, 'alice\'s line', { from });
    assert.equal(line.params[1], 'hello from \x02Matrix\x02');
  });

  it('makes IRC joins and parts the ghosts\' membership', async () => {
    const kim = await person('kim');
    await kim.join(lobby);
    await alice.waitForMembership(lobbyRoom, ghost('kim'), 'join');
    await kim.send('PART', lobby, 'bye');
    await alice.waitForMembership(lobbyRoom, ghost('kim'), 'leave');
  });

  it('makes a nick change the ghost\'s display name in every portal, and its profile', async () => {
    await dave.send('NICK', 'Davey');
    for (const roomId of [lobbyRoom, secondRoom]) {
      await eventually(async () => (await displayName(roomId, ghost('dave'))) === 'Davey', `Davey in ${roomId}`);
    }
    const profile = await alice.client.request('GET', `/_matrix/client/v3/profile/${encodeURIComponent(ghost('dave'))}`);
    assert.equal(profile['displayname'], 'Davey');
    await dave.say(second, 'still me');
    await alice.waitForEvent(secondRoom, (e) => e.sender === ghost('dave') && bodyOf(e) === 'still me', 'the renamed ghost\'s line');
  });

  it('shows IRC AWAY as presence on Synapse, and back', async () => {
    const presence = () => alice.client.request('GET', `/_matrix/client/v3/presence/${encodeURIComponent(ghost('dave'))}/status`);
    await dave.send('AWAY', 'out for lunch');
    await eventually(async () => {
      const p = await presence();
      return p['presence'] === 'unavailable' && p['status_msg'] === 'out for lunch';
    }, 'dave away on Synapse');
    await dave.send('AWAY');
    await eventually(async () => (await presence())['presence'] === 'online', 'dave back on Synapse');
  });

  it('goes on after a bridge restart: portals, ghosts and both directions', async () => {
    const beforeRestart = dave.mark();
    await bridge.restart();
    // IRC keeps no history: what is said before the bot is back in the channel is not bridged.
    await dave.waitFor((l) => l.command === 'JOIN' && l.nick === botNick && l.params[0] === lobby, 'the bot back in the channel', { from: beforeRestart, timeoutMs: 30_000 });
    await dave.say(lobby, 'after the restart');
    await alice.waitForEvent(lobbyRoom, (e) => e.sender === ghost('dave') && bodyOf(e) === 'after the restart', 'the line after the restart');
    // Alice's own IRC connection comes back with the bridge; her line waits for it.
    const from = dave.mark();
    await alice.say(lobbyRoom, 'back too');
    await dave.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[1] === 'back too', 'alice after the restart', { from, timeoutMs: 30_000 });
    const errors = bridge.logs.filter((r) => r.level >= 50);
    assert.deepEqual(errors.map((r) => r.msg), []);
  });
});
