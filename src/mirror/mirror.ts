import { isStateEvent, type RoomEvent, type StateEvent } from '../events/types.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import { SOLE_OWNER, type RoomOwnership } from '../cluster/room-caches.js';
import { BorrowedRooms } from './borrowed-rooms.js';
import { applyRedaction, applyStateEvent, applyStateFromMemory } from './apply.js';
import type { GrantAnswer } from './auth/grant.js';
import { summaryOf, usableStateEvents, writeEventIndex, writeFullState } from './hydrate.js';
import { emptyRecord } from './layout.js';
import { Lru } from '../util/lru.js';
import { MirrorStore, type RoomEntry } from './mirror-store.js';
import { KeyedQueue } from '../util/keyed-queue.js';
import { RoomView } from './room-view.js';
import { StateKeys } from './state-keys.js';
import { UnreadableRooms } from './unreadable-rooms.js';

export interface ApplyOptions {
  /**
   * The homeserver delivers this event for the first time (see the inbox's
   * `firstDelivery`): it cannot have been applied before, so the event index need not be
   * read. Redelivered events (after a restart, from the dead letters) are looked up.
   */
  readonly firstDelivery?: boolean;
}

export interface MirrorOptions {
  readonly store: Store;
  readonly logger: Logger;
  /** How many rooms' summaries stay in memory (default 1,000); the rest are read from disk when needed. */
  readonly cacheRooms?: number;
  /**
   * Fetches a room's full current state (`GET /_matrix/client/v3/rooms/{roomId}/state`
   * as a joined user). Without it, a room the mirror does not know starts empty and
   * is marked not hydrated.
   */
  readonly fetchState?: (roomId: string) => Promise<RoomEvent[]>;
  /** After a failed fetch, how long before a room's next event tries again (default 60 s). */
  readonly hydrateRetryMs?: number;
  /**
   * The bridge's own users (bot, ghosts). An invite of one of them into a room the mirror
   * does not hold is no time to fetch: an invited user may not read the state (Synapse
   * answers 403), so the mirror waits for a join, as after a failed fetch.
   */
  readonly isOwnUser?: (userId: string) => boolean;
  /**
   * Which rooms this process holds (several processes on one store, issue #21): a room it
   * does not hold is read from the store every time and never kept in memory, since another
   * process changes it. Default: every room (one process).
   */
  readonly ownership?: RoomOwnership;
}

/** What `apply` returns when it has nothing to wait for. */
const DONE: Promise<void> = Promise.resolve();

/**
 * The room mirror: every room event passes through `apply` (in room order) before a
 * plugin sees it, so that `room(roomId)` answers with the room as it stands. The
 * homeserver has already authorised and resolved what it sends; the mirror applies it
 * and never resolves state itself.
 */
export class Mirror {
  private readonly ms: MirrorStore;
  private readonly logger: Logger;
  private readonly cache: Lru<string, RoomEntry>;
  private readonly queue = new KeyedQueue();
  private readonly fetchState: ((roomId: string) => Promise<RoomEvent[]>) | undefined;
  private readonly unreadable: UnreadableRooms;
  /** Event-index writes running in the background after a fetch, per room. */
  private readonly indexing = new Map<string, Promise<void>>();
  /** Bumped when a room's state is replaced or dropped, so that stale background work stops. */
  private readonly generations = new Map<string, number>();
  /** Bumped by `forgetAllRooms`: every room's generation changes at once. */
  private epoch = 0;
  private readonly ownership: RoomOwnership;
  /** Fetched states of rooms another process holds (never written to the store). */
  private readonly borrowed = new BorrowedRooms();
  private closed = false;
  private readonly views = new WeakMap<RoomEntry, RoomView>();
  private readonly lookup = (roomId: string) => this.room(roomId);

  constructor(options: MirrorOptions) {
    this.ms = new MirrorStore(options.store);
    this.logger = options.logger;
    // A room leaving memory leaves its exact record behind (see RoomRecord.exact).
    this.cache = new Lru(options.cacheRooms ?? 1_000, (_, entry) => this.ms.settleRecord(entry));
    this.fetchState = options.fetchState;
    this.unreadable = new UnreadableRooms(options.hydrateRetryMs ?? 60_000, options.isOwnUser ?? (() => false));
    this.ownership = options.ownership ?? SOLE_OWNER;
  }

  /**
   * Applies one room event: state events replace the state at their key, redactions
   * redact the state event they target, other events only make the room known. Re-applying
   * an event already applied changes nothing. A room the mirror does not know is fetched
   * first; that room's later events wait, in order, until it is.
   */
  apply(event: RoomEvent, options: ApplyOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the mirror is closed'));
    if (this.applyFromMemory(event, options.firstDelivery === true)) return DONE;
    return this.queueApply(event, options);
  }

