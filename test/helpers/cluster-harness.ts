/**
 * One multi-process deployment for the cluster tests and bench: a throwaway PostgreSQL
 * cluster (the shared store), the in-process test homeserver (it pushes to the balancer and
 * retries a failed transaction with the same txnId), the round-robin balancer, and N
 * `bridgekit run` processes with the counting plugin (test/fixtures/plugins/counting.ts).
 * Then: rooms with the bot joined, a flood of messages, and the checks the issue asks for
 * (every message recorded exactly once, one echo per message in each room in its order,
 * no event created twice).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { TestHomeserver, type TestUser } from '../../src/testing/index.js';
import { Balancer } from './balancer.js';
import { BridgeProcess, writeDeploymentRegistration, type Deployment } from './bridge-process.js';
import { freePort, waitFor } from './net.js';
import { startPgCluster, type PgCluster } from './pg-cluster.js';
import { ECHO, type CountingRecord } from '../fixtures/plugins/counting.js';

export const BOT = '@bot:localhost';
const PLUGIN = fileURLToPath(new URL('../fixtures/plugins/counting.js', import.meta.url));

export interface ClusterOptions {
  /** Processes created (`p1`, `p2`, …); none is started. */
  readonly processes: number;
  /** The lease TTL of the multi-process mode; default: the bridge's. */
  readonly leaseTtlSeconds?: number;
  readonly durable?: boolean;
}

/** One echo as the homeserver holds it. */
export interface Echo { readonly of: string; readonly by: string; readonly ts: number; readonly eventId: string }

export class ClusterHarness {
  private alice: TestUser | undefined;

  private constructor(
    readonly pg: PgCluster,
    readonly hs: TestHomeserver,
    readonly balancer: Balancer,
    readonly processes: BridgeProcess[],
    private readonly dir: string,
  ) {}

  static async start(options: ClusterOptions): Promise<ClusterHarness> {
    const dir = await mkdtemp(join(tmpdir(), 'bridgekit-cluster-'));
    const pg = await startPgCluster({ durable: options.durable ?? false });
    const balancer = await Balancer.start();
    const ttl = options.leaseTtlSeconds !== undefined ? { leaseTtlSeconds: options.leaseTtlSeconds } : {};
    const base = {
      dir, homeserverUrl: 'http://127.0.0.1:1', publicUrl: balancer.url, registrationPath: join(dir, 'registration.yaml'),
      store: { url: pg.url }, plugin: PLUGIN, cluster: ttl,
    } satisfies Deployment;
    const registration = await writeDeploymentRegistration(base);
    // Synapse's retry schedule starts at 2 s; quicker here, the same txnId and body every time.
    const hs = await TestHomeserver.start({ appservice: registration, retryBaseMs: 50, retryMaxMs: 1_000, pushTimeoutMs: 15_000 });
    const deployment: Deployment = { ...base, homeserverUrl: hs.url };
    const processes: BridgeProcess[] = [];
    for (let i = 1; i <= options.processes; i++) processes.push(await BridgeProcess.create(deployment, `p${i}`, await freePort()));
    return new ClusterHarness(pg, hs, balancer, processes, dir);
  }

  /** Starts a process and puts it behind the balancer. */
  async up(process: BridgeProcess): Promise<void> {
    await process.start();
    this.balancer.add(process.url);
  }

  /** kill -9; the balancer finds out by itself (connection refused), as nginx would. */
  async kill(process: BridgeProcess): Promise<void> {
    await process.kill();
  }

  /** A graceful stop, out of the balancer first (as a rolling deploy drains a node). */
  async down(process: BridgeProcess): Promise<number | null> {
    this.balancer.remove(process.url);
    return process.stop();
  }

  async user(): Promise<TestUser> {
    this.alice ??= await this.hs.registerUser('alice');
    return this.alice;
  }

  /** `count` rooms of alice's with the bot joined. */
  async createRooms(count: number): Promise<string[]> {
    const alice = await this.user();
    const bot = this.hs.appserviceClient();
    return Promise.all(Array.from({ length: count }, async (_, i) => {
      const roomId = await alice.client.createRoom({ name: `cluster ${i}`, invite: [BOT] });
      await bot.join(roomId);
      return roomId;
    }));
  }

