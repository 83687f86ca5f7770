import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import { createWakeableSleep } from '../shared/wakeable-sleep.js';
import type { JobHandler } from './job-handler.js';
import type { Scheduler } from './schedules.js';
import { buryAbandonedJobs, claimJobs, type JobRow, markFailed, markSucceeded, relayEvents, releaseJobs, type Subscription } from './jobs.repository.js';

export interface DispatcherSettings {
  /** How long an idle dispatcher waits before looking for work again. */
  pollMs: number;
  /** Jobs claimed at once, and events relayed per transaction. */
  batchSize: number;
  /** How long a claimed job is the worker's; after that another worker takes it (its worker died). */
  leaseMs: number;
  /** Retry delays: base · 2^(attempt-1), at most max, then jittered. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Housekeeping beside the jobs (the retention prune, prune.ts): at start, then every `intervalMs`, never twice at once. */
  prune?: PruneHook;
  /** Cron-style schedules (schedules.ts): their due slots are queued at the start of a round. */
  scheduler?: Scheduler;
}

export interface PruneHook {
  intervalMs: number;
  /** `signal` is aborted when the dispatcher stops; the hook should end soon after. */
  run(signal: AbortSignal): Promise<void>;
}

export const defaultDispatcherSettings: DispatcherSettings = { pollMs: 250, batchSize: 20, leaseMs: 60_000, backoffBaseMs: 1_000, backoffMaxMs: 3_600_000 };

/**
 * Exponential backoff with "equal jitter": half the exponential delay for sure, the other half at
 * random, so that jobs failing together (a mail server down) do not all come back at the same moment.
 */
