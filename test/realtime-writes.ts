import fc from 'fast-check';
import type { Db, Tx } from '../src/platform/db/database.js';
import { fixtureActor, fixtureId, fixtureUsers, type FixtureUser } from './fixture-world.js';

/**
 * Random writes to the captured tables of the fixture world, for the realtime authorisation property.
 * A write is done by the owner or by a fixture account (then RLS decides which rows it changes, maybe
 * none). Every write leaves the scope keys of existing rows alone: no session or roster moves, no
 * membership, affiliation or provider-location change, no deletes.
 *
 * The stream authorises a change when its batch is read, against the database as it is then, which is
 * any moment between the change's commit and the end of the run. So a write that changes who may see a
 * row (an enrollment, a roster line, a course's or session's status) is done only while that row has no
 * change in the run yet, and at most once per row: every change to the row is then authorised after the
 * write, against the visibility the row keeps until the end. Other such writes are skipped.
 */
export type Writer = 'owner' | FixtureUser;

interface WriteKind {
  /** The choices of each argument (fixture names, or values). */
  readonly args: readonly (readonly string[])[];
  readonly writers: readonly Writer[];
  /** The rows (`table:id`) whose visibility this write changes, for some subscriber. */
  readonly reveals?: (args: readonly string[]) => string[];
  run(tx: Tx, args: readonly string[]): Promise<unknown>;
}

