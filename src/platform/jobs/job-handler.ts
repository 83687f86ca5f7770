import type { Tx } from '../db/database.js';
import type { ClaimedJob, Subscription } from './jobs.repository.js';

/**
 * Work a dispatcher runs. Jobs run at least once, so `run` must be idempotent by construction (a
 * unique key on what it writes); it runs in the owner's transaction, which also marks the job done.
 */
export interface JobHandler {
  /** Stored in jobs.handler; part of the idempotency key of the jobs made from events. */
  name: string;
  /** Event types that queue a job for this handler, one per event. */
  eventTypes: readonly string[];
  /**
   * A field of the event's payload without which `run` does nothing: an event whose field is null or
   * absent queues no job for this handler (a booking notice for a student without an account, whom
   * nothing can reach). Queuing, claiming and completing a job that returns at once cost as much
   * database time as the write that raised the event (decision 0074).
   */
  onlyWithField?: string;
  maxAttempts?: number;
  /**
   * True when `run` acts only through `tx` (no mail, no file, no call out, no transaction-local
   * setting): the dispatcher may then run it in one transaction with the jobs beside it in a round,
   * one commit for all. When any of them fails, that transaction is rolled back and each runs alone.
   */
  sharesTransaction?: boolean;
  run(tx: Tx, job: ClaimedJob): Promise<void>;
  /**
   * After the job died (its last attempt failed, or its lease ran out on it), in a transaction of its
   * own: what the job stood for can say so (a batch marked FAILED). Its failure is logged, not retried.
   */
  onDead?(tx: Tx, job: ClaimedJob, error: string): Promise<void>;
}

/**
 * What the relay needs of a handler: its name, the events it subscribes to, and what its jobs of them
 * need. A domain declares it apart from what running the handler needs (keys, mail), and the handler
 * spreads it: who subscribes to what is then known without building the handlers (`unitrain doctor`).
 */
export type EventSubscriber = Pick<JobHandler, 'name' | 'eventTypes' | 'onlyWithField' | 'maxAttempts'>;

/** What the relay queues: a job of each handler for each event of a type it subscribes to. */
export function subscriptionsOf(subscribers: readonly EventSubscriber[]): Subscription[] {
  return subscribers.flatMap((subscriber) =>
    subscriber.eventTypes.map((eventType) => ({ eventType, handler: subscriber.name, maxAttempts: subscriber.maxAttempts ?? 5, onlyWithField: subscriber.onlyWithField ?? null })));
}

/** What the relay stores in the payload of a job made from a domain event. */
interface EventJobPayload<Data = Record<string, unknown>> {
  event_type: string;
  aggregate_type: string;
  aggregate_id: string;
  occurred_at: string;
  data: Data;
}

export function eventOf<Data>(job: ClaimedJob): EventJobPayload<Data> & { seq: string } {
  if (job.event_seq === null) throw new Error(`job ${job.id} (${job.handler}) was not made from an event`);
  return { ...(job.payload as unknown as EventJobPayload<Data>), seq: job.event_seq };
}
