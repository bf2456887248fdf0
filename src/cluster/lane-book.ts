/**
 * What a process of the cluster knows of its lanes (rooms): which it holds, which it has
 * not read from the journal yet since it took them, the last item of each handed to the
 * dispatcher, and how many of each are still unsettled. The one place that decides
 * whether an item may be dispatched.
 */
export class LaneBook {
  private readonly held = new Set<string>();
  /** Held lanes whose items in the journal were not read yet: their load brings them all, in order. */
  private readonly unloaded = new Set<string>();
  /** Per lane, the last sequence number handed to the dispatcher: nothing at or below it is handed again. */
  private readonly queued = new Map<string, number>();
  /** Per lane, items handed to the dispatcher and not yet settled, and when it last had any. */
  private readonly active = new Map<string, { pending: number; since: number }>();
  /**
   * Lanes a claim found held by another process: not claimed again until the next look
   * for work (which claims them if their holder left them).
   */
  private readonly elsewhere = new Set<string>();

  get size(): number {
    return this.held.size;
  }

  holds(lane: string): boolean {
    return this.held.has(lane);
  }

  /** Of `lanes`, those worth claiming: not held here, not seen held elsewhere lately. */
  toClaim(lanes: Iterable<string>): string[] {
    return [...new Set(lanes)].filter((lane) => !this.held.has(lane) && !this.elsewhere.has(lane));
  }

  heldElsewhere(lanes: Iterable<string>): void {
    for (const lane of lanes) this.elsewhere.add(lane);
  }

  /** A new look for work: lanes seen held elsewhere may have gone free. */
  lookAgain(): void {
    this.elsewhere.clear();
  }

  /** Lanes just leased; returns those new here (to be loaded, their caches emptied). */
  take(lanes: readonly string[]): string[] {
    const taken = lanes.filter((lane) => !this.held.has(lane));
    for (const lane of taken) {
      this.held.add(lane);
      this.unloaded.add(lane);
    }
    return taken;
  }

  /** Lanes to load now. */
  get toLoad(): string[] {
    return [...this.unloaded];
  }

  loaded(lanes: readonly string[]): void {
    for (const lane of lanes) this.unloaded.delete(lane);
  }

  /** Of the lanes the database says are held here, those not known. */
  unknown(owned: readonly string[]): string[] {
    return owned.filter((lane) => !this.held.has(lane));
  }

  /**
   * Whether an item may go to the dispatcher (then it is counted): only of a lane this
   * process took up and loaded, and only past what it handed over of that lane. A read of
   * the journal may see a lane leased to this process by a statement whose answer was not
   * taken up yet: dispatching its newer items first would put them before the older ones
   * its load brings.
   */
  admit(lane: string, seq: number): boolean {
    if (!this.held.has(lane) || this.unloaded.has(lane) || seq <= (this.queued.get(lane) ?? -1)) return false;
    this.queued.set(lane, seq);
    const activity = this.active.get(lane);
    if (activity) activity.pending++;
    else this.active.set(lane, { pending: 1, since: 0 });
    return true;
  }

  /** An item of `lane` is settled (handled and durable, or a dead letter). */
  settled(lane: string, now = Date.now()): void {
    const activity = this.active.get(lane);
    if (activity && --activity.pending === 0) activity.since = now;
  }

  /** Lanes with nothing unsettled for `afterMs`. */
  idle(afterMs: number, now = Date.now()): string[] {
    return [...this.active].filter(([, a]) => a.pending === 0 && now - a.since >= afterMs).map(([lane]) => lane);
  }

  release(lane: string): void {
    this.held.delete(lane);
    this.unloaded.delete(lane);
    this.queued.delete(lane);
    this.active.delete(lane);
  }

  /** Fenced out: nothing is held any more. */
  clear(): void {
    this.held.clear();
    this.unloaded.clear();
    this.queued.clear();
    this.active.clear();
    this.elsewhere.clear();
  }
}
