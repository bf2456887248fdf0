import assert from 'node:assert/strict';
import { waitUntil, type TestUser } from '../../src/testing/index.js';
import { BOT, bridgekit, OpsHarness } from '../metrics/harness.js';

/** A bridge sees a room, then stops; `inspect room` and `resync` read its store in a child process. */
describe('cli: inspect room and resync', function () {
  let h: OpsHarness;
  let alice: TestUser;
  let roomId: string;

  before(async () => {
    h = await OpsHarness.start();
    await h.startBridge();
    alice = await h.hs.registerUser('alice');
    const bob = await h.hs.registerUser('bob');
    roomId = await alice.client.createRoom({ name: 'Ops room', room_alias_name: 'ops' });
    await alice.client.invite(roomId, BOT);
    await waitUntil(() => h.hs.memberships(roomId)[BOT] === 'join', 5_000, 'the bot to join');
    await alice.client.invite(roomId, bob.userId);
    const levels = await alice.client.getState(roomId, 'm.room.power_levels');
    await alice.client.setState(roomId, 'm.room.power_levels', '', { ...levels, users: { ...(levels['users'] as object), [BOT]: 50 } });
    await h.hs.waitForPushIdle(5_000);
    await h.bridge!.inbox.drained();
    await waitUntil(async () => (await h.bridge!.mirror.room(roomId))?.powerLevels.users.get(BOT) === 50, 5_000, 'the mirror to see the levels');
  });

  after(async () => {
    await h.stop();
  });

  it('refuses while the running bridge holds the store', async () => {
    const res = await bridgekit(['inspect', 'room', '-c', h.configPath, roomId], h.dir.path);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /in use by a running bridge: stop it first/);
  });

  it('prints version, creators, members by membership, the power table, join rule and spaces', async () => {
    await h.stopBridge();
    const res = await bridgekit(['inspect', 'room', '-c', h.configPath, roomId], h.dir.path);
    assert.equal(res.code, 0, res.stderr);
    const out = res.stdout;
    assert.match(out, new RegExp(`^room +${roomId.replace(/[$!.]/g, '\\$&')}$`, 'm'));
    assert.match(out, /^name +Ops room$/m);
    assert.match(out, /^version +10$/m);
    assert.match(out, /^creators +@alice:localhost$/m);
    assert.match(out, /^join rule +invite$/m);
    assert.match(out, /^members \(3\)$/m);
    assert.match(out, /^ {2}join \(2\)$/m);
    assert.match(out, /^ {4}@alice:localhost +alice +100$/m);
    assert.match(out, /^ {4}@opsbot:localhost +opsbot +50$/m);
    assert.match(out, /^ {2}invite \(1\)\n {4}@bob:localhost +bob$/m);
    assert.match(out, /^power levels$/m);
    assert.match(out, /^ {2}state_default +50$/m);
    assert.match(out, /^ {2}users\n {4}@alice:localhost +100\n {4}@opsbot:localhost +50$/m);
    assert.match(out, /^ {2}parents +\(none\)$/m);
  });

  it('resolves an alias through the homeserver', async () => {
    const res = await bridgekit(['inspect', 'room', '-c', h.configPath, '#ops:localhost'], h.dir.path);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /\(#ops:localhost\)/);
    assert.match(res.stdout, /^version +10$/m);
  });

  it('says so, exit 1, for a room or alias it does not know', async () => {
    const room = await bridgekit(['inspect', 'room', '-c', h.configPath, '!unknown:localhost'], h.dir.path);
    assert.equal(room.code, 1);
    assert.match(room.stderr, /the mirror does not know room !unknown:localhost/);
    assert.doesNotMatch(room.stderr, /\n\s+at /, 'no stack trace');
    const alias = await bridgekit(['inspect', 'room', '-c', h.configPath, '#nothing:localhost'], h.dir.path);
    assert.equal(alias.code, 1);
    assert.match(alias.stderr, /no room has the alias #nothing:localhost/);
    const usage = await bridgekit(['inspect', 'roomz', '-c', h.configPath], h.dir.path);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /usage: bridgekit inspect room/);
  });

  it('resyncs the mirror\'s rooms through the homeserver, with plain progress lines off a terminal', async () => {
    await alice.client.setState(roomId, 'm.room.topic', '', { topic: 'changed while the bridge was down' });
    const res = await bridgekit(['resync', '-c', h.configPath], h.dir.path);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /^resync: 1\/1 \(100%\) done in \d+\.\d s$/m);
    assert.doesNotMatch(res.stdout, /\r/, 'no bar off a terminal');
    assert.match(res.stdout, /resynced 1 of 1 room\(s\)/);
    const after = await bridgekit(['inspect', 'room', '-c', h.configPath, roomId], h.dir.path);
    assert.match(after.stdout, /^topic +changed while the bridge was down$/m);
  });

  it('reports the rooms it could not resync, exit 1', async () => {
    const other = await alice.client.createRoom({ name: 'no bot here' });
    const res = await bridgekit(['resync', '-c', h.configPath, roomId, other], h.dir.path);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /resynced 1 of 2 room\(s\)\n1 failed:\n  !\S+: .*403/);
  });
});
