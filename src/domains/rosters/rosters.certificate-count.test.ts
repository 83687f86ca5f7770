import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Queryable } from '../../platform/db/database.js';
import { useTestApp } from '../../../test/test-app.js';
import { createRosterWorld, type MemberJson, type RosterWorld } from '../../../test/world.js';

// The certificate count is kept by statement triggers on certificates (migration 0017). Its definition
// (docs/decisions/0012-rosters.md, and what `unitrain doctor` checks): the number of certificates
// with roster_id = the roster whose status is not REVOKED. Certificates are inserted as the owner
// here, as the issuing jobs do; one test issues as an instructor through the application role.
const context = useTestApp();
let world: RosterWorld;
const setUp = async () => {
  world ??= await createRosterWorld(context.db, () => context.app);
  return world;
};

/** The roster's counter, and the count by the definition. */
async function counts(db: Queryable, rosterId: string): Promise<{ stored: number; defined: number }> {
  const { rows: [row] } = await db.query<{ stored: number; defined: number }>(
    `select r.certificate_count as stored,
            (select count(*)::integer from certificates c where c.roster_id = r.id and c.status <> 'REVOKED') as defined
       from rosters r where r.id = $1`,
    [rosterId],
  );
  return row!;
}

const code = () => `RC-${randomUUID().replaceAll('-', '').slice(0, 20).toUpperCase()}`;

/** Certificates for lines of a roster, in one statement; returns their ids. */
async function issue(db: Queryable, w: RosterWorld, lines: { rosterId: string; member: MemberJson; status?: string }[], issuedBy: string | null = null): Promise<string[]> {
  const values = lines.map((_, index) => `($${index * 5 + 1}::uuid, $${index * 5 + 2}::uuid, $${index * 5 + 3}::uuid, $${index * 5 + 4}, $${index * 5 + 5},
    '${w.courseId}', '${w.locationId}', 'First aid', 'Someone', '2031-05-06', ${issuedBy ? `'${issuedBy}'` : 'null'})`);
  const { rows } = await db.query<{ id: string }>(
    `insert into certificates (student_profile_id, roster_member_id, roster_id, status, verification_code, course_id, location_id, course_name,
                               recipient_name, issue_date, issued_by, revoked_at, revoked_reason)
     select v.profile, v.member, v.roster, v.status, v.code, v.course::uuid, v.location::uuid, v.course_name, v.recipient, v.issue_date::date,
            v.issued_by::uuid, case when v.status = 'REVOKED' then now() end, case when v.status = 'REVOKED' then 'issued in error' end
       from (values ${values.join(', ')}) as v (profile, member, roster, status, code, course, location, course_name, recipient, issue_date, issued_by)
     returning id`,
    lines.flatMap((line) => [line.member.student_profile_id, line.member.id, line.rosterId, line.status ?? 'ACTIVE', code()]),
  );
  return rows.map((row) => row.id);
}

async function rosterWithMembers(w: RosterWorld, n: number): Promise<{ id: string; members: MemberJson[] }> {
  const roster = await w.roster({ roster_type: 'CERTIFICATE' });
  const members: MemberJson[] = [];
  for (let index = 0; index < n; index += 1) {
    members.push((await w.call('SA', 'POST', `/v1/rosters/${roster.id}/members`, { first_name: 'Member', last_name: `No ${index}` })).json<MemberJson>());
  }
  return { id: roster.id, members };
}

