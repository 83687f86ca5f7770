import { PGlite } from '@electric-sql/pglite';
import { pgliteExtensions } from '../src/platform/db/pglite-database.js';
import { typeParsers } from '../src/platform/db/type-parsers.js';
import { describeCatalogue } from './catalogue.js';

/**
 * One migrated PGlite per worker process, put back to the migrated state between the test files that
 * use it (decision 0057): loading the dump cost about 0.7 s of CPU per file, a reset about a tenth.
 *
 * A reset ends the session's state (settings, prepared statements, temporary tables, LISTEN, advisory
 * locks: DISCARD ALL), empties every table and puts back the rows and sequence values the migrations
 * left, and then compares a fingerprint of the schema (tables, columns, functions, triggers and whether
 * they are enabled, policies, constraints, indexes, roles, settings) with the migrated one. A file that
 * changed the schema, left a transaction open or closed the database gets a freshly loaded one instead,
 * so every file still starts from exactly the migrated database.
 */

/**
 * What `describeCatalogue` (the migrations' schema) leaves out and a test could change without putting
 * it back: whether triggers are enabled, functions' settings, enum labels, roles, their memberships and
 * settings, extensions, schemas, default privileges, and every setting not at its default.
 */
const beyondCatalogueQuery = `
  select format('trigger %s %s %s', tgrelid::regclass, tgname, tgenabled) as line from pg_trigger
  union all
  select format('function %s %s %s %s', p.oid::regprocedure, p.proconfig, p.prosecdef, p.proacl)
    from pg_proc p where p.pronamespace = 'public'::regnamespace
  union all
  select format('enum %s %s %s', enumtypid::regtype, enumsortorder, enumlabel) from pg_enum
  union all
  select format('role %s %s %s %s %s %s', rolname, rolsuper, rolinherit, rolcanlogin, rolbypassrls, rolconfig) from pg_roles
  union all
  select format('member %s %s', roleid::regrole, member::regrole) from pg_auth_members
  union all
  select format('role setting %s %s %s', setdatabase, setrole, setconfig) from pg_db_role_setting
  union all
  select format('extension %s %s', extname, extversion) from pg_extension
  union all
  select format('schema %s %s', nspname, nspacl) from pg_namespace where nspname not like 'pg_temp%' and nspname not like 'pg_toast_temp%'
  union all
  select format('default privileges %s %s %s', defaclrole, defaclobjtype, defaclacl) from pg_default_acl
  union all
  select format('setting %s %s', name, setting) from pg_settings where source <> 'default'
  order by 1`;

/** The schema as the migrations left it and as a test could change it: equal texts, equal schemas. */
async function schemaFingerprint(pglite: PGlite): Promise<string> {
  const queryable = {
    query: async <R>(sql: string, params?: readonly unknown[]) => ({ rows: (await pglite.query<R>(sql, params as unknown[])).rows, rowCount: 0 }),
    exec: async (sql: string) => void (await pglite.exec(sql)),
  };
  const beyond = (await pglite.query<{ line: string }>(beyondCatalogueQuery)).rows.map((row) => row.line);
  return [...await describeCatalogue(queryable), ...beyond].join('\n');
}

interface MigratedState {
  fingerprint: string;
  tables: string[];
  /** The rows the migrations wrote, per table, as JSON. */
  rows: { table: string; columns: string[]; json: string }[];
  sequences: { name: string; lastValue: string; isCalled: boolean }[];
}

const quoted = (name: string): string => `"${name.replaceAll('"', '""')}"`;

async function readMigratedState(pglite: PGlite): Promise<MigratedState> {
  const fingerprint = await schemaFingerprint(pglite);
  const tables = (await pglite.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition order by 1`,
  )).rows.map((row) => row.name);
  const rows: MigratedState['rows'] = [];
  for (const table of tables) {
    const json = (await pglite.query<{ json: string | null }>(`select json_agg(t)::text as json from ${quoted(table)} t`)).rows[0]!.json;
    if (json === null) continue;
    const columns = (await pglite.query<{ name: string }>(
      `select attname as name from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped and attgenerated = '' order by attnum`,
      [quoted(table)],
    )).rows.map((row) => row.name);
    rows.push({ table, columns, json });
  }
  const sequences: MigratedState['sequences'] = [];
  for (const { name } of (await pglite.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'S' order by 1`,
  )).rows) {
    const value = (await pglite.query<{ last_value: string; is_called: boolean }>(`select last_value::text, is_called from ${quoted(name)}`)).rows[0]!;
    sequences.push({ name, lastValue: value.last_value, isCalled: value.is_called });
  }
  return { fingerprint, tables, rows, sequences };
}

