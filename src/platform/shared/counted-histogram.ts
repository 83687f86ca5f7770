import type { Metric, Registry } from 'prom-client';

/** A line of the exposition, as prom-client's metrics hand them to their registry. */
interface Value {
  metricName: string;
  labels: { le?: number | '+Inf' };
  value: number;
}

/**
 * A Prometheus histogram without labels that takes one value observed `count` times at once: the stream
 * hub's delivery lag is the same for every subscriber a change was written to in a round, and observing
 * it once per subscriber and event was 4 % of the server's profile (decisions 0075, 0103). prom-client
 * writes it out with the rest of the registry, in the same lines as its own Histogram.
 */
export class CountedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /** Observations per bucket, not cumulative; the last one is past every bound (+Inf). */
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    this.#counts = new Array<number>(buckets.length + 1).fill(0);
    // The registry writes any metric that reports its values through get(), as its own metrics do.
    registry.registerMetric(this as unknown as Metric);
  }

  observe(value: number, count = 1): void {
    let bucket = 0;
    while (bucket < this.buckets.length && value > (this.buckets[bucket] as number)) bucket++;
    this.#counts[bucket] = (this.#counts[bucket] as number) + count;
    this.#sum += value * count;
    this.#count += count;
  }

  /** What prom-client's Histogram reports (its `get`): cumulative buckets, `+Inf`, sum and count. */
  get(): Promise<{ name: string; help: string; type: 'histogram'; values: Value[]; aggregator: 'sum' }> {
    let cumulative = 0;
    const values: Value[] = this.buckets.map((le, index) => {
      cumulative += this.#counts[index] as number;
      return { metricName: `${this.name}_bucket`, labels: { le }, value: cumulative };
    });
    values.push(
      { metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, value: this.#count },
      { metricName: `${this.name}_sum`, labels: {}, value: this.#sum },
      { metricName: `${this.name}_count`, labels: {}, value: this.#count },
    );
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  reset(): void {
    this.#counts.fill(0);
    this.#sum = 0;
    this.#count = 0;
  }
}
