import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import type { Actor } from '../../platform/db/actor.js';
import type { Db } from '../../platform/db/database.js';
import { listAuditEntries, summariseUserActivity } from './audit.service.js';

// Real database; every change is made through withActor so the triggers record real rows, and the
// service reads them back in an administrator's actor transaction, as the routes do.
let database: TestDatabase;
let db: Db;
const administrator: Actor = { userId: randomUUID(), role: 'SA', providerId: null };
const worker: Actor = { userId: randomUUID(), role: 'AD', providerId: null };
const reader: Actor = { userId: randomUUID(), role: 'SA', providerId: null };

beforeAll(async () => {
  database = await createMigratedDatabase();
  db = database.db;
});

afterAll(async () => {
  await database?.drop();
});

async function insertLocations(actor: Actor, names: string[]): Promise<string[]> {
  return db.withActor(actor, async (tx) => {
    const { rows } = await tx.query<{ id: string }>('insert into locations (name) select unnest($1::text[]) returning id', [names]);
    return rows.map((r) => r.id);
  });
}

describe('summariseUserActivity (user_activity_summary)', () => {
  it('counts inserts, updates and deletes per day and table for one actor, with totals', async () => {
    const [first, second, third] = await insertLocations(worker, ['Act One', 'Act Two', 'Act Three']);
    await db.withActor(worker, (tx) => tx.query(`update locations set city = 'Nantes' where id = any($1)`, [[first, second]]));
    await db.withActor(worker, (tx) => tx.query('delete from locations where id = $1', [third]));
    await db.withActor(worker, (tx) => tx.query(`insert into teams (name) values ('Activity Team')`));
    await insertLocations(administrator, ['Someone Else']);
    // Older than the window: a month and a half ago.
    await db.query(
      `insert into audit_log (occurred_at, actor_id, actor_role, table_name, operation, row_id, new_values)
       values (now() - interval '45 days', $1, 'AD', 'locations', 'INSERT', gen_random_uuid(), '{}')`,
      [worker.userId],
    );

    const today = new Date().toISOString().slice(0, 10);
    const summary = await db.withActor(reader, (tx) => summariseUserActivity(tx, worker.userId as string, 30));
    expect(summary).toEqual({
      user_id: worker.userId,
      days: 30,
      by_day: [
        { day: today, table_name: 'locations', inserts: 3, updates: 2, deletes: 1, total: 6 },
        { day: today, table_name: 'teams', inserts: 1, updates: 0, deletes: 0, total: 1 },
      ],
      totals: { inserts: 4, updates: 2, deletes: 1, total: 7 },
    });
    const wider = await db.withActor(reader, (tx) => summariseUserActivity(tx, worker.userId as string, 60));
    expect(wider.totals).toEqual({ inserts: 5, updates: 2, deletes: 1, total: 8 });
    expect(wider.by_day).toHaveLength(3);
  });

  it('answers zeros for someone who changed nothing', async () => {
    const summary = await db.withActor(reader, (tx) => summariseUserActivity(tx, randomUUID(), 7));
    expect(summary.by_day).toEqual([]);
    expect(summary.totals).toEqual({ inserts: 0, updates: 0, deletes: 0, total: 0 });
  });
});

describe('listAuditEntries', () => {
  it('pages newest first by cursor, with the same total on every page', async () => {
    const actor: Actor = { userId: randomUUID(), role: 'SA', providerId: null };
    await insertLocations(actor, ['Page A', 'Page B', 'Page C', 'Page D', 'Page E']);
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await db.withActor(reader, (tx) => listAuditEntries(tx, { actor_id: actor.userId as string, limit: 2, ...(cursor ? { cursor } : {}) }));
      expect(page.total).toBe(5);
      seen.push(...page.items.map((item) => item.id));
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    expect(seen).toHaveLength(5);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
  });

  it('refuses a cursor it did not make', async () => {
    for (const cursor of ['nonsense', Buffer.from('audit:-1').toString('base64url'), Buffer.from('other:5').toString('base64url')]) {
      await expect(db.withActor(reader, (tx) => listAuditEntries(tx, { cursor }))).rejects.toMatchObject({
        code: 'VALIDATION_FAILED', details: { field: 'querystring.cursor' },
      });
    }
  });
});
