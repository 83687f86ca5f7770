import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { meTables } from '../../domains/users/index.js';
import { locationsResource } from '../../domains/locations/locations.resource.js';
import { roles } from '../db/actor.js';
import { applicationRole, databaseRoleOf, databaseRoles } from '../db/database.js';
import type { TablesByRole } from '../http/cached-as-caller.js';
import { changeRules, userReferences } from './access-matrix.changes.js';
import { accessMatrix, accessOf, domainTables, operations, tablesWithHiddenFields } from './access-matrix.js';
import { matrixRoles } from './access-matrix.model.js';
import { workflowAccess } from './access-matrix.workflows.js';

// Real database, migrated. The catalogue must say what the matrix says: one policy per rule, the
// privileges the rules need and no more, RLS forced everywhere, and a view per table with hidden fields.

let database: TestDatabase;

beforeAll(async () => {
  database = await createMigratedDatabase();
});

afterAll(async () => {
  await database.drop();
});

describe('row-level security in the catalogue', () => {
  it('is enabled and forced on every table of the schema but the migration history', async () => {
    const { rows } = await database.db.query<{ table: string; enabled: boolean; forced: boolean }>(
      `select relname as table, relrowsecurity as enabled, relforcerowsecurity as forced
         from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' and relname <> 'schema_migrations'`,
    );
    expect(rows.filter((row) => !row.enabled || !row.forced)).toEqual([]);
    expect(rows.map((row) => row.table)).toEqual(expect.arrayContaining([...domainTables]));
  });

  it('has exactly one policy per matrix rule, named after it, plus the owner policy of each table', async () => {
    const { rows } = await database.db.query<{ table: string; policy: string; command: string }>(
      `select tablename as table, policyname as policy, cmd as command
         from pg_policies where schemaname = 'public' and tablename = any($1::text[])`,
      [domainTables],
    );
    const actual = rows.map((row) => `${row.table} ${row.policy} ${row.command}`).sort();
    const expected = accessMatrix
      .flatMap((access) => [
        `${access.table} ${access.table}_owner_all ALL`,
        ...operations.flatMap((operation) => access.rules[operation].map((rule) => `${access.table} ${rule.policy} ${operation.toUpperCase()}`)),
      ])
      .sort();
    expect(actual).toEqual(expected);
  });

  it('tests a claim-only condition once per statement (in a sub-select), not once per row', async () => {
    const { rows } = await database.db.query<{ policy: string }>(
      `select policyname as policy from pg_policies
        where schemaname = 'public' and (qual in ('app_is_admin()', 'app_is_signed_in()') or with_check in ('app_is_admin()', 'app_is_signed_in()'))`,
    );
    expect(rows.map((row) => row.policy)).toEqual([]);
  });

  it('applies every rule policy to the database roles of its rule, and the owner policy to the owner only', async () => {
    const { rows } = await database.db.query<{ policy: string; roles: string[] }>(
      `select policyname as policy, roles::text[] as roles from pg_policies where schemaname = 'public' and tablename = any($1::text[])`,
      [domainTables],
    );
    const { rows: owner } = await database.db.query<{ name: string }>(`select current_user as name`);
    const ruleOf = new Map(accessMatrix.flatMap((access) => operations.flatMap((operation) => access.rules[operation].map((rule) => [rule.policy, rule] as const))));
    for (const row of rows) {
      const rule = ruleOf.get(row.policy);
      const expected = row.policy.endsWith('_owner_all')
        ? [owner[0]!.name]
        : matrixRoles.every((role) => rule?.roles.includes(role))
          ? [applicationRole]
          : matrixRoles.filter((role) => rule?.roles.includes(role)).map(databaseRoleOf);
      expect([...row.roles].sort(), row.policy).toEqual([...expected].sort());
    }
  });
});

