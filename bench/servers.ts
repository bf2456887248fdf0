/**
 * The server children of the benchmarks: `node servers.js --server <kind> --mode ingest|state`.
 * Each one listens on 127.0.0.1 (a free port), counts every event its handler receives,
 * and is instrumented by `harness.ts` (RSS, CPU, memory after GC). Kinds:
 *
 *   bare                      node:http: read the body, JSON.parse, count, answer `{}`.
 *   bridgekit                 the real endpoint + Inbox on a fresh Level store in a temp dir
 *                             (the durable journal) + a counting handler, as the runtime
 *                             composes them; in state mode the handler first runs
 *                             `Mirror.apply`, as `startBridge` does before the plugin.
 *   matrix-appservice-bridge  its `Bridge` as a bridge uses it: `initialise()` + `listen()`,
 *                             the default room/user/user-activity stores (NeDB files, here
 *                             in a temp dir), default context lookups and `single` queue, the
 *                             default MembershipCache (the Bridge feeds every m.room.member
 *                             and m.room.power_levels into it); the controller's `onEvent`
 *                             counts and resolves the request.
 *   matrix-appservice-bridge+noContext   the same with `disableContext: true` (the documented
 *                             option for bridges that keep their own database: no store
 *                             lookups before each onEvent).
 *   matrix-appservice-bridge[+noContext]+StateLookup   plus its `StateLookup` tracking every
 *                             room it sees (the bridge-side room-state cache it offers),
 *                             its initial /state answered empty without a homeserver.
 *   matrix-bot-sdk            its `Appservice` with the default MemoryStorageProvider (the
 *                             bot user marked registered, so `begin()` does not call a
 *                             homeserver); a `room.event` handler counts. It keeps no room
 *                             state of its own.
 *   matrix-bot-sdk+storage    the same, the handler also keeping each member's
 *                             membership and profile in that MemoryStorageProvider
 *                             (`storeValue`), what a bot-sdk user would add.
 *
 * Logging is each framework's default: bridgekit at `info` (one line per transaction),
 * matrix-bot-sdk's LogService at INFO (lines per request and per event), matrix-appservice-
 * bridge unconfigured (silent). All to stdout, which the parent points at /dev/null.
 * BENCH_PEER_LOG=quiet sets matrix-bot-sdk to WARN.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  FIXTURES, HandlerCounter, ROOT, runChild, stateRoomId, stateUserId, STATE_CREATOR, type ServerHooks, type StateShape,
} from './harness.js';
import { cryptoStubRequests, installedVersion, requirePeer } from './peers.js';

type Mode = 'ingest' | 'state';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const kind = arg('server') ?? '';
const mode = (arg('mode') ?? 'ingest') as Mode;
const shape: StateShape = { rooms: Number(arg('rooms') ?? 1000), joins: Number(arg('joins') ?? 200), users: Number(arg('users') ?? 20_000) };

function registrationObject(): Record<string, unknown> {
  return parseYaml(readFileSync(join(FIXTURES, 'appservice-testbridge.yaml'), 'utf8')) as Record<string, unknown>;
}

/** Every room of the state workload, each with the creator and `joins` users joined. */
function* expectedRooms(): Generator<{ roomId: string; members: () => string[] }> {
  for (let r = 0; r < shape.rooms; r++) {
    yield { roomId: stateRoomId(r), members: () => [STATE_CREATOR, ...Array.from({ length: shape.joins }, (_, i) => stateUserId(shape, r, i))] };
  }
}

type Started = { port: number; version?: string; hooks: ServerHooks };

// ---------------------------------------------------------------------------------------

/** The baseline: read the body, JSON.parse, count the events, answer `{}` 200. */
async function bare(): Promise<Started> {
  // No handler: an event counts as handled once its body is parsed.
  const counter = new HandlerCounter();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events?: unknown[] };
        counter.acceptAndHandle(body.events?.length ?? 0);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
        res.end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    version: process.version,
    hooks: {
      drain: async () => ({ accepted: counter.accepted, lastHandledAtMs: counter.lastHandledAtMs, drained: true, drainMs: 0 }),
      handledCount: () => counter.handled,
      stateCheck: mode === 'state' ? async () => ({ ok: true, detail: 'keeps nothing (floor)' }) : undefined,
      async close() { server.close(); server.closeAllConnections(); },
    },
  };
}

