import type { Db } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import { createWakeableSleep } from '../shared/wakeable-sleep.js';
import { type ChangePosition, comparePositions } from '../change-log/index.js';
import { currentFrontier, type FeedChange, readSettledChanges } from './realtime.repository.js';

/** The rows in (start, end] of the delivery order, handed to the hub in order, one batch at a time. */
export interface FeedBatch {
  readonly start: ChangePosition;
  readonly end: ChangePosition;
  readonly changes: readonly FeedChange[];
  /** The primary's WAL position after every change up to `end` committed (realtime.repository.ts). */
  readonly walPosition: string | null;
}

export interface ChangeFeedSettings {
  /** How long an idle feed waits when nothing woke it. */
  pollMs: number;
  batchSize: number;
}

/**
 * Another reader of the same feed (the cache's invalidation, decision 0038), told synchronously so that
 * it acts before the stream hub sends the batch: a client that refetches on an event gets the new value.
 */
export interface FeedObserver {
  /** A round is about to read: every commit that returned before now is delivered by this round or a later one. */
  roundStarting?(): void;
  batch?(batch: FeedBatch): void;
  /** The round read every committed change its snapshot could see: nothing committed before it began is still to come. */
  roundSettled?(): void;
}

/** One per process: tails change_log from where it started and hands each settled batch on. */
export interface ChangeFeed {
  /** Everything up to here has been handed on. */
  readonly position: ChangePosition;
  /** Starts at the current frontier (changes committed before are not replayed to anyone); idempotent. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Look now: a commit happened (here or, through NOTIFY, elsewhere). */
  wake(): void;
  observe(observer: FeedObserver): void;
  /** Whether the feed is reading (started and not stopped). */
  readonly running: boolean;
}

/** The first wait before looking again at rows held back by an open transaction; it doubles up to the poll. */
const firstHeldMs = 10;

export function createChangeFeed(
  db: Db,
  logger: Logger,
  settings: ChangeFeedSettings,
  onBatch: (batch: FeedBatch) => Promise<void>,
): ChangeFeed {
  let position: ChangePosition = { txid: 0n, seq: 0n };
  let starting: Promise<void> | null = null;
  let running = false;
  /** Counts stop() calls, so that a start() still reading the frontier sees it was stopped meanwhile. */
  let stops = 0;
  let loopDone: Promise<void> = Promise.resolve();
  const pause = createWakeableSleep();
  const observers: FeedObserver[] = [];
  const sleep = (ms: number) => (running ? pause.sleep(ms) : Promise.resolve());

  /** 'more': a full batch, read on now; 'held': committed rows wait for an older transaction (and whether this round handed any on); 'idle'. */
  const round = async (): Promise<'more' | 'held' | 'held after progress' | 'idle'> => {
    for (const observer of observers) observer.roundStarting?.();
    const read = await readSettledChanges(db, position, settings.batchSize, null);
    const progress = read.changes.length > 0 || comparePositions(read.end, position) > 0;
    if (progress) {
      const batch = { start: position, end: read.end, changes: read.changes, walPosition: read.walPosition };
      for (const observer of observers) observer.batch?.(batch);
      await onBatch(batch);
      position = read.end;
    }
    if (read.changes.length === settings.batchSize) return 'more';
    if (read.pending) return progress ? 'held after progress' : 'held';
    for (const observer of observers) observer.roundSettled?.();
    return 'idle';
  };

  const loop = async () => {
    let heldMs = firstHeldMs;
    while (running) {
      let next: Awaited<ReturnType<typeof round>> = 'idle';
      try {
        next = await round();
      } catch (error) {
        // The database restarting, say: the batch was not handed on, so the next round reads it again.
        logger.warn({ err: error }, 'change feed could not read change_log; retrying');
      }
      if (next === 'more') continue;
      // The transaction holding rows back may end without a signal (a job, another database): look again
      // soon, less often the longer it lasts, rather than only at the next poll.
      // A round that handed changes on was held by transactions that do end: the wait starts short again.
      // Under 500 changes/s, many short holds in a row had doubled it to the poll interval.
      if (next === 'held after progress') heldMs = firstHeldMs;
      if (next !== 'idle') {
        await sleep(Math.min(heldMs, settings.pollMs));
        heldMs *= 2;
      } else {
        heldMs = firstHeldMs;
        await sleep(settings.pollMs);
      }
    }
  };

  return {
    get position() {
      return position;
    },
    start() {
      starting ??= (async () => {
        const generation = stops;
        const frontier = await currentFrontier(db);
        // Stopped while the frontier was being read: stay stopped.
        if (generation !== stops) return;
        position = frontier;
        running = true;
        loopDone = loop();
      })().catch((error: unknown) => {
        starting = null;
        throw error;
      });
      return starting;
    },
    async stop() {
      stops += 1;
      running = false;
      pause.wake();
      await loopDone;
      starting = null;
    },
    wake() {
      pause.wake();
    },
    observe(observer) {
      observers.push(observer);
    },
    get running() {
      return running;
    },
  };
}