describe('database roles of the application roles', () => {
  it('are NOLOGIN roles without any attribute, each a member of the application role and of no other role', async () => {
    const { rows } = await database.db.query<Record<string, unknown>>(
      `select r.rolname as name, r.rolcanlogin as login, r.rolsuper as superuser, r.rolbypassrls as bypassrls,
              r.rolcreaterole as createrole, r.rolcreatedb as createdb, r.rolreplication as replication, r.rolinherit as inherit,
              array(select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid order by 1)::text[] as member_of
         from pg_roles r where r.rolname = any($1::text[]) order by r.rolname`,
      [Object.values(databaseRoles)],
    );
    expect(rows).toEqual(
      Object.values(databaseRoles)
        .sort()
        .map((name) => ({ name, login: false, superuser: false, bypassrls: false, createrole: false, createdb: false, replication: false, inherit: true, member_of: [applicationRole] })),
    );
  });

  it('have no member but the owner: no role, the application role included, carries another role\'s policies', async () => {
    const { rows } = await database.db.query<{ role: string; member: string }>(
      `select g.rolname as role, r.rolname as member from pg_auth_members m join pg_roles g on g.oid = m.roleid join pg_roles r on r.oid = m.member
        where g.rolname = any($1::text[]) and r.rolname <> current_user`,
      [Object.values(databaseRoles)],
    );
    expect(rows).toEqual([]);
  });

  it('are granted nothing of their own: every privilege is the application role\'s', async () => {
    const { rows } = await database.db.query<{ object: string }>(
      `select relname as object from pg_class where relnamespace = 'public'::regnamespace and relacl::text ~ $1
       union all select proname from pg_proc where pronamespace = 'public'::regnamespace and proacl::text ~ $1`,
      [`(^|[{,])(${Object.values(databaseRoles).join('|')})=`],
    );
    expect(rows).toEqual([]);
  });

  it('are named, with the application role, in the one function that tells a request from the owner, and nowhere else', async () => {
    const { rows } = await database.db.query<{ name: string; definition: string }>(
      `select tgname as name, pg_get_triggerdef(oid) as definition from pg_trigger where not tgisinternal and pg_get_triggerdef(oid) ~ 'unitrain_'
       union all select proname, prosrc from pg_proc where pronamespace = 'public'::regnamespace and prosrc ~ 'unitrain_[a-z]+\\M'`,
    );
    expect(rows.map((row) => row.name)).toEqual(['app_is_request_role']);
    const roles = /'\{([a-z_,]+)\}'::name\[\]/.exec(rows[0]?.definition ?? '')?.[1]?.split(',');
    expect(roles?.sort()).toEqual([applicationRole, ...Object.values(databaseRoles)].sort());
  });

  it('ask that function in every trigger and function that tells a request from the owner by current_user', async () => {
    const { rows } = await database.db.query<{ name: string }>(
      `select tgname as name from pg_trigger where not tgisinternal and pg_get_triggerdef(oid) like '%WHEN (app_is_request_role())%'
       union all select proname from pg_proc where pronamespace = 'public'::regnamespace and prosrc like '%app_is_request_role()%'
       union all select proname || ' (asks current_user itself)' from pg_proc
        where pronamespace = 'public'::regnamespace and proname <> 'app_is_request_role' and prosrc ~* 'current_user\\s*(<>|=|!=)\\s*(all|any)?'
       order by 1`,
    );
    expect(rows.map((row) => row.name)).toEqual([
      'app_guard_self_update', 'app_guard_student_enrollment_update',
      'course_schedules_guard_eligibility_override', 'course_schedules_guard_instructor',
      'rosters_guard_instructor', 'rosters_guard_placement', 'rosters_guard_write', 'student_roster_members_guard_archived',
      'training_sessions_guard_eligibility_override', 'training_sessions_guard_instructor', 'training_sessions_guard_placement',
    ]);
  });

  // A trigger's WHEN is compiled again for every statement writing its table, and compiling inlines an SQL
  // function by parsing its body again (decisions 0095, 0101): a WHEN asks PL/pgSQL functions or the claim itself.
  it('call no SQL function in a trigger condition', async () => {
    const { rows } = await database.db.query<{ trigger: string }>(
      `select distinct t.tgname as trigger
         from pg_trigger t
         cross join lateral regexp_matches(t.tgqual::text, ':funcid (\\d+)', 'g') as called (funcid)
         join pg_proc p on p.oid = called.funcid[1]::oid
        where not t.tgisinternal and p.prolang = (select oid from pg_language where lanname = 'sql')
        order by 1`,
    );
    expect(rows.map((row) => row.trigger)).toEqual([]);
  });

  it.each([applicationRole, ...Object.values(databaseRoles)])('%s is a role a request runs as; the owner is not', async (role) => {
    const answers = await database.db.transaction(async (tx) => {
      const owner = (await tx.query<{ is: boolean }>('select app_is_request_role() as is')).rows[0]?.is;
      await tx.query(`set local role ${role}`);
      return { owner, role: (await tx.query<{ is: boolean }>('select app_is_request_role() as is')).rows[0]?.is };
    });
    expect(answers).toEqual({ owner: false, role: true });
  });
});

