/**
 * Issue #21: kill -9 one of two bridge processes on one PostgreSQL store in the middle of a
 * flood. Nothing may be lost or doubled: the counting plugin records every message exactly
 * once (its kv commits with the acknowledgement), every room has one echo per message in
 * the order sent, and the homeserver created no event twice (the echo's txnId is derived
 * from the event id, the same in every process). The failover time is logged, not asserted.
 */
import assert from 'node:assert/strict';
import { ClusterHarness } from '../helpers/cluster-harness.js';
import { waitFor } from '../helpers/net.js';

const ROOMS = 40;
const PER_ROOM = 50;
const KILL_AFTER_ROUND = 20;

describe('cluster: kill -9 of one of two processes in a flood', function () {
  this.timeout(120_000);
  let h: ClusterHarness;

  before(async function () {
    this.timeout(120_000);
    h = await ClusterHarness.start({ processes: 2, leaseTtlSeconds: 2 });
  });
  after(async () => h?.stop());

  it('handles every message exactly once, echoes each once and in order, and the survivor takes over', async () => {
    const [survivor, victim] = h.processes as [typeof h.processes[0], typeof h.processes[0]];
    await h.up(survivor);
    await h.up(victim);
    const rooms = await h.createRooms(ROOMS);
    const victimName = victim.runName;
    let killedAt = 0;
    const sent = await h.flood(rooms, PER_ROOM, async (round) => {
      if (round !== KILL_AFTER_ROUND) return;
      // The victim holds rooms with work in them: it has echoed, and more is queued.
      await waitFor(() => rooms.some((r) => h.echoes(r).some((e) => e.by === victimName)), 30_000, `${victimName}'s first echo`);
      await h.kill(victim);
      killedAt = Date.now();
    });
    await h.settled(sent, 60_000);

    assert.deepEqual(await h.problems(sent), []);
    const failover = h.failoverMs(rooms, victimName, killedAt);
    assert.notEqual(failover, undefined, `${survivor.runName} echoed in a room ${victimName} had echoed in`);
    const byProcess = new Map<string, number>();
    for (const room of rooms) for (const e of h.echoes(room)) byProcess.set(e.by, (byProcess.get(e.by) ?? 0) + 1);
    console.log('      failover (two processes, lease TTL 2 s): '
      + `${failover} ms from the kill to ${survivor.runName}'s first echo in a room ${victimName} held; `
      + `echoes by process: ${[...byProcess].map(([p, n]) => `${p} ${n}`).join(', ')}; balancer 502s: ${h.balancer.stats.badGateway}`);
  });
});
