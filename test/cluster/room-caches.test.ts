import assert from 'node:assert/strict';
import { ManagementRooms, MANAGEMENT_MARKER } from '../../src/bot/management-rooms.js';
import { RoomCaches, SOLE_OWNER, type RoomOwnership } from '../../src/cluster/index.js';
import type { RoomEvent } from '../../src/events/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { PortalRelays } from '../../src/logins/relay.js';
import { MirrorSections, type Mirror } from '../../src/mirror/index.js';
import { stateKeyOf } from '../../src/mirror/layout.js';
import type { Puppet } from '../../src/puppets/index.js';
import { startBridge } from '../../src/runtime/bridge.js';
import { Sections, Store, type Section } from '../../src/store/index.js';
import { RoomMap } from '../../src/util/room-map.js';
import { makeEvent } from '../helpers/events.js';
import { tempDir } from '../helpers/temp.js';
import { OpsHarness } from '../metrics/harness.js';
import { waitUntil } from '../../src/testing/index.js';
import { BotHarness } from '../bot/harness.js';
import { LoginPluginProbe, loginPlugin } from '../logins/login-plugin.js';

// Several processes on one store (issue #21). "Another process" writes through the store's
// sections directly, behind the cache's back; `forget` is what the lease code calls.

/** Ownership the test moves by hand, as the lease code would. */
class Leases implements RoomOwnership {
  readonly held = new Set<string>();
  holds(roomId: string): boolean { return this.held.has(roomId); }
}

async function withStore(body: (store: Store) => Promise<void>): Promise<void> {
  const dir = await tempDir('bridgekit-room-caches-');
  const store = await Store.open(dir.path);
  try {
    await body(store);
  } finally {
    await store.close();
    await dir.cleanup();
  }
}

describe('cluster: RoomCaches', () => {
  it('tells every registered cache, in order, of one room and of all', () => {
    const caches = new RoomCaches();
    const heard: string[] = [];
    caches.register('a', (roomId) => heard.push(`a:${roomId}`), () => heard.push('a:all'));
    caches.register('b', (roomId) => heard.push(`b:${roomId}`), () => heard.push('b:all'));
    caches.forget('!r:hs');
    caches.forgetAll();
    assert.deepEqual(heard, ['a:!r:hs', 'b:!r:hs', 'a:all', 'b:all']);
    assert.deepEqual(caches.names, ['a', 'b']);
    assert.throws(() => caches.register('a', () => undefined, () => undefined), /registered already/);
  });

  it('a cache that throws does not leave the others stale, and the error is not swallowed', () => {
    const caches = new RoomCaches();
    const heard: string[] = [];
    caches.register('broken', () => { throw new Error('boom'); }, () => undefined);
    caches.register('fine', (roomId) => heard.push(roomId), () => undefined);
    assert.throws(() => caches.forget('!r:hs'), (err: Error) => /broken/.test(err.message) && (err.cause as Error).message === 'boom');
    assert.deepEqual(heard, ['!r:hs']);
  });

  it('SOLE_OWNER holds every room', () => {
    assert.equal(SOLE_OWNER.holds('!any:hs'), true);
  });
});

