import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Store } from '../../src/store/index.js';
import { freePort } from '../helpers/net.js';
import { tempDir } from '../helpers/temp.js';
import { makeEvent } from '../helpers/events.js';
import { deliverKilling, startChild as startScript } from '../helpers/crash-run.js';
import type { RoomEvent } from '../../src/events/types.js';

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));
const startChild = (storePath: string, port: number, mode?: string) => startScript(CHILD, storePath, port, mode);

/** Reads the handler's counts and the journal left behind; asserts each event of `transactions` was handled once. */
async function assertExactlyOnce(storePath: string, transactions: RoomEvent[][]): Promise<void> {
  const store = await Store.open(storePath);
  try {
    const counts = new Map<string, number>();
    for await (const [id, n] of store.section<number>('test.handled').iterator()) counts.set(id, n);
    const all = transactions.flat();
    const missing = all.filter((e) => !counts.has(e.event_id));
    const twice = [...counts].filter(([, n]) => n !== 1);
    assert.deepEqual(missing.map((e) => e.event_id), [], 'no event lost');
    assert.deepEqual(twice, [], 'no event handled twice');
    assert.equal(counts.size, all.length);
    for (const section of ['inbox.journal', 'inbox.progress']) {
      let left = 0;
      for await (const _ of store.section(section).keys()) left++;
      assert.equal(left, 0, `${section} is empty at the end`);
    }
  } finally {
    await store.close();
  }
}

describe('inbox: crash safety', function () {
  this.timeout(120_000);

  it('handles every event exactly once when killed several times at random moments, mid-transaction', async () => {
    const dir = await tempDir();
    const port = await freePort();
    const rooms = Array.from({ length: 4 }, (_, i) => `!kill${i}:localhost`);
    const transactions = Array.from({ length: 40 }, (_, t) => Array.from({ length: 40 }, (_, i) => makeEvent(rooms[(t + i) % 4]!)));
    const url = `http://127.0.0.1:${port}`;
    const killAt = new Set([8, 19, 31]);
    try {
      const { child, exited } = await deliverKilling(() => startChild(dir.path, port), url, transactions, killAt, () => 1 + Math.random() * 15);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const drain = await startChild(dir.path, port, 'drain');
      assert.equal(await drain.exited, 0);
      await assertExactlyOnce(dir.path, transactions);
    } finally {
      await dir.cleanup();
    }
  });

  it('handles every event exactly once when the process is SIGKILLed in the middle of a flood', async () => {
    const dir = await tempDir();
    const port = await freePort();
    const rooms = Array.from({ length: 10 }, (_, i) => `!crash${i}:localhost`);
    const transactions = Array.from({ length: 50 }, (_, t) => Array.from({ length: 50 }, (_, i) => makeEvent(rooms[(t + i) % 10]!)));
    const url = `http://127.0.0.1:${port}`;
    try {
      let starts = 0;
      let resumedAfterKill = 0;
      const { child, exited } = await deliverKilling(async () => {
        const started = await startChild(dir.path, port);
        if (starts++ > 0) resumedAfterKill = started.resumed;
        return started;
      }, url, transactions, [20], () => 2); // mid-flood: the next transaction is in flight when the process dies
      assert.ok(resumedAfterKill > 0, 'the kill left journaled, unhandled events behind');
      child.kill('SIGTERM');
      assert.equal(await exited, 0, 'SIGTERM stops cleanly');
      // Whatever SIGTERM left journaled is handled by the next start.
      const drain = await startChild(dir.path, port, 'drain');
      assert.equal(await drain.exited, 0);

      const store = await Store.open(dir.path);
      try {
        const counts = new Map<string, number>();
        for await (const [id, n] of store.section<number>('test.handled').iterator()) counts.set(id, n);
        const all = transactions.flat();
        assert.ok(all.length >= 2_000);
        const missing = all.filter((e) => !counts.has(e.event_id));
        const twice = [...counts].filter(([, n]) => n !== 1);
        assert.deepEqual(missing.map((e) => e.event_id), [], 'no event lost');
        assert.deepEqual(twice, [], 'no event handled twice');
        assert.equal(counts.size, all.length);
        let journaled = 0;
        for await (const _ of store.section('inbox.journal').keys()) journaled++;
        assert.equal(journaled, 0, 'the journal is empty at the end');
      } finally {
        await store.close();
      }
    } finally {
      await dir.cleanup();
    }
  });
});