  /**
   * Applies the event when memory alone decides it, at once: true when it is applied (the
   * caller then need not call `apply`), false when `apply` has to. Most events are messages
   * in a room the mirror holds, with nothing of that room queued: they change nothing but
   * the room's place in the cache (which `get` renews). Likewise a first delivery of a state
   * event that memory alone decides: its writes are staged.
   */
  applyFromMemory(event: RoomEvent, firstDelivery: boolean): boolean {
    if (this.closed || this.queue.busy(event.room_id)) return false;
    const cached = this.cache.get(event.room_id);
    if (cached?.record.hydrated !== true) return false;
    if (!isStateEvent(event)) return event.type !== 'm.room.redaction';
    if (!firstDelivery) return false;
    const applied = applyStateFromMemory(this.ms, cached, event);
    if (!applied) return false;
    if (applied !== cached) this.cache.set(event.room_id, applied);
    return true;
  }

  private queueApply(event: RoomEvent, options: ApplyOptions): Promise<void> {
    return this.queue.run(event.room_id, async () => {
      const generation = this.generation(event.room_id);
      const { entry: known, fetchedNow } = await this.knownOrHydrated(event.room_id, event);
      let entry = known;
      // State fetched just now was read after the homeserver sent this event: it already
      // holds the event's effect or a later one. Applying it on top could move state back.
      // (`hydrate` kept the entry.)
      if (fetchedNow) return;
      if (isStateEvent(event)) {
        entry = await applyStateEvent(this.ms, entry, event, options.firstDelivery === true);
      } else if (event.type === 'm.room.redaction') {
        // A redaction looks its target up in the event index: let a background fill finish first.
        await this.indexing.get(event.room_id);
        entry = await applyRedaction(this.ms, entry, event);
      }
      // Forgotten meanwhile (its lease moved): what was read before may be stale.
      if (this.generation(event.room_id) === generation) this.keep(event.room_id, entry);
    });
  }

  /** Rooms whose summaries are in memory now (bounded by `cacheRooms`). */
  get cachedRooms(): number {
    return this.cache.size;
  }

  /** The plugin-facing view of a room, or undefined when the mirror has never seen it. */
  async room(roomId: string): Promise<RoomView | undefined> {
    const entry = await this.entry(roomId);
    // Just gained, its store copy not filled in yet: a state this process fetched a moment
    // ago (while another held it) answers until the room's own events fill the store. Only
    // here: what applies events works on the store's copy.
    const shown = entry?.record.hydrated ? entry : this.borrowed.get(roomId) ?? entry;
    return shown ? this.view(shown) : undefined;
  }

  /**
   * The view of a room whose summary is in memory, without an async call (the hot path's
   * question); undefined when it is not cached: then ask `room`.
   */
  cachedRoom(roomId: string): RoomView | undefined {
    const cached = this.cache.get(roomId);
    return cached ? this.view(cached) : undefined;
  }

  /**
   * Fetches the room's full state again and replaces the mirror's copy, in order with its
   * events. In a room another process holds, the fetched state answers this process's
   * questions for a while (BorrowedRooms) and the holder's copy in the store is left alone.
   */
  resync(roomId: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the mirror is closed'));
    return this.queue.run(roomId, async () => {
      if (!this.fetchState) throw new Error('resync needs a fetchState function');
      await this.hydrate(roomId, { rethrow: true });
    });
  }

  /** Drops everything the mirror holds about a room (e.g. after the bridge left it for good). */
  forget(roomId: string): Promise<void> {
    return this.queue.run(roomId, async () => {
      this.cache.delete(roomId);
      this.borrowed.drop(roomId);
      this.unreadable.delete(roomId);
      this.bumpGeneration(roomId);
      await this.indexing.get(roomId);
      await this.ms.deleteRoom(roomId);
      // A `room()` that read the record before it was deleted must not keep it cached.
      this.cache.delete(roomId);
      this.bumpGeneration(roomId);
    });
  }

