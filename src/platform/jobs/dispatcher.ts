import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Db, Tx } from '../db/database.js';
import { lazyTransaction } from '../db/lazy-transaction.js';
import type { Logger } from '../shared/logger.js';
import { createWakeableSleep } from '../shared/wakeable-sleep.js';
import { type JobHandler, subscriptionsOf } from './job-handler.js';
import type { Scheduler } from './schedules.js';
import { type Claim, type ClaimedJob, completeAndClaim, markFailed, markSucceeded, relayEvents, releaseJobs, subscriptionColumnsOf } from './jobs.repository.js';

export interface DispatcherSettings {
  /** How long an idle dispatcher waits before looking for work again. */
  pollMs: number;
  /**
   * The most jobs claimed at once (and events relayed per transaction). A dispatcher claims as many as
   * its handlers have lately run in about `batchTimeMs`: all of them for quick handlers, fewer for slow.
   */
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
  /** Milliseconds, for how long a batch ran and how old a claim is (default performance.now); tests move it. */
  clock?: () => number;
}

export interface PruneHook {
  intervalMs: number;
  /** `signal` is aborted when the dispatcher stops; the hook should end soon after. */
  run(signal: AbortSignal): Promise<void>;
}

export const defaultDispatcherSettings: DispatcherSettings = { pollMs: 250, batchSize: 200, leaseMs: 60_000, backoffBaseMs: 1_000, backoffMaxMs: 3_600_000 };

/**
 * How long a batch should take to run, by the handlers' recent pace: long enough that its one
 * statement is a small part of it, short enough that other workers get a share of a queue of slow jobs
 * and that its last job starts well inside the lease (at most a quarter of it).
 */
const batchTimeMs = 500;
/** A dispatcher's first claim, before it knows how long its handlers take. */
const firstBatch = 20;

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
  /** Relays events, then runs what is due once (claiming nothing ahead); resolves to the number of jobs run. */
  runOnce(): Promise<number>;
  /** Runs until nothing is due now (jobs waiting for a later retry stay waiting). */
  drain(): Promise<number>;
  /**
   * Keeps running in the background until `stop`. The first round (and the prune at start) comes after
   * `firstRoundAfterMs` (default 0) or at the first `wake`, whichever is sooner.
   */
  start(options?: { firstRoundAfterMs?: number }): void;
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

/**
 * How running a job (or a group sharing a transaction) ended: committed with its completion (and the
 * next batch when it claimed it), quiet (its handlers sent no statement, so no transaction was opened
 * and the completion is left to the caller), or failed (recorded, or to be run alone).
 */
type Outcome = { kind: 'committed'; next: Claim | null } | { kind: 'quiet' } | { kind: 'failed' };
const quiet: Outcome = { kind: 'quiet' };
const failed: Outcome = { kind: 'failed' };

/** Jobs leased together, and when the claim was sent (by the dispatcher's clock): their leases began after it. */
interface Batch {
  jobs: ClaimedJob[];
  claimedAt: number;
}

/**
 * After a round that found nothing to do and was woken while it ran, the time before a wake starts the
 * next. Every commit signal of the process wakes the dispatcher (server.ts), and a wake that comes during a
 * round makes the next pause return at once. Under a stream of commits that queue nothing (the stream
 * benchmark's 500 a second) an idle dispatcher therefore ran round after round, each a relay transaction
 * and a claim: five to eight times as many rounds as the change feed, on the same cores (decision 0109).
 * A wake that finds the dispatcher pausing still starts a round at once, and one that came during the
 * round ends the pause after this gap; a round that ran jobs is followed by the next at once, as before.
 */
const idleRoundGapMs = 20;