describe('privileges of the application role', () => {
  it.each(accessMatrix.map((access) => ({ table: access.table, access })))(
    '$table: granted exactly for the operations the matrix has rules for',
    async ({ table, access }) => {
      const { rows } = await database.db.query<Record<string, boolean>>(
        `select has_any_column_privilege($1, $2, 'SELECT') as select, has_table_privilege($1, $2, 'INSERT') as insert,
                has_table_privilege($1, $2, 'UPDATE') as update, has_table_privilege($1, $2, 'DELETE') as delete,
                has_table_privilege($1, $2, 'TRUNCATE') as truncate, has_table_privilege($1, $2, 'REFERENCES') as references,
                has_table_privilege($1, $2, 'TRIGGER') as trigger`,
        [applicationRole, table],
      );
      const expected = Object.fromEntries(operations.map((operation) => [operation, access.rules[operation].length > 0]));
      expect(rows[0]).toEqual({ ...expected, truncate: false, references: false, trigger: false });
    },
  );

  it.each(accessMatrix.filter((access) => access.unreadableColumns.length > 0).map((access) => ({ table: access.table, access })))(
    '$table: every column readable but the secrets',
    async ({ table, access }) => {
      const { rows } = await database.db.query<{ column: string; readable: boolean }>(
        `select attname as column, has_column_privilege($1, attrelid, attname, 'SELECT') as readable
           from pg_attribute where attrelid = $2::regclass and attnum > 0 and not attisdropped`,
        [applicationRole, table],
      );
      expect(rows.filter((row) => !row.readable).map((row) => row.column)).toEqual(access.unreadableColumns);
    },
  );

  it('refuses a signed-in SA the password hash', async () => {
    const actor = { userId: null, role: 'SA' as const, providerId: null };
    await expect(database.db.withActor(actor, (tx) => tx.query('select password_hash from users'))).rejects.toMatchObject({ code: '42501' });
    await expect(database.db.withActor(actor, (tx) => tx.query('select refresh_token_hash from auth_sessions'))).rejects.toMatchObject({ code: '42501' });
  });
});

describe('views with hidden fields', () => {
  it.each(tablesWithHiddenFields)('%s_visible: security invoker, every readable column of the table in order, readable by the application', async (table) => {
    const columnsOf = async (relation: string) =>
      (
        await database.db.query<{ name: string }>(
          `select attname as name from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum`,
          [relation],
        )
      ).rows.map((row) => row.name);
    const { unreadableColumns } = accessOf(table);
    expect(await columnsOf(`${table}_visible`)).toEqual((await columnsOf(table)).filter((column) => !unreadableColumns.includes(column)));
    const { rows } = await database.db.query<{ options: string[] | null; readable: boolean }>(
      `select reloptions as options, has_table_privilege($2, oid, 'SELECT') as readable from pg_class where oid = $1::regclass`,
      [`${table}_visible`, applicationRole],
    );
    expect(rows[0]).toEqual({ options: ['security_invoker=true'], readable: true });
  });
});

