import { strict as assert } from 'node:assert';
import type { RoomEvent } from '../../src/events/types.js';
import type { RoomView } from '../../src/mirror/index.js';
import { UnechoedWrites } from '../../src/puppets/unechoed.js';
import { Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';

const ROOM = '!r:hs';
const ALICE = '@test_alice:hs';
const BOT = '@bot:hs';

/** A mirror view holding one member event, moved along by the test. */
function viewWith(current: () => RoomEvent | undefined): RoomView {
  return { stateEvent: async () => current() } as unknown as RoomView;
}

function member(eventId: string, sender: string, membership: string): RoomEvent {
  return { type: 'm.room.member', event_id: eventId, room_id: ROOM, sender, origin_server_ts: 0, state_key: ALICE, content: { membership } };
}

describe('puppets: unechoed writes', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: Store;
  let writes: UnechoedWrites;
  beforeEach(async () => {
    dir = await tempDir();
    store = await Store.open(dir.path);
    writes = new UnechoedWrites(store);
  });
  afterEach(async () => { await store.close(); await dir.cleanup(); });

  const membershipSeen = async (view: RoomView) => (await writes.get(view, ROOM, 'm.room.member', ALICE))?.['membership'];

  it('holds our writes while the mirror catches up through them, and gives way at the last echo', async () => {
    let current: RoomEvent | undefined = member('$old', ALICE, 'leave');
    const view = viewWith(() => current);
    const join = await writes.snapshot(view, ROOM, 'm.room.member', ALICE);
    await writes.record(join, { content: { membership: 'join' }, sender: ALICE });
    const leave = await writes.snapshot(view, ROOM, 'm.room.member', ALICE);
    await writes.record(leave, { content: { membership: 'leave' }, sender: ALICE });
    assert.equal(await membershipSeen(view), 'leave', 'nothing echoed yet');
    current = member('$join', ALICE, 'join');
    assert.equal(await membershipSeen(view), 'leave', 'the join echo is older than our leave');
    current = member('$leave', ALICE, 'leave');
    assert.equal(await membershipSeen(view), undefined, 'the mirror has it all');
    current = member('$old', ALICE, 'leave');
    assert.equal(await membershipSeen(view), undefined, 'dropped for good');
  });

  it('gives way to anyone else\'s later change', async () => {
    let current: RoomEvent | undefined;
    const view = viewWith(() => current);
    await writes.record(await writes.snapshot(view, ROOM, 'm.room.member', ALICE), { content: { membership: 'join' }, sender: ALICE });
    assert.equal(await membershipSeen(view), 'join', 'no event at the key yet');
    current = member('$kick', BOT, 'leave');
    assert.equal(await membershipSeen(view), undefined);
  });

  it('matches state writes by event id', async () => {
    let current: RoomEvent | undefined = { ...member('$pl1', BOT, 'x'), type: 'm.room.power_levels', state_key: '', content: { ban: 50 } };
    const view = viewWith(() => current);
    const snapshot = await writes.snapshot(view, ROOM, 'm.room.power_levels', '');
    await writes.record(snapshot, { content: { ban: 20 }, sender: BOT, eventId: '$pl2' });
    assert.deepEqual(await writes.get(view, ROOM, 'm.room.power_levels', ''), { ban: 20 });
    current = { ...current, event_id: '$pl2', content: { ban: 20 } };
    assert.equal(await writes.get(view, ROOM, 'm.room.power_levels', ''), undefined);
  });
});