describe('cluster: RoomMap (a per-room value loaded whole, kept for held rooms)', () => {
  function mapOver(section: Section<string>, ownership?: RoomOwnership): { map: RoomMap<string>; reads: () => number } {
    let reads = 0;
    const map = new RoomMap<string>({
      async *all() { reads++; for await (const entry of section.iterator()) yield entry; },
      one: (roomId) => { reads++; return section.get(roomId); },
    }, ownership);
    return { map, reads: () => reads };
  }

  it('after forget the next read sees the store; without it, memory answers (stale)', async () => {
    await withStore(async (store) => {
      const section = store.section<string>('test.room-map');
      await section.put('!r:hs', 'before');
      const { map, reads } = mapOver(section);
      assert.equal(await map.get('!r:hs'), 'before');
      await section.put('!r:hs', 'after');
      assert.equal(await map.get('!r:hs'), 'before', 'memory, not the store');
      assert.equal(reads(), 1);
      map.forget('!r:hs');
      assert.equal(await map.get('!r:hs'), 'after');
      assert.equal(await map.get('!r:hs'), 'after');
      assert.equal(reads(), 2, 'one read for the forgotten room, then memory again');
      await section.del('!r:hs');
      map.forgetAll();
      assert.equal(await map.get('!r:hs'), undefined);
    });
  });

  it('a room whose re-read failed stays forgotten: the next question reads the store again', async () => {
    await withStore(async (store) => {
      const section = store.section<string>('test.room-map');
      await section.put('!r:hs', 'before');
      let failOne = false;
      const map = new RoomMap<string>({
        async *all() { for await (const entry of section.iterator()) yield entry; },
        one: async (roomId) => {
          if (failOne) { failOne = false; throw new Error('store unreachable'); }
          return section.get(roomId);
        },
      });
      assert.equal(await map.get('!r:hs'), 'before');
      await section.put('!r:hs', 'after');
      map.forget('!r:hs');
      failOne = true;
      await assert.rejects(map.get('!r:hs'), /store unreachable/);
      assert.equal(await map.get('!r:hs'), 'after');
    });
  });

  it('peek answers from memory only when memory can say', async () => {
    await withStore(async (store) => {
      const section = store.section<string>('test.room-map');
      await section.put('!r:hs', 'kept');
      const leases = new Leases();
      leases.held.add('!r:hs');
      leases.held.add('!none:hs');
      const { map } = mapOver(section, leases);
      assert.equal(map.peek('!r:hs'), undefined, 'not read yet');
      assert.equal(await map.get('!r:hs'), 'kept');
      assert.deepEqual(map.peek('!r:hs'), { value: 'kept' });
      assert.deepEqual(map.peek('!none:hs'), { value: undefined }, 'held, and none stored');
      assert.equal(map.peek('!other:hs'), undefined, 'not held');
      map.forget('!r:hs');
      assert.equal(map.peek('!r:hs'), undefined, 'forgotten');
      map.forgetAll();
      assert.equal(map.peek('!none:hs'), undefined, 'fenced out');
    });
  });

  it('a room not held is read from the store every time and not kept by a write', async () => {
    await withStore(async (store) => {
      const section = store.section<string>('test.room-map');
      const leases = new Leases();
      await section.put('!r:hs', 'before');
      const { map } = mapOver(section, leases);
      assert.equal(await map.get('!r:hs'), 'before');
      await section.put('!r:hs', 'after');
      assert.equal(await map.get('!r:hs'), 'after');
      await map.set('!r:hs', 'written here');
      leases.held.add('!r:hs');
      map.forget('!r:hs');
      assert.equal(await map.get('!r:hs'), 'after', 'only what the store says');
    });
  });
});

