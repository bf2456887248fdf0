/**
 * Issue #21: a rolling restart of three bridge processes on one PostgreSQL store under a
 * steady load. Each in turn is taken out of the balancer, stopped with SIGTERM (its leases
 * released at once) and started again; the load never stops. Nothing may be lost or
 * doubled: every message recorded exactly once by the counting plugin, one echo per
 * message in each room, in order, no event created twice.
 */
import assert from 'node:assert/strict';
import { ClusterHarness } from '../helpers/cluster-harness.js';
import { waitFor } from '../helpers/net.js';

const ROOMS = 30;
const PER_ROOM = 50;
const PAUSE_MS = 100;
const PROCESSES = 3;

describe('cluster: rolling restart of three processes under load', function () {
  this.timeout(150_000);
  let h: ClusterHarness;

  before(async function () {
    this.timeout(120_000);
    h = await ClusterHarness.start({ processes: PROCESSES, leaseTtlSeconds: 2 });
  });
  after(async () => h?.stop());

  it('loses and doubles nothing, and keeps each room in order', async () => {
    for (const p of h.processes) await h.up(p);
    const rooms = await h.createRooms(ROOMS);
    const exitCodes: Array<number | null> = [];
    let rolling: Promise<void> | undefined;
    const roll = async () => {
      await waitFor(() => rooms.some((r) => h.echoes(r).length > 0), 30_000, 'the first echo');
      for (const p of h.processes) {
        exitCodes.push(await h.down(p));
        await h.up(p);
      }
    };
    const sent = await h.flood(rooms, PER_ROOM, async (round) => {
      if (round === 2) rolling = roll();
      // The load goes on until every process was restarted, then one more round.
      if (round === PER_ROOM - 2) await rolling;
    }, PAUSE_MS);
    await h.settled(sent, 60_000);

    assert.deepEqual(exitCodes, h.processes.map(() => 0), 'every SIGTERM stop was clean');
    assert.deepEqual(await h.problems(sent), []);
    const names = new Set(rooms.flatMap((r) => h.echoes(r).map((e) => e.by)));
    // Every process was restarted before the last round: the restarted ones handled it.
    assert.ok([...names].some((n) => n.includes('#')), `a restarted process handled messages; echoes by ${[...names].join(', ')}`);
    console.log(`      ${PROCESSES} processes, each restarted: echoes by ${[...names].sort().join(', ')}; balancer 502s: ${h.balancer.stats.badGateway}`);
  });
});
