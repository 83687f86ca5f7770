import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import type { Actor } from '../../platform/db/actor.js';
import type { Db } from '../../platform/db/database.js';
import type { AuditRow } from './audit.repository.js';

// Real database (a migrated PGlite copy, or a PostgreSQL database when DATABASE_URL is set); writes go
// through withActor exactly as requests do, and the audit rows are read back as the owner.
let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createMigratedDatabase();
  db = database.db;
});

afterAll(async () => {
  await database?.drop();
});

const administrator = (overrides: Partial<Actor> = {}): Actor => ({
  userId: randomUUID(), role: 'SA', providerId: null, requestId: `req-${randomUUID()}`, ip: '203.0.113.7', userAgent: 'vitest/4 audit', ...overrides,
});

type AuditRecord = AuditRow;

async function auditOf(rowId: string): Promise<AuditRecord[]> {
  const { rows } = await db.query<AuditRecord>(
    `select actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, host(ip) as ip, user_agent
       from audit_log where row_id = $1 order by id`,
    [rowId],
  );
  return rows;
}

async function insertLocation(actor: Actor, name: string): Promise<string> {
  return db.withActor(actor, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(`insert into locations (name, city) values ($1, 'Lyon') returning id`, [name]);
    return (rows[0] as { id: string }).id;
  });
}

