import type { Queryable } from './database.js';

/** Where `npm run db:schema` writes the dump, from the repository root. */
export const schemaDumpPath = 'db/schema.sql';

const header = `-- The schema after every migration in migrations/, read from the catalogue of a migrated embedded
-- database (PostgreSQL 18) by src/platform/db/schema-dump.ts. Generated: never edit it; add a migration, then
-- run \`npm run db:schema\` (a test checks that the migrations make exactly this). For reading, not for
-- loading: objects are in name order, not in the order they can be created. Types and sequences come
-- first; each table stands with its row-level security, indexes, triggers, policies and grants; then
-- the views and the functions. CURRENT_USER is the role that ran the migrations (it owns the schema).
`;

interface Relation {
  oid: number;
  name: string;
  kind: 'r' | 'p' | 'v' | 'm' | 'S' | 'c';
  rls: boolean;
  forceRls: boolean;
  options: string | null;
  comment: string | null;
  view: string | null;
  sequenceType: string | null;
  ownedBy: string | null;
  partitionKey: string | null;
}

interface Column {
  relation: number;
  name: string;
  type: string;
  notNull: boolean;
  identity: '' | 'a' | 'd';
  generated: '' | 's' | 'v';
  defaultValue: string | null;
  collation: string | null;
  comment: string | null;
}

/** A statement that belongs to one relation (a constraint, an index, a trigger, a policy, a grant). */
interface Owned {
  relation: number;
  line: string;
}

const publicRelations = `select c.oid from pg_class c where c.relnamespace = 'public'::regnamespace`;

/**
 * Roles as a GRANT or a policy names them: 0 is PUBLIC, and the role that ran the migrations (the one
 * dumping: it owns the schema) is CURRENT_USER, so the dump does not depend on its name.
 */
const roleName = (oid: string) =>
  `case ${oid} when 0 then 'PUBLIC' when (select oid from pg_roles where rolname = current_user) then 'CURRENT_USER'
   else (select format('%I', rolname) from pg_roles where oid = ${oid}) end`;

async function relations(db: Queryable): Promise<Relation[]> {
  const { rows } = await db.query<Relation>(`
    select c.oid::int as oid, format('%I', c.relname) as name, c.relkind as kind, c.relrowsecurity as rls,
           c.relforcerowsecurity as "forceRls", array_to_string(c.reloptions, ', ') as options,
           obj_description(c.oid, 'pg_class') as comment,
           case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid, true) end as view,
           case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as "partitionKey",
           case when c.relkind = 'S' then (select format_type(s.seqtypid, null) from pg_sequence s where s.seqrelid = c.oid) end as "sequenceType",
           (select format('%I.%I', t.relname, a.attname) from pg_depend d
              join pg_class t on t.oid = d.refobjid join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
             where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'a') as "ownedBy"
      from pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'c')
       -- identity columns' sequences are part of their column
       and not (c.relkind = 'S' and exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'i'))
     order by c.relname collate "C"`);
  return rows;
}

async function columns(db: Queryable): Promise<Column[]> {
  const { rows } = await db.query<Column>(`
    select a.attrelid::int as relation, format('%I', a.attname) as name, format_type(a.atttypid, a.atttypmod) as type,
           a.attnotnull as "notNull", a.attidentity as identity, a.attgenerated as generated,
           pg_get_expr(d.adbin, d.adrelid) as "defaultValue",
           case when a.attcollation <> t.typcollation then (select format('%I', collname) from pg_collation where oid = a.attcollation) end as collation,
           col_description(a.attrelid, a.attnum) as comment
      from pg_attribute a
      join pg_type t on t.oid = a.atttypid
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where a.attrelid in (${publicRelations}) and a.attnum > 0 and not a.attisdropped
     order by a.attrelid, a.attnum`);
  return rows;
}

/** Constraints other than NOT NULL (written on the column), primary key first. */
async function constraints(db: Queryable): Promise<Owned[]> {
  const { rows } = await db.query<Owned>(`
    select conrelid::int as relation, format('CONSTRAINT %I %s', conname, pg_get_constraintdef(oid, true)) as line
      from pg_constraint
     where conrelid in (${publicRelations}) and contype in ('p', 'u', 'c', 'f', 'x')
     order by conrelid, contype <> 'p', conname collate "C"`);
  return rows;
}

