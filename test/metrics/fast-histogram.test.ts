import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { FastHistogram } from '../../src/metrics/fast-histogram.js';

describe('metrics: FastHistogram', () => {
  const bounds = [0.001, 0.01, 0.1, 1];
  const values = [0, 0.001, 0.0010001, 0.05, 0.1, 0.7, 1, 3, 250];

  it('exposes what prom-client\'s Histogram exposes for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new FastHistogram(ours, 'x_seconds', 'help text', bounds);
    const reference = new Histogram({ name: 'x_seconds', help: 'help text', labelNames: ['plugin', 'event_type'], buckets: bounds, registers: [theirs] });
    for (const [type, n] of [['m.room.message', 9], ['m.typing', 2]] as const) {
      const series = fast.series({ plugin: 'p', event_type: type });
      const child = reference.labels({ plugin: 'p', event_type: type });
      for (const v of values.slice(0, n)) {
        series.observe(v);
        child.observe(v);
      }
    }
    const lines = (text: string) => text.trim().split('\n').sort();
    assert.deepEqual(lines(await ours.metrics()), lines(await theirs.metrics()));
    fast.reset();
    reference.reset();
    fast.series({ plugin: 'p', event_type: 'late' }).observe(0.5);
    reference.labels({ plugin: 'p', event_type: 'late' }).observe(0.5);
    // prom-client drops its series on reset; ours keeps them at zero: compare the series both have.
    const late = (text: string) => lines(text).filter((l) => l.includes('late') || l.startsWith('#'));
    assert.deepEqual(late(await ours.metrics()), late(await theirs.metrics()));
  });

  it('leaves a value that is no number out instead of poisoning the sum', async () => {
    const registry = new Registry();
    const series = new FastHistogram(registry, 'y_seconds', 'y', bounds).series({ kind: 'a' });
    series.observe(Number.NaN);
    series.observe(0.5);
    const text = await registry.metrics();
    assert.match(text, /^y_seconds_sum\{kind="a"\} 0\.5$/m);
    assert.match(text, /^y_seconds_count\{kind="a"\} 1$/m);
  });
});
