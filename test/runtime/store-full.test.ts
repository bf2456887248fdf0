import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { put } from '../../src/store/index.js';
import { waitUntil } from '../../src/testing/index.js';
import { makeEvent } from '../helpers/events.js';
import { tempDir } from '../helpers/temp.js';
import { fillDisk, mountTmpfs } from '../helpers/tmpfs.js';
import { OpsHarness, total } from '../metrics/harness.js';

const ROOM = '!diskfull:localhost';

/**
 * A real bridge whose store is on a 2 MiB tmpfs: the disk fills up while handlers run, so
 * their acknowledgements cannot be written, then space is freed again.
 */
describe('runtime: the store\'s disk fills up, then has room again', function () {
  this.timeout(60_000);
  let h: OpsHarness;
  let outer: Awaited<ReturnType<typeof tempDir>>;
  let unmount: (() => Promise<void>) | undefined;
  let mnt: string;

  before(async () => {
    outer = await tempDir('bridgekit-tmpfs-');
    mnt = join(outer.path, 'mnt');
    ({ unmount } = await mountTmpfs(mnt));
    h = await OpsHarness.start({ metrics: true, readyCacheMs: 50, storePath: join(mnt, 'data') });
  });

  after(async () => {
    await h?.stop();
    await unmount?.();
    await outer.cleanup();
  });

  const ready = async () => {
    const res = await fetch(`${h.bridge!.metricsUrl}/ready`);
    return { status: res.status, body: await res.json() as { status: string; reason?: string } };
  };

  it('retries the acknowledgements, says 503 on /ready while it cannot write, and drains once it can', async () => {
    const bridge = await h.startBridge();
    // The room is mirrored first, so that the blocked items' handlers write nothing of their own.
    assert.equal(await h.push('warm', { events: [makeEvent(ROOM)] }), 200);
    await bridge.inbox.drained();
    const events = Array.from({ length: 20 }, () => makeEvent(ROOM, { type: 'org.example.block', content: { block: true } }));
    // Behind them in the room, a state event: the mirror writes it, during the fault.
    const stateEvent = makeEvent(ROOM, { type: 'org.example.state', state_key: '', content: { note: 'written after the disk had room' } });
    assert.equal(await h.push('blocked', { events: [...events, stateEvent] }), 200);
    assert.equal(bridge.inbox.backlog, 21);
    assert.equal((await ready()).status, 200);

    const ballast = await fillDisk(mnt);
    // The last page LevelDB's log had room in is used up too.
    await waitUntil(async () => {
      const write = bridge.store.write([put(bridge.store.section('test.filler'), String(Math.random()), 'x'.repeat(256))]);
      return write.then(() => undefined, () => true);
    }, 5_000, 'a write to fail on the full disk');

    h.gate.release();
    // The handlers finish; their acknowledgements cannot be written.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(bridge.inbox.backlog, 21, 'nothing counts as handled while its acknowledgement is not on disk');
    const during = await ready();
    assert.equal(during.status, 503);
    assert.match(during.body.reason ?? '', /the store cannot write: .*No space left on device/);
    assert.equal(await h.push('during', { events: [makeEvent(ROOM)] }), 503, 'a transaction is refused for a retry, not lost');
    const metrics = await (await fetch(`${bridge.metricsUrl}/metrics`)).text();
    assert.equal(total(metrics, 'bridgekit_store_write_failing'), 1);
    assert.ok(total(metrics, 'bridgekit_store_write_failures_total') >= 1);

    await rm(ballast);
    let drained = false;
    void bridge.inbox.drained().then(() => { drained = true; });
    await waitUntil(() => drained || undefined, 15_000, 'the inbox to drain once the disk has room');
    assert.equal(bridge.inbox.backlog, 0);
    assert.equal(await bridge.inbox.deadLetters.count(), 0, 'the store\'s fault used up no attempts: nothing dead-lettered');
    const stored = await (await bridge.mirror.room(ROOM))?.stateEvent('org.example.state');
    assert.equal(stored?.event_id, stateEvent.event_id, 'the state event is in the mirror');
    await waitUntil(async () => ((await ready()).status === 200) || undefined, 5_000, '/ready to say 200 again');
    assert.equal(await h.push('after', { events: [makeEvent(ROOM)] }), 200);
    await bridge.inbox.drained();
    assert.equal(bridge.inbox.backlog, 0);
  });
});
