import type { ActorRole } from '../db/actor.js';
import { changeRules } from './access-matrix.changes.js';
import { accessMatrixDecisions } from './access-matrix.decisions.js';
import { accessMatrix, hiddenFieldRules, matrixRoles, operations, type RowRule, type TableAccess } from './access-matrix.js';
import { workflowAccess } from './access-matrix.workflows.js';

/** Renders docs/access-matrix.md from the matrix data; `npm run docs:matrix` writes it. */

export const accessMatrixDocPath = 'docs/access-matrix.md';

const letters = { select: 'S', insert: 'I', update: 'U', delete: 'D' } as const;
const code = (text: string) => `\`${text}\``;

const rulesFor = (access: TableAccess, operation: keyof TableAccess['rules'], role: ActorRole): RowRule[] =>
  access.rules[operation].filter((rule) => rule.roles.includes(role));

/** One letter per operation: capital when the role reaches every row, lower case when only some. */
function overviewCell(access: TableAccess, role: ActorRole): string {
  const cell = operations
    .map((operation) => {
      const rules = rulesFor(access, operation, role);
      if (rules.length === 0) return '';
      const everyRow = rules.some((rule) => rule.everyRow) && (operation === 'select' || operation === 'insert' || rulesFor(access, 'select', role).some((rule) => rule.everyRow));
      return everyRow ? letters[operation] : letters[operation].toLowerCase();
    })
    .join('');
  return cell === '' ? '—' : cell;
}

/** The words of the role's rules for one operation; a rule that covers every row makes the others moot. */
function wordsCell(access: TableAccess, operation: keyof TableAccess['rules'], role: ActorRole): string {
  const rules = rulesFor(access, operation, role);
  if (rules.length === 0) return '—';
  const shown = rules.some((rule) => rule.everyRow) ? rules.filter((rule) => rule.everyRow) : rules;
  return shown.map((rule) => rule.words).join('; ');
}

function tableSection(access: TableAccess): string[] {
  const hidden = hiddenFieldRules.filter((rule) => rule.table === access.table);
  return [
    `### ${access.table}`,
    '',
    '| role | select | insert | update | delete |',
    '|---|---|---|---|---|',
    ...matrixRoles.map((role) => `| ${role} | ${operations.map((operation) => wordsCell(access, operation, role)).join(' | ')} |`),
    '',
    ...(access.unreadableColumns.length > 0
      ? [`Never readable by the application (no column privilege): ${access.unreadableColumns.map(code).join(', ')}.`, '']
      : []),
    ...(hidden.length > 0
      ? [`Hidden fields, read through ${code(`${access.table}_visible`)}:`, '', ...hidden.map((rule) => `- ${rule.columns.map(code).join(', ')}: visible to ${rule.words}.`), '']
      : []),
  ];
}

function privilegesOf(access: TableAccess): string {
  const granted = operations.filter((operation) => access.rules[operation].length > 0).map((operation) => operation.toUpperCase());
  const select = access.unreadableColumns.length > 0 ? `SELECT (all columns but ${access.unreadableColumns.map(code).join(', ')})` : null;
  return granted.map((privilege) => (privilege === 'SELECT' && select ? select : privilege)).join(', ') || 'none';
}

