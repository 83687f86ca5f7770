import type { Db } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import { createWakeableSleep } from '../shared/wakeable-sleep.js';
import { type ChangePosition, comparePositions } from '../change-log/index.js';
import { currentFrontier, type FeedChange, readSettledChanges, type SettledRead } from './realtime.repository.js';

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

/**
 * What the hub calls once a batch is authorised, before it writes to any socket: the feed may start its
 * next read then, so that the database runs it while the batch's writes are made.
 */
export type ReadAhead = () => void;

/** A read of the feed, with what its reader prepared for the batch (the hub: its authorisation). */
export interface FeedRead<P> extends SettledRead {
  readonly prepared?: P;
}

/**
 * `read`: how the feed reads the next batch from `after` (`readSettledChanges` of every table unless
 * given); what it prepares is handed to `onBatch` with the batch.
 */
export function createChangeFeed<P = never>(
  db: Db,
  logger: Logger,
  settings: ChangeFeedSettings,
  onBatch: (batch: FeedBatch, readAhead: ReadAhead, prepared: P | undefined) => Promise<void>,
  read: (after: ChangePosition) => Promise<FeedRead<P>> = (after) => readSettledChanges(db, after, settings.batchSize, null),
): ChangeFeed {
  type Read = FeedRead<P>;
  let position: ChangePosition = { txid: 0n, seq: 0n };
  let starting: Promise<void> | null = null;
  let running = false;
  /** Counts stop() calls, so that a start() still reading the frontier sees it was stopped meanwhile. */
  let stops = 0;
  let loopDone: Promise<void> = Promise.resolve();
  const pause = createWakeableSleep();
  const observers: FeedObserver[] = [];
  const sleep = (ms: number) => (running ? pause.sleep(ms) : Promise.resolve());

  const startRead = (after: ChangePosition): Promise<Read> => {
    for (const observer of observers) observer.roundStarting?.();
    const reading = read(after);
    // Awaited by the next round; until then a failure must not count as unhandled.
    reading.catch(() => undefined);
    return reading;
  };

  /**
   * 'more': a full batch, read on now; 'held': committed rows wait for an older transaction (and whether
   * this round handed any on); 'idle'. `next`: the next round's read, started while this batch was written.
   */
  const round = async (started: Promise<Read> | null): Promise<{ state: 'more' | 'held' | 'held after progress' | 'idle'; next: Promise<Read> | null }> => {
    const batchRead = await (started ?? startRead(position));
    const progress = batchRead.changes.length > 0 || comparePositions(batchRead.end, position) > 0;
    let next: Promise<Read> | null = null;
    if (progress) {
      const batch = { start: position, end: batchRead.end, changes: batchRead.changes, walPosition: batchRead.walPosition };
      for (const observer of observers) observer.batch?.(batch);
      // The next round reads at once after a full batch, or when a commit woke the feed meanwhile (taken
      // here, so that a wake-up after this read starts still brings another round). Started before the
      // writes, it runs in the database while they are made: a change committed during this round no
      // longer waits for its writes and then a whole read (decision 0076).
      const readAhead = () => {
        if (next === null && running && (batchRead.changes.length === settings.batchSize || pause.takeWake())) next = startRead(batchRead.end);
      };
      try {
        await onBatch(batch, readAhead, batchRead.prepared);
      } catch (error) {
        // The batch is read again from where it started; a read begun past it is not used, and the
        // wake-up it took is given back, so that the next round reads now rather than at the poll.
        if (next !== null) pause.wake();
        next = null;
        throw error;
      }
      position = batchRead.end;
    }
    if (batchRead.changes.length === settings.batchSize) return { state: 'more', next };
    if (batchRead.pending) return { state: progress ? 'held after progress' : 'held', next };
    for (const observer of observers) observer.roundSettled?.();
    return { state: 'idle', next };
  };

  const loop = async () => {
    let heldMs = firstHeldMs;
    let next: Promise<Read> | null = null;
    while (running) {
      let state: Awaited<ReturnType<typeof round>>['state'] = 'idle';
      const started = next;
      next = null;
      try {
        ({ state, next } = await round(started));
      } catch (error) {
        // The database restarting, say: the batch was not handed on, so the next round reads it again.
        // A read started ahead took a wake-up: given back, it brings one more round now; a round that
        // fails without one waits for the next signal or the poll, as before.
        if (started !== null) pause.wake();
        logger.warn({ err: error }, 'change feed could not read change_log; retrying');
      }
      // A round that handed changes on was held by transactions that do end: the wait starts short again.
      // Under 500 changes/s, many short holds in a row had doubled it to the poll interval.
      if (state === 'held after progress') heldMs = firstHeldMs;
      // A read already under way was started by a full batch or a wake-up: the next round takes it now.
      if (state === 'more' || next !== null) continue;
      // The transaction holding rows back may end without a signal (a job, another database): look again
      // soon, less often the longer it lasts, rather than only at the next poll.
      if (state !== 'idle') {
        await sleep(Math.min(heldMs, settings.pollMs));
        heldMs *= 2;
      } else {
        heldMs = firstHeldMs;
        await sleep(settings.pollMs);
      }
    }
    // Stopped with a read under way: it ends before the feed says it has stopped.
    await next?.catch(() => undefined);
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
