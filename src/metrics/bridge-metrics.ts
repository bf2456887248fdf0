import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TransactionSink } from '../appservice/index.js';
import type { InboundItem } from '../events/types.js';
import type { ResponseInfo, RetryWaitInfo } from '../homeserver/index.js';
import { InboxUnavailable, type InboxHooks, type ItemHandler } from '../inbox/index.js';
import { FastHistogram } from './fast-histogram.js';
import { BoundedSeries, TallyCounter, type Tally } from './tally.js';

/** Where the gauges read their values at scrape time (nothing is tracked per event for them). */
export interface MetricSources {
  readonly backlog: () => number;
  readonly deadLetters: () => Promise<number>;
  readonly mirrorRooms: () => Promise<number>;
  readonly mirrorCachedRooms: () => number;
  /** The store's write health: failing now, and failed batches since it opened. */
  readonly storeWrites?: () => { readonly failing: boolean; readonly failedBatches: number };
  /** Users' logins per state (plugins with logins). */
  readonly loginStates?: () => Readonly<Record<string, number>>;
  readonly connectionStates?: () => Readonly<Record<string, number>>;
  /** Cluster mode: the lanes (rooms) this process leases now. */
  readonly leasedLanes?: () => number;
  /** With encryption: whether this process holds the bot's crypto device now. */
  readonly cryptoDeviceHeld?: () => boolean;
}

export interface BridgeMetricsOptions {
  /** The plugin's name, the `plugin` label of handler metrics. */
  readonly plugin: string;
  /** Node's process metrics (CPU, memory, event loop lag, GC); default true. */
  readonly processMetrics?: boolean;
}

interface Observer {
  observe(value: number): void;
}

interface HandlerSeries {
  readonly duration: Observer;
  readonly failures: Tally;
}

interface EndpointSeries {
  readonly duration: Observer;
  readonly byStatus: BoundedSeries<Tally>;
  readonly isPresence: boolean;
}

const PRESENCE_ENDPOINT = '/_matrix/client/v3/presence/{userId}/status';
/** Bounds on label values, against unbounded names (custom event types, raw paths). */
const MAX_EVENT_TYPES = 100;
const MAX_ENDPOINTS = 200;
const MAX_STATUSES = 40;

const HANDLER_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function typeOf(item: InboundItem): string {
  if (item.kind === 'device_changes') return 'device_changes';
  return item.kind === 'to_device' ? item.message.type : item.event.type;
}

/**
 * Every metric of a bridge, in its own Registry (never the global one: tests and several
 * bridges in one process must not share series). Inbox, endpoint and homeserver client
 * only get small callbacks from here; none of them imports prom-client.
 *
 * Hot-path cost: counters are plain additions on series made once (see Tally); the
 * per-item handler histogram is one observe on a cached child; gauges are read at scrape.
 */
export class BridgeMetrics {
  readonly registry = new Registry();
  private sources: MetricSources | undefined;

  private readonly transactions: Tally;
  private readonly rejected: Tally;
  private readonly received: { readonly event: Tally; readonly ephemeral: Tally; readonly toDevice: Tally };
  private readonly duplicates: Tally;
  private readonly deadLettered: Tally;
  private readonly presenceSent: Tally;
  private readonly lanesLeased: Tally;
  private readonly takeovers: Tally;
  private readonly lostItems: Gauge;
  private readonly rateLimitWaits: BoundedSeries<Tally>;
  private readonly rateLimitWaitSeconds: Tally;
  private readonly handlers: BoundedSeries<HandlerSeries>;
  private readonly requests = new Map<string, BoundedSeries<EndpointSeries>>();
  private readonly makeEndpoint: (method: string) => (endpoint: string) => EndpointSeries;

