import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/test-app.js';
import { type WorldCaller, createRosterWorld, type MemberJson, type RosterJson, type RosterWorld } from '../../../test/world.js';

// Whom a write may name as a student (migration 0056, decision 0054), through the real application: an
// enrollment, a batch and a roster made from a session are the ways an account becomes a roster's student.
// Naming someone a student lets the namer see their account, so outside SA and AD a write names only
// the actor, an active trainee, or an account the actor already sees as a student.
const context = useTestApp();
let world: RosterWorld;
const setUp = async () => {
  world ??= await createRosterWorld(context.db, () => context.app);
  return world;
};

const enroll = (w: RosterWorld, caller: WorldCaller, session: string, student: Exclude<WorldCaller, 'anon'>) =>
  w.call(caller, 'POST', `/v1/sessions/${session}/enrollments`, { student_id: w.users[student].id });

describe('naming an account as a student', () => {
  it('lets an IC name on the roster of their session only trainees and students they already see, so they see nobody else', async () => {
    const w = await setUp();
    const session = await w.session();
    const statuses: Record<string, number> = {};
    for (const student of ['AD', 'AP', 'otherAP', 'IP', 'IT'] as const) statuses[student] = (await enroll(w, 'IC', session, student)).statusCode;
    expect(statuses).toEqual({ AD: 403, AP: 403, otherAP: 403, IP: 403, IT: 201 });
    const refused = await enroll(w, 'IC', session, 'AD');
    expect(refused.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });

    // An administrator may enroll anyone; the IC then sees that student and may copy them onto the roster.
    expect((await enroll(w, 'AD', session, 'IP')).statusCode).toBe(201);
    const made = await w.call('IC', 'POST', '/v1/rosters/from-session', { session_id: session });
    expect(made.statusCode, made.body).toBe(201);
    const roster = made.json<RosterJson>();
    const members = (await w.call('IC', 'GET', `/v1/rosters/${roster.id}/members`)).json<{ items: MemberJson[] }>().items;
    expect(members.map((member) => member.student_id).sort()).toEqual([w.users.IP.id, w.users.IT.id].sort());

    // The account the IC tried to name stays out of their sight.
    expect((await w.call('IC', 'GET', `/v1/users/${w.users.AD.id}`)).statusCode).toBe(404);
    expect((await w.call('IC', 'GET', `/v1/users/${w.users.IP.id}`)).statusCode).toBe(200);
  });

  it('reads an account id a batch may not name as unknown, row by row', async () => {
    const w = await setUp();
    const session = await w.session();
    const response = await w.call('IC', 'POST', `/v1/sessions/${session}/enrollments/batch`, {
      students: [{ student_id: w.users.AD.id }, { student_id: w.users.IN.id }, { student_id: w.users.otherAP.id }],
    });
    expect(response.statusCode, response.body).toBe(200);
    const rows = response.json<{ results: { outcome: string; reason: string | null; student_id: string | null }[] }>().results;
    expect(rows.map((row) => [row.outcome, row.reason])).toEqual([
      ['INVALID', 'no account has this student_id'],
      ['ENROLLED', null],
      ['INVALID', 'no account has this student_id'],
    ]);
  });

  it('lets an AP name the people affiliated with its providers and trainees, not an administrator', async () => {
    const w = await setUp();
    const session = await w.session();
    const statuses: Record<string, number> = {};
    for (const student of ['AD', 'otherAP', 'IC', 'IN'] as const) statuses[student] = (await enroll(w, 'AP', session, student)).statusCode;
    expect(statuses).toEqual({ AD: 403, otherAP: 403, IC: 201, IN: 201 });
  });

  it('lets administrators name anyone but an SA, and anyone name themselves', async () => {
    const w = await setUp();
    const session = await w.session({ selfEnrollment: true });
    expect((await enroll(w, 'AD', session, 'otherAP')).statusCode).toBe(201);
    expect((await enroll(w, 'SA', session, 'AD')).statusCode).toBe(201);
    expect((await enroll(w, 'AD', session, 'SA')).statusCode).toBe(403);
    expect((await enroll(w, 'IP', session, 'IP')).statusCode).toBe(201);
  });
});