/** bridgekit: the real endpoint and the real Inbox on a fresh Level store, as the runtime composes them. */
async function bridgekit(): Promise<Started> {
  const { createAppserviceApp, listen } = await import('../src/appservice/index.js');
  const { Inbox } = await import('../src/inbox/index.js');
  const { Namespaces, validateRegistration } = await import('../src/registration/index.js');
  const { Store } = await import('../src/store/index.js');
  const { createLogger } = await import('../src/log/logger.js');
  const { Mirror } = await import('../src/mirror/index.js');

  const dir = await mkdtemp(join(process.env['BENCH_STORE_DIR'] || tmpdir(), 'bridgekit-bench-'));
  const mib = (name: string) => (process.env[name] ? Number(process.env[name]) * 2 ** 20 : undefined);
  const cacheBytes = mib('BENCH_STORE_CACHE_MB');
  const writeBufferBytes = mib('BENCH_STORE_WRITE_BUFFER_MB');
  const store = await Store.open(dir, {
    sync: process.env['BENCH_SYNC'] === '1',
    ...(cacheBytes ? { cacheBytes } : {}),
    ...(writeBufferBytes ? { writeBufferBytes } : {}),
  });
  const registration = validateRegistration(registrationObject(), 'appservice-testbridge.yaml');
  // The shipped default is `logging.level: info` to stdout; the child's stdout is /dev/null.
  const level = (process.env['BENCH_LOG_LEVEL'] ?? 'info') as 'info';
  const logger = createLogger({ level, name: 'bench' });

  // State mode: the mirror first, as startBridge's handler does. Its fetchState is never
  // needed (each room is first met through its create event); it counts if it were.
  let fetches = 0;
  const mirror = mode === 'state'
    ? new Mirror({ store, logger: logger.child({ component: 'mirror' }), fetchState: async () => { fetches++; return []; } })
    : undefined;
  const counter = new HandlerCounter();
  let bodyBytes = 0;
  const inbox = await Inbox.open(store, async (item, ctx) => {
    if (item.kind !== 'event') return;
    // As startBridge does: the inbox says whether the event can have been applied before.
    if (mirror) await mirror.apply(item.event, { firstDelivery: ctx.firstDelivery });
    // Trivial work: look at the event the way a bridge would.
    const body = item.event.content['body'];
    if (typeof body === 'string') bodyBytes += body.length;
    counter.handle(item.event.event_id);
  }, {}, logger.child({ component: 'inbox' }));

  let duplicatesDropped = 0;
  const app = createAppserviceApp({
    registration,
    namespaces: new Namespaces(registration, 'localhost'),
    sink: {
      async accept(txnId, txn, raw) {
        const result = await inbox.accept(txnId, txn, raw);
        counter.accepted += result.entries.length;
        duplicatesDropped += result.duplicates;
        return result;
      },
    },
    logger: logger.child({ component: 'appservice' }),
  });
  await inbox.start();
  const server = await listen(app, '127.0.0.1', 0);
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    port: server.port,
    version,
    hooks: {
      async drain(timeoutMs) {
        const started = performance.now();
        let timer: NodeJS.Timeout | undefined;
        const drained = await Promise.race([
          inbox.drained().then(() => true),
          new Promise<boolean>((ok) => { timer = setTimeout(() => ok(false), timeoutMs); }),
        ]);
        clearTimeout(timer);
        if (drained) await mirror?.settled();
        void bodyBytes;
        return { ...counter.counters(), duplicatesDropped, drained, drainMs: performance.now() - started };
      },
      onWindowEnd: () => counter.windowEnd(),
      handledCount: () => counter.handled,
      stateCheck: mirror ? async () => {
        let bad = 0;
        let first = '';
        for (const { roomId } of expectedRooms()) {
          const joined = (await mirror.room(roomId))?.joinedCount;
          if (joined !== shape.joins + 1) { bad++; first ||= `${roomId}: ${joined} joined`; }
        }
        const ok = bad === 0 && fetches === 0;
        return { ok, detail: ok ? `all ${shape.rooms} rooms: ${shape.joins + 1} joined (mirror, on Level)` : `${bad} rooms wrong (${first}), ${fetches} state fetches` };
      } : undefined,
      async close() {
        await server.close();
        await inbox.stop(5_000);
        await mirror?.close();
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    },
  };
}