/** Indexes, triggers and policies, in name order within their relation. */
async function relationStatements(db: Queryable): Promise<Owned[]> {
  const { rows } = await db.query<Owned>(`
    select relation, line from (
      select i.indrelid::int as relation, 1 as part, c.relname as name, pg_get_indexdef(i.indexrelid) || ';' as line
        from pg_index i join pg_class c on c.oid = i.indexrelid
       where i.indrelid in (${publicRelations})
         and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x'))
      union all
      select tgrelid::int, 2, tgname, pg_get_triggerdef(oid, true) || ';'
        from pg_trigger where tgrelid in (${publicRelations}) and not tgisinternal
      union all
      select p.polrelid::int, 3, p.polname,
             format('CREATE POLICY %I ON %s%s FOR %s TO %s', p.polname, p.polrelid::regclass,
                    case when p.polpermissive then '' else ' AS RESTRICTIVE' end,
                    case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE' when 'd' then 'DELETE' else 'ALL' end,
                    (select string_agg(${roleName('r')}, ', ' order by 1) from unnest(p.polroles) as r))
             || coalesce(E'\\n  USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', '')
             || coalesce(E'\\n  WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '') || ';'
        from pg_policy p where p.polrelid in (${publicRelations})
    ) statements
    order by relation, part, name collate "C"`);
  return rows;
}

/** Table, view, sequence and column privileges of every role but the owner, one GRANT per role. */
async function grants(db: Queryable): Promise<Owned[]> {
  const { rows } = await db.query<Owned>(`
    select relation, line from (
      select c.oid::int as relation, 1 as part, ${roleName('a.grantee')} as grantee,
             format('GRANT %s ON %s%s TO %s;', string_agg(a.privilege_type, ', ' order by a.privilege_type),
                    case when c.relkind = 'S' then 'SEQUENCE ' else '' end, c.oid::regclass, ${roleName('a.grantee')}) as line
        from pg_class c, aclexplode(c.relacl) a
       where c.oid in (${publicRelations}) and a.grantee <> c.relowner
       group by c.oid, c.relkind, a.grantee
      union all
      select c.oid::int, 2, ${roleName('g.grantee')} || g.privilege_type,
             format('GRANT %s (%s) ON %s TO %s;', g.privilege_type, string_agg(format('%I', g.attname), ', ' order by g.attnum), c.oid::regclass, ${roleName('g.grantee')})
        from pg_class c
        join lateral (select a.attname, a.attnum, x.grantee, x.privilege_type
                        from pg_attribute a, aclexplode(a.attacl) x where a.attrelid = c.oid and a.attnum > 0) g on true
       where c.oid in (${publicRelations}) and g.grantee <> c.relowner
       group by c.oid, g.grantee, g.privilege_type
    ) statements
    order by relation, part, grantee collate "C"`);
  return rows;
}

/** The extensions the migrations create (their own functions, operators and types are not listed: they come with them). */
async function extensions(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(`select extname as name from pg_extension where extname <> 'plpgsql' order by extname collate "C"`);
  return rows.map((extension) => `CREATE EXTENSION IF NOT EXISTS ${extension.name};`);
}

/** Every function and procedure as the catalogue prints it, with who may execute it when that is not everyone. */
async function functions(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ definition: string; comment: string | null; signature: string; executors: string[] | null }>(`
    select pg_get_functiondef(p.oid) as definition, obj_description(p.oid, 'pg_proc') as comment,
           p.oid::regprocedure::text as signature,
           case when p.proacl is not null then
             (select coalesce(array_agg(${roleName('a.grantee')} order by 1), '{}') from aclexplode(p.proacl) a
               where a.grantee <> p.proowner and a.privilege_type = 'EXECUTE') end as executors
      from pg_proc p
     where p.pronamespace = 'public'::regnamespace and p.prokind in ('f', 'p', 'w')
       and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
     order by p.oid::regprocedure::text collate "C"`);
  return rows.map((fn) => {
    const lines = [`${fn.definition.trimEnd()};`];
    if (fn.executors !== null) {
      // An explicit ACL: PUBLIC's default EXECUTE was revoked unless it is listed.
      if (!fn.executors.includes('PUBLIC')) lines.push(`REVOKE EXECUTE ON FUNCTION ${fn.signature} FROM PUBLIC;`);
      for (const role of fn.executors.filter((role) => role !== 'PUBLIC')) lines.push(`GRANT EXECUTE ON FUNCTION ${fn.signature} TO ${role};`);
    }
    if (fn.comment !== null) lines.push(`COMMENT ON FUNCTION ${fn.signature} IS ${literal(fn.comment)};`);
    return lines.join('\n');
  });
}

async function enums(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(`
    select format('CREATE TYPE %s AS ENUM (%s);', t.oid::regtype, string_agg(quote_literal(e.enumlabel), ', ' order by e.enumsortorder)) as line
      from pg_type t join pg_enum e on e.enumtypid = t.oid
     where t.typnamespace = 'public'::regnamespace
     group by t.oid order by t.oid::regtype::text collate "C"`);
  return rows.map((row) => row.line);
}

