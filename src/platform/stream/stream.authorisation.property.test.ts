import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintAccessToken, testKeyring } from '../../../test/auth.js';
import { buildFixtureWorld, fixtureActor, fixtureId, fixtureNameOf, fixtureUsers, type FixtureUser } from '../../../test/fixture-world.js';
import { useListeningApp } from '../../../test/listening-app.js';
import { randomWorld, rewire, type RandomWorld } from '../../../test/random-world.js';
import { applyRealtimeWrites, realtimeWrite, type RealtimeWrite, type WriteKindName } from '../../../test/realtime-writes.js';
import { openStream, type SseConnection, type SseEvent } from '../../../test/sse-client.js';
import type { Role } from '../db/actor.js';
import { comparePositions, parsePosition } from '../change-log/index.js';
import { tablesOfTopics, topics, type Topic } from './topics.js';
import { propertyRuns } from '../../../test/property-runs.js';

// A real server on a port, real SSE clients (one per fixture account, each with its own topics), and
// writes to the captured tables, as the owner or as accounts under RLS. What each subscriber must
// receive is decided afterwards by PostgreSQL: every change_log row of the run, on a table of its
// topics, whose row the subscriber's actor can select under RLS (the writes never change who may see a
// row that already changed in the run; test/realtime-writes.ts says why). A new location, which every
// signed-in account sees, marks the start and the end of the run in every stream. Each subscriber gets
// it live, and again by resuming from the start marker (the hub's replay path).
const context = useListeningApp(true);

beforeAll(async () => {
  await buildFixtureWorld(context.db);
});

/** in2 is INACTIVE: the stream refuses its token, as every route does. */
const subscriberAccounts = (Object.keys(fixtureUsers) as FixtureUser[]).filter((user) => user !== 'in2');

interface Subscriber {
  readonly user: FixtureUser;
  /** null: no `topics` parameter (every topic). Otherwise `locations` is added, for the markers. */
  readonly topics: readonly Topic[] | null;
}

interface Change {
  readonly table: string;
  readonly op: string;
  readonly id: string;
  /** `<txid>.<seq>`: the stream's event id, and the change_log row's place in delivery order. */
  readonly position: string;
}

const describeChange = (change: Change) => `${change.op} ${change.table} ${fixtureNameOf(change.id)} @${change.position}`;
const topicsParameter = (subscriber: Subscriber) => (subscriber.topics === null ? undefined : [...new Set([...subscriber.topics, 'locations'])].join(','));
const labelOf = (subscriber: Subscriber) => `${subscriber.user}[${subscriber.topics?.join(',') ?? 'all'}]`;
const changeOf = (event: SseEvent): Change => ({ table: String(event.data['table']), op: String(event.data['op']), id: String(event.data['id']), position: event.id });
const afterPosition = (a: string, b: string) => comparePositions(parsePosition(a, 'a'), parsePosition(b, 'b')) > 0;

/** Inserts a location (every signed-in account sees it) and waits until every stream has it. */
async function markEveryStream(streams: readonly SseConnection[]): Promise<{ position: string; seq: string }> {
  const { rows: [marker] } = await context.db.query<{ id: string }>("insert into locations (name, country) values ('Marker', 'GB') returning id");
  const eventOf = (stream: SseConnection) => stream.changes().find((event) => event.data['id'] === marker!.id);
  await Promise.all(streams.map((stream) => stream.waitUntil(() => eventOf(stream) !== undefined, 15_000, 'the marker location')));
  const event = eventOf(streams[0]!)!;
  return { position: event.id, seq: String(event.data['seq']) };
}