describe('rosters.certificate_count', () => {
  it('counts the roster’s certificates that are not REVOKED through inserts, revocations, moves and deletes', async () => {
    const w = await setUp();
    const a = await rosterWithMembers(w, 4);
    const b = await rosterWithMembers(w, 2);
    const expectCounts = async (expectedA: number, expectedB: number) => {
      expect(await counts(context.db, a.id)).toEqual({ stored: expectedA, defined: expectedA });
      expect(await counts(context.db, b.id)).toEqual({ stored: expectedB, defined: expectedB });
    };
    // One statement for both rosters, one of them REVOKED from the start, one EXPIRED (which counts).
    const [a0, a1, a2, a3, b0] = await issue(context.db, w, [
      { rosterId: a.id, member: a.members[0]! }, { rosterId: a.id, member: a.members[1]! }, { rosterId: a.id, member: a.members[2]!, status: 'EXPIRED' },
      { rosterId: a.id, member: a.members[3]!, status: 'REVOKED' }, { rosterId: b.id, member: b.members[0]! },
    ]);
    await expectCounts(3, 1);
    await context.db.query("update certificates set status = 'REVOKED', revoked_at = now(), revoked_reason = 'error' where id = $1", [a0]);
    await expectCounts(2, 1);
    // Changes that do not touch roster or revocation leave the counter (and the roster's version) alone.
    const { rows: [before] } = await context.db.query<{ version: number }>('select version from rosters where id = $1', [a.id]);
    await context.db.query("update certificates set status = 'ACTIVE', certificate_url = 'https://files.example/x.pdf' where id = $1", [a2]);
    expect((await context.db.query<{ version: number }>('select version from rosters where id = $1', [a.id])).rows[0]!.version).toBe(before!.version);
    await context.db.query('update certificates set roster_id = $2, roster_member_id = null where id = $1', [a1, b.id]);
    await expectCounts(1, 2);
    // A revoked certificate reissued, and one moved while revoked.
    await context.db.query("update certificates set status = 'ACTIVE', revoked_at = null, revoked_reason = null where id = $1", [a3]);
    await expectCounts(2, 2);
    // A certificate keeps its place in the status lists (migration 0034): the place goes first.
    await context.db.query('delete from certificate_status_entries where certificate_id = any ($1::uuid[])', [[a2, b0]]);
    await context.db.query('delete from certificates where id = any ($1::uuid[])', [[a2, b0]]);
    await expectCounts(1, 1);
    await context.db.query("update certificates set status = 'REVOKED', revoked_at = now(), revoked_reason = 'error', roster_id = null where roster_id = any ($1::uuid[])", [[a.id, b.id]]);
    await expectCounts(0, 0);
    expect((await w.call('AP', 'GET', `/v1/rosters/${a.id}`)).json()).toMatchObject({ certificate_count: 0, member_count: 4 });
  });

  it('counts certificates an instructor issues through the application role, on a roster they may not change', async () => {
    const w = await setUp();
    const roster = await rosterWithMembers(w, 2);
    await context.db.query('update rosters set instructor_id = $2 where id = $1', [roster.id, w.otherInstructor.id]);
    const asInstructor = { userId: w.instructor.id, role: 'IC' as const, providerId: null };
    await context.db.withActor(asInstructor, (tx) => issue(tx, w, roster.members.map((member) => ({ rosterId: roster.id, member })), w.instructor.id));
    expect(await counts(context.db, roster.id)).toEqual({ stored: 2, defined: 2 });
    expect((await w.call('SA', 'GET', `/v1/rosters/${roster.id}`)).json()).toMatchObject({ certificate_count: 2 });
  });

  it('issues a batch of 500 certificates for one roster in one statement and counts them', async () => {
    const w = await setUp();
    const roster = await w.roster({ roster_type: 'CERTIFICATE' });
    const csv = ['first_name,last_name', ...Array.from({ length: 500 }, (_, index) => `Batch,Member${index}`)].join('\n');
    await w.call('SA', 'POST', `/v1/rosters/${roster.id}/members/import`, csv, { 'content-type': 'text/csv' });
    const members = (await w.call('SA', 'GET', `/v1/rosters/${roster.id}/members?limit=500`)).json<{ items: MemberJson[] }>().items;
    expect(members).toHaveLength(500);
    await issue(context.db, w, members.map((member) => ({ rosterId: roster.id, member })));
    expect(await counts(context.db, roster.id)).toEqual({ stored: 500, defined: 500 });
  });
});
