import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { RoomEvent } from '../../src/events/types.js';
import { Mirror } from '../../src/mirror/index.js';
import { Store } from '../../src/store/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { deliverKilling, startChild } from '../helpers/crash-run.js';
import { makeEvent } from '../helpers/events.js';
import { freePort } from '../helpers/net.js';
import { tempDir } from '../helpers/temp.js';

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));
const MEMBERSHIPS = ['join', 'leave', 'invite', 'join', 'ban', 'knock'] as const;

const member = (roomId: string, userId: string, membership: string) =>
  makeEvent(roomId, { type: 'm.room.member', state_key: userId, sender: userId, content: { membership } });

describe('mirror: crash safety', function () {
  this.timeout(120_000);

  it('after kill -9 in the middle of a flood of state events, the mirror ends with exactly the state the events give', async () => {
    const dir = await tempDir();
    const port = await freePort();
    const rooms = Array.from({ length: 6 }, (_, i) => `!state${i}:localhost`);
    const transactions: RoomEvent[][] = [rooms.flatMap((roomId) => [
      makeEvent(roomId, { type: 'm.room.create', state_key: '', content: { room_version: '10' } }),
      member(roomId, '@alice:localhost', 'join'),
    ])];
    // Members join, leave, come back (known keys, read first), and others arrive once and
    // stay (new keys, decided from memory): a write lost before the kill is never overwritten.
    for (let t = 0; t < 40; t++) {
      transactions.push(Array.from({ length: 50 }, (_, j) => {
        const roomId = rooms[(t + j) % rooms.length]!;
        const membership = MEMBERSHIPS[(t + j * 3) % MEMBERSHIPS.length]!;
        // Late transactions only add members: no read waits for a write, as in a busy bridge.
        return t < 8 && j % 2 === 0 ? member(roomId, `@u${(t * 7 + j) % 30}:localhost`, membership) : member(roomId, `@once${t}_${j}:localhost`, membership);
      }));
    }
    const expected = new Map<string, Map<string, string>>(rooms.map((r) => [r, new Map()]));
    for (const event of transactions.flat()) {
      if (event.type === 'm.room.member') expected.get(event.room_id)!.set(event.state_key!, event.content['membership'] as string);
    }
    const url = `http://127.0.0.1:${port}`;
    try {
      const { child, exited } = await deliverKilling(() => startChild(CHILD, dir.path, port), url, transactions, [9, 23], () => 2);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, 'SIGTERM stops cleanly');
      const drain = await startChild(CHILD, dir.path, port, 'drain');
      assert.equal(await drain.exited, 0);

      const store = await Store.open(dir.path);
      const mirror = new Mirror({ store, logger: silentLogger() });
      try {
        for (const roomId of rooms) {
          const room = (await mirror.room(roomId))!;
          const want = expected.get(roomId)!;
          const counts: Record<string, number> = { join: 0, invite: 0, leave: 0, ban: 0, knock: 0 };
          for (const membership of want.values()) counts[membership]! += 1;
          assert.deepEqual({ ...room.memberCounts }, counts, `${roomId}: counts`);
          for (const [userId, membership] of want) assert.equal(await room.membership(userId), membership, `${roomId} ${userId}`);
        }
      } finally {
        await mirror.close();
        await store.close();
      }
    } finally {
      await dir.cleanup();
    }
  });
});