describe('change rules and workflows', () => {
  it('guard every foreign key to users (but the token rows only the owner writes) against pointing at an SA: the matrix lists them all', async () => {
    const { rows } = await database.db.query<{ table: string; column: string }>(
      `select c.conrelid::regclass::text as table, a.attname as column
         from pg_constraint c
         join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
        where c.contype = 'f' and c.confrelid = 'users'::regclass and c.conrelid not in ('auth_sessions'::regclass, 'account_tokens'::regclass)
          and a.attname not in ('role', 'status')`,
    );
    const inCatalogue = rows.map((row) => `${row.table}.${row.column}`).sort();
    const inMatrix = Object.entries(userReferences).flatMap(([table, columns]) => (columns ?? []).map((column) => `${table}.${column}`)).sort();
    expect(inMatrix).toEqual(inCatalogue);
  });

  it('has the trigger of every change rule, on its table, with the columns it checks', async () => {
    const { rows } = await database.db.query<{ trigger: string; table: string; args: string[] }>(
      `select t.tgname as trigger, t.tgrelid::regclass::text as table,
              array_remove(string_to_array(encode(t.tgargs, 'escape'), '\\000'), '') as args
         from pg_trigger t where not t.tgisinternal`,
    );
    for (const rule of changeRules) {
      const trigger = rows.find((row) => row.trigger === rule.trigger);
      expect(trigger?.table, rule.id).toBe(rule.table);
      if (rule.id.endsWith('.sa_reference')) expect(trigger?.args, rule.id).toEqual(rule.columns);
    }
  });

  // Decision 0107: a seat taken or given back sets current_enrollment alone, and PostgreSQL skips a trigger
  // with a column list before compiling its WHEN. Each guard lets an UPDATE pass that leaves its columns
  // as they were, and runs before any trigger that changes the row, so the list decides nothing else.
  it('fire the guards of a session on an update only when it sets a column they judge', async () => {
    const { rows } = await database.db.query<{ trigger: string; columns: string[] }>(
      `select t.tgname as trigger, array(select a.attname::text from unnest(t.tgattr::int2[]) as k (attnum)
                                          join pg_attribute a on a.attrelid = t.tgrelid and a.attnum = k.attnum order by a.attname::text collate "C") as columns
         from pg_trigger t
        where t.tgrelid = 'training_sessions'::regclass and t.tgname like 'training\\_sessions\\_guard\\_%'
        order by 1`,
    );
    expect(rows).toEqual([
      { trigger: 'training_sessions_guard_eligibility_override', columns: ['eligibility_overridden_by', 'eligibility_override_reason'] },
      { trigger: 'training_sessions_guard_instructor', columns: ['instructor_id'] },
      { trigger: 'training_sessions_guard_placement', columns: ['location_id', 'provider_id'] },
      { trigger: 'training_sessions_guard_sa_reference', columns: ['created_by', 'instructor_id'] },
    ]);
  });

  it('lets the application call exactly the workflow functions the matrix names, and the helpers it needs', async () => {
    const { rows } = await database.db.query<{ name: string }>(
      `select p.proname as name from pg_proc p
        where p.pronamespace = 'public'::regnamespace and p.prosecdef and has_function_privilege($1, p.oid, 'EXECUTE')
          and p.prorettype <> 'trigger'::regtype and p.proname not like 'app\\_%'`,
      [applicationRole],
    );
    // The feed is read by whoever holds its token, signed out: the token is the credential (calendar tests).
    const named = new Set([...workflowAccess.map((workflow) => workflow.id.split(' ')[0]), 'calendar_feed_entries']);
    expect(rows.map((row) => row.name).filter((name) => !named.has(name)).sort()).toEqual([]);
  });
});


