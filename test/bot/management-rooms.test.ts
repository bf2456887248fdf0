import assert from 'node:assert/strict';
import { ManagementRooms } from '../../src/bot/management-rooms.js';
import { silentLogger } from '../../src/log/logger.js';
import type { Mirror } from '../../src/mirror/index.js';
import type { Puppet } from '../../src/puppets/index.js';
import { Sections, Store, type Section } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';

describe('bot: management rooms are known from memory', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: Store;
  let section: Section<string>;
  let reads = 0;

  beforeEach(async () => {
    dir = await tempDir();
    store = await Store.open(dir.path);
    section = store.section<string>(Sections.botManagementRooms);
    // Written by an earlier run.
    await section.batch([
      { type: 'put', key: 'user!@alice:hs', value: '!a:hs' },
      { type: 'put', key: 'room!!a:hs', value: '@alice:hs' },
    ]);
    reads = 0;
    const get = section.get.bind(section);
    section.get = ((key: string) => { reads++; return get(key); }) as typeof section.get;
  });
  afterEach(async () => {
    await store.close();
    await dir.cleanup();
  });

  function rooms(): ManagementRooms {
    return new ManagementRooms({
      section,
      bot: { userId: '@bot:hs' } as Puppet,
      mirror: { room: async () => undefined } as unknown as Pick<Mirror, 'room'>,
      isControlled: (userId) => userId === '@bot:hs',
      logger: silentLogger(),
    });
  }

  it('answers ownerOf for every message without reading the store, after one scan of what earlier runs stored', async () => {
    const managed = rooms();
    for (let i = 0; i < 1000; i++) {
      assert.equal(await managed.ownerOf('!a:hs'), '@alice:hs');
      assert.equal(await managed.ownerOf(`!other${i}:hs`), undefined);
    }
    assert.equal(reads, 0);
  });

  it('keeps memory and store in step when a room is adopted, replaced and dropped', async () => {
    const managed = rooms();
    assert.equal(await managed.adopt('@bob:hs', '!b:hs'), true);
    assert.equal(await managed.ownerOf('!b:hs'), '@bob:hs');
    // alice's room is in use (the mirror has not seen it): a second one is not taken.
    assert.equal(await managed.adopt('@alice:hs', '!a2:hs'), false);
    await managed.drop('!a:hs');
    assert.equal(await managed.ownerOf('!a:hs'), undefined);
    assert.equal(await managed.adopt('@alice:hs', '!a2:hs'), true);
    assert.equal(await managed.ownerOf('!a2:hs'), '@alice:hs');
    // A new instance (a restart) reads the same from the store.
    const again = rooms();
    assert.deepEqual(
      await Promise.all(['!a:hs', '!a2:hs', '!b:hs'].map((r) => again.ownerOf(r))),
      [undefined, '@alice:hs', '@bob:hs'],
    );
  });
});
