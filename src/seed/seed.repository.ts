import { analyticsViews } from '../domains/reports/index.js';
import type { Queryable, Tx } from '../platform/db/database.js';
import { AppError } from '../errors.js';
import { type ColumnType, type Row, type SeedTable, seedTables } from './seed.tables.js';
import { builtInTemplateId } from '../domains/certificates/index.js';

/** Any fixed 64-bit number: two seeds started together on one server take turns, and the second refuses. */
const seedLockKey = 8_245_972_158_721_127;

/**
 * The bulk INSERT of a table: one array parameter per column, unnested into rows, e.g.
 *   insert into provider_locations (id, provider_id, location_id, created_at)
 *   select id, provider_id, location_id, created_at
 *   from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[]) as r(id, provider_id, location_id, created_at)
 * so a statement takes any number of rows with a fixed text, and behaves the same on PGlite and PostgreSQL.
 * jsonb and text[] values travel as text and are cast per row (an array of arrays cannot be unnested into rows).
 */
function insertStatement(table: SeedTable, firstParameter = 1): string {
  const columns = Object.entries(seedTables[table]) as [string, ColumnType][];
  const names = columns.map(([name]) => name).join(', ');
  const selected = columns.map(([name, type]) => {
    const base = type.replace('?', '');
    return base === 'jsonb' || base === 'text[]' ? `${name}::${base}` : name;
  });
  const parameters = columns.map(([, type], i) => {
    const base = type.replace('?', '');
    return `$${firstParameter + i}::${base === 'jsonb' || base === 'text[]' ? 'text' : base}[]`;
  });
  return `insert into ${table} (${names})\nselect ${selected.join(', ')}\nfrom unnest(${parameters.join(', ')}) as r(${names})`;
}

const statements = new Map<SeedTable, string>();

function parametersOf<T extends SeedTable>(table: T, rows: readonly Row<T>[]): unknown[][] {
  return Object.keys(seedTables[table]).map((column) => rows.map((row) => (row as Record<string, unknown>)[column] ?? null));
}

/**
 * A failed bulk statement is a bug in the generators; its error would carry every parameter
 * (megabytes of rows), so only the message, detail and constraint are kept.
 */
function loadFailure(table: string, error: unknown): AppError {
  const e = error as { message?: string; detail?: string; constraint?: string };
  const detail = e.detail ? ` (${e.detail})` : '';
  return new AppError('INTERNAL', `seeding ${table} failed: ${e.message ?? String(error)}${detail}`, {
    table, ...(e.constraint ? { constraint: e.constraint } : {}),
  });
}

/** Inserts a batch of rows in one statement; returns how many the database inserted. */
export async function insertRows<T extends SeedTable>(tx: Tx, table: T, rows: readonly Row<T>[]): Promise<number> {
  let sql = statements.get(table);
  if (!sql) {
    sql = insertStatement(table);
    statements.set(table, sql);
  }
  try {
    return (await tx.query(sql, parametersOf(table, rows))).rowCount;
  } catch (error) {
    throw loadFailure(table, error);
  }
}

/**
 * Courses and their published versions reference each other (courses_published_version_fkey and
 * course_versions.course_id), and neither key is deferrable: one statement inserts both, and the
 * foreign keys are checked at its end, when both sides exist.
 */
export async function insertCoursesWithVersions(
  tx: Tx, courses: readonly Row<'courses'>[], versions: readonly Row<'course_versions'>[],
): Promise<{ courses: number; versions: number }> {
  const courseColumns = Object.keys(seedTables.courses).length;
  const sql = `with inserted_courses as (${insertStatement('courses')} returning 1),
    inserted_versions as (${insertStatement('course_versions', courseColumns + 1)} returning 1)
    select (select count(*) from inserted_courses) as courses, (select count(*) from inserted_versions) as versions`;
  try {
    const { rows } = await tx.query<{ courses: number; versions: number }>(sql, [
      ...parametersOf('courses', courses), ...parametersOf('course_versions', versions),
    ]);
    return rows[0] as { courses: number; versions: number };
  } catch (error) {
    throw loadFailure('courses', error);
  }
}

/** Held until the transaction ends. */
export async function lockSeeding(tx: Tx): Promise<void> {
  await tx.query('select pg_advisory_xact_lock($1)', [seedLockKey]);
}

/**
 * Seeded rows are nobody's action, and an audit row per inserted row more than doubles the large
 * load: the audit trigger (migration 0010) skips this transaction. It honours the switch only for the
 * owner, never for the application role.
 */
export async function skipAuditTrail(tx: Tx): Promise<void> {
  await tx.query(`select set_config('unitrain.audit', 'off', true)`);
}

/**
 * The tables the seed writes that already hold rows. The administrator that the first start creates
 * (a lone SA account and its profile) does not count, so `npm start` then `seed` works.
 */
export async function findTablesWithRows(db: Queryable): Promise<SeedTable[]> {
  const tables = Object.keys(seedTables) as SeedTable[];
  const loneAdministrator = `(select id from users where role = 'SA' and (select count(*) from users) = 1)`;
  const occupiedWhen: Partial<Record<SeedTable, string>> = {
    users: `exists (select 1 from users where id not in ${loneAdministrator})`,
    profiles: `exists (select 1 from profiles where user_id not in ${loneAdministrator})`,
    // Migration 0032 publishes the built-in template: it is there from the start.
    certificate_templates: `exists (select 1 from certificate_templates where id <> '${builtInTemplateId}')`,
  };
  const sql = `select ${tables.map((t) => `${occupiedWhen[t] ?? `exists (select 1 from ${t})`} as ${t}`).join(', ')}`;
  const { rows } = await db.query<Record<SeedTable, boolean>>(sql);
  const found = rows[0];
  return tables.filter((t) => found?.[t] === true);
}

/**
 * The reports read these views; refreshing needs ownership, which the seed (run as the owner) has. Not
 * CONCURRENTLY: nobody reads during a seed, and a plain refresh of a bulk load is faster.
 */
export async function refreshAnalytics(tx: Tx): Promise<void> {
  await tx.exec(analyticsViews.map((view) => `refresh materialized view ${view};`).join('\n'));
  await tx.query(
    `insert into analytics_refreshes (view_name, refreshed_at) select unnest($1::text[]), clock_timestamp()
     on conflict (view_name) do update set refreshed_at = excluded.refreshed_at`,
    [analyticsViews],
  );
}

/** Fresh planner statistics: the embedded engine has no autovacuum to gather them later. */
export async function analyzeTables(tx: Tx, tables: readonly SeedTable[]): Promise<void> {
  await tx.exec(`analyze ${tables.join(', ')}`);
}
