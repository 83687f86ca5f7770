import { PGlite } from '@electric-sql/pglite';
import { pgliteExtensions } from '../src/platform/db/pglite-database.js';
import { typeParsers } from '../src/platform/db/type-parsers.js';

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

/** Everything of the schema a test could change and not put back, as one text (compared, never parsed). */
const schemaFingerprintQuery = `
  select md5(string_agg(line, E'\\n' order by line)) as fingerprint from (
    select format('class %s.%s %s %s %s %s %s', n.nspname, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, c.reloptions, c.relacl) as line
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'
    union all
    select format('column %s %s %s %s %s %s %s', a.attrelid::regclass, a.attname, a.atttypid::regtype, a.attnotnull, a.attgenerated, a.attisdropped, pg_get_expr(d.adbin, d.adrelid))
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attnum > 0 and n.nspname = 'public'
    union all
    select format('function %s.%s(%s) %s %s %s %s %s', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc), p.proconfig, p.prosecdef, p.provolatile, p.proacl)
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname not in ('pg_catalog', 'information_schema')
    union all
    select format('trigger %s %s %s %s', t.tgrelid::regclass, t.tgname, t.tgenabled, t.tgfoid::regproc) from pg_trigger t
    union all
    select format('policy %s %s %s %s %s %s %s', p.polrelid::regclass, p.polname, p.polcmd, p.polpermissive, p.polroles, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)) from pg_policy p
    union all
    select format('constraint %s %s %s %s', c.conrelid::regclass, c.conname, c.convalidated, pg_get_constraintdef(c.oid))
      from pg_constraint c join pg_namespace n on n.oid = c.connamespace where n.nspname = 'public'
    union all
    select format('index %s', pg_get_indexdef(i.indexrelid)) from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'
    union all
    select format('view %s %s', c.oid::regclass, pg_get_viewdef(c.oid)) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind in ('v', 'm')
    union all
    select format('type %s.%s %s', n.nspname, t.typname, t.typtype) from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = 'public'
    union all
    select format('enum %s %s %s', e.enumtypid::regtype, e.enumsortorder, e.enumlabel) from pg_enum e
    union all
    select format('role %s %s %s %s %s %s %s', r.rolname, r.rolsuper, r.rolinherit, r.rolcanlogin, r.rolbypassrls, r.rolconfig, r.rolconnlimit) from pg_roles r
    union all
    select format('member %s %s', m.roleid::regrole, m.member::regrole) from pg_auth_members m
    union all
    select format('role setting %s %s %s', s.setdatabase, s.setrole, s.setconfig) from pg_db_role_setting s
    union all
    select format('extension %s %s', e.extname, e.extversion) from pg_extension e
    union all
    select format('namespace %s %s', n.nspname, n.nspacl) from pg_namespace n where n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'
    union all
    select format('default acl %s %s %s', d.defaclrole, d.defaclobjtype, d.defaclacl) from pg_default_acl d
    union all
    select format('setting %s %s', s.name, s.setting) from pg_settings s where s.source <> 'default'
  ) as schema_lines`;

interface MigratedState {
  fingerprint: string;
  tables: string[];
  /** The rows the migrations wrote, per table, as JSON. */
  rows: { table: string; columns: string[]; json: string }[];
  sequences: { name: string; lastValue: string; isCalled: boolean }[];
}

const quoted = (name: string): string => `"${name.replaceAll('"', '""')}"`;

async function readMigratedState(pglite: PGlite): Promise<MigratedState> {
  const fingerprint = (await pglite.query<{ fingerprint: string }>(schemaFingerprintQuery)).rows[0]!.fingerprint;
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
    const { fingerprint } = (await pglite.query<{ fingerprint: string }>(schemaFingerprintQuery)).rows[0]!;
    return fingerprint === migrated.fingerprint;
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