/** Privileges on the schema itself, of every role but its owner. */
async function schemaGrants(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(`
    select format('GRANT %s ON SCHEMA public TO %s;', string_agg(a.privilege_type, ', ' order by a.privilege_type), ${roleName('a.grantee')}) as line
      from pg_namespace n, aclexplode(n.nspacl) a
     where n.nspname = 'public' and a.grantee <> n.nspowner
     group by a.grantee order by 1`);
  return rows.map((row) => row.line);
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function columnLine(column: Column): string {
  const parts = [column.name, column.type];
  if (column.collation) parts.push(`COLLATE ${column.collation}`);
  if (column.generated) parts.push(`GENERATED ALWAYS AS (${column.defaultValue}) ${column.generated === 's' ? 'STORED' : 'VIRTUAL'}`);
  else if (column.identity) parts.push(`GENERATED ${column.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`);
  else if (column.defaultValue !== null) parts.push(`DEFAULT ${column.defaultValue}`);
  if (column.notNull) parts.push('NOT NULL');
  return parts.join(' ');
}

function groupBy<T extends { relation: number }>(items: readonly T[]): Map<number, T[]> {
  const byRelation = new Map<number, T[]>();
  for (const item of items) byRelation.set(item.relation, [...(byRelation.get(item.relation) ?? []), item]);
  return byRelation;
}

/**
 * The schema as SQL, read from the catalogue: the same database always gives the same text, whatever
 * order its objects were created in within a name, and whatever their oids.
 */
export async function dumpSchema(db: Queryable): Promise<string> {
  const [allRelations, allColumns, allConstraints, statements, allGrants, functionBlocks, enumLines, schemaLines, extensionLines] = await Promise.all([
    relations(db), columns(db), constraints(db), relationStatements(db), grants(db), functions(db), enums(db), schemaGrants(db), extensions(db),
  ]);
  const columnsOf = groupBy(allColumns);
  const constraintsOf = groupBy(allConstraints);
  const statementsOf = groupBy(statements);
  const grantsOf = groupBy(allGrants);
  const linesOf = (map: Map<number, Owned[]>, relation: Relation) => (map.get(relation.oid) ?? []).map((owned) => owned.line);

  const commentsOf = (relation: Relation, what: string): string[] => [
    ...(relation.comment === null ? [] : [`COMMENT ON ${what} ${relation.name} IS ${literal(relation.comment)};`]),
    ...(columnsOf.get(relation.oid) ?? []).flatMap((column) =>
      column.comment === null ? [] : [`COMMENT ON COLUMN ${relation.name}.${column.name} IS ${literal(column.comment)};`]),
  ];
  const options = (relation: Relation) => (relation.options ? ` WITH (${relation.options})` : '');

  const table = (relation: Relation): string => {
    const body = [...(columnsOf.get(relation.oid) ?? []).map(columnLine), ...linesOf(constraintsOf, relation)];
    return [
      `CREATE TABLE ${relation.name} (\n${body.map((line) => `  ${line}`).join(',\n')}\n)${relation.partitionKey ? ` PARTITION BY ${relation.partitionKey}` : ''}${options(relation)};`,
      ...(relation.rls ? [`ALTER TABLE ${relation.name} ENABLE ROW LEVEL SECURITY;`] : []),
      ...(relation.forceRls ? [`ALTER TABLE ${relation.name} FORCE ROW LEVEL SECURITY;`] : []),
      ...linesOf(statementsOf, relation),
      ...linesOf(grantsOf, relation),
      ...commentsOf(relation, 'TABLE'),
    ].join('\n');
  };
  const view = (relation: Relation): string => {
    const materialized = relation.kind === 'm';
    return [
      `CREATE ${materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${relation.name}${options(relation)} AS\n${relation.view!.trimEnd()}`,
      ...linesOf(statementsOf, relation),
      ...linesOf(grantsOf, relation),
      ...commentsOf(relation, materialized ? 'MATERIALIZED VIEW' : 'VIEW'),
    ].join('\n');
  };
  const sequence = (relation: Relation): string =>
    [`CREATE SEQUENCE ${relation.name} AS ${relation.sequenceType}${relation.ownedBy ? ` OWNED BY ${relation.ownedBy}` : ''};`, ...linesOf(grantsOf, relation)].join('\n');
  const compositeType = (relation: Relation): string =>
    `CREATE TYPE ${relation.name} AS (\n${(columnsOf.get(relation.oid) ?? []).map((column) => `  ${column.name} ${column.type}`).join(',\n')}\n);`;

  const of = (kinds: readonly Relation['kind'][]) => allRelations.filter((relation) => kinds.includes(relation.kind));
  const sections: [string, string[]][] = [
    ['Schema', [schemaLines.join('\n')].filter((block) => block !== '')],
    ['Extensions', [extensionLines.join('\n')].filter((block) => block !== '')],
    ['Types', [...enumLines, ...of(['c']).map(compositeType)]],
    ['Sequences', of(['S']).map(sequence)],
    ['Tables', of(['r', 'p']).map(table)],
    ['Views', of(['v', 'm']).map(view)],
    ['Functions', functionBlocks],
  ];
  const body = sections
    .filter(([, blocks]) => blocks.length > 0)
    .map(([title, blocks]) => `-- ${title}\n\n${blocks.join('\n\n')}`)
    .join('\n\n');
  return `${header}\n${body}\n`;
}
