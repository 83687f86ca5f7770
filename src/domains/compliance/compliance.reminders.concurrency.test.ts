import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, testKeyring } from '../../../test/auth.js';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { testEngine } from '../../../test/engine.js';
import type { Db } from '../../platform/db/database.js';
import { createDispatcher, defaultDispatcherSettings, insertJob } from '../../platform/jobs/index.js';
import { sendComplianceReminders, sendRemindersName } from './compliance-schedule.handlers.js';
import { sendDueReminders } from './compliance-schedule.repository.js';
import { testLogger } from '../../../test/logger.js';

// Two workers running the reminder job at the same moment need two connections: PostgreSQL only.
// Real database and handler; the clock is fixed, and the interleaving is forced (the first worker
// holds its transaction open until the second waits on the unique key), not left to timing.
const now = new Date('2031-03-01T08:00:00Z');
let database: TestDatabase;
const people: string[] = [];

beforeAll(async () => {
  database = await createMigratedDatabase();
  const { rows: [requirement] } = await database.db.query<{ id: string }>(
    `insert into compliance_requirements (code, name, applies_to_roles, validity_months, reminder_offsets_days)
     values ('CERT', 'Instructor certificate', '{IC}', 12, '{30,7}') returning id`,
  );
  for (let i = 0; i < 20; i++) {
    const { id } = await createUser(database.db, testKeyring, { role: 'IC' });
    people.push(id);
    // Expiries 5 to 24 days away: each record is due its 30-day reminder, and those 7 days away or less their 7-day one.
    await database.db.query(
      `insert into compliance_records (user_id, requirement_id, status, completed_at, expires_at)
       values ($1, $2, 'MET', $3::timestamptz - interval '1 year', $3::timestamptz)`,
      [id, requirement!.id, new Date(now.getTime() + (5 + i) * 86_400_000)],
    );
  }
});
afterAll(async () => {
  await database?.drop();
});

async function lockWaiters(db: Db): Promise<number> {
  const { rows: [waiting] } = await db.query<{ n: number }>(
    "select count(*)::integer as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
  );
  return waiting!.n;
}

describe.runIf(testEngine === 'postgres')('the reminder job on two workers at once', () => {
  it('sends each reminder once: the second worker waits on the first one’s keys, then finds them taken', async () => {
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstSent!: () => void;
    const firstHoldsKeys = new Promise<void>((resolve) => (firstSent = resolve));

    const first = database.db.transaction(async (tx) => {
      expect(await sendDueReminders(tx, now)).toBe(20);
      firstSent();
      await firstMayCommit;
    });
    await firstHoldsKeys;
    const second = database.db.transaction((tx) => sendDueReminders(tx, now));
    while ((await lockWaiters(database.db)) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    releaseFirst();
    const [, sentBySecond] = await Promise.all([first, second]);
    expect(sentBySecond).toBe(0);

    const { rows } = await database.db.query<{ user_id: string; offset_days: number; sent: number }>(
      `select n.user_id, (n.data ->> 'offset_days')::int as offset_days, count(*)::int as sent
         from notifications n where n.kind = 'compliance.reminder' group by 1, 2 order by 1`,
    );
    expect(rows).toHaveLength(20);
    expect(rows.every((row) => row.sent === 1)).toBe(true);
    // 5, 6 and 7 days away: the 7-day reminder; the rest the 30-day one.
    expect(rows.filter((row) => row.offset_days === 7)).toHaveLength(3);
    const { rows: [kept] } = await database.db.query<{ n: number }>('select count(*)::int as n from compliance_reminders');
    expect(kept!.n).toBe(20);
  });

  it('sends nothing more when two dispatchers then drain a job each at the same time', async () => {
    const dispatchers = [1, 2].map(() => createDispatcher(database.db, [sendComplianceReminders({ now: () => now })], testLogger, { ...defaultDispatcherSettings, pollMs: 10 }));
    await database.db.transaction(async (tx) => {
      await insertJob(tx, { handler: sendRemindersName });
      await insertJob(tx, { handler: sendRemindersName });
    });
    const ran = await Promise.all(dispatchers.map((dispatcher) => dispatcher.drain()));
    expect(ran.reduce((sum, count) => sum + count, 0)).toBe(2);
    const { rows: [sent] } = await database.db.query<{ n: number }>("select count(*)::int as n from notifications where kind = 'compliance.reminder'");
    expect(sent!.n).toBe(20);
  });
});