const enforcement = [
  '## How PostgreSQL enforces it (migration 0009)',
  '',
  '- **One application role, a database role per role of the matrix.** Every request has the privileges of `unitrain_app`: it runs as the database role of its actor’s role, `unitrain_sa`, `unitrain_ad`, `unitrain_ap`, `unitrain_ic`, `unitrain_ip`, `unitrain_it`, `unitrain_in` or `unitrain_anon` (migration 0084, decision 0086), each a NOLOGIN member of `unitrain_app` with nothing granted of its own and no member but the owner (`withActor` does `SET LOCAL ROLE` and sets the claims `unitrain.user_id`, `unitrain.role`, … for the transaction; the role comes from a fixed table of the code, never from input). None has BYPASSRLS or owns anything. Signed-out requests carry role `ANON` and no user id.',
  '- **RLS enabled and forced on every table.** Policies are one per rule above, named after the rule (`users.select.ad` → `users_select_ad`), `TO` the database roles of the rule’s roles (`TO unitrain_app` when the rule is for every role); a test keeps the names, the roles and the rules equal. Every policy still tests the claims: the role only keeps a policy that cannot admit a caller out of that caller’s plan. Each table also has `<table>_owner_all` (`TO` the migrating user, `USING (true)`), because FORCE applies RLS to the owner too, and the owner is who runs migrations, the seed, jobs, and the auth code that establishes who the actor is.',
  '- **Helper functions.** `app_user_id()`, `app_role()`, `app_is_admin()`, `app_is_signed_in()` read the claims (empty means none). Scopes that need other tables go through SECURITY DEFINER functions (`SET search_path = public, pg_temp`, executable by the application role only), never through a sub-query on another RLS table, which would apply that table’s policies too (slow, and recursive between tables that refer to each other). Arrays for sets bounded by one person’s activity, wrapped in a sub-select so they run once per statement: `app_provider_ids()`, `app_provider_location_ids()`, `app_taught_session_ids()`, `app_enrolled_session_ids()`, `app_team_ids()`, `app_provider_team_ids()`, `app_instructed_roster_ids()`, `app_own_roster_ids()`, `app_published_course_ids()`, and `app_affiliated_provider_id()`. Booleans, per row, for sets that grow with a whole provider’s business, given those arrays so that each row costs a few index lookups: `app_session_in_locations`, `app_roster_in_locations`, `app_provider_affiliates_user`, `app_provider_sees_user`, `app_provider_sees_student_profile`, `app_instructor_sees_user`, `app_instructor_sees_student_profile`; and single lookups `app_session_open_for_self_enrollment(uuid)`, `app_user_role(uuid)`, `app_audit_entry_concerns_sa(…)`.',
  '- **Column guards.** Policies choose rows, not columns. Where a non-administrator may update a row but only some of its columns, a BEFORE UPDATE trigger refuses the rest with SQLSTATE 42501 (`only SA or AD may change department of profiles`), which the API reports as `FORBIDDEN`: `profiles` (the person: names, display name, phone, e-mail, organisation), `instructor_profiles` (the instructor or their AP: display name, bio, specialties), `session_enrollments` (the student: cancel only; the AP of the session’s location and its instructor: anything). The guards apply to the roles requests run as (`unitrain_app` and its per-role members, named once, in `app_is_request_role()`: migration 0087) only; the owner (jobs, SECURITY DEFINER functions) is the system.',
  '- **What it trusts.** The claims are the application’s word for who acts (set from the verified access token and the account’s current role). Row-level security guards against mistakes in the application’s queries (a forgotten condition, a wrong join), not against arbitrary SQL run as the application role, which could set claims of its own.',
  '- **AD and SA.** AD’s rules on `users` and `profiles` check `role <> \'SA\'` in USING and WITH CHECK, so AD can neither see, change nor create an SA account, nor turn anyone into one. The helpers by which an AP or an IC/IP sees people (`app_provider_affiliates_user`, `app_provider_sees_user`, `app_instructor_sees_user`) never count an SA account, and no role but SA may point a row at one (the `sa_reference` change rules below).',
  '- **Hidden fields.** Each table with hidden fields has a view `<table>_visible` (`security_invoker`, so the table’s policies choose the rows) with every column the application may read, in table order, hidden ones as `CASE WHEN <visible> THEN column END`. The API reads through these views.',
  '- **Materialised views** (`session_fill_by_location_month`, `certificate_counts_by_location_quarter`, and migration 0036’s `enrollment_figures_by_month`, `instructor_figures_by_month`, `certificate_figures_by_month`) keep SELECT for the application. They have no row-level security, so the report query scopes them itself (`src/domains/reports/reports.repository.ts`, decision 0037): SA and AD every row; AP the rows of its providers’ locations; IC and IP the rows they taught or issued (no `session-fill` report, which has no instructor key); IT and IN no report (403). The reports test compares each role’s report with its own SELECTs on the base tables. Refreshing them is the owner’s job (the scheduled `reports.refresh-analytics`); `analytics_refreshes` and `job_schedules` are the owner’s alone, like `login_failures`, and the application reads refresh times through `app_analytics_refreshed_at(view)`.',
  '- **Compliance (migration 0046).** The compliance API reads through these rules: requirements to everyone signed in; records and proposed tier changes (`compliance_tier_changes`) to SA and AD all, to an AP those of people affiliated with its providers, to everyone else their own. Only SA and AD write records and requirements, and confirm or dismiss tier changes (confirming also updates `users.role` under their rules); the nightly job proposes them as the owner. The compliance matrix adds, on top of the rules on `profiles` and `compliance_records`, its own condition so that an IC or IP lists themselves only, not the students whose profiles they may read. Scores are recomputed by `app_recompute_compliance_scores`, a SECURITY DEFINER wrapper that refuses anyone but SA and AD. The renewal reminders sent (`compliance_reminders`) are the owner’s alone, like `job_schedules`: only the reminder job touches them, and people read their reminders in `notifications`.',
  '- **Audit log.** The application may only read `audit_log`; the audit triggers (migration 0010) are SECURITY DEFINER, so nobody can add, change or erase an audit row through the application.',
  '',
];