/** Puts a used database back to the migrated state; false when it cannot be (the caller loads a fresh one). */
async function reset(pglite: PGlite, migrated: MigratedState): Promise<boolean> {
  try {
    await pglite.exec('discard all');
    await pglite.transaction(async (tx) => {
      // Neither triggers (audit, change capture) nor foreign keys act while the migrated rows go back.
      await tx.exec('set local session_replication_role = replica');
      await tx.exec(`truncate ${migrated.tables.map(quoted).join(', ')}`);
      for (const { table, columns, json } of migrated.rows) {
        const list = columns.map(quoted).join(', ');
        await tx.query(`insert into ${quoted(table)} (${list}) overriding system value select ${list} from json_populate_recordset(null::${quoted(table)}, $1::json)`, [json]);
      }
      for (const { name, lastValue, isCalled } of migrated.sequences) {
        await tx.query(`select setval($1::regclass, $2::bigint, $3)`, [quoted(name), lastValue, isCalled]);
      }
    });
    return await schemaFingerprint(pglite) === migrated.fingerprint;
  } catch {
    return false;
  }
}

export interface ReusedPglite {
  /** The instance, wrapped so that its LISTENs end when it is given back. */
  pglite: PGlite;
  /** Gives it back: reset for the next file, or closed when it cannot be reset. */
  release(): Promise<void>;
  /** Closes it for good (a test that closes its database). */
  close(): Promise<void>;
}

let kept: { pglite: PGlite; migrated: MigratedState } | null = null;
let keptInUse = false;

/**
 * A migrated PGlite for one test file: this worker's kept instance when it is free, else one loaded from
 * `dump` (which becomes the kept one when none is kept).
 */
export async function acquireMigratedPglite(dump: () => Promise<Blob>): Promise<ReusedPglite> {
  let entry = kept && !keptInUse && !kept.pglite.closed ? kept : null;
  if (!entry) {
    const pglite = await PGlite.create({ loadDataDir: await dump(), parsers: typeParsers, extensions: pgliteExtensions });
    entry = { pglite, migrated: kept?.migrated ?? await readMigratedState(pglite) };
    if (!kept || kept.pglite.closed) kept = entry;
  }
  const isKept = entry === kept;
  if (isKept) keptInUse = true;
  const { pglite, migrated } = entry;
  const stops = new Set<() => Promise<void>>();
  const endListens = async (): Promise<void> => {
    for (const stop of stops) await stop().catch(() => undefined);
    stops.clear();
  };
  const forget = (): void => {
    if (kept === entry) {
      kept = null;
      keptInUse = false;
    }
  };
  let released = false;
  // A database given back is gone for its file, as a closed one is: whatever still holds it fails.
  const open = (): PGlite => {
    if (released) throw new Error('PGlite is closed');
    return pglite;
  };
  // wrapPglite uses these four; PGlite's private fields rule out a Proxy.
  const wrapped = {
    query: (...args: Parameters<PGlite['query']>) => open().query(...args),
    exec: (...args: Parameters<PGlite['exec']>) => open().exec(...args),
    transaction: (...args: Parameters<PGlite['transaction']>) => open().transaction(...args),
    listen: async (channel: string, onNotify: (payload: string) => void) => {
      const stop = await open().listen(channel, onNotify);
      const tracked = async (): Promise<void> => {
        stops.delete(tracked);
        await stop();
      };
      stops.add(tracked);
      return tracked;
    },
    get closed() {
      return released || pglite.closed;
    },
  } as unknown as PGlite;
  return {
    pglite: wrapped,
    release: async () => {
      if (released) return;
      released = true;
      if (pglite.closed) return forget();
      await endListens();
      if (isKept && await reset(pglite, migrated)) {
        keptInUse = false;
        return;
      }
      forget();
      await pglite.close();
    },
    close: async () => {
      released = true;
      forget();
      await endListens();
      if (!pglite.closed) await pglite.close();
    },
  };
}