// ---------------------------------------------------------------------------------------
// matrix-appservice-bridge (types: only what is used here; the package is outside the project)

interface MabRequest { getData(): { event_id?: string; room_id: string; type: string }; resolve(msg?: unknown): void }
interface MabBridge {
  initialise(): Promise<void>;
  listen(port: number, hostname?: string): Promise<void>;
  readonly appService: { on(event: 'event', fn: () => void): void; server?: http.Server; close(): Promise<void> };
  close?(): Promise<void>;
}
interface MabModule {
  Bridge: new (opts: Record<string, unknown>) => MabBridge;
  AppServiceRegistration: { fromObject(obj: Record<string, unknown>): unknown };
  StateLookup: new (opts: Record<string, unknown>) => { trackRoom(roomId: string): Promise<unknown>; onEvent(event: unknown): Promise<void>; getState(roomId: string, type: string): unknown[] };
}

async function appserviceBridge(withStateLookup: boolean, disableContext: boolean): Promise<Started> {
  const mab = requirePeer<MabModule>('matrix-appservice-bridge');
  const dir = await mkdtemp(join(tmpdir(), 'mab-bench-'));
  const counter = new HandlerCounter();
  // StateLookup wants an Intent for the initial GET /state; a new room's state arrives as
  // events, so an empty answer is what a homeserver would give for these rooms here.
  const stateLookup = withStateLookup
    ? new mab.StateLookup({ intent: { roomState: async () => [] }, eventTypes: ['m.room.member', 'm.room.power_levels', 'm.room.create', 'm.room.join_rules'] })
    : undefined;
  const tracked = new Set<string>();
  const bridge = new mab.Bridge({
    homeserverUrl: 'http://127.0.0.1:9', // never contacted: no encryption, no intents used
    domain: 'localhost',
    registration: mab.AppServiceRegistration.fromObject(registrationObject()),
    // The defaults are these file names in the working directory; same stores, in a temp dir.
    roomStore: join(dir, 'room-store.db'),
    userStore: join(dir, 'user-store.db'),
    userActivityStore: join(dir, 'user-activity-store.db'),
    ...(disableContext ? { disableContext: true } : {}),
    controller: {
      onEvent(request: MabRequest) {
        const event = request.getData();
        if (stateLookup) {
          if (!tracked.has(event.room_id)) { tracked.add(event.room_id); void stateLookup.trackRoom(event.room_id); }
          void stateLookup.onEvent(event).then(() => { counter.handle(event.event_id); request.resolve(); });
          return;
        }
        counter.handle(event.event_id);
        request.resolve();
      },
    },
  });
  await bridge.initialise();
  await bridge.listen(0, '127.0.0.1');
  bridge.appService.on('event', () => { counter.accepted++; });
  const address = bridge.appService.server?.address() as AddressInfo | null;
  if (!address) throw new Error('matrix-appservice-bridge: no server address after listen()');
  const membership = (bridge as unknown as { membershipCache: { getMembersForRoom(roomId: string, filter: string): string[] | null } }).membershipCache;
  return {
    port: address.port,
    version: installedVersion('matrix-appservice-bridge'),
    hooks: {
      drain: async (timeoutMs) => { const drained = await counter.drain(timeoutMs); return { ...counter.counters(), ...drained }; },
      onWindowEnd: () => counter.windowEnd(),
      handledCount: () => counter.handled,
      stateCheck: mode === 'state' ? async () => {
        let bad = 0;
        let first = '';
        for (const { roomId } of expectedRooms()) {
          const joined = membership.getMembersForRoom(roomId, 'join')?.length;
          const state = stateLookup?.getState(roomId, 'm.room.member').length;
          if (joined !== shape.joins + 1 || (stateLookup && state !== shape.joins + 1)) { bad++; first ||= `${roomId}: ${joined} in MembershipCache, ${state} in StateLookup`; }
        }
        const what = stateLookup ? 'MembershipCache + StateLookup' : 'MembershipCache';
        return { ok: bad === 0, detail: bad === 0 ? `all ${shape.rooms} rooms: ${shape.joins + 1} joined (${what}, in memory)` : `${bad} rooms wrong (${first})` };
      } : undefined,
      async close() {
        await bridge.appService.close().catch(() => {});
        await rm(dir, { recursive: true, force: true });
      },
    },
  };
}

