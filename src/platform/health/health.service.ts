import type { Redis } from 'ioredis';
import type { Queryable } from '../db/database.js';
import type { MigrationFile } from '../db/migrations/migration-files.js';
import { migrationStatus } from '../db/migrations/migrator.js';

export interface CheckResult {
  ok: boolean;
  round_trip_ms?: number;
  message?: string;
}

export interface Readiness {
  ready: boolean;
  checks: { database: CheckResult; migrations: CheckResult; redis?: CheckResult };
}

const checkTimeoutMs = 2_000;

async function timed(check: () => Promise<string | undefined>): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${checkTimeoutMs} ms`)), checkTimeoutMs);
    });
    const problem = await Promise.race([check(), timeout]);
    const roundTripMs = Math.round((performance.now() - started) * 100) / 100;
    return problem ? { ok: false, round_trip_ms: roundTripMs, message: problem } : { ok: true, round_trip_ms: roundTripMs };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export interface ReadinessDeps {
  db: Queryable;
  redis: Redis | null;
  /** The migrations this build expects, read once at start. */
  migrations: MigrationFile[];
}

/** Ready means: the database answers, its schema is the one this build expects, and Redis answers when configured. */
export async function checkReadiness({ db, redis, migrations: expected }: ReadinessDeps): Promise<Readiness> {
  const [database, migrations, redisCheck] = await Promise.all([
    timed(async () => {
      await db.query('select 1');
      return undefined;
    }),
    timed(async () => {
      const notCurrent = (await migrationStatus(db, expected)).filter((m) => m.state !== 'applied');
      return notCurrent.length > 0 ? `not current: ${notCurrent.map((m) => `${m.id} ${m.state}`).join(', ')}` : undefined;
    }),
    redis
      ? timed(async () => {
          if (redis.status === 'wait') await redis.connect();
          await redis.ping();
          return undefined;
        })
      : null,
  ]);
  const checks = { database, migrations, ...(redisCheck ? { redis: redisCheck } : {}) };
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}