const saReferenceRules = changeRules.filter((rule) => rule.id.endsWith('.sa_reference'));

const changesSection = [
  '## What a write may set (change rules, migration 0028)',
  '',
  'Row rules say which rows a role may write; these say what a write may put in some columns, where the answer depends on what changes. Each is checked on insert and on an update that changes one of its columns, by a trigger (`<table>_guard_<rule>`) that refuses with 42501, answered as 403 `FORBIDDEN`; a write must pass the row rules as well. The SECURITY DEFINER workflows act as the owner and copy what their own checks allowed (a roster made from a session takes the session’s place and instructor), except the `sa_reference` rules, which go by the actor’s claims and so hold inside the workflows too.',
  '',
  '| rule | columns | who may set what |',
  '|---|---|---|',
  ...changeRules
    .filter((rule) => !saReferenceRules.includes(rule))
    .map((rule) => `| ${code(rule.id)} | ${rule.columns.map(code).join(', ')} | ${rule.words} |`),
  `| ${code('<table>.sa_reference')} | every foreign key to \`users\` but \`auth_sessions\` (written by the sign-in code only): ${saReferenceRules.map((rule) => rule.columns.map((column) => code(`${rule.table}.${column}`)).join(', ')).join(', ')} | only an SA points these at an SA account |`,
  '',
];

const workflowsSection = [
  '## Workflows (SECURITY DEFINER functions)',
  '',
  'The API calls these functions for the workflows; they check the caller themselves and then act as the owner, so the row rules above do not decide who may call them: this table does. Answers: the caller is let through (the row’s state may still refuse, 409), 403 when the caller sees the row but may not do this, 404 when the caller may not see it. Signed out, every route answers 401 before any function; the calendar feed is read by the holder of its token.',
  '',
  '| function | routes | names a row of | who is let through |',
  '|---|---|---|---|',
  ...workflowAccess.map((workflow) => `| ${code(workflow.id)} | ${workflow.routes.map(code).join(', ')} | ${code(workflow.subject)} | ${workflow.words} |`),
  '',
];

const testing = [
  '## How it is tested',
  '',
  '- `src/platform/security/access-matrix.rls.test.ts` builds the fixture world (`test/fixture-world.ts`: two providers, four locations, accounts of every role, students with and without accounts, …) and, for every table, operation and role, compares the rows PostgreSQL lets each fixture actor of that role select, insert, update and delete with `expectedRows(table, operation, actor, snapshot)`; and reads every `<table>_visible` view as every actor, comparing with `hiddenColumns(table, actor, row, snapshot)`.',
  '- `src/platform/security/access-matrix.property.test.ts` rewires the world at random (who teaches which session where, enrollments, provider memberships and locations, affiliations, roster instructors) and checks select and update for random actors on every table.',
  '- `src/platform/security/access-matrix.changes.test.ts` gives every row each fixture actor may update every candidate place and instructor, and every column that refers to users the SA’s id, one rolled-back UPDATE each, and compares what PostgreSQL lets through with the change rules.',
  '- `src/platform/security/access-matrix.workflows.test.ts` calls every workflow function as every fixture actor on every row it can name, rolled back, and compares the answer (let through, 403, 404) with the workflow rules; `src/platform/http/access-matrix.workflows.http.test.ts` calls their routes as every actor on every row the rules refuse, and checks the 403 or 404 and that nothing changed.',
  '- `src/platform/security/rls-catalogue.test.ts` checks the catalogue: RLS forced everywhere, one policy per rule, privileges exactly as listed above, the views’ columns, a guard on every foreign key to `users`, the trigger of every change rule, and that the application may call no SECURITY DEFINER function the workflow table does not name; `src/platform/security/rls-column-guards.test.ts` the column guards and the AD/SA checks.',
  '- `src/platform/http/placement-and-references.http.test.ts` tells the stories of issue 11 through the API: an instructor moving a session or roster to another provider, an AP assigning another provider’s instructor, AD attaching rows to the SA, an SA enrolled in a session.',
  '- `src/platform/security/access-matrix.doc.test.ts` fails when this file differs from what the data generates.',
  '',
];