describe('cluster: bot management rooms when leases move', () => {
  const USER = '@alice:hs';
  function managed(section: Section<string>, ownership?: RoomOwnership): ManagementRooms {
    return new ManagementRooms({
      section, bot: { userId: '@bot:hs' } as Puppet,
      mirror: { room: async () => undefined } as unknown as Pick<Mirror, 'room'>,
      isControlled: (userId) => userId === '@bot:hs', logger: silentLogger(),
      ...(ownership ? { ownership } : {}),
    });
  }
  /** What another process writes when it makes `roomId` the user's management room. */
  const rememberedElsewhere = (section: Section<string>, roomId: string) => section.batch([
    { type: 'put', key: `user!${USER}`, value: roomId }, { type: 'put', key: `room!${roomId}`, value: USER },
  ]);

  it('a room gained is read again: a management room another process made is seen after forgetRoom', async () => {
    await withStore(async (store) => {
      const section = store.section<string>(Sections.botManagementRooms);
      const rooms = managed(section);
      assert.equal(await rooms.ownerOf('!m:hs'), undefined);
      await rememberedElsewhere(section, '!m:hs');
      assert.equal(await rooms.ownerOf('!m:hs'), undefined, 'stale without the forget');
      assert.equal(rooms.isManagementRoomKnown('!m:hs'), false, 'memory says no (stale)');
      rooms.forgetRoom('!m:hs');
      assert.equal(rooms.isManagementRoomKnown('!m:hs'), undefined, 'memory cannot say: ask ownerOf');
      assert.equal(await rooms.ownerOf('!m:hs'), USER);
      assert.equal(rooms.isManagementRoomKnown('!m:hs'), true);
      await section.batch([{ type: 'del', key: 'room!!m:hs' }]);
      rooms.forgetAll();
      assert.equal(await rooms.ownerOf('!m:hs'), undefined);
    });
  });

  it('a room not held is asked of the store each time', async () => {
    await withStore(async (store) => {
      const section = store.section<string>(Sections.botManagementRooms);
      const rooms = managed(section, new Leases());
      assert.equal(await rooms.ownerOf('!m:hs'), undefined);
      await rememberedElsewhere(section, '!m:hs');
      assert.equal(await rooms.ownerOf('!m:hs'), USER);
    });
  });

  it('the echo of its marker makes a room known that another process remembered after this one read it', async () => {
    await withStore(async (store) => {
      const section = store.section<string>(Sections.botManagementRooms);
      const rooms = managed(section);
      rooms.forgetRoom('!m:hs');
      assert.equal(await rooms.ownerOf('!m:hs'), undefined);
      await rememberedElsewhere(section, '!m:hs');
      const marker = { roomId: '!m:hs', type: MANAGEMENT_MARKER, stateKey: '', sender: '@bot:hs', content: { user: USER } };
      assert.equal(await rooms.markerSeen(marker as unknown as Parameters<ManagementRooms['markerSeen']>[0]), true);
      assert.equal(await rooms.ownerOf('!m:hs'), USER);
    });
  });
});

describe('cluster: relay settings when leases move', () => {
  it('relay turned on by another process is seen after forgetRoom (stale without it)', async () => {
    await withStore(async (store) => {
      const section = store.section<unknown>(Sections.relay);
      const relays = new PortalRelays(section);
      assert.equal(await relays.setting('!p:hs'), undefined);
      await section.put('room!!p:hs', { enabledBy: '@admin:hs', at: 1 });
      assert.equal(await relays.setting('!p:hs'), undefined, 'stale without the forget');
      relays.forgetRoom('!p:hs');
      assert.deepEqual(await relays.setting('!p:hs'), { enabledBy: '@admin:hs', at: 1 });
    });
  });

  it('who was told is read again after forgetRoom: another process cleared it (relay went off and on)', async () => {
    await withStore(async (store) => {
      const section = store.section<unknown>(Sections.relay);
      const relays = new PortalRelays(section);
      assert.equal(await relays.firstRefusal('!p:hs', '@bob:hs'), true);
      await section.del('told!!p:hs!@bob:hs');
      assert.equal(await relays.firstRefusal('!p:hs', '@bob:hs'), false, 'memory says told');
      relays.forgetRoom('!p:hs');
      assert.equal(await relays.firstRefusal('!p:hs', '@bob:hs'), true);
    });
  });

  it('a room not held keeps nothing in memory', async () => {
    await withStore(async (store) => {
      const section = store.section<unknown>(Sections.relay);
      const relays = new PortalRelays(section, new Leases());
      await relays.set('!p:hs', true, '@admin:hs', 5);
      await section.del('room!!p:hs');
      assert.equal(await relays.setting('!p:hs'), undefined);
      assert.equal(await relays.firstRefusal('!p:hs', '@bob:hs'), true);
      await section.del('told!!p:hs!@bob:hs');
      assert.equal(await relays.firstRefusal('!p:hs', '@bob:hs'), true);
    });
  });
});

