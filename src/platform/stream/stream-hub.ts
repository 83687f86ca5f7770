import type { CommitSignal } from '../db/commit-signal.js';
import type { Db } from '../db/database.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../shared/logger.js';
import type { RealtimeMetrics } from '../shared/metrics.js';
import { type ChangePosition, comparePositions, formatPosition, laterPosition, readPrunedThrough } from '../change-log/index.js';
import { type ChangeFeed, type ChangeFeedSettings, createChangeFeed, type FeedBatch } from './change-feed.js';
import { authoriseChanges, type FeedChange, positionIsReachable, readSettledChanges } from './realtime.repository.js';
import { DueList } from './due-list.js';
import { formatEvent, type StreamSink } from './sse-stream.js';
import { createSubscriberScopes } from './subscriber-scopes.js';
import { topicOf } from './topics.js';

export interface StreamHubSettings extends ChangeFeedSettings {
  heartbeatMs: number;
  /** Changes read per query while a subscriber catches up from its resume point. */
  replayPageSize: number;
}

/** Where a new subscriber starts: from its resume point (replaying what it missed), or from now. */
export interface StreamStart {
  readonly cursor: ChangePosition;
  readonly replay: boolean;
  /** The resume point is older than the retained log (or unknown): the client must refetch. */
  readonly reset: boolean;
}

export interface Subscription {
  close(): void;
}

interface Subscriber {
  readonly account: string;
  readonly tables: ReadonlySet<string>;
  readonly sink: StreamSink;
  /** Every change up to here has been considered for this subscriber (sent if it may see it). */
  cursor: ChangePosition;
  /** Reading its backlog from change_log; live batches pass it by until it has caught up. */
  replaying: boolean;
  closed: boolean;
  /** The last live batch that was for it: those that joined or caught up during a batch catch up after it. */
  includedIn: FeedBatch | null;
}

export interface StreamHub {
  readonly feed: ChangeFeed;
  /** Starts the feed if needed and works out where a subscriber resuming from `since` starts. */
  prepare(since: ChangePosition | null): Promise<StreamStart>;
  attach(account: string, tables: ReadonlySet<string>, start: StreamStart, sink: StreamSink): Subscription;
  close(): Promise<void>;
}

function changeEventData(change: FeedChange) {
  return {
    seq: change.seq,
    topic: topicOf(change.table),
    table: change.table,
    op: change.operation,
    id: change.rowId,
    at: change.changedAt.toISOString(),
  };
}

/**
 * Every subscriber of this process. Each feed batch is authorised for all live subscribers at once (one
 * query), then each gets, in order, the changes after its cursor that it may see and asked for. A
 * subscriber whose cursor is behind a batch's start (it joined or caught up while the batch was in
 * flight) reads the gap from change_log itself, so nobody skips a change and nobody gets one twice.
 */