  /**
   * Drops what memory holds of a room, so that its next read goes to the store: this
   * process gained or gave up the room's lease (RoomCaches). Nothing is deleted from the
   * store (that is `forget`). Staged writes of the room are still written (they were made
   * while this process held it), unless `discardPending`. The room's record on disk stays
   * marked not exact when its counts changed here: the next reader counts them again.
   * Work of the room under way (a read, an apply, a background index) keeps nothing.
   */
  forgetRoom(roomId: string, { discardPending = false }: { readonly discardPending?: boolean } = {}): void {
    this.cache.delete(roomId);
    this.unreadable.delete(roomId);
    this.bumpGeneration(roomId);
    const dropped = this.ms.forgetRoom(roomId, discardPending);
    if (dropped > 0) this.logger.warn({ roomId, dropped }, 'mirror: writes of a room not written (its lease moved)');
  }

  /**
   * Drops every room from memory and every staged write unwritten: this process was fenced
   * out (another holds its rooms now, and its own pending writes would overwrite theirs).
   * The journal items behind those writes were not acknowledged, so their new holder
   * applies them again.
   */
  forgetAllRooms(): void {
    this.cache.clear();
    this.borrowed.clear();
    this.unreadable.clear();
    this.epoch++;
    const dropped = this.ms.forgetAll();
    if (dropped > 0) this.logger.warn({ dropped }, 'mirror: writes not written (fenced out of every room)');
  }

  /** Which of the bridge's users (`controlled`) could raise `target` to `level` in a room. */
  async whoCanGrant(roomId: string, target: string, level: number, controlled: readonly string[]): Promise<GrantAnswer> {
    const room = await this.room(roomId);
    if (!room) return { possible: false, reason: `the mirror does not know room ${roomId}`, refusals: [], holders: [] };
    return room.whoCanGrant(target, level, controlled);
  }

  /** Resolves once all queued events and background index writes are done, and every write is on disk. */
  async settled(): Promise<void> {
    do {
      await this.queue.idle();
      await Promise.all([...this.indexing.values()]);
    } while (this.indexing.size > 0);
    await this.ms.settle();
  }

  /** Waits for queued and background work and refuses new work. The store stays open: its owner closes it. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.settled();
      for (const entry of this.cache.values()) this.ms.settleRecord(entry);
      await this.ms.settle();
    } finally {
      await this.ms.close();
      this.cache.clear();
    }
  }

  /** One view per entry: entries are replaced, never changed, so the view's snapshot stays true. */
  private view(entry: RoomEntry): RoomView {
    let view = this.views.get(entry);
    if (!view) {
      view = new RoomView(this.borrowed.readerOf(entry) ?? this.ms, entry, this.lookup);
      this.views.set(entry, view);
    }
    return view;
  }

  private async entry(roomId: string): Promise<RoomEntry | undefined> {
    // Another process holds the room and changes it: read it whole each time (or the state
    // this process fetched a moment ago), write nothing.
    if (!this.ownership.holds(roomId)) return this.borrowed.get(roomId) ?? this.ms.loadRoom(roomId, { persist: false });
    const cached = this.cache.get(roomId);
    if (cached) return cached;
    const generation = this.generation(roomId);
    const loaded = await this.ms.loadRoom(roomId);
    if (!loaded) return undefined;
    // Replaced or forgotten while it was read (outside the room's queue): not worth keeping.
    if (this.generation(roomId) !== generation) return loaded;
    // An event applied meanwhile (in the room's queue) cached a newer entry: a read begun
    // before its write must not overwrite it (the summary would lose that event for good).
    const newer = this.cache.get(roomId);
    if (newer) return newer;
    this.cache.set(roomId, loaded);
    // Stopped before its index was complete (a crash or restart): finish it from disk.
    if (loaded.record.indexed === false && !this.indexing.has(roomId) && !this.closed) {
      this.startIndexing(roomId, this.storedStateEvents(roomId));
    }
    return loaded;
  }

  /** The room's entry, hydrating first when the room is unknown (or its last fetch failed long enough ago). */
  private async knownOrHydrated(roomId: string, event: RoomEvent): Promise<{ entry: RoomEntry; fetchedNow: boolean }> {
    const entry = await this.entry(roomId);
    if (entry && (entry.record.hydrated || !(this.fetchState && this.unreadable.shouldRetry(roomId, event)))) return { entry, fetchedNow: false };
    // A room first met through its create event is seen from its start: nothing to fetch.
    if (!entry && event.type === 'm.room.create' && event.state_key === '') return { entry: await this.fresh(roomId, true), fetchedNow: false };
    if (this.unreadable.invitesOwnUser(event)) {
      this.unreadable.mark(roomId);
      return { entry: entry ?? await this.fresh(roomId, false), fetchedNow: false };
    }
    if (this.fetchState) {
      // No entry: this process read no record of the room (none on disk, none staged).
      const hydrated = await this.hydrate(roomId, { rethrow: false, recordOnDisk: entry !== undefined });
      if (hydrated) return { entry: hydrated, fetchedNow: true };
    }
    return { entry: entry ?? await this.fresh(roomId, false), fetchedNow: false };
  }

