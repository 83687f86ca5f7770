import type { Metric, Registry } from 'prom-client';

const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

type Labels = { route: string; method: string; status: string };

/** A line of the exposition, as prom-client's metrics hand them to their registry. */
interface Value {
  metricName: string;
  labels: { le?: number | '+Inf' };
  sharedLabels: Labels;
  value: number;
}

interface Series {
  readonly labels: Labels;
  /** Observations per bucket, not cumulative; the last one is past every bound (+Inf). */
  readonly counts: number[];
  sum: number;
  count: number;
}

/**
 * HTTP request durations by route pattern, method and status: a Prometheus histogram, the one metric
 * written by every request. prom-client's Histogram checks and hashes the labels of each observation
 * and finds its bucket through an object keyed by the bound's text (2–4 % of the CPU of `/health`,
 * decision 0081); here a request finds its series in three maps keyed as they come (route, method,
 * numeric status) and adds to an array. prom-client writes it out with the rest of the registry, in the
 * histogram's format: the same lines, labels and bounds as its own Histogram's.
 */
export class RequestDurations {
  readonly name = 'unitrain_http_request_duration_seconds';
  readonly help = 'HTTP request durations by route pattern, method and status';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, Map<string, Map<number, Series>>>();

  constructor(registry: Registry) {
    // The registry writes any metric that reports its values through get(), as its own metrics do.
    registry.registerMetric(this as unknown as Metric);
  }

  observe(route: string, method: string, status: number, seconds: number): void {
    let byMethod = this.#series.get(route);
    if (byMethod === undefined) this.#series.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (series === undefined) {
      series = { labels: { route, method, status: String(status) }, counts: new Array<number>(buckets.length + 1).fill(0), sum: 0, count: 0 };
      byStatus.set(status, series);
    }
    let bucket = 0;
    while (bucket < buckets.length && seconds > (buckets[bucket] as number)) bucket++;
    series.counts[bucket] = (series.counts[bucket] as number) + 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** What prom-client's Histogram reports (its `get`): cumulative buckets, `+Inf`, sum and count per series. */
  get(): Promise<{ name: string; help: string; type: 'histogram'; values: Value[]; aggregator: 'sum' }> {
    const values: Value[] = [];
    for (const byMethod of this.#series.values()) {
      for (const byStatus of byMethod.values()) {
        for (const series of byStatus.values()) {
          const sharedLabels = series.labels;
          let cumulative = 0;
          buckets.forEach((le, index) => {
            cumulative += series.counts[index] as number;
            values.push({ metricName: `${this.name}_bucket`, labels: { le }, sharedLabels, value: cumulative });
          });
          values.push(
            { metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, sharedLabels, value: series.count },
            { metricName: `${this.name}_sum`, labels: {}, sharedLabels, value: series.sum },
            { metricName: `${this.name}_count`, labels: {}, sharedLabels, value: series.count },
          );
        }
      }
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  reset(): void {
    this.#series.clear();
  }
}