describe('reads answered from the answer cache as the caller (decision 0094)', () => {
  // Each cached read: the relations its statement names, and the tables it says its answer depends on.
  const cachedReads = [
    { read: 'GET /v1/me', relations: ['users_visible', 'profiles_visible', 'provider_members'], tables: meTables },
    { read: 'GET /v1/locations', relations: ['locations'], tables: locationsResource.cachedReads as TablesByRole },
  ];

  /**
   * Every table the relations read as `databaseRole`: the tables themselves, those named by the views'
   * definitions, by the SELECT policies that apply to the role, and by every function those call, followed
   * to the end. Names are found as words of the texts, so it may find more than is read, never less.
   */
  async function tablesReadAs(relations: readonly string[], databaseRole: string): Promise<string[]> {
    const { rows: tables } = await database.db.query<{ name: string }>(
      `select relname as name from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r'`,
    );
    const { rows: views } = await database.db.query<{ name: string; definition: string }>(
      `select relname as name, pg_get_viewdef(oid) as definition from pg_class where relnamespace = 'public'::regnamespace and relkind = 'v'`,
    );
    // A function's own parameter names (app_provider_sees_user's `locations`) are not tables it reads.
    const { rows: functions } = await database.db.query<{ name: string; body: string; parameters: string[] | null }>(
      `select proname as name, prosrc as body, proargnames::text[] as parameters from pg_proc where pronamespace = 'public'::regnamespace`,
    );
    const { rows: policies } = await database.db.query<{ table: string; qual: string }>(
      `select tablename as table, coalesce(qual, 'true') as qual from pg_policies
        where schemaname = 'public' and cmd in ('SELECT', 'ALL') and roles && array[$1, $2, 'public']::name[]`,
      [databaseRole, applicationRole],
    );
    const tableNames = new Set(tables.map((row) => row.name));
    const viewOf = new Map(views.map((row) => [row.name, row.definition]));
    const bodiesOf = new Map<string, Array<{ text: string; parameters: string[] }>>();
    for (const row of functions) bodiesOf.set(row.name, [...(bodiesOf.get(row.name) ?? []), { text: row.body, parameters: row.parameters ?? [] }]);
    const found = new Set<string>();
    const seen = new Set<string>();
    const texts: Array<{ text: string; parameters: string[] }> = [];
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      if (tableNames.has(name)) {
        found.add(name);
        texts.push(...policies.filter((policy) => policy.table === name).map((policy) => ({ text: policy.qual, parameters: [] })));
      }
      const view = viewOf.get(name);
      if (view !== undefined) texts.push({ text: view, parameters: [] });
      texts.push(...(bodiesOf.get(name) ?? []));
    };
    for (const relation of relations) visit(relation);
    while (texts.length > 0) {
      const { text, parameters } = texts.pop() as { text: string; parameters: string[] };
      for (const word of text.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []) if (!parameters.includes(word)) visit(word);
    }
    return [...found].sort();
  }

  it.each(cachedReads)('$read: each role\'s tables are every table its statement and its policies read', async ({ relations, tables }) => {
    for (const role of roles) {
      expect([...tables[role]].sort(), role).toEqual(await tablesReadAs(relations, databaseRoleOf(role)));
    }
  });

  it.each(cachedReads)('$read: each of its tables has its changes captured, so a change ends the cached answers', async ({ tables }) => {
    const named = [...new Set(Object.values(tables).flat())];
    const { rows } = await database.db.query<{ table: string }>(
      `select distinct tgrelid::regclass::text as table from pg_trigger
        where not tgisinternal and tgname in (select t || '_capture_' || op from unnest($1::text[]) t, unnest(array['insert', 'update', 'delete']) op)
        group by tgrelid having count(*) = 3`,
      [named],
    );
    expect(rows.map((row) => row.table).sort()).toEqual([...named].sort());
  });
});
