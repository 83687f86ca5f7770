import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { testEngine } from '../../../test/engine.js';
import { dumpSchema, schemaDumpPath } from './schema-dump.js';

// A migrated copy of the database (PGlite, or PostgreSQL when DATABASE_URL is set): the migrations are the
// source of the schema, and db/schema.sql must be exactly what they make.
let database: TestDatabase;
let committed: string;

beforeAll(async () => {
  database = await createMigratedDatabase();
  committed = await readFile(new URL(`../../../${schemaDumpPath}`, import.meta.url), 'utf8');
});
afterAll(async () => {
  await database?.drop();
});

/**
 * The file is the embedded engine's rendering (PostgreSQL 18). A server before PostgreSQL 16 prints
 * view bodies with each column qualified by its table; everything else it prints alike.
 */
const withoutViews = (dump: string) => dump.replace(/^-- Views\n[\s\S]*?(?=^-- Functions\n)/m, '-- Views (compared on the embedded engine)\n\n');

describe(schemaDumpPath, () => {
  it('is what the migrations make (after adding a migration, run `npm run db:schema`)', async () => {
    const dump = await dumpSchema(database.db);
    if (testEngine === 'pglite') expect(dump).toBe(committed);
    else expect(withoutViews(dump)).toBe(withoutViews(committed));
  });

  it('holds every table, view, policy and function of the database, each once', async () => {
    const { rows: [counts] } = await database.db.query<Record<'tables' | 'views' | 'policies' | 'functions', number>>(`
      select (select count(*)::int from pg_tables where schemaname = 'public') as tables,
             (select count(*)::int from pg_views where schemaname = 'public') + (select count(*)::int from pg_matviews where schemaname = 'public') as views,
             (select count(*)::int from pg_policies where schemaname = 'public') as policies,
             (select count(*)::int from pg_proc p where pronamespace = 'public'::regnamespace
                 and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')) as functions`);
    const count = (pattern: RegExp) => committed.match(pattern)?.length ?? 0;
    expect({
      tables: count(/^CREATE TABLE /gm),
      views: count(/^CREATE (MATERIALIZED )?VIEW /gm),
      policies: count(/^CREATE POLICY /gm),
      functions: count(/^CREATE OR REPLACE (FUNCTION|PROCEDURE) /gm),
    }).toEqual(counts);
  });

  it('changes with the schema, so the check can fail: a later definition of a function, an index, a policy, a grant', async () => {
    const before = await dumpSchema(database.db);
    const after = await database.db.transaction(async (tx) => {
      await tx.exec(`
        CREATE OR REPLACE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT NULL::uuid $$;
        CREATE INDEX locations_city_probe_idx ON locations (city);
        CREATE POLICY locations_probe ON locations FOR SELECT TO unitrain_app USING (false);
        REVOKE SELECT ON domain_events FROM unitrain_app;`);
      const dump = await dumpSchema(tx);
      throw Object.assign(new Error('roll back'), { dump });
    }).catch((error: { dump?: string }) => error.dump);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(after).toContain('SELECT NULL::uuid');
    expect(after).toContain('CREATE INDEX locations_city_probe_idx ON public.locations USING btree (city);');
    expect(after).toContain('CREATE POLICY locations_probe ON locations FOR SELECT TO unitrain_app\n  USING (false);');
    expect(before).toContain('GRANT INSERT, SELECT ON domain_events TO unitrain_app;');
    expect(after).toContain('GRANT INSERT ON domain_events TO unitrain_app;');
    // Rolled back: the database is as the migrations left it.
    expect(await dumpSchema(database.db)).toBe(before);
  });
});
