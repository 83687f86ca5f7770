import { randomUUID } from 'node:crypto';
import { eq, is } from 'drizzle-orm';
import { getTableConfig, integer, PgTable, pgTable, text, time } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import type { Db } from '../database.js';
import { ormFor } from '../orm.js';
import { id, timestamptz } from './columns.js';
import * as schema from './index.js';

// Real database: a migrated copy (PGlite, or PostgreSQL when DATABASE_URL is set). The migrations are
// the source of truth; these tests keep the Drizzle definitions from drifting away from them.

interface DatabaseColumn {
  table_name: string;
  column_name: string;
  sql_type: string;
  not_null: boolean;
  has_default: boolean;
}

type ColumnsByTable = Map<string, Map<string, DatabaseColumn>>;

const drizzleTables: PgTable[] = Object.values(schema as Record<string, unknown>).filter((value): value is PgTable => is(value, PgTable));

/** Column names from information_schema, their type, nullability and default from pg_attribute. */
async function readDatabaseColumns(db: Db): Promise<ColumnsByTable> {
  const { rows } = await db.query<DatabaseColumn>(`
    select c.table_name, c.column_name,
           format_type(a.atttypid, a.atttypmod) as sql_type, a.attnotnull as not_null, a.atthasdef as has_default
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      join pg_attribute a on a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass
                         and a.attname = c.column_name
     where c.table_schema = 'public' and t.table_type = 'BASE TABLE' and c.table_name <> 'schema_migrations'
     order by c.table_name, c.ordinal_position`);
  const byTable: ColumnsByTable = new Map();
  for (const row of rows) {
    const columns = byTable.get(row.table_name) ?? new Map<string, DatabaseColumn>();
    columns.set(row.column_name, row);
    byTable.set(row.table_name, columns);
  }
  return byTable;
}

/**
 * Drizzle's spelling of a type → format_type's. Only the spellings that differ: serials are their
 * integer type plus a sequence default, a bare time or timestamp is "without time zone", and
 * format_type writes no blank inside a precision nor before it.
 */