describe('cluster: the bridge registers its room caches', function () {
  this.timeout(30_000);
  const ROOM = '!leased:localhost';
  let h: OpsHarness;
  before(async () => { h = await OpsHarness.start(); });
  after(async () => { await h.stop(); });

  it('roomCaches.forget makes the running bridge read a room another process changed', async () => {
    const bridge = await startBridge({ config: h.config, registration: h.registration, logger: silentLogger() });
    h.bridge = bridge;
    try {
      assert.deepEqual(bridge.roomCaches.names, ['mirror', 'bot.managementRooms']);
      const create = makeEvent(ROOM, { type: 'm.room.create', state_key: '', content: { room_version: '11' } });
      const name = makeEvent(ROOM, { type: 'm.room.name', state_key: '', content: { name: 'Before' } });
      assert.equal(await h.push('caches-1', { events: [create, name] }), 200);
      await bridge.inbox.drained();
      await bridge.mirror.settled();
      assert.equal((await bridge.mirror.room(ROOM))?.name, 'Before');
      const renamed: RoomEvent = { ...name, event_id: '$elsewhere', content: { name: 'After' } };
      await bridge.store.section<RoomEvent>(MirrorSections.state).put(stateKeyOf(ROOM, 'm.room.name', ''), renamed);
      assert.equal((await bridge.mirror.room(ROOM))?.name, 'Before', 'stale without the forget');
      bridge.roomCaches.forget(ROOM);
      assert.equal((await bridge.mirror.room(ROOM))?.name, 'After');
    } finally {
      await h.stopBridge();
    }
  });

  it('with an ownership that holds nothing, the bridge\'s mirror keeps no room', async () => {
    const bridge = await startBridge({ config: h.config, registration: h.registration, logger: silentLogger(), ownership: new Leases() });
    h.bridge = bridge;
    try {
      assert.equal((await bridge.mirror.room(ROOM))?.name, 'After');
      await bridge.store.section<RoomEvent>(MirrorSections.state).put(stateKeyOf(ROOM, 'm.room.name', ''), makeEvent(ROOM, { type: 'm.room.name', state_key: '', content: { name: 'Again' } }));
      assert.equal((await bridge.mirror.room(ROOM))?.name, 'Again');
      assert.equal(bridge.mirror.cachedRooms, 0);
    } finally {
      await h.stopBridge();
    }
  });
});

describe('cluster: a bridge with logins (test homeserver)', function () {
  this.timeout(30_000);
  let h: BotHarness | undefined;
  afterEach(async () => { await h?.stop(); h = undefined; });

  it('registers the relay settings too: relay turned on by another process takes effect here after roomCaches.forget', async () => {
    const probe = new LoginPluginProbe();
    h = await BotHarness.start(loginPlugin(probe), { logins: { encryptionKey: 'a-test-key-that-is-long-enough-0123456789' }, invites: { servers: ['localhost'] } });
    assert.deepEqual(h.bridge.roomCaches.names, ['mirror', 'bot.managementRooms', 'logins.relays']);
    const alice = await h.user('alice');
    const carol = await h.user('carol');
    const roomId = await h.roomWithBot(alice);
    await alice.client.invite(roomId, carol.userId);
    await carol.client.join(roomId);
    await probe.ctx!.mappings.linkChannel('chan-1', roomId);
    await h.settle();
    await h.send(carol, roomId, 'not relayed');
    await h.settle();
    assert.equal(probe.seen.length, 0, 'relay is off: the setting is in memory now');
    await h.bridge.store.section<unknown>(Sections.relay).put(`room!${roomId}`, { enabledBy: alice.userId, at: 1 });
    h.bridge.roomCaches.forget(roomId);
    await h.send(carol, roomId, 'relayed');
    await waitUntil(() => probe.seen.length === 1, 5_000, 'the relayed message');
    assert.equal(probe.seen[0]!.relayed, '<carol> relayed');
  });
});
