import pg from 'pg';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestDatabase } from '../../../test/database.js';
import { testEngine } from '../../../test/engine.js';
import { translateDatabaseError } from './postgres-errors.js';
import { createReadPipeline } from './read-pipeline.js';

describe.runIf(testEngine === 'postgres')('the read pipeline once closed', () => {
  const context = useTestDatabase();

  it('fails a read after close with a clear error, rather than open a connection nothing would close', async () => {
    const pipeline = createReadPipeline({ connectionString: context.database.url! }, 2);
    const [answer] = await pipeline.lane().run([{ text: 'select 1 as one', values: [] }]);
    expect(answer!.rows).toEqual([{ one: 1 }]);
    await pipeline.close();

    await expect(pipeline.lane().run([{ text: 'select 1 as one', values: [] }])).rejects.toThrow('the read pipeline is closed');
  });
});

describe.runIf(testEngine === 'postgres')('the read pipeline when its connection is killed', () => {
  const context = useTestDatabase();

  it('fails or answers every read in flight, each failure the outage error, and reads on a new connection next', async () => {
    // One connection, so every read is in flight on the one killed; named so the test finds its backend.
    const applicationName = `read-pipeline-killed-${process.pid}`;
    const pipeline = createReadPipeline({ connectionString: context.database.url!, application_name: applicationName }, 1);
    try {
      const lane = pipeline.lane();
      await lane.run([{ text: 'select 1 as one', values: [] }]);
      // A read held on the server, and reads written behind it: unnamed ones, and named ones on their first use
      // (parsed by a Parse of their own) and after it.
      const held = lane.run([{ text: 'select pg_sleep(60)', values: [] }]);
      const behind = Array.from({ length: 30 }, (_, n) => pipeline.lane().run([
        n % 3 === 0 ? { text: 'select $1::int as n', values: [n] } : { text: `select $1::int as n, ${n % 3} as kind`, values: [n], name: `killed-${n % 3}` },
      ]));
      // Each read's outcome, taken as it comes: answered, or the API error its failure maps to.
      const settle = (read: Promise<unknown>) =>
        read.then(() => 'answered', (error: unknown) => translateDatabaseError(error)?.code ?? `not the outage error: ${String(error)}`);
      const outcomes = [held, ...behind].map(settle);
      const backend = await vi.waitFor(async () => {
        const { rows: [sleeping] } = await context.db.query<{ pid: number }>(
          `select pid from pg_stat_activity where application_name = $1 and query = 'select pg_sleep(60)' and state = 'active'`, [applicationName]);
        expect(sleeping).toBeDefined();
        return sleeping!.pid;
      }, { timeout: 30_000, interval: 20 });
      await context.db.query('select pg_terminate_backend($1)', [backend]);
      // Reads run once the server has ended the backend, before this process may have heard of it.
      outcomes.push(...[lane, pipeline.lane()].map((late) => settle(late.run([{ text: 'select 3 as three', values: [] }]))));

      // A deadline for an answer that must come, not a measure: a read left hanging fails the test by name.
      const settled = await Promise.all(outcomes.map((outcome, n) => Promise.race([
        outcome,
        new Promise<string>((resolve) => setTimeout(() => resolve(`read ${n} still waiting`), 30_000).unref()),
      ])));
      expect(settled[0]).toBe('SERVICE_UNAVAILABLE');
      expect(settled.filter((outcome) => outcome !== 'answered' && outcome !== 'SERVICE_UNAVAILABLE')).toEqual([]);

      // The next reads, on the lane that used the killed connection and on a new one, go to a new connection.
      const [again] = await lane.run([{ text: 'select 2 as two', values: [] }]);
      expect(again!.rows).toEqual([{ two: 2 }]);
      const [named] = await pipeline.lane().run([{ text: 'select $1::int as n, 1 as kind', values: [7], name: 'killed-1' }]);
      expect(named!.rows).toEqual([{ n: 7, kind: 1 }]);
      const { rows: [replaced] } = await context.db.query<{ n: number }>(
        'select count(*)::int as n from pg_stat_activity where application_name = $1 and pid <> $2', [applicationName, backend]);
      expect(replaced!.n).toBe(1);
    } finally {
      await pipeline.close();
    }
  });
});