  constructor(options: BridgeMetricsOptions) {
    const r = this.registry;
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: r });

    this.transactions = new TallyCounter(r, 'bridgekit_transactions_received_total', 'Transactions the homeserver pushed (PUT /transactions), retries included').series();
    this.rejected = new TallyCounter(r, 'bridgekit_transactions_rejected_total', 'Transactions refused with 503 for backpressure (backlog full, starting or stopping); the homeserver retries them').series();
    const events = new TallyCounter(r, 'bridgekit_events_received_total', 'Items in transactions the inbox took, by kind, duplicates included', ['kind']);
    this.received = { event: events.series({ kind: 'event' }), ephemeral: events.series({ kind: 'ephemeral' }), toDevice: events.series({ kind: 'to_device' }) };
    this.duplicates = new TallyCounter(r, 'bridgekit_duplicates_dropped_total', 'Items dropped as already seen (a retried or overlapping transaction)').series();
    this.deadLettered = new TallyCounter(r, 'bridgekit_dead_letters_total', 'Items moved to the dead letters after their last failed attempt').series();
    this.presenceSent = new TallyCounter(r, 'bridgekit_presence_updates_sent_total', 'Presence updates the homeserver accepted (PUT /presence/{userId}/status)').series();
    this.lanesLeased = new TallyCounter(r, 'bridgekit_cluster_leases_taken_total', 'Cluster mode: lanes (rooms) this process leased').series();
    this.takeovers = new TallyCounter(r, 'bridgekit_cluster_lease_takeovers_total', 'Cluster mode: leases this process took with items their last holder left unhandled (a process died or stopped mid-work)').series();
    const waits = new TallyCounter(r, 'bridgekit_homeserver_rate_limit_waits_total', 'Waits before a retry after the homeserver answered 429', ['endpoint']);
    this.rateLimitWaits = new BoundedSeries((endpoint) => waits.series({ endpoint }), MAX_ENDPOINTS);
    this.rateLimitWaitSeconds = new TallyCounter(r, 'bridgekit_homeserver_rate_limit_wait_seconds_total', 'Time spent waiting after 429s, in seconds').series();

    // Observed for every item: plain numbers per series, read at scrape time (see FastHistogram).
    const handlerDuration = new FastHistogram(r, 'bridgekit_handler_duration_seconds', 'Time to handle one item (mirror and plugin), per attempt', HANDLER_BUCKETS);
    const handlerFailures = new TallyCounter(r, 'bridgekit_handler_failures_total', 'Failed handler attempts (each is retried until the last)', ['plugin', 'event_type']);
    this.handlers = new BoundedSeries((type) => ({
      duration: handlerDuration.series({ plugin: options.plugin, event_type: type }),
      failures: handlerFailures.series({ plugin: options.plugin, event_type: type }),
    }), MAX_EVENT_TYPES);

    const requests = new TallyCounter(r, 'bridgekit_homeserver_requests_total', 'Requests to the homeserver by endpoint and status (each attempt)', ['method', 'endpoint', 'status']);
    const requestDuration = new Histogram<'method' | 'endpoint'>({
      name: 'bridgekit_homeserver_request_duration_seconds', help: 'Time of one request attempt to the homeserver',
      labelNames: ['method', 'endpoint'], buckets: REQUEST_BUCKETS, registers: [r],
    });
    this.makeEndpoint = (method) => (endpoint) => ({
      duration: requestDuration.labels({ method, endpoint }),
      byStatus: new BoundedSeries((status) => requests.series({ method, endpoint, status }), MAX_STATUSES),
      isPresence: endpoint === PRESENCE_ENDPOINT,
    });

    const sources = () => this.sources;
    new Gauge({
      name: 'bridgekit_inbox_backlog', help: 'Items journaled and not yet handled (or dead-lettered)', registers: [r],
      collect() { this.set(sources()?.backlog() ?? 0); },
    });
    new Gauge({
      name: 'bridgekit_dead_letters', help: 'Dead letters waiting in the store (bridgekit dead-letters list)', registers: [r],
      async collect() { await setFrom(this, sources()?.deadLetters); },
    });
    new Gauge({
      name: 'bridgekit_mirror_rooms', help: 'Rooms the mirror holds', registers: [r],
      async collect() { await setFrom(this, sources()?.mirrorRooms); },
    });
    this.lostItems = new Gauge({
      name: 'bridgekit_journal_lost_items',
      help: 'Items answered 200 before this start that were missing from the journal when it opened (its write-ahead log lost writes); 0 is the only good value',
      registers: [r],
    });
    new Gauge({
      name: 'bridgekit_store_write_failing', help: 'Whether the store\'s writes are failing now (1: disk full or read-only; /ready says 503)', registers: [r],
      collect() { this.set(sources()?.storeWrites?.().failing ? 1 : 0); },
    });
    new Counter({
      name: 'bridgekit_store_write_failures_total', help: 'Store batches that failed to write since the bridge started', registers: [r],
      collect() { this.reset(); this.inc(sources()?.storeWrites?.().failedBatches ?? 0); },
    });
    new Gauge({
      name: 'bridgekit_logins', help: 'Users\' logins to the remote network, by state (connected, bad_credentials …)', labelNames: ['state'], registers: [r],
      collect() {
        for (const [state, n] of Object.entries(sources()?.loginStates?.() ?? {})) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'bridgekit_connections', help: 'The plugin\'s remote connections that are not logins (ctx.status), by state', labelNames: ['state'], registers: [r],
      collect() {
        for (const [state, n] of Object.entries(sources()?.connectionStates?.() ?? {})) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'bridgekit_cluster_leases', help: 'Cluster mode: lanes (rooms) this process leases now', registers: [r],
      collect() { this.set(sources()?.leasedLanes?.() ?? 0); },
    });
    new Gauge({
      name: 'bridgekit_crypto_device_held', help: 'With encryption: 1 while this process holds the bot\'s crypto device (cluster mode: the leader only), else 0', registers: [r],
      collect() { this.set(sources()?.cryptoDeviceHeld?.() ? 1 : 0); },
    });
    new Gauge({
      name: 'bridgekit_mirror_cached_rooms', help: 'Rooms whose summaries the mirror holds in memory (bounded)', registers: [r],
      collect() { this.set(sources()?.mirrorCachedRooms() ?? 0); },
    });
  }

  /** Connects the gauges to the running parts. */
  track(sources: MetricSources): void {
    this.sources = sources;
  }

  /** The inbox's sink, counting transactions, items and duplicates around it. */
  countingSink(sink: TransactionSink): TransactionSink {
    return {
      accept: async (txnId, txn, raw) => {
        this.transactions.value++;
        try {
          const result = await sink.accept(txnId, txn, raw);
          this.received.event.value += txn.events.length;
          this.received.ephemeral.value += txn.ephemeral.length;
          this.received.toDevice.value += txn.toDevice.length;
          this.duplicates.value += result.duplicates;
          return result;
        } catch (err) {
          if (err instanceof InboxUnavailable) this.rejected.value++;
          throw err;
        }
      },
    };
  }

  /**
   * Wraps a handler to time every attempt and count failures, by event type. The bridge
   * passes `inboxHooks` instead (the inbox reports each attempt without a wrapper).
   */
  timed(handler: ItemHandler): ItemHandler {
    return async (item, ctx) => {
      const started = performance.now();
      let failed = false;
      try {
        await handler(item, ctx);
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        this.attempted(item, performance.now() - started, failed);
      }
    };
  }

  /** One handler attempt: its duration by event type, and a failure if it threw. */
  private readonly attempted = (item: InboundItem, ms: number, failed: boolean): void => {
    const series = this.handlers.get(typeOf(item));
    if (failed) series.failures.value++;
    series.duration.observe(ms / 1000);
  };

  readonly inboxHooks: InboxHooks = {
    onDeadLetter: () => { this.deadLettered.value++; },
    onLostItems: (count) => { this.lostItems.set(count); },
    onAttempt: this.attempted,
  };

  /** Cluster mode: leases taken, and takeovers among them. */
  readonly clusterHooks = {
    onLeased: (lanes: number, takeover: boolean): void => {
      this.lanesLeased.value += lanes;
      if (takeover) this.takeovers.value++;
    },
  };

  /** For HomeserverClientOptions.onResponse. */
  readonly onResponse = (info: ResponseInfo): void => {
    let byEndpoint = this.requests.get(info.method);
    if (!byEndpoint) {
      byEndpoint = new BoundedSeries(this.makeEndpoint(info.method), MAX_ENDPOINTS);
      this.requests.set(info.method, byEndpoint);
    }
    const series = byEndpoint.get(info.endpoint);
    series.byStatus.get(info.status).value++;
    series.duration.observe(info.durationMs / 1000);
    if (series.isPresence && typeof info.status === 'number' && info.status >= 200 && info.status < 300) this.presenceSent.value++;
  };

  /** For HomeserverClientOptions.onRetryWait. */
  readonly onRetryWait = (info: RetryWaitInfo): void => {
    if (!info.rateLimited) return;
    this.rateLimitWaits.get(info.endpoint).value++;
    this.rateLimitWaitSeconds.value += info.delayMs / 1000;
  };
}

/** Sets a gauge from an async count; a failed count (store closing) leaves the last value. */
async function setFrom(gauge: Gauge, read: (() => Promise<number>) | undefined): Promise<void> {
  if (!read) return;
  try {
    gauge.set(await read());
  } catch {
    // Keep the previous value: a scrape must not fail because one count could not be read.
  }
}