function canonicalType(drizzleType: string): string {
  const array = /(\[\d*\])+$/.exec(drizzleType)?.[0] ?? '';
  const base = drizzleType.slice(0, drizzleType.length - array.length).replace(/, /g, ',').replace(/ \(/g, '(');
  const aliases: Record<string, string> = { serial: 'integer', bigserial: 'bigint', smallserial: 'smallint', varchar: 'character varying', char: 'character' };
  const withoutZone = /^(time|timestamp)(\(\d+\))?$/.test(base) ? `${base} without time zone` : base;
  const named = withoutZone.replace(/^(\w+)(?=\(|$)/, (name) => aliases[name] ?? name);
  return named + array.replace(/\d+/g, '');
}

/** Every disagreement between one Drizzle table and the database, as "table.column: what differs". */
function disagreements(table: PgTable, database: ColumnsByTable): string[] {
  const { name, columns } = getTableConfig(table);
  const actual = database.get(name);
  if (!actual) return [`${name}: declared in Drizzle, but the database has no such table`];
  const problems: string[] = [];
  for (const column of columns) {
    const where = `${name}.${column.name}`;
    const found = actual.get(column.name);
    if (!found) {
      problems.push(`${where}: declared in Drizzle, missing in the database`);
      continue;
    }
    const declared = canonicalType(column.getSQLType());
    if (declared !== found.sql_type) problems.push(`${where}: type ${declared} in Drizzle, ${found.sql_type} in the database`);
    if (column.notNull !== found.not_null) problems.push(`${where}: ${column.notNull ? 'NOT NULL' : 'nullable'} in Drizzle, ${found.not_null ? 'NOT NULL' : 'nullable'} in the database`);
    if (column.hasDefault !== found.has_default) problems.push(`${where}: ${column.hasDefault ? 'a' : 'no'} default in Drizzle, ${found.has_default ? 'a' : 'no'} default in the database`);
  }
  const declaredNames = new Set(columns.map((column) => column.name));
  for (const columnName of actual.keys()) {
    if (!declaredNames.has(columnName)) problems.push(`${name}.${columnName}: in the database, not declared in Drizzle`);
  }
  return problems;
}

let database: TestDatabase;
let databaseColumns: ColumnsByTable;

beforeAll(async () => {
  database = await createMigratedDatabase();
  databaseColumns = await readDatabaseColumns(database.db);
});

afterAll(async () => {
  await database.drop();
});

describe('the Drizzle schema agrees with the migrated database', () => {
  it('finds the tables exported by schema/index.ts', () => {
    expect(drizzleTables.length).toBeGreaterThan(20);
  });

  it.each(drizzleTables.map((table) => ({ table, name: getTableConfig(table).name })))(
    '$name: same columns, types, NOT NULL and defaults',
    ({ table }) => {
      expect(disagreements(table, databaseColumns)).toEqual([]);
    },
  );

  it('every base table of the database has a Drizzle definition', () => {
    const declared = new Set(drizzleTables.map((table) => getTableConfig(table).name));
    expect([...databaseColumns.keys()].filter((name) => !declared.has(name))).toEqual([]);
  });

  it('reports a wrong definition by table and column (the comparison can fail)', () => {
    const wrong = pgTable('locations', {
      id: id(),
      name: integer('name').notNull(),
      city: text('city').notNull(),
      timezone: text('timezone').notNull(),
      openingTime: time('opening_time'),
      createdAt: timestamptz('created_at').notNull(),
    });
    const problems = disagreements(wrong, databaseColumns);
    expect(problems).toEqual(
      expect.arrayContaining([
        'locations.name: type integer in Drizzle, text in the database',
        'locations.city: NOT NULL in Drizzle, nullable in the database',
        'locations.timezone: no default in Drizzle, a default in the database',
        'locations.opening_time: declared in Drizzle, missing in the database',
        'locations.created_at: no default in Drizzle, a default in the database',
        'locations.country: in the database, not declared in Drizzle',
      ]),
    );
  });

  it('spells Drizzle types the way format_type does', () => {
    expect(canonicalType('timestamp with time zone')).toBe('timestamp with time zone');
    expect(canonicalType('timestamp (3) with time zone')).toBe('timestamp(3) with time zone');
    expect(canonicalType('time')).toBe('time without time zone');
    expect(canonicalType('numeric(5, 2)')).toBe('numeric(5,2)');
    expect(canonicalType('bigserial')).toBe('bigint');
    expect(canonicalType('varchar(20)[]')).toBe('character varying(20)[]');
    expect(canonicalType('text[]')).toBe('text[]');
  });
});

describe('ormFor runs Drizzle queries on the executor it is given', () => {
  it('reads back a location inserted in the same transaction, with Date timestamps and number integers', async () => {
    const locationId = randomUUID();
    const [location] = await database.db.transaction(async (tx) => {
      await tx.query(`insert into locations (id, name, country) values ($1, 'Leeds training centre', 'GB')`, [locationId]);
      return ormFor(tx).select().from(schema.locations).where(eq(schema.locations.id, locationId));
    });
    expect(location).toMatchObject({ id: locationId, name: 'Leeds training centre', country: 'GB', timezone: 'UTC', status: 'ACTIVE', city: null, version: 1 });
    expect(location?.createdAt).toBeInstanceOf(Date);
    expect(location?.updatedAt).toBeInstanceOf(Date);
    expect(typeof location?.version).toBe('number');
  });

  it('keeps calendar dates and wall-clock times as strings, and inserts through Drizzle too', async () => {
    const rows = await database.db.transaction(async (tx) => {
      const orm = ormFor(tx);
      const [instructor] = await orm.insert(schema.users).values({ emailCiphertext: 'c', emailHmac: `hmac-${randomUUID()}`, role: 'IC' }).returning({ id: schema.users.id });
      const [course] = await orm.insert(schema.courses).values({ code: `C-${randomUUID()}`, title: 'First aid', durationMinutes: 120 }).returning({ id: schema.courses.id });
      const [location] = await orm.insert(schema.locations).values({ name: 'Hall' }).returning({ id: schema.locations.id });
      const [session] = await orm
        .insert(schema.trainingSessions)
        .values({ title: 'First aid', courseId: course!.id, instructorId: instructor!.id, locationId: location!.id, sessionDate: '2030-01-07', startTime: '09:00', endTime: '11:30', maxCapacity: 12 })
        .returning({ id: schema.trainingSessions.id });
      return orm.select().from(schema.trainingSessions).where(eq(schema.trainingSessions.id, session!.id));
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ sessionDate: '2030-01-07', startTime: '09:00:00', endTime: '11:30:00', maxCapacity: 12, currentEnrollment: 0, selfEnrollmentAllowed: false, status: 'SCHEDULED' });
    expect(rows[0]?.createdAt).toBeInstanceOf(Date);
  });

  it('runs statements without mapped fields (execute) with rows as objects', async () => {
    const locationId = randomUUID();
    await database.db.transaction(async (tx) => {
      await tx.query(`insert into locations (id, name) values ($1, 'Old name')`, [locationId]);
      await ormFor(tx).update(schema.locations).set({ name: 'New name' }).where(eq(schema.locations.id, locationId));
    });
    const { rows } = await database.db.query<{ name: string; version: number }>('select name, version from locations where id = $1', [locationId]);
    expect(rows).toEqual([{ name: 'New name', version: 2 }]);
  });

  it('leaves nothing behind when the transaction rolls back', async () => {
    const locationId = randomUUID();
    await expect(
      database.db.transaction(async (tx) => {
        await ormFor(tx).insert(schema.locations).values({ id: locationId, name: 'Doomed' });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await ormFor(database.db).select().from(schema.locations).where(eq(schema.locations.id, locationId))).toEqual([]);
  });
});
