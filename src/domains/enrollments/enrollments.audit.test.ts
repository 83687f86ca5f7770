import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/database.js';
import { createEnrollmentWorld, createSession, createStudents, type EnrollmentWorld } from '../../../test/world.js';
import type { Actor } from '../../platform/db/actor.js';
import { databaseRoles, type Tx } from '../../platform/db/database.js';

// Real database (a migrated PGlite copy, or a PostgreSQL database when DATABASE_URL is set).
// enroll_student writes the audit and change-capture rows of its seat and enrollment itself (decision
// 0079); the same changes made by plain statements are recorded by the triggers. The two must agree.
const context = useTestDatabase();
let world: EnrollmentWorld;

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
});

const administrator = (): Actor => ({
  userId: world.sa.id, role: 'SA', providerId: null, requestId: `req-${randomUUID()}`, ip: '203.0.113.9', userAgent: 'vitest/4 enrollment audit',
});

/** Students of a session: two new, two with a cancelled enrollment to reuse (written as the owner, unaudited). */
async function sessionWithStudents(): Promise<{ session: string; fresh: string[]; cancelled: { student: string; enrollment: string }[] }> {
  const session = await createSession(context.db, world, { capacity: 2 });
  const students = await createStudents(context.db, 4);
  const cancelled = await context.db.transaction(async (tx) => {
    await tx.query(`select set_config('unitrain.audit', 'off', true)`);
    const { rows } = await tx.query<{ student: string; enrollment: string }>(
      `insert into session_enrollments (session_id, student_id, status) select $1, s, 'CANCELLED' from unnest($2::uuid[]) s
       returning student_id as student, id as enrollment`,
      [session, students.slice(2)],
    );
    return rows;
  });
  return { session, fresh: students.slice(0, 2), cancelled };
}

/** The order both sessions enroll their students in: a seat, a reused row with a seat, then (full) a waitlist place and a reused row on the waitlist. */
function turns(list: { fresh: string[]; cancelled: { student: string }[] }): string[] {
  return [list.fresh[0]!, list.cancelled[0]!.student, list.fresh[1]!, list.cancelled[1]!.student];
}

/** What the log holds of one session's enrollments, in order, with what differs between two sessions made alike named. */
async function recorded(session: string, requestId: string) {
  const { rows: audit } = await context.db.query<{ actor_id: string; actor_role: string; table_name: string; operation: string; row_id: string; old_values: unknown; new_values: unknown; request_id: string; ip: string; user_agent: string }>(
    `select actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, host(ip) as ip, user_agent
       from audit_log where request_id = $1 order by id`,
    [requestId],
  );
  const { rows: changes } = await context.db.query<{ table_name: string; operation: string; row_id: string; location_id: string; provider_id: string; instructor_id: string; user_id: string | null }>(
    `select c.table_name, c.operation, c.row_id, c.location_id, c.provider_id, c.instructor_id, c.user_id
       from change_log c where c.row_id = $1 or c.row_id in (select id from session_enrollments where session_id = $1) order by c.seq`,
    [session],
  );
  const { rows: ids } = await context.db.query<{ id: string; student: string }>('select id, student_id as student from session_enrollments where session_id = $1', [session]);
  const names = new Map<unknown, string>([[session, '<session>'], [requestId, '<request>'], ...ids.map((row): [string, string] => [row.id, `<enrollment of ${row.student}>`])]);
  // Ids become names; times are only checked to be present (two sessions are written at different moments).
  const named = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(named);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) =>
        [key, ['updated_at', 'created_at', 'enrollment_date', 'scheduled_during', 'session_date'].includes(key) && inner !== null ? '<time>' : named(inner)]));
    }
    return names.get(value) ?? value;
  };
  return { audit: named(audit), changes: named(changes) };
}

