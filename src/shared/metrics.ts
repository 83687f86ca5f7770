import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface RealtimeMetrics {
  subscribers: Gauge;
  eventsDelivered: Counter;
  /** From the start of the writing transaction (change_log.changed_at) to the write to the subscriber's socket. */
  deliveryLag: Histogram;
  slowConsumersDropped: Counter;
  /** Subscriber scopes built for a new stream or rebuilt after a change touched them (decision 0022). */
  scopesBuilt: Counter;
}

/** One registry per application (tests build many), served at /metrics in Prometheus' text format. */
export interface Metrics {
  registry: Registry;
  realtime: RealtimeMetrics;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    realtime: {
      subscribers: new Gauge({ name: 'unitrain_stream_subscribers', help: 'Open SSE streams in this process', registers }),
      eventsDelivered: new Counter({ name: 'unitrain_stream_events_delivered_total', help: 'Change events written to SSE streams', registers }),
      deliveryLag: new Histogram({
        name: 'unitrain_stream_delivery_lag_seconds',
        help: 'Time from the start of the writing transaction to the event being written to a stream',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
      slowConsumersDropped: new Counter({
        name: 'unitrain_stream_slow_consumers_dropped_total',
        help: 'Streams closed because the client did not keep up',
        registers,
      }),
      scopesBuilt: new Counter({
        name: 'unitrain_stream_scopes_built_total',
        help: 'Subscriber scopes built for realtime authorisation: once per stream, again when a change touches them',
        registers,
      }),
    },
  };
}
