import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintAccessToken, testKeyring } from '../../../test/auth.js';
import { testEngine } from '../../../test/engine.js';
import { createRosterWorld, type MemberJson, type RosterJson, type RosterWorld } from '../../../test/world.js';
import { useListeningApp } from '../../../test/listening-app.js';

// Real concurrency needs real PostgreSQL (PGlite has one connection): a listening server, real HTTP
// requests in flight together, a pool of connections contending for one roster row.
const onPostgres = testEngine === 'postgres';
let world: RosterWorld;
const server = useListeningApp(onPostgres);

beforeAll(async () => {
  if (!onPostgres) return;
  world = await createRosterWorld(server.db, () => server.app);
});

const call = server.call;

const adminToken = () => mintAccessToken(testKeyring, { userId: world.sa.id, role: 'SA' });

async function rosterWithMembers(n: number): Promise<{ roster: RosterJson; members: MemberJson[] }> {
  const roster = await world.roster({ roster_type: 'CERTIFICATE' });
  const csv = ['first_name,last_name', ...Array.from({ length: n }, (_, index) => `Racer,No${index}`)].join('\n');
  await world.call('SA', 'POST', `/v1/rosters/${roster.id}/members/import`, csv, { 'content-type': 'text/csv' });
  const members = (await world.call('SA', 'GET', `/v1/rosters/${roster.id}/members?limit=500`)).json<{ items: MemberJson[] }>().items;
  return { roster, members };
}

