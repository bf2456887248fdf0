import type { Registry } from 'prom-client';

/**
 * One histogram series as plain numbers: `observe` finds the bucket and adds, nothing
 * else. prom-client's own `observe` (even on a child made once with `labels()`) checks and
 * hashes the labels and allocates on every call; on the per-item path that was most of
 * the metrics' cost.
 */
export class HistogramSeries {
  /** Observations per bucket (not cumulative): [i] counts values in (bounds[i-1], bounds[i]]. */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[], readonly labels: Readonly<Record<string, string>>) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    // A value that is no number would poison the sum for good: not counted (prom-client throws).
    if (!Number.isFinite(value)) return;
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }

  /** The exposition's samples of this series: cumulative buckets, +Inf, sum and count. */
  samples(name: string): MetricSample[] {
    const out: MetricSample[] = [];
    let cumulative = 0;
    this.bounds.forEach((bound, i) => {
      cumulative += this.counts[i]!;
      out.push({ metricName: `${name}_bucket`, labels: { le: bound, ...this.labels }, value: cumulative });
    });
    out.push(
      { metricName: `${name}_bucket`, labels: { le: '+Inf', ...this.labels }, value: this.count },
      { metricName: `${name}_sum`, labels: { ...this.labels }, value: this.sum },
      { metricName: `${name}_count`, labels: { ...this.labels }, value: this.count },
    );
    return out;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

interface MetricSample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/**
 * A histogram in a prom-client registry whose series are `HistogramSeries`: the same
 * exposition as prom-client's Histogram (`_bucket` with `le`, `_sum`, `_count`), read at
 * scrape time. Make each series once and keep it.
 */
export class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly all: HistogramSeries[] = [];

  constructor(registry: Registry, readonly name: string, readonly help: string, private readonly bounds: readonly number[]) {
    // The registry asks a metric only for `name`, `get()` and `reset()`.
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  series(labels: Readonly<Record<string, string>>): HistogramSeries {
    const series = new HistogramSeries(this.bounds, labels);
    this.all.push(series);
    return series;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: MetricSample[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.all.flatMap((s) => s.samples(this.name)) };
  }

  reset(): void {
    for (const series of this.all) series.reset();
  }
}
