/**
 * A histogram for the hot path, registered in a prom-client registry like any other metric.
 * prom-client's own `observe` rebuilds a label object and a hash string on every call (a few
 * microseconds each on a busy machine, measured): too much for every request and every pooled
 * connection. Here each label set is a series found once; observing one value is a short loop
 * over the bounds and three additions. The text exposition is built only when Prometheus scrapes.
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/#histograms-and-summaries
 */
import type { Metric, Registry } from 'prom-client';

export interface Series {
  observe(seconds: number): void;
}

interface Stored {
  labels: Record<string, string>;
  /** Per bucket, not cumulative: the exposition adds them up. */
  counts: Float64Array;
  sum: number;
  count: number;
}

export interface CheapHistogram {
  /** The series of these label values, in labelNames' order; keep it rather than calling this per observation. */
  series(...labelValues: string[]): Series;
}

export function createCheapHistogram(options: {
  name: string;
  help: string;
  labelNames: readonly string[];
  buckets: readonly number[];
  registry: Registry;
}): CheapHistogram {
  const { name, help, labelNames, registry } = options;
  const bounds = Float64Array.from(options.buckets);
  const stored = new Map<string, Stored>();

  function values() {
    const lines: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const { labels, counts, sum, count } of stored.values()) {
      let cumulative = 0;
      bounds.forEach((bound, index) => {
        cumulative += counts[index] ?? 0;
        lines.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bound }, value: cumulative });
      });
      lines.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
      lines.push({ metricName: `${name}_sum`, labels, value: sum });
      lines.push({ metricName: `${name}_count`, labels, value: count });
    }
    return lines;
  }

  // The shape prom-client's registry reads from its own metrics (name, help, type, values).
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: values() }),
    reset: () => stored.clear(),
  };
  registry.registerMetric(metric as unknown as Metric);

  return {
    series(...labelValues) {
      const key = labelValues.join('\u0000');
      let entry = stored.get(key);
      if (!entry) {
        const labels: Record<string, string> = {};
        labelNames.forEach((labelName, index) => {
          labels[labelName] = labelValues[index] ?? '';
        });
        entry = { labels, counts: new Float64Array(bounds.length), sum: 0, count: 0 };
        stored.set(key, entry);
      }
      const series = entry;
      return {
        observe(seconds) {
          let index = 0;
          while (index < bounds.length && seconds > (bounds[index] as number)) index += 1;
          if (index < bounds.length) series.counts[index] = (series.counts[index] ?? 0) + 1;
          series.sum += seconds;
          series.count += 1;
        },
      };
    },
  };
}
