import type { StreamSettings } from '../../config.js';
import { type CommitSignal, createCommitSignal } from '../db/commit-signal.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import type { RealtimeMetrics } from '../shared/metrics.js';
import { createStreamHub, type StreamHub } from './stream-hub.js';

/** The realtime side of one process: the commit signal, and the hub with its change feed. */
export interface Realtime {
  readonly signal: CommitSignal;
  readonly hub: StreamHub;
  /** Starts the change feed without a subscriber (the cache's invalidation reads it too), and the LISTEN that wakes it. */
  startFeed(): Promise<void>;
  close(): Promise<void>;
}

const feedBatchSize = 500;
const replayPageSize = 500;

export function createRealtime(db: Db, logger: Logger, metrics: RealtimeMetrics, settings: StreamSettings): Realtime {
  const signal = createCommitSignal(db, logger);
  const hub = createStreamHub(
    db,
    logger,
    metrics,
    { pollMs: settings.feedPollMs, batchSize: feedBatchSize, heartbeatMs: settings.heartbeatMs, replayPageSize },
    signal,
  );
  signal.onSignal(() => hub.feed.wake());
  return {
    signal,
    hub,
    async startFeed() {
      await signal.listen();
      await hub.feed.start();
    },
    async close() {
      await hub.close();
      await signal.stop();
    },
  };
}