describe('an enrollment’s audit and change-capture rows', () => {
  it('are the rows the triggers write for the same seats and enrollments: new, reused, seated and waitlisted', async () => {
    // By enroll_student, in turns.
    const byFunction = await sessionWithStudents();
    const functionActor = administrator();
    for (const student of turns(byFunction)) {
      await context.db.withActor(functionActor, (tx) => tx.query('select outcome from enroll_student($1, $2, null, false)', [byFunction.session, student]));
    }

    // The same changes by plain statements of the same administrator: the triggers record them.
    const byStatements = await sessionWithStudents();
    const statementActor = administrator();
    const seat = (tx: Tx) => tx.query('update training_sessions set current_enrollment = current_enrollment + 1 where id = $1', [byStatements.session]);
    const insert = (tx: Tx, student: string, status: string, position: number | null) =>
      tx.query('insert into session_enrollments (session_id, student_id, status, waitlist_position, enrolled_by) values ($1, $2, $3, $4, $5)',
        [byStatements.session, student, status, position, world.sa.id]);
    const reuse = (tx: Tx, enrollment: string, status: string, position: number | null) =>
      tx.query('update session_enrollments set status = $2, waitlist_position = $3, enrollment_date = now(), enrolled_by = $4 where id = $1',
        [enrollment, status, position, world.sa.id]);
    await context.db.withActor(statementActor, async (tx) => { await seat(tx); await insert(tx, byStatements.fresh[0]!, 'ENROLLED', null); });
    await context.db.withActor(statementActor, async (tx) => { await seat(tx); await reuse(tx, byStatements.cancelled[0]!.enrollment, 'ENROLLED', null); });
    await context.db.withActor(statementActor, (tx) => insert(tx, byStatements.fresh[1]!, 'WAITLISTED', 1));
    await context.db.withActor(statementActor, (tx) => reuse(tx, byStatements.cancelled[1]!.enrollment, 'WAITLISTED', 2));

    const fromFunction = await recorded(byFunction.session, functionActor.requestId!);
    const fromTriggers = await recorded(byStatements.session, statementActor.requestId!);
    // The students differ between the two sessions: each is named by its turn (turns).
    const byTurn = (value: unknown, students: string[]): unknown =>
      JSON.parse(students.reduce<string>((text, student, turn) => text.replaceAll(student, `<student ${turn}>`), JSON.stringify(value)));
    expect(byTurn(fromFunction, turns(byFunction))).toEqual(byTurn(fromTriggers, turns(byStatements)));
    expect((fromFunction.audit as { table_name: string; operation: string }[]).map((row) => `${row.table_name} ${row.operation}`)).toEqual([
      'training_sessions UPDATE', 'session_enrollments INSERT',
      'training_sessions UPDATE', 'session_enrollments UPDATE',
      'session_enrollments INSERT',
      'session_enrollments UPDATE',
    ]);
  });

  it('are written once: the triggers of the function’s own writes record nothing more', async () => {
    const { session, fresh } = await sessionWithStudents();
    const actor = administrator();
    await context.db.withActor(actor, (tx) => tx.query('select outcome from enroll_student($1, $2, null, false)', [session, fresh[0]]));
    const { rows } = await context.db.query<{ table_name: string; n: number }>(
      `select table_name, count(*)::integer as n from audit_log where request_id = $1 group by table_name order by table_name`, [actor.requestId],
    );
    expect(rows).toEqual([{ table_name: 'session_enrollments', n: 1 }, { table_name: 'training_sessions', n: 1 }]);
    const { rows: changes } = await context.db.query<{ change: string }>(
      `select table_name || ' ' || operation as change from change_log
        where row_id = $1 or row_id in (select id from session_enrollments where session_id = $1) order by seq`, [session],
    );
    // The session's creation (by the owner), then the seat and the enrollment; the cancelled rows were written with audit off.
    expect(changes.map((row) => row.change)).toEqual(['training_sessions INSERT', 'training_sessions UPDATE', 'session_enrollments INSERT']);
  });

  it('follow the audit switch as the triggers do: none for the owner’s bulk load, always for a request', async () => {
    const { session, fresh } = await sessionWithStudents();
    const enrolled = async (switchOff: (tx: Tx) => Promise<unknown>, student: string) => {
      const requestId = `req-${randomUUID()}`;
      await context.db.transaction(async (tx) => {
        await switchOff(tx);
        await tx.query(`select set_config('unitrain.user_id', $1, true), set_config('unitrain.role', 'SA', true), set_config('unitrain.request_id', $2, true)`,
          [world.sa.id, requestId]);
        await tx.query('select outcome from enroll_student($1, $2, null, false)', [session, student]);
      });
      const { rows: [logged] } = await context.db.query<{ n: number }>('select count(*)::integer as n from audit_log where request_id = $1', [requestId]);
      return logged?.n;
    };
    expect(await enrolled((tx) => tx.query(`select set_config('unitrain.audit', 'off', true)`), fresh[0]!)).toBe(0);
    // The role a request runs as cannot switch it off.
    expect(await enrolled((tx) => tx.query(`select set_config('unitrain.audit', 'off', true), set_config('role', $1, true)`, [databaseRoles.SA]), fresh[1]!)).toBe(2);
  });
});