describe('rosters under concurrency', () => {
  it.runIf(onPostgres)('lets exactly one of two changes at the same version win, for a roster and for a member', async () => {
    const token = await adminToken();
    const { roster, members } = await rosterWithMembers(1);
    const renames = await Promise.all(['Left', 'Right'].map((name) => call('PATCH', `/v1/rosters/${roster.id}`, token, { name, version: roster.version })));
    expect(renames.map((response) => response.status).sort()).toEqual([200, 409]);
    const loser = renames.find((response) => response.status === 409)!;
    const winner = renames.find((response) => response.status === 200)!;
    expect(loser.json['error']).toMatchObject({ code: 'VERSION_CONFLICT', details: { current: { name: winner.json['name'], version: roster.version + 1 } } });

    const member = members[0]!;
    const scores = await Promise.all([40, 90].map((score) => call('PATCH', `/v1/roster-members/${member.id}`, token, { practical_score: score, version: member.version })));
    expect(scores.map((response) => response.status).sort()).toEqual([200, 409]);
    const { rows: [stored] } = await server.db.query<{ version: number; practical_score: number }>(
      'select version, practical_score from student_roster_members where id = $1', [member.id],
    );
    expect(stored).toEqual({ version: member.version + 1, practical_score: scores.find((response) => response.status === 200)!.json['practical_score'] });
  });

  it.runIf(onPostgres)('keeps the certificate count true with many issuers, revokers and movers at once', async () => {
    const a = await rosterWithMembers(40);
    const b = await rosterWithMembers(40);
    const insertOne = (rosterId: string, member: MemberJson, status = 'ACTIVE') => server.db.query<{ id: string }>(
      `insert into certificates (student_profile_id, roster_member_id, roster_id, course_id, location_id, course_name, recipient_name,
                                 issue_date, verification_code, status, revoked_at, revoked_reason)
       values ($1, $2, $3, $4, $5, 'First aid', 'Racer', '2031-05-06', $6, $7,
               case when $7 = 'REVOKED' then now() end, case when $7 = 'REVOKED' then 'race' end) returning id`,
      [member.student_profile_id, member.id, rosterId, world.courseId, world.locationId, `RACE-${randomUUID().slice(0, 18).toUpperCase()}`, status],
    );
    // Each roster's first ten certificates exist before the race; the race revokes or moves them.
    const early = [];
    for (const [roster, members] of [[a.roster.id, a.members], [b.roster.id, b.members]] as const) {
      for (const member of members.slice(0, 10)) early.push({ roster, id: (await insertOne(roster, member)).rows[0]!.id });
    }
    const work: (() => Promise<unknown>)[] = [
      // Thirty issues per roster, one certificate per transaction, five of them REVOKED from the start.
      ...[a, b].flatMap(({ roster, members }) => members.slice(10).map((member, index) => () => insertOne(roster.id, member, index % 6 === 5 ? 'REVOKED' : 'ACTIVE'))),
      // Revocations and moves of the early ones, each in a transaction of its own.
      ...early.filter((_, index) => index % 2 === 0).map(({ id }) => () =>
        server.db.query("update certificates set status = 'REVOKED', revoked_at = now(), revoked_reason = 'race' where id = $1", [id])),
      ...early.filter((_, index) => index % 4 === 1).map(({ id, roster }) => () =>
        server.db.query('update certificates set roster_id = $2, roster_member_id = null where id = $1', [id, roster === a.roster.id ? b.roster.id : a.roster.id])),
      // Statements that touch both rosters, in both orders: the trigger locks rosters in id order, so they never deadlock.
      ...[[a, b], [b, a]].map(([first, second]) => () => server.db.transaction(async (tx) => {
        await tx.query("update certificates set certificate_url = 'https://files.example/one.pdf' where roster_id = any ($1::uuid[])", [[first!.roster.id, second!.roster.id]]);
        await tx.query("update certificates set status = 'EXPIRED' where roster_id = $1 and status = 'ACTIVE' and certificate_url is not null", [first!.roster.id]);
      })),
    ];
    const shuffled = work.map((task, index) => ({ task, key: (index * 7919) % work.length })).sort((x, y) => x.key - y.key);
    const outcomes = await Promise.allSettled(shuffled.map(({ task }) => task()));
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);

    const { rows } = await server.db.query<{ id: string; stored: number; defined: number }>(
      `select r.id, r.certificate_count as stored,
              (select count(*)::integer from certificates c where c.roster_id = r.id and c.status <> 'REVOKED') as defined
         from rosters r where r.id = any ($1::uuid[]) order by r.id`,
      [[a.roster.id, b.roster.id]],
    );
    for (const row of rows) expect(row.stored, row.id).toBe(row.defined);
    expect(rows.reduce((total, row) => total + row.defined, 0)).toBe(20 - 10 + 60 - 10);
  }, 120_000);

  it.runIf(onPostgres)('archives while members are being changed: each change lands before the archive or is refused after it', async () => {
    const token = await adminToken();
    const { roster, members } = await rosterWithMembers(30);
    const changes = members.map((member) => () => call('PATCH', `/v1/roster-members/${member.id}`, token, { attendance_status: 'ATTENDED', version: member.version }));
    const archive = () => call('POST', `/v1/rosters/${roster.id}/archive`, token, { version: roster.version });
    const requests = [...changes.slice(0, 15), archive, ...changes.slice(15)];
    const answered = await Promise.all(requests.map((send) => send()));
    const archived = answered[15]!;
    expect(archived.status).toBe(200);
    const memberAnswers = answered.filter((_, index) => index !== 15);
    for (const answer of memberAnswers) expect([200, 409]).toContain(answer.status);
    const refused = memberAnswers.filter((answer) => answer.status === 409);
    for (const answer of refused) expect(answer.json['error']).toMatchObject({ code: 'INVALID_TRANSITION' });
    // The lines changed are exactly those whose answer said so, and every refusal left its line as it was.
    const { rows } = await server.db.query<{ id: string; attendance_status: string; version: number }>(
      'select id, attendance_status, version from student_roster_members where roster_id = $1', [roster.id],
    );
    const changedIds = new Set(memberAnswers.filter((answer) => answer.status === 200).map((answer) => answer.json['id']));
    for (const row of rows) {
      expect([row.attendance_status, row.version]).toEqual(changedIds.has(row.id) ? ['ATTENDED', 2] : ['PENDING', 1]);
    }
    const { rows: [after] } = await server.db.query<{ status: string }>('select status from rosters where id = $1', [roster.id]);
    expect(after!.status).toBe('ARCHIVED');
  }, 120_000);
});
