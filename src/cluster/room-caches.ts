/**
 * Room-scoped cache coherence for several processes sharing one store (issue #21).
 *
 * Parts keep per-room data read from the store in memory (the mirror's room summaries,
 * the bot's management rooms, relay settings). That is right while one process owns the
 * store; once rooms are leased, a room this process gains may have been changed by the
 * process that held it before, and a room it gives up will be changed by the next holder.
 * The lease code calls `forget` for every room that moves and `forgetAll` when this process
 * is fenced out; each registered cache then reads that room from the store again.
 */

/** Whether this process may keep a room's data cached: true for every room in one-process mode. */
export interface RoomOwnership {
  holds(roomId: string): boolean;
}

/** One process, the whole store: every room is held (the default everywhere). */
export const SOLE_OWNER: RoomOwnership = { holds: () => true };

interface Registered {
  readonly name: string;
  readonly forget: (roomId: string) => void;
  readonly forgetAll: () => void;
}

/** The caches of per-room data a process keeps; emptied for a room when its lease moves. */
export class RoomCaches {
  private readonly caches: Registered[] = [];

  /**
   * Adds a cache. `forget(roomId)` must make the next read of that room go to the store;
   * `forgetAll()` the same for every room, dropping writes not yet durable (the process
   * was fenced out: another process owns the truth now). Both are synchronous: they drop
   * memory, they do not wait for the store.
   */
  register(name: string, forget: (roomId: string) => void, forgetAll: () => void): void {
    if (this.caches.some((cache) => cache.name === name)) throw new Error(`a room cache named ${name} is registered already`);
    this.caches.push({ name, forget, forgetAll });
  }

  /** The names registered, in order (for logs and tests). */
  get names(): readonly string[] {
    return this.caches.map((cache) => cache.name);
  }

  /** This process gained or gave up `roomId`: every cache reads it from the store next time. */
  forget(roomId: string): void {
    this.each((cache) => cache.forget(roomId));
  }

  /** This process lost every lease: every cache drops everything it holds. */
  forgetAll(): void {
    this.each((cache) => cache.forgetAll());
  }

  /** Every cache is told even when one throws (a cache left stale is worse than the error); the first error is rethrown. */
  private each(call: (cache: Registered) => void): void {
    let failure: { readonly name: string; readonly err: unknown } | undefined;
    for (const cache of this.caches) {
      try {
        call(cache);
      } catch (err) {
        failure ??= { name: cache.name, err };
      }
    }
    if (failure) throw new Error(`room cache ${failure.name} could not forget`, { cause: failure.err });
  }
}