// ---------------------------------------------------------------------------------------
// matrix-bot-sdk

interface BotSdkStorage {
  addRegisteredUser(userId: string): void;
  storeValue(key: string, value: string): void;
  readValue(key: string): string | null | undefined;
}
interface BotSdkModule {
  Appservice: new (options: Record<string, unknown>) => {
    on(event: 'room.event', fn: (roomId: string, event: { event_id?: string; type: string; state_key?: string; content?: Record<string, unknown> }) => void): void;
    begin(): Promise<void>;
    stop(): void;
    readonly appServer?: http.Server;
  };
  MemoryStorageProvider: new () => BotSdkStorage;
  LogService: { setLevel(level: unknown): void };
  LogLevel: { WARN: unknown };
}

async function botSdk(keepMembers: boolean): Promise<Started> {
  const sdk = requirePeer<BotSdkModule>('matrix-bot-sdk');
  if (process.env['BENCH_PEER_LOG'] === 'quiet') sdk.LogService.setLevel(sdk.LogLevel.WARN);
  const registration = registrationObject();
  const storage = new sdk.MemoryStorageProvider();
  // As after a first run: the bot user is registered, so begin() has nothing to ask the homeserver.
  storage.addRegisteredUser(`@${String(registration['sender_localpart'])}:localhost`);
  const appservice = new sdk.Appservice({
    homeserverName: 'localhost',
    homeserverUrl: 'http://127.0.0.1:9', // never contacted
    port: 0,
    bindAddress: '127.0.0.1',
    registration,
    storage,
  });
  const counter = new HandlerCounter();
  appservice.on('room.event', (roomId, event) => {
    counter.accepted++;
    if (keepMembers && event.type === 'm.room.member' && typeof event.state_key === 'string') {
      const content = event.content ?? {};
      storage.storeValue(`member:${roomId}:${event.state_key}`,
        JSON.stringify({ membership: content['membership'], displayname: content['displayname'], avatar_url: content['avatar_url'] }));
    }
    counter.handle(event.event_id);
  });
  await appservice.begin();
  const address = appservice.appServer?.address() as AddressInfo | null;
  if (!address) throw new Error('matrix-bot-sdk: no server address after begin()');
  return {
    port: address.port,
    version: installedVersion('matrix-bot-sdk'),
    hooks: {
      drain: async (timeoutMs) => { const drained = await counter.drain(timeoutMs); return { ...counter.counters(), ...drained }; },
      onWindowEnd: () => counter.windowEnd(),
      handledCount: () => counter.handled,
      stateCheck: mode === 'state' ? async () => {
        if (!keepMembers) return { ok: true, detail: 'keeps no room state (only completed txn ids, in MemoryStorageProvider)' };
        let bad = 0;
        for (const { roomId, members } of expectedRooms()) {
          for (const userId of members()) {
            const stored = storage.readValue(`member:${roomId}:${userId}`);
            if (!stored || (JSON.parse(stored) as { membership?: string }).membership !== 'join') { bad++; break; }
          }
        }
        return { ok: bad === 0, detail: bad === 0 ? `all ${shape.rooms} rooms: ${shape.joins + 1} joined (MemoryStorageProvider, in memory)` : `${bad} rooms wrong` };
      } : undefined,
      async close() { appservice.stop(); },
    },
  };
}

// ---------------------------------------------------------------------------------------

const servers: Record<string, () => Promise<Started>> = {
  bare,
  bridgekit,
  'matrix-appservice-bridge': () => appserviceBridge(false, false),
  'matrix-appservice-bridge+noContext': () => appserviceBridge(false, true),
  'matrix-appservice-bridge+StateLookup': () => appserviceBridge(true, false),
  'matrix-appservice-bridge+noContext+StateLookup': () => appserviceBridge(true, true),
  'matrix-bot-sdk': () => botSdk(false),
  'matrix-bot-sdk+storage': () => botSdk(true),
};

runChild(async () => {
  const start = servers[kind];
  if (!start) throw new Error(`unknown server '${kind}' (one of ${Object.keys(servers).join(', ')})`);
  const started = await start();
  if (cryptoStubRequests() > 0 && process.env['BENCH_DEBUG'] === '1') console.error(`${kind}: crypto package stubbed (${cryptoStubRequests()} requires)`);
  return started;
});