export function renderAccessMatrixDoc(): string {
  const lines = [
    '# Access matrix',
    '',
    '<!-- Generated from src/platform/security/access-matrix.ts by `npm run docs:matrix`. Do not edit: a test fails when this file and the data disagree. -->',
    '',
    'Who may select, insert, update and delete which rows of every table, and which fields each role reads as null. The data in `src/platform/security/access-matrix.ts` is the single source: the row-level-security policies implement it one policy per rule, the API reads through it, and the tests compare PostgreSQL with it row by row.',
    '',
    '## How to read it',
    '',
    '- Roles: SA System Administrator, AD Administrator, AP Authorized Provider, IC Instructor Certified, IP Instructor Provisional, IT Instructor Trainee, IN Instructor New, ANON signed out.',
    '- **Own providers**: the providers the actor is a member of (`provider_members`). **Own locations**: the locations of own providers (`provider_locations`). **Taught sessions**: sessions whose instructor is the actor (counted for IC and IP only). **Enrolled sessions**: sessions with an enrollment row of the actor, whatever its status. **Affiliated**: an instructor’s `instructor_profiles.provider_id`.',
    '- A cell lists the rows the role may touch; — means none. A role may update or delete only rows it can also select.',
    '',
    '## Overview',
    '',
    'S, I, U, D: select, insert, update, delete on every row; s, i, u, d: on some rows (see the table’s section).',
    '',
    `| table | ${matrixRoles.join(' | ')} |`,
    `|---|${matrixRoles.map(() => '---').join('|')}|`,
    ...accessMatrix.map((access) => `| ${access.table} | ${matrixRoles.map((role) => overviewCell(access, role)).join(' | ')} |`),
    '',
    '## Tables',
    '',
    ...accessMatrix.flatMap(tableSection),
    '## Hidden fields',
    '',
    '| table | columns | visible to |',
    '|---|---|---|',
    ...hiddenFieldRules.map((rule) => `| ${rule.table} | ${rule.columns.map(code).join(', ')} | ${rule.words} |`),
    '',
    '## Privileges of `unitrain_app`',
    '',
    'Granted table by table, exactly what the rules need (replacing the blanket grants of migration 0008).',
    '',
    '| table | privileges |',
    '|---|---|',
    ...accessMatrix.map((access) => `| ${access.table} | ${privilegesOf(access)} |`),
    '| `<table>_visible` views, materialised views | SELECT |',
    '| sequences of `domain_events`, `change_log` | USAGE |',
    '',
    ...enforcement,
    ...changesSection,
    ...workflowsSection,
    '## Decisions',
    '',
    'Where this matrix departs from, or adds to, issue 3 and the design, and why.',
    '',
    ...accessMatrixDecisions.map((decision) => `- Decision: ${decision}`),
    '',
    ...testing,
    '## Rule index',
    '',
    'Every rule, and the policy that implements it (the id with underscores).',
    '',
    '| rule | roles | rows |',
    '|---|---|---|',
    ...accessMatrix.flatMap((access) => operations.flatMap((operation) => access.rules[operation].map((rule) => `| ${code(rule.id)} | ${rule.roles.join(' ')} | ${rule.words} |`))),
    '',
  ];
  return lines.join('\n');
}