export function createDispatcher(db: Db, handlers: readonly JobHandler[], logger: Logger, settings: DispatcherSettings = defaultDispatcherSettings): Dispatcher {
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const byName = new Map(handlers.map((handler) => [handler.name, handler]));
  // The relay's array parameters, built once: the same on every round.
  const subscriptions = subscriptionColumnsOf(subscriptionsOf(handlers));
  const clock = settings.clock ?? (() => performance.now());
  let stopping = false;
  let loop: Promise<void> | null = null;
  const pause = createWakeableSleep();
  /** Whether the run loop's round is in progress, and whether a wake came during it (`idleRoundGapMs`). */
  let roundRunning = false;
  let wokenDuringRound = false;
  let pruning: Promise<void> | null = null;
  let nextPruneAt = 0;
  /** Leased by the last round's completion, to run next. */
  let claimedAhead: Batch | null = null;
  /** Milliseconds a job has lately taken to run here (null before the first); sizes the claims. */
  let msPerJob: number | null = null;
  /** The batch running now: since when, and how many of its jobs have run (a claim ahead comes with the last group's completion, after its handlers ran). */
  let running: { from: number; ran: number } | null = null;

  /** The recent pace, with the batch running now when some of it ran. */
  function pace(): number | null {
    const current = running && running.ran > 0 ? (clock() - running.from) / running.ran : null;
    if (current === null || msPerJob === null) return current ?? msPerJob;
    return (msPerJob + current) / 2;
  }

  /** As many jobs as the handlers' recent pace runs in `batchTimeMs` (or a quarter of the lease), between 1 and `batchSize`. */
  function claimLimit(): number {
    const ms = pace();
    if (ms === null) return Math.min(firstBatch, settings.batchSize);
    const budget = Math.min(batchTimeMs, settings.leaseMs / 4);
    return Math.max(1, Math.min(settings.batchSize, Math.floor(budget / Math.max(ms, 1e-3))));
  }

  async function relayAll(): Promise<void> {
    if (subscriptions.eventTypes.length === 0) return;
    while ((await db.transaction((tx) => relayEvents(tx, subscriptions, settings.batchSize))) === settings.batchSize) {
      if (stopping) return;
    }
  }

  /**
   * Runs one job in a transaction opened by its handler's first statement. When the handler wrote, its
   * completion commits with its effect (and, when `claimsNext`, the next batch is claimed in the same
   * statement); when it sent no statement no transaction was opened, and it is 'quiet': the caller
   * completes it with others. A failure is recorded alone.
   */
  async function runJob(job: ClaimedJob, claimsNext: boolean): Promise<Outcome> {
    const handler = byName.get(job.handler);
    try {
      if (!handler) throw new Error(`no handler named "${job.handler}" in this worker`);
      const ran = await lazyTransaction(db, (tx) => handler.run(tx, job), (tx) => completeInside(tx, [job], claimsNext));
      return ran ? ran.value : quiet;
    } catch (error) {
      if (error instanceof LeaseLost) {
        logger.warn({ job: job.id, handler: job.handler, worker: workerId }, 'job lease ran out before the handler finished; its effect was rolled back');
        return failed;
      }
      const delay = retryDelayMs(job.attempts, settings);
      logger.warn({ job: job.id, handler: job.handler, attempt: job.attempts, err: error }, 'job failed');
      const message = describeError(error);
      if (await db.transaction((tx) => markFailed(tx, job.id, workerId, message, delay))) await afterDeath(job, message);
      return failed;
    }
  }

  /**
   * The completion of jobs whose handlers wrote, in their transaction: throws LeaseLost (rolling their
   * effects back) when this worker no longer holds one of them.
   */
  async function completeInside(tx: Tx, jobs: readonly ClaimedJob[], claimsNext: boolean): Promise<Outcome> {
    const ids = jobs.map((job) => job.id);
    if (!claimsNext) {
      if ((await markSucceeded(tx, ids, workerId)) !== ids.length) throw new LeaseLost();
      return { kind: 'committed', next: null };
    }
    const next = await completeAndClaim(tx, workerId, ids, claimLimit(), settings.leaseMs);
    if (next.completed !== ids.length) throw new LeaseLost();
    return { kind: 'committed', next };
  }

  async function afterDeath(job: ClaimedJob, error: string): Promise<void> {
    const onDead = byName.get(job.handler)?.onDead;
    if (!onDead) return;
    try {
      await db.transaction((tx) => onDead(tx, job, error));
    } catch (failure) {
      logger.error({ job: job.id, handler: job.handler, err: failure }, 'the handler of a dead job could not record its death');
    }
  }

  /**
   * Jobs whose handlers share transactions, run in one: committed with their completion, or 'quiet' when
   * none of them sent a statement. 'failed' when any failed or lost its lease: nothing of theirs
   * committed, and the caller runs each alone.
   */
  async function runTogether(jobs: readonly ClaimedJob[], claimsNext: boolean): Promise<Outcome> {
    try {
      const ran = await lazyTransaction(
        db,
        async (tx) => {
          for (const job of jobs) await byName.get(job.handler)!.run(tx, job);
        },
        (tx) => completeInside(tx, jobs, claimsNext),
      );
      return ran ? ran.value : quiet;
    } catch (error) {
      logger.debug({ jobs: jobs.length, worker: workerId, err: error }, 'jobs run together failed; running each alone');
      return failed;
    }
  }

  /** Consecutive jobs whose handlers share transactions form one group; every other job is a group of its own. */
  function groupsOf(jobs: readonly ClaimedJob[]): ClaimedJob[][] {
    const groups: ClaimedJob[][] = [];
    let shared: ClaimedJob[] = [];
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

  /** Claims (and buries) in one statement, completing `completing`; the dead are told after it committed. */
  async function claim(completing: readonly ClaimedJob[], limit: number): Promise<Batch> {
    const claimedAt = clock();
    const result = await completeAndClaim(db, workerId, completing.map((job) => job.id), limit, settings.leaseMs);
    if (result.completed !== completing.length) {
      logger.warn({ jobs: completing.length - result.completed, worker: workerId }, 'job leases ran out before their handlers finished; they run again');
    }
    await buriedBy(result);
    return { jobs: result.claimed, claimedAt };
  }

  async function buriedBy(result: Claim | null): Promise<void> {
    for (const job of result?.buried ?? []) await afterDeath(job, 'the lease of the last attempt ran out');
  }

  /**
   * Jobs of a batch not started: back to the queue. When the dispatcher stops, or when half their lease
   * has gone by before their turn came (the handlers were slower than the claim expected): a job started
   * then might outlive its lease and run twice, and another worker may take it now.
   */
  async function putBack(jobs: readonly ClaimedJob[], why: 'stopping' | 'late'): Promise<void> {
    if (why === 'late') logger.warn({ jobs: jobs.length, worker: workerId }, 'half the lease of claimed jobs went by before their turn; they go back to the queue');
    await releaseJobs(db, jobs.map((job) => job.id), workerId);
  }

  /**
   * One round: scheduled jobs and events queued, then a batch run — the one claimed ahead by the last
   * round's completion, or one claimed now. Each success completes in the transaction that ran it when its
   * handler wrote; those that wrote nothing complete together in one statement at the end. With
   * `claimAhead` the batch's last completion also claims the next batch, so that a batch costs one commit
   * when its handlers write nothing, or share a transaction. Resolves to the jobs run, and whether any
   * were put back for being late (there is more to do then, though none ran).
   */
  async function round(claimAhead: boolean): Promise<{ ran: number; putBack: boolean }> {
    await enqueueScheduled();
    await relayAll();
    const batch = claimedAhead ?? (await claim([], claimLimit()));
    claimedAhead = null;
    const groups = groupsOf(batch.jobs);
    const quietJobs: ClaimedJob[] = [];
    const batchRunning = { from: clock(), ran: 0 };
    running = batchRunning;
    let started = 0;
    let late = false;
    // A round that throws (a failed put-back or failure record) must not leave its batch counted as running.
    try {
      for (const [index, group] of groups.entries()) {
        late = clock() - batch.claimedAt >= settings.leaseMs / 2;
        if (stopping || late) {
          await putBack(batch.jobs.slice(started), late ? 'late' : 'stopping');
          break;
        }
        const claimsNext = claimAhead && index === groups.length - 1 && quietJobs.length === 0;
        const claimedAt = clock();
        batchRunning.ran = started + group.length;
        const outcome = group.length === 1 ? await runJob(group[0]!, claimsNext) : await runTogether(group, claimsNext);
        if (outcome.kind === 'failed' && group.length > 1) {
          for (const job of group) if ((await runJob(job, false)).kind === 'quiet') quietJobs.push(job);
        } else if (outcome.kind === 'quiet') {
          quietJobs.push(...group);
        } else if (outcome.kind === 'committed' && outcome.next) {
          await buriedBy(outcome.next);
          claimedAhead = { jobs: outcome.next.claimed, claimedAt };
        }
        started += group.length;
      }
      batchRunning.ran = started;
      msPerJob = pace();
    } finally {
      running = null;
    }
    if (quietJobs.length > 0) claimedAhead = await claim(quietJobs, claimAhead && !stopping ? claimLimit() : 0);
    if (claimedAhead?.jobs.length === 0) claimedAhead = null;
    return { ran: started, putBack: late };
  }

  /** Jobs claimed ahead and not run: back to the queue. */
  async function releaseClaimedAhead(): Promise<void> {
    const ahead = claimedAhead;
    claimedAhead = null;
    if (ahead) await putBack(ahead.jobs, 'stopping');
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

  async function run(signal: AbortSignal, firstRoundAfterMs: number): Promise<void> {
    if (firstRoundAfterMs > 0) await pause.sleep(firstRoundAfterMs);
    while (!stopping) {
      pruneWhenDue(signal);
      let busy = false;
      try {
        roundRunning = true;
        wokenDuringRound = false;
        const done = await round(true);
        busy = done.ran > 0 || done.putBack;
      } catch (error) {
        logger.error({ err: error, worker: workerId }, 'dispatcher round failed; trying again');
      } finally {
        roundRunning = false;
      }
      if (!busy && !stopping) {
        if (wokenDuringRound) await delay(Math.min(idleRoundGapMs, settings.pollMs));
        if (!stopping) await pause.sleep(settings.pollMs);
      }
    }
  }

  return {
    workerId,
    runOnce: async () => (await round(false)).ran,
    async drain() {
      let total = 0;
      try {
        for (;;) {
          const done = await round(true);
          total += done.ran;
          if (done.ran === 0 && !done.putBack) break;
        }
      } finally {
        await releaseClaimedAhead();
      }
      return total;
    },
    start({ firstRoundAfterMs = 0 } = {}) {
      if (loop) return;
      stopping = false;
      logger.info({ worker: workerId, handlers: [...byName.keys()] }, 'job dispatcher started');
      const stopped = new AbortController();
      loop = run(stopped.signal, firstRoundAfterMs).finally(() => stopped.abort());
    },
    wake() {
      if (roundRunning) wokenDuringRound = true;
      pause.wake();
    },
    async stop() {
      stopping = true;
      pause.wake();
      await loop;
      await pruning;
      loop = null;
      try {
        await releaseClaimedAhead();
      } catch (error) {
        // Stopping goes on (a process shutting down closes its database next): the jobs come back to the queue when their lease runs out.
        logger.error({ err: error, worker: workerId }, 'could not put back the jobs claimed ahead; they run again when their lease runs out');
      }
    },
  };
}