export function retryDelayMs(attempt: number, settings: Pick<DispatcherSettings, 'backoffBaseMs' | 'backoffMaxMs'>, random = Math.random): number {
  const exponential = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

export interface Dispatcher {
  readonly workerId: string;
  /** Relays events, then runs what is due once; resolves to the number of jobs run. */
  runOnce(): Promise<number>;
  /** Runs until nothing is due now (jobs waiting for a later retry stay waiting). */
  drain(): Promise<number>;
  /** Keeps running in the background until `stop`. */
  start(): void;
  /** Cuts the idle wait short. */
  wake(): void;
  /** Finishes the job in hand, puts back what it claimed and did not start, and stops. */
  stop(): Promise<void>;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** A run that finished after its lease ran out: its effect must not commit (the job has a new holder). */
class LeaseLost extends Error {}

export function createDispatcher(db: Db, handlers: readonly JobHandler[], logger: Logger, settings: DispatcherSettings = defaultDispatcherSettings): Dispatcher {
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const byName = new Map(handlers.map((handler) => [handler.name, handler]));
  const subscriptions: Subscription[] = handlers.flatMap((handler) =>
    handler.eventTypes.map((eventType) => ({ eventType, handler: handler.name, maxAttempts: handler.maxAttempts ?? 5 })));
  let stopping = false;
  let loop: Promise<void> | null = null;
  const pause = createWakeableSleep();
  let pruning: Promise<void> | null = null;
  let nextPruneAt = 0;

  async function relayAll(): Promise<void> {
    if (subscriptions.length === 0) return;
    while ((await db.transaction((tx) => relayEvents(tx, subscriptions, settings.batchSize))) === settings.batchSize) {
      if (stopping) return;
    }
  }

  async function runJob(job: JobRow): Promise<void> {
    const handler = byName.get(job.handler);
    try {
      if (!handler) throw new Error(`no handler named "${job.handler}" in this worker`);
      await db.transaction(async (tx) => {
        await handler.run(tx, job);
        // Another worker took the job over after the lease ran out: roll this run's effect back.
        if ((await markSucceeded(tx, [job.id], workerId)) !== 1) throw new LeaseLost();
      });
    } catch (error) {
      if (error instanceof LeaseLost) {
        logger.warn({ job: job.id, handler: job.handler, worker: workerId }, 'job lease ran out before the handler finished; its effect was rolled back');
        return;
      }
      const delay = retryDelayMs(job.attempts, settings);
      logger.warn({ job: job.id, handler: job.handler, attempt: job.attempts, err: error }, 'job failed');
      const message = describeError(error);
      if (await db.transaction((tx) => markFailed(tx, job.id, workerId, message, delay))) await afterDeath(job, message);
    }
  }

  async function afterDeath(job: JobRow, error: string): Promise<void> {
    const onDead = byName.get(job.handler)?.onDead;
    if (!onDead) return;
    try {
      await db.transaction((tx) => onDead(tx, job, error));
    } catch (failure) {
      logger.error({ job: job.id, handler: job.handler, err: failure }, 'the handler of a dead job could not record its death');
    }
  }

  /**
   * Jobs whose handlers share transactions, run in one: true when all committed. False when any failed or
   * lost its lease: nothing of theirs committed, and the caller runs each alone.
   */
  async function runTogether(jobs: readonly JobRow[]): Promise<boolean> {
    try {
      await db.transaction(async (tx) => {
        for (const job of jobs) await byName.get(job.handler)!.run(tx, job);
        if ((await markSucceeded(tx, jobs.map((job) => job.id), workerId)) !== jobs.length) throw new LeaseLost();
      });
      return true;
    } catch (error) {
      logger.debug({ jobs: jobs.length, worker: workerId, err: error }, 'jobs run together failed; running each alone');
      return false;
    }
  }

  /** Consecutive jobs whose handlers share transactions form one group; every other job is a group of its own. */
  function groupsOf(jobs: readonly JobRow[]): JobRow[][] {
    const groups: JobRow[][] = [];
    let shared: JobRow[] = [];
    for (const job of jobs) {
      if (byName.get(job.handler)?.sharesTransaction === true) {
        shared.push(job);
        continue;
      }
      if (shared.length > 0) groups.push(shared);
      shared = [];
      groups.push([job]);
    }
    if (shared.length > 0) groups.push(shared);
    return groups;
  }

  async function enqueueScheduled(): Promise<void> {
    const scheduler = settings.scheduler;
    if (!scheduler?.due()) return;
    try {
      await scheduler.enqueueDue();
    } catch (error) {
      logger.error({ err: error, worker: workerId }, 'queueing scheduled jobs failed; trying again next round');
    }
  }

  async function runOnce(): Promise<number> {
    await enqueueScheduled();
    await relayAll();
    const { buried, jobs } = await db.transaction(async (tx) => ({
      buried: await buryAbandonedJobs(tx),
      jobs: await claimJobs(tx, workerId, settings.batchSize, settings.leaseMs),
    }));
    for (const job of buried) await afterDeath(job, 'the lease of the last attempt ran out');
    let started = 0;
    for (const group of groupsOf(jobs)) {
      if (stopping) {
        await db.transaction((tx) => releaseJobs(tx, jobs.slice(started).map((unstarted) => unstarted.id), workerId));
        return started;
      }
      if (group.length === 1 || !(await runTogether(group))) {
        for (const job of group) await runJob(job);
      }
      started += group.length;
    }
    return jobs.length;
  }

  /** Started beside the rounds rather than awaited in them: a first prune of a long log must not hold up the jobs. */
  function pruneWhenDue(signal: AbortSignal): void {
    const prune = settings.prune;
    if (!prune || pruning || Date.now() < nextPruneAt) return;
    nextPruneAt = Date.now() + prune.intervalMs;
    pruning = prune.run(signal)
      .catch((error: unknown) => logger.error({ err: error, worker: workerId }, 'pruning failed; trying again after the interval'))
      .finally(() => (pruning = null));
  }

  async function run(signal: AbortSignal): Promise<void> {
    while (!stopping) {
      pruneWhenDue(signal);
      let ran = 0;
      try {
        ran = await runOnce();
      } catch (error) {
        logger.error({ err: error, worker: workerId }, 'dispatcher round failed; trying again');
      }
      if (ran === 0 && !stopping) await pause.sleep(settings.pollMs);
    }
  }

  return {
    workerId,
    runOnce,
    async drain() {
      let total = 0;
      for (let ran = await runOnce(); ran > 0; ran = await runOnce()) total += ran;
      return total;
    },
    start() {
      if (loop) return;
      stopping = false;
      logger.info({ worker: workerId, handlers: [...byName.keys()] }, 'job dispatcher started');
      const stopped = new AbortController();
      loop = run(stopped.signal).finally(() => stopped.abort());
    },
    wake() {
      pause.wake();
    },
    async stop() {
      stopping = true;
      pause.wake();
      await loop;
      await pruning;
      loop = null;
    },
  };
}