describe('audit triggers', () => {
  it('record an insert, the changed columns of an update, and a delete, with the actor and request', async () => {
    const actor = administrator();
    const id = await insertLocation(actor, 'Audit Hall');
    await db.withActor(actor, (tx) => tx.query(`update locations set name = 'Audit Hall East', city = 'Lyon' where id = $1`, [id]));
    await db.withActor(actor, (tx) => tx.query('delete from locations where id = $1', [id]));

    const [inserted, updated, deleted, ...more] = await auditOf(id);
    expect(more).toEqual([]);
    const who = { actor_id: actor.userId, actor_role: 'SA', table_name: 'locations', row_id: id, request_id: actor.requestId, ip: '203.0.113.7', user_agent: 'vitest/4 audit' };
    expect(inserted).toMatchObject({ ...who, operation: 'INSERT', old_values: null });
    expect(inserted?.new_values).toMatchObject({ id, name: 'Audit Hall', city: 'Lyon', version: 1, status: 'ACTIVE' });

    // Only what changed: the name (city was set to the value it had), plus the version and time it moved.
    expect(updated).toMatchObject({ ...who, operation: 'UPDATE' });
    expect(Object.keys(updated?.old_values ?? {}).sort()).toEqual(['name', 'updated_at', 'version']);
    expect(updated?.old_values).toMatchObject({ name: 'Audit Hall', version: 1 });
    expect(updated?.new_values).toMatchObject({ name: 'Audit Hall East', version: 2 });
    expect(Object.keys(updated?.new_values ?? {}).sort()).toEqual(['name', 'updated_at', 'version']);

    expect(deleted).toMatchObject({ ...who, operation: 'DELETE', new_values: null });
    expect(deleted?.old_values).toMatchObject({ id, name: 'Audit Hall East', version: 2 });
  });

  it('skip an update that changed nothing but the version and time', async () => {
    const actor = administrator();
    const id = await insertLocation(actor, 'Unchanged Hall');
    await db.withActor(actor, (tx) => tx.query(`update locations set name = name where id = $1`, [id]));
    const { rows } = await db.query<{ version: number }>('select version from locations where id = $1', [id]);
    expect(rows[0]?.version).toBe(2);
    expect((await auditOf(id)).map((r) => r.operation)).toEqual(['INSERT']);
  });

  // Decision 0107: the old row read by key instead of expanded and joined on the key; the same pairs.
  it('compute an update\'s changed values as the former join of both rows on their keys did', async () => {
    const pairs: [unknown, unknown][] = [
      [{ a: 1, b: 'x', c: null, version: 1 }, { a: 2, b: 'x', c: null, version: 2 }],
      [{ a: null, b: { n: [1, 2] } }, { a: 0, b: { n: [1, 3] } }],
      [{ a: 1, only_old: true }, { a: 1, only_new: true }],
      [{ a: 1, updated_at: 't1', version: 1 }, { a: 1, updated_at: 't2', version: 2 }],
      [{ password_hash: 'h1', name: 'n' }, { password_hash: 'h2', name: 'n' }],
      [null, { a: 1, password_hash: 'h' }],
      [{ a: 1 }, null],
    ];
    for (const [before, after] of pairs) {
      const { rows: [answer] } = await db.query<{ now: unknown; former: unknown; former_whole: unknown }>(
        `select (select array_agg(array[v.old_values, v.new_values]) from audit_values($1::jsonb, $2::jsonb) v) as now,
                (select array_agg(array[old_row - array['password_hash', 'refresh_token_hash'], new_row - array['password_hash', 'refresh_token_hash']])
                   from (select $1::jsonb as old_row, $2::jsonb as new_row) r where old_row is null or new_row is null) as former_whole,
                (select array_agg(array[d.o - array['password_hash', 'refresh_token_hash'], d.n - array['password_hash', 'refresh_token_hash']])
                   from (select jsonb_object_agg(nv.key, ov.value) as o, jsonb_object_agg(nv.key, nv.value) as n
                           from jsonb_each($2::jsonb) nv join jsonb_each($1::jsonb) ov using (key) where nv.value is distinct from ov.value) d
                  where $1::jsonb is not null and $2::jsonb is not null and d.n - array['updated_at', 'version'] <> '{}'::jsonb) as former`,
        [before === null ? null : JSON.stringify(before), after === null ? null : JSON.stringify(after)],
      );
      expect(answer?.now, JSON.stringify([before, after])).toEqual(answer?.former ?? answer?.former_whole);
    }
  });

  // Decision 0060 pairs an update's old and new rows by their position in the transition tables.
  it('record each row of a many-row update with its own changes, paired with its own old values', async () => {
    const actor = administrator();
    const ids: string[] = [];
    for (let n = 0; n < 40; n++) ids.push(await insertLocation(actor, `Row Hall ${n}`));
    const updatedAt = async () =>
      new Map((await db.query<{ id: string; updated_at: Date }>('select id, updated_at from locations where id = any($1)', [ids])).rows.map((row) => [row.id, row.updated_at.getTime()]));
    const before = await updatedAt();
    // Per row by its number: the name changes (n % 4 = 0), the city (1), both (2), or nothing but the version and time (3).
    await db.withActor(actor, (tx) => tx.query(
      `update locations l set name = case when x.n % 4 in (0, 2) then l.name || ' renamed ' || x.n else l.name end,
                              city = case when x.n % 4 in (1, 2) then 'City ' || x.n else l.city end
         from unnest($1::uuid[]) with ordinality as x (id, n) where l.id = x.id`,
      [ids],
    ));

    const after = await updatedAt();
    const { rows } = await db.query<AuditRecord>(
      `select row_id, old_values, new_values from audit_log where operation = 'UPDATE' and request_id = $1`,
      [actor.requestId],
    );
    const byRow = new Map(rows.map((row) => [row.row_id, row]));
    expect(rows).toHaveLength(30);
    for (const [index, id] of ids.entries()) {
      const n = index + 1;
      const audited = byRow.get(id);
      if (n % 4 === 3) {
        expect(audited, `row ${n}`).toBeUndefined();
        continue;
      }
      // updated_at is now() of each transaction: the embedded engine's clock can give the insert's and
      // the update's the same value on a fast machine, and then it did not change and is not recorded.
      const timeMoved = before.get(id) !== after.get(id);
      const changed = [...(n % 4 !== 1 ? ['name'] : []), ...(n % 4 !== 0 ? ['city'] : []), ...(timeMoved ? ['updated_at'] : []), 'version'].sort();
      expect(Object.keys(audited?.new_values ?? {}).sort(), `row ${n}`).toEqual(changed);
      expect(Object.keys(audited?.old_values ?? {}).sort(), `row ${n}`).toEqual(changed);
      expect(audited?.old_values, `row ${n}`).toMatchObject({ version: 1, ...(n % 4 !== 1 ? { name: `Row Hall ${index}` } : { city: 'Lyon' }) });
      expect(audited?.new_values, `row ${n}`).toMatchObject({ version: 2, ...(n % 4 !== 1 ? { name: `Row Hall ${index} renamed ${n}` } : { city: `City ${n}` }) });
      if (n % 4 === 2) expect(audited?.new_values, `row ${n}`).toMatchObject({ city: `City ${n}` });
    }
  });

  it('record nothing for an update, insert or delete of no rows, and let it succeed', async () => {
    const actor = administrator();
    await db.withActor(actor, async (tx) => {
      expect((await tx.query(`update locations set name = 'Nowhere' where id = $1`, [randomUUID()])).rowCount).toBe(0);
      expect((await tx.query(`insert into locations (name) select 'Nowhere' where false`)).rowCount).toBe(0);
      expect((await tx.query('delete from locations where id = $1', [randomUUID()])).rowCount).toBe(0);
    });
    const { rows } = await db.query<{ n: number }>('select count(*)::int as n from audit_log where request_id = $1', [actor.requestId]);
    expect(rows[0]?.n).toBe(0);
  });

  it('never copy a password hash, yet record that it changed', async () => {
    const hash = `$argon2id$v=19$m=19456,t=2,p=1$${randomUUID()}`;
    const newHash = `$argon2id$v=19$m=19456,t=2,p=1$${randomUUID()}`;
    const actor = administrator();
    const id = await db.withActor(actor, async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `insert into users (email_ciphertext, email_hmac, password_hash, role) values ('v1.k.iv.body', $1, $2, 'IN') returning id`,
        [`hmac-${randomUUID()}`, hash],
      );
      return (rows[0] as { id: string }).id;
    });
    await db.withActor(actor, (tx) => tx.query('update users set password_hash = $2 where id = $1', [id, newHash]));

    const [inserted, updated] = await auditOf(id);
    expect(inserted?.new_values).toMatchObject({ id, email_ciphertext: 'v1.k.iv.body', role: 'IN' });
    expect(inserted?.new_values).not.toHaveProperty('password_hash');
    expect(updated?.operation).toBe('UPDATE');
    expect(Object.keys(updated?.new_values ?? {}).sort()).toEqual(['updated_at', 'version']);
    const { rows } = await db.query<{ n: number }>(
      `select count(*)::int as n from audit_log where old_values::text like '%' || $1 || '%' or new_values::text like '%' || $1 || '%'
          or old_values::text like '%' || $2 || '%' or new_values::text like '%' || $2 || '%'`,
      [hash.slice(-36), newHash.slice(-36)],
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('record system work and signed-out callers without an actor, and drop a malformed ip', async () => {
    const systemId = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(`insert into locations (name) values ('System Hall') returning id`);
      return (rows[0] as { id: string }).id;
    });
    expect(await auditOf(systemId)).toMatchObject([{ actor_id: null, actor_role: null, request_id: null, ip: null, user_agent: null }]);

    // The claims a signed-out request sets, written as the owner so that only the trigger is under test.
    const anonymousId = await db.transaction(async (tx) => {
      await tx.query(`select set_config('unitrain.role', 'ANON', true), set_config('unitrain.ip', 'not-an-address', true),
                             set_config('unitrain.request_id', 'req-anon', true)`);
      const { rows } = await tx.query<{ id: string }>(`insert into locations (name) values ('Public Hall') returning id`);
      return (rows[0] as { id: string }).id;
    });
    expect(await auditOf(anonymousId)).toMatchObject([{ actor_id: null, actor_role: null, request_id: 'req-anon', ip: null }]);
  });

  it('record an IPv4 address, one in IPv6 form and an IPv6 one as the request gave them', async () => {
    for (const ip of ['198.51.100.255', '::ffff:192.0.2.1', '2001:db8::1']) {
      const actor = administrator({ ip });
      const id = await insertLocation(actor, `Address Hall ${ip}`);
      expect(await auditOf(id)).toMatchObject([{ actor_id: actor.userId, ip }]);
    }
  });

  it('can be switched off for a bulk load by the owner, never by the application role', async () => {
    const ownerId = await db.transaction(async (tx) => {
      await tx.query(`select set_config('unitrain.audit', 'off', true)`);
      const { rows } = await tx.query<{ id: string }>(`insert into locations (name) values ('Bulk Hall') returning id`);
      return (rows[0] as { id: string }).id;
    });
    expect(await auditOf(ownerId)).toEqual([]);

    const actor = administrator();
    const appId = await db.withActor(actor, async (tx) => {
      await tx.query(`select set_config('unitrain.audit', 'off', true)`);
      const { rows } = await tx.query<{ id: string }>(`insert into locations (name) values ('Sneaky Hall') returning id`);
      return (rows[0] as { id: string }).id;
    });
    expect(await auditOf(appId)).toMatchObject([{ operation: 'INSERT', actor_id: actor.userId }]);
  });

  it('cover every domain table and none of the logs, token rows or queues', async () => {
    const { rows } = await db.query<{ table_name: string }>(
      `select c.relname as table_name from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_proc p on p.oid = t.tgfoid
        where p.proname = 'audit_changed_rows' and not t.tgisinternal
        group by c.relname having array_agg(t.tgname::text order by t.tgname) = array[c.relname || '_audit_delete', c.relname || '_audit_insert', c.relname || '_audit_update']
        order by 1`,
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      'authorized_providers', 'certificate_batches', 'certificate_template_versions', 'certificate_templates', 'certificates', 'compliance_records',
      'compliance_requirements', 'compliance_tier_changes', 'course_certificate_settings', 'course_instructor_requirements', 'course_schedules', 'course_versions', 'courses', 'instructor_profiles', 'invitations', 'locations',
      'notification_templates', 'notifications', 'profiles', 'provider_locations', 'provider_members', 'rooms', 'rosters', 'session_enrollments',
      'student_enrollment_profiles', 'student_roster_members', 'team_members', 'teams', 'training_sessions', 'users',
    ]);
  });

  it('are given to a new table by app_audit exactly as to every audited table, and record its changes', async () => {
    const table = `audit_probe_${randomUUID().slice(0, 8)}`;
    await db.exec(`create table ${table} (id uuid primary key default gen_random_uuid(), name text not null, updated_at timestamptz, version integer not null default 1);
                   call app_audit('${table}')`);
    try {
      const { rows: triggers } = await db.query<{ table_name: string; name: string; definition: string }>(
        `select c.relname as table_name, t.tgname as name, pg_get_triggerdef(t.oid) as definition
           from pg_trigger t join pg_class c on c.oid = t.tgrelid
          where c.relname in ($1, 'locations') and t.tgname like '%\\_audit\\_%' order by t.tgname`,
        [table],
      );
      const ofTable = (name: string) => triggers.filter((t) => t.table_name === name).map((t) => ({ ...t, table_name: null, definition: t.definition.replaceAll(name, '<table>') }));
      expect(ofTable(table).map((t) => t.name)).toEqual([`${table}_audit_delete`, `${table}_audit_insert`, `${table}_audit_update`]);
      expect(ofTable(table).map((t) => t.definition)).toEqual(ofTable('locations').map((t) => t.definition));

      const id = await db.transaction(async (tx) => {
        await tx.query(`select set_config('unitrain.request_id', 'req-probe', true)`);
        const { rows } = await tx.query<{ id: string }>(`insert into ${table} (name) values ('first') returning id`);
        await tx.query(`update ${table} set name = 'second', version = version + 1`);
        await tx.query(`delete from ${table}`);
        return rows[0]!.id;
      });
      expect(await auditOf(id)).toMatchObject([
        { table_name: table, operation: 'INSERT', new_values: { name: 'first' }, request_id: 'req-probe' },
        { operation: 'UPDATE', old_values: { name: 'first', version: 1 }, new_values: { name: 'second', version: 2 } },
        { operation: 'DELETE', old_values: { name: 'second' } },
      ]);
    } finally {
      await db.exec(`drop table ${table}`);
    }
  });

  // Decision 0079: a function that records its own writes (enroll_student) runs under the search path
  // `public, pg_temp, self_audited`, and the triggers leave the statements it runs to it.
  it('leave to a function marked as recording its own writes only those writes, never a request that sets the mark', async () => {
    const actor = administrator();
    const mark = 'public, pg_temp, self_audited';
    const direct = await db.withActor(actor, async (tx) => {
      await tx.query(`select set_config('search_path', $1, true)`, [mark]);
      const { rows } = await tx.query<{ id: string }>(`insert into locations (name) values ('Marked Hall') returning id`);
      return rows[0]!.id;
    });
    expect(await auditOf(direct)).toMatchObject([{ operation: 'INSERT', actor_id: actor.userId }]);

    const probe = `audit_probe_${randomUUID().slice(0, 8)}`;
    await db.exec(`create function ${probe}(name text) returns uuid language sql security definer set search_path = public, pg_temp
                     as $$ insert into locations (name) values (name) returning id $$;
                   create function ${probe}_marked(name text) returns uuid language sql security definer set search_path = ${mark}
                     as $$ insert into locations (name) values (name) returning id $$;
                   grant execute on function ${probe}(text), ${probe}_marked(text) to unitrain_app`);
    try {
      const called = (sql: string, name: string) => db.withActor(actor, async (tx) => {
        await tx.query(`select set_config('search_path', $1, true)`, [mark]);
        const { rows } = await tx.query<{ id: string }>(sql, [name]);
        return rows[0]!.id;
      });
      // A SECURITY DEFINER function sets its own search path, so the caller's mark does not reach its writes.
      expect(await auditOf(await called(`select ${probe}($1) as id`, 'Called Hall'))).toMatchObject([{ operation: 'INSERT', actor_id: actor.userId }]);
      // One that carries the mark itself is trusted to record them (this probe does not: hence the check below of who carries it).
      expect(await auditOf(await called(`select ${probe}_marked($1) as id`, 'Trusted Hall'))).toEqual([]);
    } finally {
      await db.exec(`drop function ${probe}(text); drop function ${probe}_marked(text)`);
    }
  });

  it('let only enroll_student carry the mark, and every other SECURITY DEFINER function set its own search path', async () => {
    const { rows } = await db.query<{ name: string; search_path: string | null }>(
      `select p.proname as name, (select substr(c, length('search_path=') + 1) from unnest(p.proconfig) c where c like 'search\\_path=%') as search_path
         from pg_proc p where p.pronamespace = 'public'::regnamespace and p.prosecdef order by 1`,
    );
    expect(rows.length).toBeGreaterThan(50);
    // Every one sets its own (a caller's path, mark included, never reaches it); only enroll_student's has the mark.
    expect(rows.filter((row) => row.search_path === null)).toEqual([]);
    expect(rows.filter((row) => row.search_path!.includes('self_audited'))).toEqual([{ name: 'enroll_student', search_path: 'public, pg_temp, self_audited' }]);
    // The others search only the schema and the temporary one, or the catalogue alone (change_log_frontier).
    expect(new Set(rows.filter((row) => row.name !== 'enroll_student').map((row) => row.search_path))).toEqual(new Set(['public, pg_temp', 'pg_catalog, pg_temp']));
  });

  it('leave the application role able to read the log but never to write, change or erase it', async () => {
    const { rows } = await db.query<Record<string, boolean>>(
      `select has_table_privilege('unitrain_app', 'audit_log', 'SELECT') as "select",
              has_table_privilege('unitrain_app', 'audit_log', 'INSERT') as "insert",
              has_table_privilege('unitrain_app', 'audit_log', 'UPDATE') as "update",
              has_table_privilege('unitrain_app', 'audit_log', 'DELETE') as "delete",
              has_table_privilege('unitrain_app', 'audit_log', 'TRUNCATE') as "truncate"`,
    );
    expect(rows[0]).toEqual({ select: true, insert: false, update: false, delete: false, truncate: false });

    const actor = administrator();
    const attempts = [
      `insert into audit_log (table_name, operation, row_id, new_values) values ('locations', 'INSERT', gen_random_uuid(), '{}')`,
      `update audit_log set actor_id = null`,
      `delete from audit_log`,
      `truncate audit_log`,
    ];
    for (const sql of attempts) {
      await expect(db.withActor(actor, (tx) => tx.query(sql)), sql).rejects.toMatchObject({ code: '42501' });
    }
  });
});