/** The ids among `changes` whose rows the account can select now, checked with SQL under its actor. */
async function selectableRows(user: FixtureUser, changes: readonly Change[]): Promise<Set<string>> {
  const idsByTable = new Map<string, string[]>();
  for (const change of changes) idsByTable.set(change.table, [...(idsByTable.get(change.table) ?? []), change.id]);
  return context.db.withActor(fixtureActor(user), async (tx) => {
    const visible = new Set<string>();
    // Table names come from change_log rows whose tables a topic names (tablesOfTopics), not from input.
    for (const [table, ids] of idsByTable) {
      const { rows } = await tx.query<{ id: string }>(`select id from ${table} where id = any ($1::uuid[])`, [ids]);
      for (const row of rows) visible.add(`${table}:${row.id}`);
    }
    return visible;
  });
}

/** What `have` holds beyond `want`, as a multiset. */
function beyond(have: readonly string[], want: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const key of want) left.set(key, (left.get(key) ?? 0) + 1);
  return have.filter((key) => {
    const count = left.get(key) ?? 0;
    left.set(key, count - 1);
    return count <= 0;
  });
}

/** What a stream got wrong in the run's window (start, end]: out of order or twice, beyond `expected`, or short of it. */
function faultsOf(label: string, stream: SseConnection, window: { start: string; end: string }, expected: readonly string[]): string[] {
  const faults: string[] = [];
  const positions = stream.changes().map((event) => event.id);
  const disorder = positions.filter((position, at) => at > 0 && !afterPosition(position, positions[at - 1]!));
  if (disorder.length > 0) faults.push(`${label} got events out of order or twice: ${disorder.join(', ')}`);
  const got = stream.changes().map(changeOf).filter((change) => afterPosition(change.position, window.start) && !afterPosition(change.position, window.end)).map(describeChange);
  const extra = beyond(got, expected);
  const missing = beyond(expected, got);
  if (extra.length > 0) faults.push(`${label} was sent what it cannot select: ${extra.join('; ')}`);
  if (missing.length > 0) faults.push(`${label} was not sent what it can select: ${missing.join('; ')}`);
  return faults;
}

interface RunResult {
  /** Per subscriber, what it was sent but may not select, what it may select but was not sent, and order faults. */
  problems: string[];
  /** Per subscriber, the changes its live stream received between the markers (the end marker left out). */
  received: Change[][];
}

/**
 * Rewires the fixture world, opens one stream per subscriber, marks the start, runs `act`, marks the
 * end, and compares what each stream received between the markers with what its actor can select.
 * Then each subscriber resumes from the start marker on a second stream (`since`), which replays the
 * run from change_log through the hub's other path, and must receive the same.
 */
async function streamDuring(world: RandomWorld, subscribers: readonly Subscriber[], act: (startSeq: string) => Promise<unknown>): Promise<RunResult> {
  await context.db.transaction((tx) => rewire(tx, world));
  const tokens = await Promise.all(
    subscribers.map(({ user }) => {
      const actor = fixtureActor(user);
      return mintAccessToken(testKeyring, { userId: actor.userId as string, role: actor.role as Role, providerId: actor.providerId });
    }),
  );
  const streams: SseConnection[] = [];
  const openAll = async (since?: string) => {
    const opened = await Promise.all(
      subscribers.map((subscriber, index) => {
        const topicList = topicsParameter(subscriber);
        return openStream(context.baseUrl, { token: tokens[index]!, ...(topicList === undefined ? {} : { topics: topicList }), ...(since === undefined ? {} : { since }) });
      }),
    );
    streams.push(...opened);
    expect(opened.map((stream) => stream.status)).toEqual(subscribers.map(() => 200));
    return opened;
  };
  try {
    const live = await openAll();
    const start = await markEveryStream(live);
    await act(start.seq);
    const end = await markEveryStream(live);
    const replayed = await openAll(start.position);
    await Promise.all(replayed.map((stream) => stream.waitUntil(() => stream.changes().some((event) => event.id === end.position), 15_000, 'the end marker, replayed')));
    const { rows: logged } = await context.db.query<{ position: string; table_name: string; operation: string; row_id: string }>(
      `select txid::text || '.' || seq as position, table_name, operation, row_id from change_log
        where (txid, seq) > ($1::text::xid8, $2::bigint) and (txid, seq) <= ($3::text::xid8, $4::bigint)`,
      [...start.position.split('.'), ...end.position.split('.')],
    );
    const changes: Change[] = logged.map((row) => ({ table: row.table_name, op: row.operation, id: row.row_id, position: row.position }));
    const window = { start: start.position, end: end.position };
    const problems: string[] = [];
    for (const [index, subscriber] of subscribers.entries()) {
      const tables = tablesOfTopics(topicsParameter(subscriber));
      const candidates = changes.filter((change) => tables.has(change.table));
      const visible = await selectableRows(subscriber.user, candidates);
      const expected = candidates.filter((change) => visible.has(`${change.table}:${change.id}`)).map(describeChange);
      problems.push(...faultsOf(`${labelOf(subscriber)} live`, live[index]!, window, expected), ...faultsOf(`${labelOf(subscriber)} replayed`, replayed[index]!, window, expected));
    }
    const received = live.map((stream) =>
      stream.changes().map(changeOf).filter((change) => afterPosition(change.position, start.position) && afterPosition(end.position, change.position)),
    );
    return { problems, received };
  } finally {
    for (const stream of streams) stream.close();
  }
}

