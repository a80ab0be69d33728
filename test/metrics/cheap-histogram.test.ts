import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createCheapHistogram } from '../../server/metrics/cheap-histogram.js';

describe('the cheap histogram', () => {
  it('exposes cumulative buckets, +Inf, sum and count per label set, as a Prometheus histogram', async () => {
    const registry = new Registry();
    const histogram = createCheapHistogram({ name: 'demo_seconds', help: 'Demo.', labelNames: ['route'], buckets: [0.1, 1], registry });
    const fast = histogram.series('fast');
    for (const seconds of [0.05, 0.1, 0.5, 3]) fast.observe(seconds);
    histogram.series('idle');

    const lines = (await registry.metrics()).split('\n');
    expect(lines).toContain('# TYPE demo_seconds histogram');
    expect(lines).toContain('demo_seconds_bucket{route="fast",le="0.1"} 2');
    expect(lines).toContain('demo_seconds_bucket{route="fast",le="1"} 3');
    expect(lines).toContain('demo_seconds_bucket{route="fast",le="+Inf"} 4');
    expect(lines).toContain('demo_seconds_sum{route="fast"} 3.65');
    expect(lines).toContain('demo_seconds_count{route="fast"} 4');
    expect(lines).toContain('demo_seconds_count{route="idle"} 0');
  });

  it('gives the same series for the same label values', async () => {
    const registry = new Registry();
    const histogram = createCheapHistogram({ name: 'twice_seconds', help: 'Twice.', labelNames: ['a', 'b'], buckets: [1], registry });
    histogram.series('x', 'y').observe(0.5);
    histogram.series('x', 'y').observe(2);
    const lines = (await registry.metrics()).split('\n');
    expect(lines).toContain('twice_seconds_bucket{a="x",b="y",le="1"} 1');
    expect(lines).toContain('twice_seconds_count{a="x",b="y"} 2');
  });
});
