import assert from 'node:assert/strict';
import { pino } from 'pino';
import echo from '../../bridges/echo/index.js';
import type { BridgePlugin, MembershipChange } from '../../src/plugin/contract.js';
import { waitUntil, type TestUser } from '../../src/testing/index.js';
import { BOT, BotHarness } from './harness.js';

interface Line { level: number; msg?: string }

/** Echo that also keeps every membership change the plugin sees (the bot's own invites never reach it). */
function watchingEcho(seen: MembershipChange[]): BridgePlugin<unknown> {
  return { ...echo, capabilities: { ...echo.capabilities, membership: true }, async onMembership(change) { seen.push(change); } };
}

/** `GET …/rooms/{roomId}/state` (the whole state), as the test homeserver logged it. */
function isFullStateRead(path: string, roomId: string): boolean {
  return decodeURIComponent(path) === `/_matrix/client/v3/rooms/${roomId}/state`;
}

describe('an invite into a room the bridge cannot read yet', function () {
  this.timeout(30_000);
  const lines: Line[] = [];
  const seen: MembershipChange[] = [];
  let h: BotHarness;
  let alice: TestUser;

  before(async () => {
    const logger = pino({ level: 'debug' }, { write: (line: string) => { lines.push(JSON.parse(line) as Line); } });
    h = await BotHarness.start(watchingEcho(seen), { invites: { users: ['@alice:localhost'] }, logger });
    alice = await h.user('alice');
  });
  after(async () => h.stop());
  beforeEach(() => { lines.length = 0; });

  it('joins without asking for the state first (a homeserver answers an invited user 403), then fetches it', async () => {
    const roomId = await alice.client.createRoom({ name: 'invite state' });
    const from = h.hs.requests.length;
    await alice.client.invite(roomId, BOT);
    await h.waitForMembership(roomId, BOT, 'join');
    await waitUntil(async () => (await h.bridge.mirror.room(roomId))?.hydrated, 5_000, 'the mirror to hold the room');
    await h.settle();

    const requests = h.hs.requests.slice(from);
    const join = requests.findIndex((r) => r.method === 'POST' && decodeURIComponent(r.path).endsWith(`/join/${roomId}`));
    assert.ok(join >= 0, 'the bot joined');
    const stateReads = requests.map((r, i) => ({ ...r, i })).filter((r) => r.method === 'GET' && isFullStateRead(r.path, roomId));
    assert.deepEqual(stateReads.filter((r) => r.i < join).map((r) => r.status), [], 'no state read before the join');
    assert.deepEqual(stateReads.map((r) => r.status), [200], 'one state read, after the join, answered');
    assert.deepEqual(lines.filter((l) => l.level >= 40).map((l) => l.msg), [], 'no warning');
    const room = await h.bridge.mirror.room(roomId);
    assert.equal((await room?.stateEvent('m.room.name'))?.content['name'], 'invite state');
  });

  it('a refused invite reads no state and warns of nothing', async () => {
    const mallory = await h.user('mallory');
    const roomId = await mallory.client.createRoom();
    const from = h.hs.requests.length;
    await mallory.client.invite(roomId, BOT);
    await h.waitForMembership(roomId, BOT, 'leave');
    await h.settle();
    const reads = h.hs.requests.slice(from).filter((r) => r.method === 'GET' && isFullStateRead(r.path, roomId));
    assert.deepEqual(reads, []);
    assert.deepEqual(lines.filter((l) => l.level >= 40).map((l) => l.msg), []);
  });

  it('gives the plugin the stripped state an invite of one of its users carries', async () => {
    const roomId = await alice.client.createRoom({ name: 'ghost room', topic: 'for a ghost' });
    await alice.client.invite(roomId, BOT);
    await h.waitForMembership(roomId, BOT, 'join');
    await alice.client.invite(roomId, '@_echo_ghost:localhost');
    const invite = await waitUntil(() => seen.find((c) => c.roomId === roomId && c.membership === 'invite'), 5_000, 'the ghost invite');
    const name = invite.inviteState?.find((e) => e.type === 'm.room.name');
    assert.equal(name?.content['name'], 'ghost room');
    assert.ok(invite.inviteState?.some((e) => e.type === 'm.room.create'), 'the create event is in the stripped state');
  });
});
