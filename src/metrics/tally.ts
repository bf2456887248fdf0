import { Counter, type Registry } from 'prom-client';

/**
 * One counter series as a plain number. The hot path does `tally.value += n` (no label
 * hashing, no allocation); prom-client is handed the difference when it collects, so a
 * scrape always sees the exact sum.
 */
export class Tally {
  value = 0;
  private published = 0;

  constructor(private readonly child: { inc(value: number): void }) {
    // Series exist (at 0) from the start: rate() needs the first sample.
    child.inc(0);
  }

  publish(): void {
    const delta = this.value - this.published;
    if (delta <= 0) return;
    this.child.inc(delta);
    this.published = this.value;
  }
}

/** A prom-client counter whose series are Tallies; make each series once and keep it. */
export class TallyCounter<L extends string = never> {
  private readonly tallies: Tally[] = [];
  private readonly counter: Counter<L>;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[] = []) {
    const tallies = this.tallies;
    this.counter = new Counter<L>({
      name, help, labelNames, registers: [registry],
      collect() {
        for (const tally of tallies) tally.publish();
      },
    });
  }

  series(labels?: Partial<Record<L, string>>): Tally {
    const tally = new Tally(labels ? this.counter.labels(labels) : this.counter);
    this.tallies.push(tally);
    return tally;
  }
}

/**
 * Series made on first use for a label value (event type, endpoint), bounded: past
 * `limit` distinct values everything goes to one `other` series, so an unexpected
 * stream of names cannot grow the registry without end.
 */
export class BoundedSeries<S> {
  private readonly byKey = new Map<string | number, S>();
  private overflow: S | undefined;

  constructor(private readonly make: (label: string) => S, private readonly limit: number) {}

  get(key: string | number): S {
    const found = this.byKey.get(key);
    if (found !== undefined) return found;
    if (this.byKey.size >= this.limit) return (this.overflow ??= this.make('other'));
    const made = this.make(String(key));
    this.byKey.set(key, made);
    return made;
  }
}