const id = fixtureId;
const names = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}${index + 1}`);
const sessions = names('s', 7);
const rosters = names('r', 4);
const walkIns = names('sp', 5);
const users = Object.keys(fixtureUsers) as FixtureUser[];
const students = ['it1', 'it2', 'in1', 'in2', 'ic1', 'ic2', 'ip1', 'ap3'];
const teachers = ['ic1', 'ic2', 'ip1', 'it1', 'ap1'];
const locations = names('l', 4);
const courses = ['c-draft', 'c-first-aid', 'c-safety', 'c-legacy'];
const anyone: readonly Writer[] = ['owner', ...users];
const administrators: readonly Writer[] = ['owner', 'sa', 'ad'];
const ownerOnly: readonly Writer[] = ['owner'];
const fresh = `substr(md5(random()::text), 1, 10)`;

const profileOf = (user: string) => `profiles:${id(`profile-${user}`)}`;

/** An UPDATE of one fixture row, or of all of them (`every`) in one statement. */
function updateOf(table: string, set: string, targets: readonly string[], writers: readonly Writer[], idOf: (name: string) => string = id): WriteKind {
  return {
    args: [[...targets, 'every']],
    writers,
    run: (tx, [target]) => tx.query(`update ${table} set ${set} where id = any ($1::uuid[])`, [(target === 'every' ? targets : [target!]).map(idOf)]),
  };
}

const toggle = (column: string, a: string, b: string) => `${column} = case ${column} when '${a}' then '${b}' else '${a}' end`;

export const writeKinds = {
  // Changes that leave every row's visibility as it was.
  'rename session': updateOf('training_sessions', `title = 'Session ' || ${fresh}`, sessions, anyone),
  'resize schedule': updateOf('course_schedules', 'max_capacity = max_capacity % 40 + 1', names('sch', 3), anyone),
  'rename roster': updateOf('rosters', `name = 'Roster ' || ${fresh}`, rosters, anyone),
  'mark roster line': updateOf('student_roster_members', toggle('attendance_status', 'ATTENDED', 'ABSENT'), names('m', 5), anyone),
  'rename certificate': updateOf('certificates', `recipient_name = 'Recipient ' || ${fresh}`, names('cert', 5), anyone),
  'rename course': updateOf('courses', `title = 'Course ' || ${fresh}`, courses, anyone),
  'rename location': updateOf('locations', `name = 'Place ' || ${fresh}`, locations, anyone),
  'rename provider': updateOf('authorized_providers', `name = 'Provider ' || ${fresh}`, ['p1', 'p2'], anyone),
  'rename person': updateOf('profiles', `first_name = 'Name ' || ${fresh}`, users, anyone, (user) => id(`profile-${user}`)),
  'touch account': updateOf('users', 'last_login_at = now()', users, administrators),
  'waive compliance': updateOf(
    'compliance_records',
    toggle('status', 'WAIVED', 'PENDING'),
    ['it1-cr1', 'ic1-cr1', 'in1-cr2', 'ap3-cr1', 'ip1-cr2', 'in2-cr1', 'ic2-cr2'],
    administrators,
    (record) => id(`record-${record}`),
  ),
  'describe instructor': updateOf('instructor_profiles', `bio = 'About ' || ${fresh}`, ['ic1', 'ic2', 'ip1', 'it1', 'in1', 'it2'], anyone, (user) => id(`instructor-${user}`)),
  'rename walk-in': updateOf('student_enrollment_profiles', `company = 'Company ' || ${fresh}`, walkIns, anyone),
  // Enrollments are re-made by every rewiring, so the target is the n-th one; the owner writes, since
  // a student's own row refuses this column (a refused write would end the run).
  'mark enrollment': {
    args: [['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'every']],
    writers: ownerOnly,
    run: (tx, [n]) =>
      tx.query(
        `update session_enrollments set ${toggle('attendance_status', 'ATTENDED', 'ABSENT')}
          where $1::int is null
             or id = (select id from session_enrollments order by id offset $1 % greatest((select count(*) from session_enrollments), 1)::int limit 1)`,
        [n === 'every' ? null : Number(n)],
      ),
  },
  // New rows nothing refers to yet: they change nobody's view of other rows.
  'open location': { args: [], writers: ownerOnly, run: (tx) => tx.query(`insert into locations (name, country) values ('Place ' || ${fresh}, 'GB')`) },
  'add course': {
    args: [['DRAFT', 'ARCHIVED']],
    writers: ownerOnly,
    run: (tx, [status]) => tx.query(`insert into courses (code, title, duration_minutes, status) values ('RT-' || ${fresh}, 'New course', 60, $1)`, [status]),
  },
  // Each new session on a day of its own (no write deletes sessions): a teacher teaches one session at a time (migration 0039).
  'schedule session': {
    args: [locations, teachers, courses, ['open', 'closed']],
    writers: ownerOnly,
    run: (tx, [l, teacher, c, open]) =>
      tx.query(
        `insert into training_sessions (title, course_id, instructor_id, location_id, session_date, start_time, end_time, max_capacity, self_enrollment_allowed)
         values ('New session', $1, $2, $3, date '2031-01-01' + (select count(*)::integer from training_sessions), '09:00', '12:00', 10, $4)`,
        [id(c!), id(teacher!), id(l!), open === 'open'],
      ),
  },
  // Of a session, a roster, both or neither: their instructors see it, whoever issued it (migration 0053).
  'issue certificate': {
    args: [users, locations, teachers, [...sessions, 'none'], [...rosters, 'none']],
    writers: ownerOnly,
    run: (tx, [recipient, l, issuer, session, roster]) =>
      tx.query(
        `insert into certificates (user_id, course_id, location_id, issued_by, session_id, roster_id, course_name, recipient_name, issue_date, verification_code)
         values ($1, $2, $3, $4, $5, $6, 'First aid', 'Recipient', '2031-01-01', 'RT-' || upper(${fresh}))`,
        [id(recipient!), id('c-first-aid'), id(l!), id(issuer!), session === 'none' ? null : id(session!), roster === 'none' ? null : id(roster!)],
      ),
  },
  'record compliance': {
    args: [users, ['cr1', 'cr2']],
    writers: ownerOnly,
    run: (tx, [u, requirement]) =>
      tx.query(
        `insert into compliance_records (user_id, requirement_id) values ($1, $2)
         on conflict (user_id, requirement_id) do update set status = 'PENDING', completed_at = null, expires_at = null`,
        [id(u!), id(requirement!)],
      ),
  },
  'add walk-in': {
    args: [['p1', 'p2', 'none']],
    writers: ownerOnly,
    run: (tx, [p]) => tx.query(`insert into student_enrollment_profiles (first_name, last_name, provider_id) values ('New', 'Walk-in', $1)`, [p === 'none' ? null : id(p!)]),
  },
  'add provider': { args: [], writers: ownerOnly, run: (tx) => tx.query(`insert into authorized_providers (name) values ('Provider ' || ${fresh})`) },
  'create account': {
    args: [['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN']],
    writers: ownerOnly,
    run: async (tx, [role]) => {
      const { rows } = await tx.query<{ id: string }>(`insert into users (email_ciphertext, email_hmac, role) values ('x', 'rt-' || ${fresh}, $1) returning id`, [role]);
      await tx.query(`insert into profiles (user_id, first_name, last_name, role, status) values ($1, 'New', 'Person', $2, 'ACTIVE')`, [rows[0]!.id, role]);
    },
  },
  // Changes to who may see a row.
  enroll: {
    args: [sessions, [...students, ...walkIns]],
    writers: ownerOnly,
    // The student then sees the session; the session's staff see the student's account and profile.
    reveals: ([s, student]) =>
      student!.startsWith('sp')
        ? [`student_enrollment_profiles:${id(student!)}`]
        : [`training_sessions:${id(s!)}`, `users:${id(student!)}`, profileOf(student!)],
    run: (tx, [s, student]) =>
      tx.query('insert into session_enrollments (session_id, student_id, student_profile_id) values ($1, $2, $3) on conflict do nothing', [
        id(s!),
        student!.startsWith('sp') ? null : id(student!),
        student!.startsWith('sp') ? id(student!) : null,
      ]),
  },
  'add roster line': {
    args: [rosters, walkIns, [...students, 'none']],
    writers: ownerOnly,
    reveals: ([, walkIn, student]) => [`student_enrollment_profiles:${id(walkIn!)}`, ...(student === 'none' ? [] : [`users:${id(student!)}`, profileOf(student!)])],
    run: (tx, [r, walkIn, student]) =>
      tx.query('insert into student_roster_members (roster_id, student_profile_id, student_id) values ($1, $2, $3) on conflict do nothing', [
        id(r!),
        id(walkIn!),
        student === 'none' ? null : id(student!),
      ]),
  },
  // Non-administrators see a course unless it is a draft. A course without a published version cannot be published.
  'set course status': {
    args: [courses, ['DRAFT', 'PUBLISHED', 'ARCHIVED']],
    writers: administrators,
    reveals: ([c]) => [`courses:${id(c!)}`],
    run: (tx, [c, status]) =>
      tx.query(
        `update courses set status = case when $2 = 'PUBLISHED' and published_version is null then 'ARCHIVED' else $2 end,
                            published_at = coalesce(published_at, now())
          where id = $1`,
        [id(c!), status],
      ),
  },
  // Everyone signed in sees a scheduled session open for self-enrollment.
  'set session status': {
    args: [sessions, ['SCHEDULED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED'], ['open', 'closed']],
    writers: anyone,
    reveals: ([s]) => [`training_sessions:${id(s!)}`],
    run: (tx, [s, status, open]) =>
      tx.query('update training_sessions set status = $2, self_enrollment_allowed = $3, cancelled_reason = null where id = $1', [id(s!), status, open === 'open']),
  },
} satisfies Record<string, WriteKind>;

export type WriteKindName = keyof typeof writeKinds;

export interface RealtimeWrite {
  readonly kind: WriteKindName;
  readonly args: readonly string[];
  readonly as: Writer;
}

const kindNames = Object.keys(writeKinds) as WriteKindName[];

export const realtimeWrite: fc.Arbitrary<RealtimeWrite> = fc.oneof(
  ...kindNames.map((kind) => {
    const spec: WriteKind = writeKinds[kind];
    // The owner half the time: an account's write changes only what RLS lets it, often nothing.
    const others = spec.writers.filter((writer) => writer !== 'owner');
    const as = others.length === 0 ? fc.constant<Writer>('owner') : fc.oneof(fc.constant<Writer>('owner'), fc.constantFrom(...others));
    return fc.record({ kind: fc.constant(kind), args: fc.tuple(...spec.args.map((choices) => fc.constantFrom(...choices))), as });
  }),
);

/** Writes that change nobody's visibility go this many at a time (one by one on PGlite's one connection). */
const inFlight = 4;

async function runWrite(db: Db, write: RealtimeWrite): Promise<void> {
  const spec: WriteKind = writeKinds[write.kind];
  if (write.as === 'owner') await db.transaction((tx) => spec.run(tx, write.args));
  else await db.withActor(fixtureActor(write.as), (tx) => spec.run(tx, write.args));
}

/**
 * Writes that must not run at the same time: two writes of many rows could lock them in different orders
 * and deadlock; two new sessions would pick the same day (it counts the sessions), and one teacher's
 * would overlap (migration 0039).
 */
const conflict = (a: RealtimeWrite, b: RealtimeWrite) =>
  (a.args[0] === 'every' && b.args[0] === 'every') || (a.kind === 'schedule session' && b.kind === 'schedule session');

/**
 * Does the writes, one transaction each, and returns the ones done. Consecutive writes that change
 * nobody's visibility run concurrently, so commit order differs from transaction-id order; a visibility
 * change runs alone, after everything before it committed, and is skipped when a row it reveals or hides
 * already changed in the run or was revealed before (see above). `runStartSeq`: the change_log seq
 * before the run's first write.
 */
export async function applyRealtimeWrites(db: Db, writes: readonly RealtimeWrite[], runStartSeq: string): Promise<RealtimeWrite[]> {
  const revealed = new Set<string>();
  const done: RealtimeWrite[] = [];
  let together: RealtimeWrite[] = [];
  const runTogether = async () => {
    await Promise.all(together.map((write) => runWrite(db, write)));
    done.push(...together);
    together = [];
  };
  for (const write of writes) {
    const rows = (writeKinds[write.kind] as WriteKind).reveals?.(write.args) ?? [];
    if (rows.length === 0) {
      if (together.some((other) => conflict(other, write))) await runTogether();
      together.push(write);
      if (together.length === inFlight) await runTogether();
      continue;
    }
    await runTogether();
    const { rows: [changed] } = await db.query<{ count: number }>(
      `select count(*)::int as count from change_log where seq > $1 and table_name || ':' || row_id = any ($2::text[])`,
      [runStartSeq, rows],
    );
    if (changed!.count > 0 || rows.some((row) => revealed.has(row))) continue;
    rows.forEach((row) => revealed.add(row));
    await runWrite(db, write);
    done.push(write);
  }
  await runTogether();
  return done;
}
