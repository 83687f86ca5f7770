import type { Queryable } from '../src/platform/db/database.js';

/**
 * A deterministic description of everything the migrations create: columns, constraints, indexes,
 * triggers, functions, views, policies, grants and row-level-security flags. Two databases with
 * equal catalogues have the same schema.
 */
export async function describeCatalogue(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(`
    select 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as line
      from information_schema.columns where table_schema = 'public'
    union all
    select 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
      from pg_constraint where connamespace = 'public'::regnamespace
    union all
    select 'index ' || indexdef from pg_indexes where schemaname = 'public'
    union all
    select 'trigger ' || pg_get_triggerdef(oid) from pg_trigger where not tgisinternal
    union all
    select 'function ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid))
      from pg_proc p where pronamespace = 'public'::regnamespace and prokind in ('f', 'p')
    union all
    select 'view ' || viewname || ' ' || md5(definition) from pg_views where schemaname = 'public'
    union all
    select 'matview ' || matviewname || ' ' || md5(definition) from pg_matviews where schemaname = 'public'
    union all
    select 'policy ' || tablename || ' ' || policyname || ' ' || cmd || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '')
      from pg_policies where schemaname = 'public'
    union all
    select 'grant ' || table_name || ' ' || grantee || ' ' || privilege_type
      from information_schema.role_table_grants where table_schema = 'public'
    union all
    select 'table ' || relname || ' rls=' || relrowsecurity || ' force=' || relforcerowsecurity
      from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p', 'm', 'S')
    order by 1`);
  return rows.map((row) => row.line);
}