  /**
   * `perRoom` messages in every room, a round at a time (one message per room, concurrently;
   * the homeserver batches what queues into transactions); `afterRound(i)` runs after round
   * i (to kill or restart a process there), `pauseMs` between rounds (a steady load).
   * Answers each room's event ids in the order sent.
   */
  async flood(rooms: string[], perRoom: number, afterRound?: (round: number) => Promise<void>, pauseMs = 0): Promise<Map<string, string[]>> {
    const alice = await this.user();
    const sent = new Map(rooms.map((r) => [r, [] as string[]]));
    for (let round = 0; round < perRoom; round++) {
      const ids = await Promise.all(rooms.map((r) => alice.client.sendText(r, `message ${round}`)));
      rooms.forEach((r, i) => sent.get(r)!.push(ids[i]!));
      await afterRound?.(round);
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
    return sent;
  }

  /** The bot's echoes in a room, in timeline order. */
  echoes(roomId: string): Echo[] {
    return this.hs.events(roomId).flatMap((e) => {
      const match = e.sender === BOT && e.type === 'm.room.message' ? ECHO.exec(String(e.content['body'])) : null;
      return match ? [{ of: match[1]!, by: match[2]!, ts: e.origin_server_ts, eventId: e.event_id }] : [];
    });
  }

  /** Until every room has at least as many echoes as messages sent (then until the homeserver pushed everything). */
  async settled(sent: Map<string, string[]>, timeoutMs: number): Promise<void> {
    try {
      await waitFor(() => [...sent].every(([room, ids]) => this.echoes(room).length >= ids.length), timeoutMs, 'every message echoed');
      await this.hs.waitForPushIdle(timeoutMs);
    } catch (err) {
      const processes = this.processes.map((p) => `${p.runName} ${p.running ? 'up' : 'down'}:\n  ${p.warnings.slice(-10).join('\n  ')}`);
      const state = await this.databaseState(sent).catch((e: unknown) => `(the database could not be read: ${String(e)})`);
      throw new Error(`${(err as Error).message} (${this.progress(sent)} echoed)\n${processes.join('\n')}\n${state}`);
    }
  }

  /** For a failure's message: the rooms short of echoes, what the shared journal holds for them, the leases and processes. */
  private async databaseState(sent: Map<string, string[]>): Promise<string> {
    const short = [...sent].filter(([room, ids]) => this.echoes(room).length < ids.length);
    const missing = short.flatMap(([room, ids]) => {
      const echoed = new Set(this.echoes(room).map((e) => e.of));
      return ids.filter((id) => !echoed.has(id));
    });
    const client = new pg.Client({ connectionString: this.pg.url });
    await client.connect();
    try {
      const rows = async (sql: string, params: unknown[] = []) => JSON.stringify((await client.query(sql, params)).rows);
      return [
        `rooms short of echoes: ${short.map(([room]) => room).join(', ')}`,
        `their messages' ids in the dedupe window: ${await rows('SELECT item_id, received_at FROM bridgekit_inbox_ids WHERE item_id = ANY($1) LIMIT 20', [missing])}`,
        `pending per lane: ${await rows(`SELECT u.lane, count(*)::int AS n, min(u.seq) AS first, min(a.acked) AS acked FROM bridgekit_journal j
          CROSS JOIN LATERAL unnest(j.seqs, j.lanes) AS u(seq, lane) LEFT JOIN bridgekit_lane_acks a ON a.lane = u.lane
          WHERE u.seq > coalesce(a.acked, -1) GROUP BY u.lane LIMIT 20`)}`,
        `leases of those rooms: ${await rows('SELECT key, owner, acquired_at FROM bridgekit_leases WHERE key = ANY($1) OR key LIKE ANY($2)', [short.map(([r]) => r), short.map(([r]) => `%${r}%`)])}`,
        `processes: ${await rows('SELECT id, started_at, expires_at, now() AS now FROM bridgekit_processes')}`,
        ...this.processes.map((p) => `${p.runName}'s log lines about them: ${p.log.split('\n').filter((l) => short.some(([room]) => l.includes(room))).slice(-10).join('\n  ')}`),
      ].join('\n');
    } finally {
      await client.end();
    }
  }

  private progress(sent: Map<string, string[]>): string {
    let echoed = 0;
    let total = 0;
    for (const [room, ids] of sent) {
      echoed += Math.min(ids.length, this.echoes(room).length);
      total += ids.length;
    }
    return `${echoed} of ${total}`;
  }

  /** The plugin's records (its kv, read from the store through a live process: not the balancer, which may try a dead one). */
  async records(): Promise<Record<string, CountingRecord>> {
    const live = this.processes.find((p) => p.running);
    if (!live) throw new Error('records: no process is running');
    const res = await fetch(`${live.url}/bridge/counting/records`);
    if (res.status !== 200) throw new Error(`records: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, CountingRecord>;
  }

  /**
   * What went wrong, as lines (none when all is well): messages not recorded, recorded more
   * than once, records of messages never sent, rooms whose echoes are missing, doubled or out of order.
   */
  async problems(sent: Map<string, string[]>): Promise<string[]> {
    const records = await this.records();
    const out: string[] = [];
    const all = new Set([...sent.values()].flat());
    for (const id of all) {
      const record = records[id];
      if (!record) out.push(`${id}: not recorded`);
      else if (record.times !== 1) out.push(`${id}: handled ${record.times} times`);
    }
    for (const id of Object.keys(records)) if (!all.has(id)) out.push(`${id}: recorded but never sent`);
    for (const [room, ids] of sent) {
      const echoed = this.echoes(room).map((e) => e.of);
      if (echoed.length !== ids.length) out.push(`${room}: ${echoed.length} echoes for ${ids.length} messages`);
      if (new Set(echoed).size !== echoed.length) out.push(`${room}: an echo was created twice`);
      if (echoed.join() !== ids.join()) {
        const at = echoed.findIndex((id, i) => id !== ids[i]);
        const by = this.echoes(room).map((e) => `${ids.indexOf(e.of)}@${e.by}`).slice(Math.max(0, at - 3), at + 6).join(' ');
        out.push(`${room}: echoes not in the order of the messages (from echo ${at}: message@process ${by})`);
      }
    }
    return out;
  }

  /**
   * The failover time: from `killedAt` to the first echo, by a process other than `dead`,
   * in a room where `dead` had echoed before (a room it held). Undefined if there is none.
   */
  failoverMs(rooms: string[], dead: string, killedAt: number): number | undefined {
    let first: number | undefined;
    for (const room of rooms) {
      const echoes = this.echoes(room);
      if (!echoes.some((e) => e.by === dead && e.ts <= killedAt)) continue;
      const taken = echoes.find((e) => e.by !== dead && e.ts >= killedAt);
      if (taken && (first === undefined || taken.ts < first)) first = taken.ts;
    }
    return first === undefined ? undefined : first - killedAt;
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop().catch(() => undefined)));
    await this.hs.stop();
    await this.balancer.stop();
    await this.pg.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