export function createStreamHub(
  db: Db,
  logger: Logger,
  metrics: RealtimeMetrics,
  settings: StreamHubSettings,
  signal: Pick<CommitSignal, 'listen'>,
): StreamHub {
  const subscribers = new Set<Subscriber>();
  /** Closing the server: a stream still being prepared must not start the feed again. */
  let closed = false;
  const refuseWhenClosed = () => {
    if (closed) throw new AppError('SERVICE_UNAVAILABLE', 'the server is shutting down: connect again');
  };
  let heartbeat: NodeJS.Timeout | null = null;
  const scopes = createSubscriberScopes<Subscriber>(db, metrics.scopesBuilt);

  const drop = (subscriber: Subscriber, abort: boolean) => {
    if (subscriber.closed) return;
    subscriber.closed = true;
    subscribers.delete(subscriber);
    scopes.forget(subscriber);
    metrics.subscribers.set(subscribers.size);
    subscriber.sink.close(abort);
  };

  /** A change's event, formatted once however many subscribers get it. */
  const formatted = new WeakMap<FeedChange, string>();
  const changeEvent = (change: FeedChange): string => {
    let text = formatted.get(change);
    if (text === undefined) {
      text = formatEvent({ event: 'change', id: formatPosition(change.position), data: changeEventData(change) });
      formatted.set(change, text);
    }
    return text;
  };

  /** One write per subscriber and page of its catch-up. */
  const deliver = (subscriber: Subscriber, changes: readonly FeedChange[]) => {
    if (changes.length === 0) return;
    subscriber.sink.send(changes.map(changeEvent).join(''));
    metrics.eventsDelivered.inc(changes.length);
  };

  /** A client that has not taken what it was sent before is disconnected instead of sent more. */
  const droppedAsSlow = (subscriber: Subscriber): boolean => {
    if (!subscriber.sink.backlogged()) return false;
    metrics.slowConsumersDropped.inc();
    logger.info('dropped a stream subscriber that could not keep up; it can resume with Last-Event-ID');
    drop(subscriber, true);
    return true;
  };

  /** The client must refetch; the stream goes on from the feed's position. */
  const sendReset = (subscriber: Subscriber, reason: string) => {
    subscriber.cursor = laterPosition(subscriber.cursor, feed.position);
    subscriber.sink.send(formatEvent({ event: 'reset', id: formatPosition(subscriber.cursor), data: { reason } }));
  };

  const catchUp = async (subscriber: Subscriber) => {
    subscriber.replaying = true;
    try {
      while (!subscriber.closed) {
        const read = await readSettledChanges(db, subscriber.cursor, settings.replayPageSize, [...subscriber.tables]);
        // Read after the page: a prune moves its horizon before it deletes, so a page read before a horizon
        // that does not cover its start is whole.
        const prunedThrough = await readPrunedThrough(db);
        if (prunedThrough !== null && comparePositions(subscriber.cursor, prunedThrough) < 0) {
          sendReset(subscriber, 'the resume point is older than the retained change log: fetch again');
          break;
        }
        const visible = await authoriseChanges(db, [subscriber.account], read.changes.map((change) => change.seq));
        if (droppedAsSlow(subscriber)) return;
        deliver(subscriber, read.changes.filter((change) => visible.has(change.seq)));
        subscriber.cursor = laterPosition(subscriber.cursor, read.end);
        const caughtUp = read.changes.length < settings.replayPageSize && comparePositions(subscriber.cursor, feed.position) >= 0;
        if (caughtUp) break;
      }
    } catch (error) {
      logger.warn({ err: error }, 'a stream subscriber could not read what it missed; closing it so that it resumes');
      drop(subscriber, false);
    } finally {
      subscriber.replaying = false;
    }
  };

  const startCatchUp = (subscriber: Subscriber) => {
    if (!subscriber.replaying && !subscriber.closed) void catchUp(subscriber);
  };

  /** How long after its transaction began each change of a live batch reached a step of the batch. */
  const observeStage = (stage: 'read' | 'authorised' | 'written', changes: readonly FeedChange[]) => {
    const now = Date.now();
    for (const change of changes) metrics.stageLag.observe({ stage }, (now - change.changedAt.getTime()) / 1000);
  };

  /**
   * A subscriber's cursor is usually the previous batch's end, which is this batch's start, the same
   * object: then it is not behind the batch and every change of it is after the cursor, without comparing
   * the BigInts (a round compared them for every subscriber and every visible pair).
   */
  const atStart = (subscriber: Subscriber, batch: FeedBatch) => subscriber.cursor === batch.start;

  const dispatch = async (batch: FeedBatch) => {
    const batchTables = new Set<string>();
    for (const change of batch.changes) batchTables.add(change.table);
    /** Those the batch is for (not replaying, not behind its start), in the order they are written to. */
    const included: Subscriber[] = [];
    // Only subscribers of a topic in this batch are built and authorised; the others just move on.
    const interested: Subscriber[] = [];
    const wantedTables = new Set<string>();
    for (const subscriber of subscribers) {
      if (subscriber.replaying || !(atStart(subscriber, batch) || comparePositions(subscriber.cursor, batch.start) >= 0)) continue;
      included.push(subscriber);
      subscriber.includedIn = batch;
      let wants = false;
      for (const table of subscriber.tables) {
        if (!batchTables.has(table)) continue;
        wants = true;
        wantedTables.add(table);
      }
      if (wants) interested.push(subscriber);
    }
    const wanted = wantedTables.size === batchTables.size ? batch.changes : batch.changes.filter((change) => wantedTables.has(change.table));
    observeStage('read', wanted);
    const visible = interested.length === 0 || wanted.length === 0
      ? new Map<number, Set<number>>()
      : await scopes.authorise(interested, batch.end, wanted.map((change) => change.seq));
    observeStage('authorised', wanted);
    // Each subscriber's changes, in batch order, gathered from the visible pairs rather than by asking
    // every subscriber about every change; subscribers due the same changes share one list (due-list.ts).
    const nothingDue = DueList.empty();
    const due = new Array<DueList>(interested.length).fill(nothingDue);
    for (const change of wanted) {
      const seen = visible.get(change.seq);
      if (seen === undefined) continue;
      for (const index of seen) {
        const subscriber = interested[index] as Subscriber;
        if (!subscriber.tables.has(change.table)) continue;
        if (!atStart(subscriber, batch) && comparePositions(change.position, subscriber.cursor) <= 0) continue;
        due[index] = (due[index] as DueList).with(change);
      }
    }
    /** The lists written, each with how many streams got it: the lag is observed per list and change. */
    const sent: DueList[] = [];
    let delivered = 0;
    // `interested` is `included` less those of no topic in the batch, in the same order.
    let next = 0;
    for (const subscriber of included) {
      const list = interested[next] === subscriber ? due[next++] : nothingDue;
      // Closed, or replaying again (a gap of its own), while this batch was being authorised.
      if (subscriber.closed || subscriber.replaying) continue;
      if (droppedAsSlow(subscriber)) continue;
      if (list !== undefined && list.length > 0) {
        subscriber.sink.send(list.bytes(changeEvent));
        if (list.sentTo === 0) sent.push(list);
        list.sentTo += 1;
        delivered += list.length;
      }
      subscriber.cursor = laterPosition(subscriber.cursor, batch.end);
    }
    metrics.eventsDelivered.inc(delivered);
    // A round's buffers reach each socket in the loop above (sse-stream.ts; through the response, where
    // the socket is not the response's yet, on the next tick): the round has one time of writing.
    const writtenAt = Date.now();
    // Those that joined, or caught up, while this batch was being authorised: the batch was not for them.
    for (const subscriber of subscribers) {
      if (subscriber.closed || subscriber.replaying || subscriber.includedIn === batch) continue;
      if (comparePositions(subscriber.cursor, batch.end) < 0) startCatchUp(subscriber);
    }
    // The lag of each live event (a replay sends old changes on purpose, and is not counted), observed
    // once every subscriber has been written to, once per list and change with the number of streams.
    setImmediate(() => {
      for (const list of sent) for (const change of list.changes) metrics.deliveryLag.observe((writtenAt - change.changedAt.getTime()) / 1000, list.sentTo);
      observeStage('written', wanted);
    });
  };

  const feed = createChangeFeed(db, logger, settings, dispatch);

  const sendHeartbeats = () => {
    for (const subscriber of [...subscribers]) {
      if (droppedAsSlow(subscriber)) continue;
      subscriber.sink.send(formatEvent({ event: 'heartbeat', id: formatPosition(subscriber.cursor), data: { at: new Date().toISOString() } }));
    }
  };

  return {
    feed,
    async prepare(since) {
      // The first subscriber starts the feed, and the LISTEN that wakes it on other processes' commits.
      refuseWhenClosed();
      await signal.listen();
      await feed.start();
      refuseWhenClosed();
      heartbeat ??= setInterval(sendHeartbeats, settings.heartbeatMs);
      if (since === null) return { cursor: feed.position, replay: false, reset: false };
      if (!(await positionIsReachable(db, since))) return { cursor: feed.position, replay: false, reset: true };
      return { cursor: since, replay: true, reset: false };
    },
    attach(account, tables, start, sink) {
      if (closed) {
        sink.close();
        return { close: () => undefined };
      }
      const subscriber: Subscriber = { account, tables, sink, cursor: start.cursor, replaying: false, closed: false, includedIn: null };
      subscribers.add(subscriber);
      metrics.subscribers.set(subscribers.size);
      sink.onClose(() => drop(subscriber, false));
      if (start.reset) sendReset(subscriber, 'the resume point is not one this database issued: fetch again');
      if (start.replay) startCatchUp(subscriber);
      return { close: () => drop(subscriber, false) };
    },
    async close() {
      closed = true;
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      for (const subscriber of [...subscribers]) drop(subscriber, false);
      await feed.stop();
      await scopes.close();
    },
  };
}
