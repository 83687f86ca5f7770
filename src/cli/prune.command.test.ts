import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, type CliTarget, createCliTarget, runCli } from '../../test/cli.js';
import { testEngine } from '../../test/engine.js';
import type { Queryable } from '../platform/db/database.js';

// `unitrain prune` and `unitrain worker` as real processes on a database of their own (a data directory
// on PGlite, opened by the test only between runs); rows are aged by backdating them as the owner.
let target: CliTarget;

beforeAll(async () => {
  target = await createCliTarget('prune');
});
afterAll(async () => {
  await target?.remove();
});

/**
 * Change rows `hoursAgo` old; their last seq. Old ones carry a small explicit txid (a transaction that
 * ended long ago, below xmin whatever else runs on the server), so they come before the recent ones.
 */
async function logChanges(db: Queryable, count: number, hoursAgo: number): Promise<string> {
  const { rows } = await db.query<{ seq: string }>(
    `insert into change_log (txid, table_name, operation, row_id, changed_at)
     select case when $2 > 24 then '5'::xid8 else pg_current_xact_id() end, 'courses', 'UPDATE', gen_random_uuid(), now() - make_interval(hours => $2)
       from generate_series(1, $1)
     returning seq::text as seq`,
    [count, hoursAgo],
  );
  return rows.at(-1)!.seq;
}

async function finishedJob(db: Queryable, status: 'SUCCEEDED' | 'DEAD', daysAgo: number): Promise<string> {
  const { rows: [job] } = await db.query<{ id: string }>(
    `insert into jobs (handler, status, attempts, finished_at) values ('test.cli', $1, 1, now() - make_interval(days => $2)) returning id`,
    [status, daysAgo],
  );
  return job!.id;
}

describe('unitrain prune', () => {
  it.runIf(testEngine === 'pglite')('refuses a data directory that holds no database', async () => {
    // The target's directory holds a migrated database; a sibling directory holds none.
    const result = await runCli(['prune'], { ...target.env, DATA_DIR: join(target.workDir, 'empty') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('there is no embedded database in');
  });

  it('prunes once, now, and says what it removed, as JSON and as text', async () => {
    if (testEngine === 'pglite') expect((await runCli(['migrate', 'up'], target.env)).code).toBe(0);
    const { lastOld, recent, dead } = await target.withDatabase(async (db) => {
      const lastOld = await logChanges(db, 3, 200);
      const recent = await logChanges(db, 1, 1);
      await finishedJob(db, 'SUCCEEDED', 20);
      const dead = await finishedJob(db, 'DEAD', 20);
      return { lastOld, recent, dead };
    });

    const json = await runCli(['prune', '--json'], target.env);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      change_log: { deleted: 3, pruned_through: `5.${lastOld}`, retention_hours: 168 },
      jobs: { deleted: 1, retention_days: 14 },
    });

    const text = await runCli(['prune'], { ...target.env, JOB_RETENTION_DAYS: '30' });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.trim().split('\n')).toEqual([
      `change_log: 0 row(s) deleted (retention 168 h); pruned through 5.${lastOld}`,
      'jobs: 0 succeeded job(s) deleted (retention 30 days)',
    ]);

    await target.withDatabase(async (db) => {
      const { rows: changes } = await db.query<{ seq: string }>('select seq::text as seq from change_log');
      expect(changes).toEqual([{ seq: recent }]);
      const { rows: jobs } = await db.query<{ id: string }>(`select id from jobs where handler = 'test.cli'`);
      expect(jobs).toEqual([{ id: dead }]);
    });
  });

  it('is what a worker does on its schedule', async () => {
    const recent = await target.withDatabase(async (db) => {
      await logChanges(db, 2, 200);
      const { rows: [row] } = await db.query<{ seq: string }>('select seq::text as seq from change_log where changed_at > now() - interval \'1 day\'');
      return row!.seq;
    });
    const child = spawn(process.execPath, [cliPath, 'worker'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_FORMAT: 'json', LOG_LEVEL: 'info', PRUNE_INTERVAL_MS: '1000', ...target.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    let pruned: Record<string, unknown> | undefined;
    try {
      for await (const line of createInterface({ input: child.stdout })) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry['msg'] === 'pruned change_log and succeeded jobs') {
          pruned = entry;
          break;
        }
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    expect(pruned).toMatchObject({ changeLogDeleted: 2, jobsDeleted: 0 });
    await target.withDatabase(async (db) => {
      const { rows } = await db.query<{ seq: string }>('select seq::text as seq from change_log');
      expect(rows).toEqual([{ seq: recent }]);
    });
  });
});
