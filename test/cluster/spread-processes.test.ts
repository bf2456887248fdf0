/**
 * Connections spread over real `bridgekit run` processes (issue #21): a plugin with four
 * leased connections (test/fixtures/plugins/leasing.ts) runs all four in the first process;
 * a second process gets two of them, moved cleanly (stopped before started); when the
 * first stops, the second runs all four.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestHomeserver } from '../../src/testing/index.js';
import { BridgeProcess, writeDeploymentRegistration, type Deployment } from '../helpers/bridge-process.js';
import { freePort, waitFor } from '../helpers/net.js';
import { usePgServer } from '../helpers/pg-server.js';
import { CONNECTIONS, LOG_MSG } from '../fixtures/plugins/leasing.js';

const PLUGIN = fileURLToPath(new URL('../fixtures/plugins/leasing.js', import.meta.url));

/** The fixture's starts and stops in a process's log, in order. */
function events(p: BridgeProcess): Array<{ connection: string; state: 'started' | 'stopped'; time: number }> {
  return p.log.split('\n').filter((l) => l.includes(`"msg":"${LOG_MSG}"`))
    .map((l) => JSON.parse(l) as { connection: string; state: 'started' | 'stopped'; time: number });
}

/** The connections a process runs now, by its log. */
function runningIn(p: BridgeProcess): string[] {
  const now = new Set<string>();
  for (const e of events(p)) {
    if (e.state === 'started') now.add(e.connection);
    else now.delete(e.connection);
  }
  return [...now].sort();
}

describe('cluster: connections spread over real bridge processes', function () {
  this.timeout(120_000);
  const pg = usePgServer();
  let dir: string;
  let hs: TestHomeserver | undefined;
  const processes: BridgeProcess[] = [];

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'bridgekit-spread-')); });
  after(async () => {
    for (const p of processes) await p.kill();
    await hs?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the second process its share, each connection stopped before it starts elsewhere, and all of them back when the first stops', async () => {
    const port1 = await freePort();
    const base = {
      dir, homeserverUrl: 'http://127.0.0.1:1', publicUrl: `http://127.0.0.1:${port1}`, registrationPath: join(dir, 'registration.yaml'),
      store: { url: pg.url(), schema: pg.schema() }, plugin: PLUGIN, cluster: { leaseTtlSeconds: 2, pollSeconds: 0.2 },
    } satisfies Deployment;
    hs = await TestHomeserver.start({ appservice: await writeDeploymentRegistration(base) });
    const deployment: Deployment = { ...base, homeserverUrl: hs.url };
    const p1 = await BridgeProcess.create(deployment, 'p1', port1);
    const p2 = await BridgeProcess.create(deployment, 'p2', await freePort());
    processes.push(p1, p2);

    await p1.start();
    await waitFor(() => runningIn(p1).length === 4, 15_000, 'p1 to run all four');
    await p2.start();
    await waitFor(() => runningIn(p1).length === 2 && runningIn(p2).length === 2, 20_000, 'two each');
    assert.deepEqual([...runningIn(p1), ...runningIn(p2)].sort(), CONNECTIONS, 'each runs once');
    // Nothing moves once shared out (the settle time is 5 polls: 1 s).
    const before = events(p1).length + events(p2).length;
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(events(p1).length + events(p2).length, before, 'no flapping');
    // The two that moved were stopped in p1 before p2 started them.
    const moved = runningIn(p2);
    const p1Stops = events(p1).filter((e) => e.state === 'stopped').map((e) => e.connection).sort();
    assert.deepEqual(p1Stops, moved);
    for (const connection of moved) {
      const stopped = events(p1).find((e) => e.connection === connection && e.state === 'stopped')!.time;
      const started = events(p2).find((e) => e.connection === connection && e.state === 'started')!.time;
      assert.ok(stopped <= started, `${connection}: stopped in p1 at ${stopped}, started in p2 at ${started}`);
    }

    assert.equal(await p1.stop(), 0);
    await waitFor(() => runningIn(p2).length === 4, 15_000, 'p2 to run all four after p1 stopped');
    assert.deepEqual(runningIn(p1), []);
  });
});