describe.runIf(testEngine === 'postgres')('the read pipeline describing a statement once (decision 0078)', () => {
  const context = useTestDatabase();
  beforeAll(async () => {
    await context.db.query('create table described_probe (id integer primary key, label text, at timestamptz)');
    await context.db.query(`insert into described_probe values (1, 'one', '2026-12-06 21:09:13.123456+00'), (2, null, null)`);
  });

  it('describes a prepared statement on its first read only, and answers the same rows every time', async () => {
    const pipeline = createReadPipeline({ connectionString: context.database.url! }, 1);
    const describes = vi.spyOn(pg.Connection.prototype, 'describe');
    try {
      const read = { text: 'select id, label, at from described_probe where id <= $1 order by id', values: [2], name: 'described-once' };
      const answers = [];
      for (let use = 0; use < 3; use++) answers.push((await pipeline.lane().run([read]))[0]);
      expect(describes).toHaveBeenCalledTimes(1);
      for (const answer of answers) {
        expect(answer).toEqual({ rows: [{ id: 1, label: 'one', at: new Date('2026-12-06T21:09:13.123Z') }, { id: 2, label: null, at: null }], rowCount: 2 });
      }
      // An unnamed statement has no shape to keep: described every time.
      await pipeline.lane().run([{ text: 'select 1 as one', values: [] }]);
      await pipeline.lane().run([{ text: 'select 1 as one', values: [] }]);
      expect(describes).toHaveBeenCalledTimes(3);
    } finally {
      describes.mockRestore();
      await pipeline.close();
    }
  });

  it("fails a read whose statement's columns changed since it was described, rather than answer them under the old names", async () => {
    const pipeline = createReadPipeline({ connectionString: context.database.url! }, 1);
    try {
      const read = { text: 'select * from described_probe where id = $1', values: [1], name: 'described-then-altered' };
      expect((await pipeline.lane().run([read]))[0]!.rows).toEqual([{ id: 1, label: 'one', at: new Date('2026-12-06T21:09:13.123Z') }]);
      await context.db.query('alter table described_probe add column extra integer');
      await expect(pipeline.lane().run([read])).rejects.toMatchObject({ code: '0A000' });
    } finally {
      await pipeline.close();
    }
  });
});

describe.runIf(testEngine === 'postgres')('the read pipeline writing the reads of one turn behind one Sync (decision 0082)', () => {
  const context = useTestDatabase();

  it('answers each read with its own settings, and runs again the reads a failing one skipped, which fails alone', async () => {
    const pipeline = createReadPipeline({ connectionString: context.database.url! }, 1);
    const syncs = vi.spyOn(pg.Connection.prototype, 'sync');
    try {
      // Each read sets a setting of the transaction, as the claims do, and reads it back in its next statement.
      const read = (n: number) => pipeline.lane().run([
        { text: `select set_config('pipeline_probe.n', $1, true) as set`, values: [String(n)], name: 'turn-set' },
        n === 3 ? { text: 'select 1 / 0 as n', values: [] } : { text: `select current_setting('pipeline_probe.n') as n`, values: [], name: 'turn-get' },
      ]);
      await read(0);
      syncs.mockClear();
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, n) => read(n)));
      outcomes.forEach((outcome, n) => {
        if (n === 3) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: '22012' } });
        else expect(outcome).toMatchObject({ status: 'fulfilled', value: [{ rows: [{ set: String(n) }] }, { rows: [{ n: String(n) }] }] });
      });
      // One Sync for the turn's eight reads, one more for the four the failing read skipped.
      expect(syncs).toHaveBeenCalledTimes(2);
    } finally {
      syncs.mockRestore();
      await pipeline.close();
    }
  });
});
