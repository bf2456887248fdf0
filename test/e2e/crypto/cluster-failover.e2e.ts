import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Balancer } from '../../helpers/balancer.js';
import { BridgeProcess } from '../../helpers/bridge-process.js';
import { freePort } from '../../helpers/net.js';
import { usePgServer } from '../../helpers/pg-server.js';
import { e2e, eventually, type E2eContext } from '../harness/index.js';
import { EncryptingClient } from './js-sdk-client.js';

const READY = 'end-to-end encryption ready';
const HOLDS = 'this process holds the bot\'s crypto device now (it leads the cluster)';

/**
 * An encrypted bridge as a cluster of two `bridgekit run` processes on one PostgreSQL store,
 * behind a balancer on the port Synapse pushes to: the leader holds the bot's crypto device;
 * it is stopped (SIGTERM), then its successor is killed (kill -9), and each time the other
 * process takes the lead, opens the same device from the store and reads what the person
 * sends with the Megolm session of before, and the person reads its encrypted answers.
 */
describe('encryption in cluster mode: the crypto device moves with the lead (SIGTERM, then kill -9)', function () {
  this.timeout(240_000);
  const pg = usePgServer();
  let ctx: E2eContext;
  let dir: string;
  let balancer: Balancer | undefined;
  const processes: BridgeProcess[] = [];
  const metricsPorts = new Map<BridgeProcess, number>();
  let alice: EncryptingClient | undefined;

  before(async () => {
    ctx = await e2e();
    dir = await mkdtemp(join(tmpdir(), 'bridgekit-e2e-crypto-cluster-'));
    const appservice = ctx.appservice('encrypted');
    balancer = await Balancer.start({ port: appservice.port, downMs: 200 });
    const schema = pg.schema();
    for (const name of ['a', 'b']) {
      const port = await freePort();
      const metricsPort = await freePort();
      const bridge = await BridgeProcess.withConfig(dir, name, port, {
        homeserver: { url: ctx.synapse.url, domain: ctx.synapse.serverName },
        appservice: {
          id: appservice.registration.id, url: appservice.registration.url, bind: '127.0.0.1', port,
          registration: appservice.path, bot: appservice.botLocalpart, prefix: appservice.prefix,
        },
        store: { url: pg.url(), schema },
        cluster: { enabled: true, leaseTtlSeconds: 4 },
        bridge: { plugin: 'echo' },
        inbox: { retryBaseMs: 100, retryMaxMs: 1_000 },
        encryption: { enabled: true, keyWaitSeconds: 10 },
        metrics: { enabled: true, bind: '127.0.0.1', port: metricsPort },
        logging: { level: 'info' },
      });
      processes.push(bridge);
      metricsPorts.set(bridge, metricsPort);
    }
  });
  after(async () => {
    alice?.stop();
    for (const p of processes) await p.kill();
    await balancer?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ready = (p: BridgeProcess) => p.logLines.filter((l) => l['msg'] === READY);
  const holds = (p: BridgeProcess) => p.logLines.some((l) => l['msg'] === HOLDS);
  /** `bridgekit_crypto_device_held` as the process's `/metrics` says. */
  const heldMetric = async (p: BridgeProcess): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPorts.get(p)!}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('bridgekit_crypto_device_held '));
    return Number(line?.split(' ')[1]);
  };
  /** How long the process took to open the machines from the store on taking the lead (its log says). */
  const openingMs = (p: BridgeProcess): unknown => p.logLines.find((l) => l['msg'] === HOLDS)?.['openedInMs'];
  const errors = (p: BridgeProcess) => p.logLines.filter((l) => typeof l['level'] === 'number' && (l['level'] as number) >= 50).map((l) => l['msg']);

  it('the new leader decrypts what was sent after the takeover and its answers are readable, after a stop and after a kill', async () => {
    const [a, b] = processes as [BridgeProcess, BridgeProcess];
    await a.start(60_000);
    await b.start(60_000);
    balancer!.add(a.url);
    balancer!.add(b.url);
    assert.equal(holds(a), true, 'the first process leads and holds the device');
    assert.equal(holds(b), false, 'the standby does not');
    assert.deepEqual(ready(b), [], 'the standby never opened a crypto machine');
    assert.deepEqual([await heldMetric(a), await heldMetric(b)], [1, 0], '/metrics says which process holds the device');
    await ctx.synapse.ensureAppserviceUp(ctx.appservice('encrypted'));

    alice = await EncryptingClient.newUser(ctx.synapse, 'alice');
    const botUserId = `@${ctx.appservice('encrypted').botLocalpart}:${ctx.synapse.serverName}`;
    const roomId = await alice.createEncryptedRoom('cluster failover');
    await alice.inviteAndWaitForJoin(roomId, botUserId);
    await alice.say(roomId, '!echo one, to the first leader');
    await alice.waitForDecrypted(roomId, botUserId, (body) => body === 'one, to the first leader', 'the first leader\'s answer', 60_000);

    // SIGTERM: the leader closes the device (its writes flushed) before it leaves the cluster.
    balancer!.remove(a.url);
    assert.equal(await a.stop(), 0, 'a clean stop');
    await eventually(() => holds(b), 'the standby to take the lead and open the device', 30_000);
    const [first] = ready(a);
    const [second] = ready(b);
    assert.equal(second!['restored'], true, 'opened from the store');
    assert.equal(second!['deviceId'], first!['deviceId'], 'the same device');
    assert.equal(second!['curve25519'], first!['curve25519'], 'the same identity');
    assert.equal(await heldMetric(b), 1);
    const afterStop = openingMs(b);
    await alice.say(roomId, '!echo two, after SIGTERM');
    await alice.waitForDecrypted(roomId, botUserId, (body) => body === 'two, after SIGTERM', 'the second leader\'s answer', 60_000);

    // The first process again, as a standby; then kill -9 of the leader.
    await a.start(60_000);
    balancer!.add(a.url);
    assert.equal(holds(a), false, 'back as a standby');
    assert.deepEqual(ready(a), [], 'a standby again: no machine opened');
    assert.equal(await heldMetric(a), 0);
    balancer!.remove(b.url);
    await b.kill();
    await eventually(() => holds(a), 'the restarted process to take the lead after the lease TTL', 40_000);
    const [third] = ready(a);
    assert.equal(third!['deviceId'], first!['deviceId']);
    assert.equal(third!['curve25519'], first!['curve25519']);
    assert.equal(await heldMetric(a), 1);
    console.log(`    opening the crypto device on taking the lead: ${afterStop} ms after SIGTERM, ${openingMs(a)} ms after kill -9`);
    await alice.say(roomId, '!echo three, after kill -9');
    await alice.waitForDecrypted(roomId, botUserId, (body) => body === 'three, after kill -9', 'the third leader\'s answer', 60_000);

    assert.equal(alice.undecryptableFrom(roomId, botUserId), 0, 'alice read everything the bot said');
    assert.deepEqual(errors(a), [], 'no error logged by the process that led twice');
  });
});