  private async fresh(roomId: string, hydrated: boolean): Promise<RoomEntry> {
    const record = emptyRecord(hydrated);
    // A fetch that died midway can leave state behind without a record: then keys are unknown.
    const stored = await this.ms.hasState(roomId);
    this.ms.putRecord(roomId, record);
    const entry: RoomEntry = stored ? { roomId, record, summary: new Map() } : { roomId, record, summary: new Map(), stateKeys: new StateKeys() };
    this.keep(roomId, entry);
    return entry;
  }

  private async hydrate(
    roomId: string, { rethrow, recordOnDisk = true }: { rethrow: boolean; recordOnDisk?: boolean },
  ): Promise<RoomEntry | undefined> {
    const fetchState = this.fetchState;
    if (!fetchState) return undefined;
    const started = Date.now();
    let events: RoomEvent[];
    try {
      events = await fetchState(roomId);
    } catch (err) {
      this.unreadable.mark(roomId);
      this.logger.warn({ roomId, err }, 'mirror: fetching room state failed; the room stays unhydrated');
      if (rethrow) throw err;
      return undefined;
    }
    const usable = usableStateEvents(events, roomId, this.logger);
    this.unreadable.delete(roomId);
    // Only the room's holder writes its state (asked here, or the lease moved meanwhile).
    if (!this.ownership.holds(roomId)) return this.borrowed.keep(roomId, usable);
    this.cache.delete(roomId);
    this.bumpGeneration(roomId);
    await this.indexing.get(roomId);
    const record = await writeFullState(this.ms, roomId, usable, this.logger, { recordOnDisk });
    if (record.indexed !== true) this.startIndexing(roomId, usable);
    // writeFullState cleared the room first: what it wrote is all the room has, so the entry
    // is built from it rather than read back.
    const entry: RoomEntry = { roomId, record, summary: summaryOf(usable), stateKeys: new StateKeys(usable) };
    this.keep(roomId, entry);
    this.logger.info({ roomId, stateEvents: entry.record.stateCount, ms: Date.now() - started }, 'mirror: room hydrated');
    return entry;
  }

  /**
   * Writes the event index of a fetched state in the background, then marks the room
   * indexed (through the room's queue, so that the mark does not race its events).
   */
  private startIndexing(roomId: string, events: AsyncIterable<StateEvent> | Iterable<StateEvent>): void {
    const generation = this.generation(roomId);
    const current = () => this.generation(roomId) === generation;
    const written = writeEventIndex(this.ms, roomId, events, current);
    const done = written.then(() => undefined, (err: unknown) => {
      this.logger.error({ roomId, err }, 'mirror: writing the event index failed; it is retried when the room is next loaded');
    });
    this.indexing.set(roomId, done);
    void written.then(async (complete) => {
      if (this.indexing.get(roomId) === done) this.indexing.delete(roomId);
      if (!complete || !current()) return;
      await this.queue.run(roomId, async () => {
        // A room another process holds is marked by it (it indexes again when it loads the room).
        if (!this.ownership.holds(roomId)) return;
        // Not this.entry(): a reload from disk would see indexed: false and start over.
        const entry = this.cache.get(roomId) ?? await this.ms.loadRoom(roomId);
        if (!entry || !current()) return;
        const marked: RoomEntry = { ...entry, record: { ...entry.record, indexed: true } };
        this.ms.putRecord(roomId, marked.record);
        this.cache.set(roomId, marked);
      });
    }, () => {
      if (this.indexing.get(roomId) === done) this.indexing.delete(roomId);
    });
  }

  private async *storedStateEvents(roomId: string): AsyncGenerator<StateEvent> {
    for await (const event of this.ms.iterateState(roomId)) if (isStateEvent(event)) yield event;
  }

  private bumpGeneration(roomId: string): void {
    this.generations.set(roomId, (this.generations.get(roomId) ?? 0) + 1);
  }

  /** Changes whenever the room's state is replaced or its memory dropped (see `generations`). */
  private generation(roomId: string): string {
    return `${this.epoch}:${this.generations.get(roomId) ?? 0}`;
  }

  /** Keeps a room's entry in memory, when this process holds the room (else drops any it had). */
  private keep(roomId: string, entry: RoomEntry): void {
    if (this.ownership.holds(roomId)) this.cache.set(roomId, entry);
    else this.cache.delete(roomId);
  }
}