const topicChoice = fc.option(fc.subarray(topics), { nil: null });

/** Every active account once, plus a second stream of one of them with other topics. */
const subscriberSets = fc
  .tuple(fc.tuple(...subscriberAccounts.map(() => topicChoice)), fc.constantFrom(...subscriberAccounts), topicChoice)
  .map(([each, twice, twiceTopics]): Subscriber[] => [
    ...subscriberAccounts.map((user, index) => ({ user, topics: each[index] ?? null })),
    { user: twice, topics: twiceTopics },
  ]);

describe('realtime authorisation', () => {
  it('sends every subscriber exactly the changes, during random writes, to rows its account can select', async () => {
    const done = new Map<WriteKindName, number>();
    await fc.assert(
      fc.asyncProperty(randomWorld, subscriberSets, fc.array(realtimeWrite, { minLength: 30, maxLength: 80 }), async (world, subscribers, writes) => {
        const { problems } = await streamDuring(world, subscribers, async (startSeq) => {
          for (const write of await applyRealtimeWrites(context.db, writes, startSeq)) done.set(write.kind, (done.get(write.kind) ?? 0) + 1);
        });
        expect(problems).toEqual([]);
      }),
      // Each run: 12 streams, up to 80 writes, one SQL check per subscriber and table.
      propertyRuns(15),
    );
    // The runs did change who may see rows, not only rows everyone saw alike.
    expect([...done.keys()]).toEqual(expect.arrayContaining(['enroll', 'add roster line', 'set course status', 'set session status']));
  });
});

// One fixed world for the examples: ic1 teaches s1 (l1), ic2 s2 (l2), ip1 s3 (l3); ap1 holds l1, ap2 l2;
// in1 is enrolled in s1, it1 and the walk-in sp2 in s2; roster r1 belongs to s1, ic2 instructs r2.
const closedSession = (instructor: string, location: string) => ({ instructor, location, status: 'SCHEDULED' as const, selfEnrollment: false });
const exampleWorld: RandomWorld = {
  sessions: [
    closedSession('ic1', 'l1'), closedSession('ic2', 'l2'), closedSession('ip1', 'l3'), closedSession('ic1', 'l4'),
    closedSession('ic2', 'l1'), closedSession('ip1', 'l2'), closedSession('ic1', 'l3'),
  ],
  enrollments: [
    { session: 's1', student: { student_id: 'in1' }, status: 'ENROLLED' },
    { session: 's2', student: { student_id: 'it1' }, status: 'ENROLLED' },
    { session: 's2', student: { student_profile_id: 'sp2' }, status: 'ENROLLED' },
  ],
  memberships: [{ provider: 'p1', user: 'ap1' }, { provider: 'p2', user: 'ap2' }],
  providerLocations: [{ provider: 'p1', location: 'l1' }, { provider: 'p2', location: 'l2' }],
  affiliations: [null, null, null, null, null, null],
  rosters: [
    { instructor: null, session: 's1', location: 'l1' },
    { instructor: 'ic2', session: null, location: 'l2' },
    { instructor: null, session: null, location: 'l3' },
    { instructor: null, session: null, location: 'l4' },
  ],
};

const named = (changes: readonly Change[]) => changes.map((change) => `${change.table} ${fixtureNameOf(change.id)}`).sort();
const ownerWrites = (...writes: [WriteKindName, ...string[]][]): RealtimeWrite[] => writes.map(([kind, ...args]) => ({ kind, args, as: 'owner' }));
const fixtureSessions = ['s1', 's2', 's3', 's4', 's5', 's6', 's7'].map((name) => fixtureId(name));

describe('realtime authorisation, rule by rule', () => {
  it('sends an AD changes to accounts and profiles except those of SAs; an SA gets them all', async () => {
    const writes = ownerWrites(['rename person', 'sa'], ['touch account', 'sa'], ['rename person', 'it1'], ['touch account', 'it1']);
    const { problems, received: [sa, ad] } = await streamDuring(exampleWorld, [{ user: 'sa', topics: ['users'] }, { user: 'ad', topics: ['users'] }], (start) =>
      applyRealtimeWrites(context.db, writes, start),
    );
    expect(problems).toEqual([]);
    expect(named(ad!)).toEqual(['profiles profile-it1', 'users it1']);
    expect(named(sa!)).toEqual(['profiles profile-it1', 'profiles profile-sa', 'users it1', 'users sa']);
  });

  it('sends a student changes to their own enrollment, not to another student’s in the same or another session', async () => {
    const { problems, received: [in1, it1] } = await streamDuring(exampleWorld, [{ user: 'in1', topics: ['enrollments'] }, { user: 'it1', topics: ['enrollments'] }], () =>
      context.db.query("update session_enrollments set attendance_status = 'ATTENDED'"),
    );
    expect(problems).toEqual([]);
    const { rows } = await context.db.query<{ id: string; student: string | null }>('select id, student_id as student from session_enrollments');
    const enrollmentOf = (user: string) => rows.filter((row) => row.student === fixtureId(user)).map((row) => row.id);
    expect(in1!.map((change) => change.id)).toEqual(enrollmentOf('in1'));
    expect(it1!.map((change) => change.id)).toEqual(enrollmentOf('it1'));
  });

  it('sends an instructor the roster lines of rosters of sessions they teach and of rosters they instruct; a student their own line', async () => {
    const subscribers: Subscriber[] = ['ic1', 'ic2', 'ip1', 'it1'].map((user) => ({ user: user as FixtureUser, topics: ['rosters'] }));
    const { problems, received } = await streamDuring(exampleWorld, subscribers, () =>
      context.db.query("update student_roster_members set attendance_status = 'ATTENDED' where id = any ($1::uuid[])", [['m1', 'm2', 'm3', 'm4', 'm5'].map((name) => fixtureId(name))]),
    );
    expect(problems).toEqual([]);
    expect(received.map(named)).toEqual([
      ['student_roster_members m1', 'student_roster_members m2'], // r1 belongs to s1, which ic1 teaches
      ['student_roster_members m3'], // ic2 instructs r2
      [],
      ['student_roster_members m2'], // it1's own line
    ]);
  });

  it('sends an instructor the certificates of sessions they teach and of rosters they instruct, whoever issued them', async () => {
    const subscribers: Subscriber[] = ['ic1', 'ic2', 'ip1', 'in1'].map((user) => ({ user: user as FixtureUser, topics: ['certificates'] }));
    // Issued by ap1 and the owner's way: of s2 (ic2 teaches it), of r2 (ic2 instructs it), of r1 (its session s1 is ic1's),
    // of s3 (ip1's) to in1, and of neither.
    const writes = ownerWrites(
      ['issue certificate', 'it1', 'l2', 'ap1', 's2', 'none'],
      ['issue certificate', 'it1', 'l2', 'ap1', 'none', 'r2'],
      ['issue certificate', 'it1', 'l1', 'ap1', 'none', 'r1'],
      ['issue certificate', 'in1', 'l3', 'ap1', 's3', 'none'],
      ['issue certificate', 'it1', 'l4', 'ap1', 'none', 'none'],
    );
    const certificates = () => context.db.query<{ id: string; session: string | null; roster: string | null }>('select id, session_id as session, roster_id as roster from certificates');
    const before = new Set((await certificates()).rows.map((row) => row.id));
    const { problems, received } = await streamDuring(exampleWorld, subscribers, (start) => applyRealtimeWrites(context.db, writes, start));
    expect(problems).toEqual([]);
    const rows = (await certificates()).rows.filter((row) => !before.has(row.id));
    expect(rows).toHaveLength(5);
    const of = (where: (row: { session: string | null; roster: string | null }) => boolean) => rows.filter(where).map((row) => row.id).sort();
    expect(received.map((changes) => changes.map((change) => change.id).sort())).toEqual([
      of((row) => row.roster === fixtureId('r1')),
      of((row) => row.session === fixtureId('s2') || row.roster === fixtureId('r2')),
      of((row) => row.session === fixtureId('s3')),
      of((row) => row.session === fixtureId('s3')), // in1's own
    ]);
  });

  it('sends an AP changes to sessions, and their enrollments, at its own locations only', async () => {
    const subscribers: Subscriber[] = [{ user: 'ap1', topics: ['sessions', 'enrollments'] }, { user: 'ap2', topics: ['sessions', 'enrollments'] }];
    const { problems, received: [ap1, ap2] } = await streamDuring(exampleWorld, subscribers, async () => {
      await context.db.query("update training_sessions set title = 'Renamed' where id = any ($1::uuid[])", [fixtureSessions]);
      await context.db.query("update session_enrollments set attendance_status = 'ABSENT'");
    });
    expect(problems).toEqual([]);
    expect(named(ap1!).filter((change) => change.startsWith('training_sessions'))).toEqual(['training_sessions s1', 'training_sessions s5']);
    expect(named(ap1!).filter((change) => change.startsWith('session_enrollments'))).toHaveLength(1); // in1's, in s1
    expect(named(ap2!).filter((change) => change.startsWith('training_sessions'))).toEqual(['training_sessions s2', 'training_sessions s6']);
    expect(named(ap2!).filter((change) => change.startsWith('session_enrollments'))).toHaveLength(2); // it1's and sp2's, in s2
  });

  it('sends a course put back to draft to administrators only, and the course published again to everyone', async () => {
    await context.db.query("update courses set status = 'PUBLISHED' where id = $1", [fixtureId('c-safety')]);
    const subscribers: Subscriber[] = [{ user: 'ad', topics: ['courses'] }, { user: 'it1', topics: ['courses'] }];
    const setStatus = (status: string) => (start: string) => applyRealtimeWrites(context.db, ownerWrites(['set course status', 'c-safety', status]), start);
    const drafted = await streamDuring(exampleWorld, subscribers, setStatus('DRAFT'));
    expect(drafted.problems).toEqual([]);
    expect(drafted.received.map(named)).toEqual([['courses c-safety'], []]);
    const published = await streamDuring(exampleWorld, subscribers, setStatus('PUBLISHED'));
    expect(published.problems).toEqual([]);
    expect(published.received.map(named)).toEqual([['courses c-safety'], ['courses c-safety']]);
  });
});
