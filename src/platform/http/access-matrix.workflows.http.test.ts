import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { buildFixtureWorld, fixtureId, fixtureNameOf, readSnapshot, type FixtureActor, type FixtureWorld } from '../../../test/fixture-world.js';
import { useTestApp } from '../../../test/test-app.js';
import type { Role } from '../db/actor.js';
import { Scope, World, type Row } from '../security/access-matrix.js';
import { workflowAccess, type WorkflowAnswer } from '../security/access-matrix.workflows.js';

/**
 * The workflow rules through the API: every route that calls a workflow function, as every signed-in
 * fixture actor, on every row the matrix says the actor may not use it on, answers 403 or 404 exactly as
 * the matrix says, and nothing changes. (What the functions let through is compared call by call in
 * src/platform/security/access-matrix.workflows.test.ts, rolled back; here a call let through would change the
 * world the next one is judged on.)
 */
const context = useTestApp();
let world: FixtureWorld;
const tokens = new Map<string, string>();

/** Active accounts (an inactive one's token is refused outright, tested with authentication). */
const signedIn = () =>
  world.actors.filter(
    (actor): actor is FixtureActor & { userId: string; role: Role } =>
      actor.userId !== null && world.snapshot.users.some((user) => user['id'] === actor.userId && user['status'] === 'ACTIVE'),
  );

beforeAll(async () => {
  world = await buildFixtureWorld(context.db);
  for (const actor of signedIn()) tokens.set(actor.name, await mintAccessToken(testKeyring, { userId: actor.userId, role: actor.role, providerId: actor.providerId }));
});

type Request = { method: 'GET' | 'POST' | 'PUT'; url: string; payload?: object };

/** The request of each route-backed workflow for one row; the lock_* helpers run inside these routes. */
const requests: Record<string, (row: Row) => Request> = {
  'enroll_student (themselves)': (session) => ({ method: 'POST', url: `/v1/sessions/${String(session['id'])}/enrollments`, payload: {} }),
  'enroll_student (someone else)': (session) => ({ method: 'POST', url: `/v1/sessions/${String(session['id'])}/enrollments`, payload: { student_profile_id: fixtureId('sp5') } }),
  enroll_students: (session) => ({ method: 'POST', url: `/v1/sessions/${String(session['id'])}/enrollments/batch`, payload: { students: [{ student_id: fixtureId('it2') }] } }),
  cancel_enrollment: (enrollment) => ({ method: 'POST', url: `/v1/enrollments/${String(enrollment['id'])}/cancel`, payload: { version: enrollment['version'] } }),
  answer_waitlist_offer: (enrollment) => ({ method: 'POST', url: `/v1/enrollments/${String(enrollment['id'])}/offer/accept` }),
  set_session_waitlist_offers: (session) => ({ method: 'PUT', url: `/v1/sessions/${String(session['id'])}/waitlist-offers`, payload: { offer_hours: 24 } }),
  set_session_capacity: (session) => ({ method: 'PUT', url: `/v1/sessions/${String(session['id'])}/capacity`, payload: { max_capacity: 50, version: session['version'] } }),
  cancel_session: (session) => ({ method: 'POST', url: `/v1/sessions/${String(session['id'])}/cancel`, payload: { reason: 'probe', version: session['version'] } }),
  create_roster_from_session: (session) => ({ method: 'POST', url: '/v1/rosters/from-session', payload: { session_id: session['id'] } }),
  roster_student_profiles: (roster) => ({ method: 'POST', url: `/v1/rosters/${String(roster['id'])}/members`, payload: { first_name: 'Pat', last_name: 'Probe' } }),
  course_as_published: (course) => ({ method: 'GET', url: `/v1/courses/${String(course['id'])}` }),
};

const statusOf: Record<Exclude<WorkflowAnswer, 'permitted'>, number> = { forbidden: 403, not_found: 404 };

describe.each(workflowAccess.filter((workflow) => requests[workflow.id]).map((workflow) => ({ id: workflow.id, workflow })))('$id', ({ workflow }) => {
  it('refuses every actor the matrix refuses, with 403 or 404 as it says, and changes nothing', async () => {
    const request = requests[workflow.id]!;
    const view = new World(world.snapshot);
    const wrong: string[] = [];
    for (const actor of signedIn()) {
      const scope = new Scope(view, actor);
      const answers = world.snapshot[workflow.subject].map((row) => ({ row, answer: workflow.answer(row, scope) }));
      // A route may refuse a role the workflow lets through nowhere before looking for the row, as the PATCH routes do.
      const roleNeverPermitted = answers.every(({ answer }) => answer !== 'permitted');
      const refusals = answers.filter((entry): entry is { row: Row; answer: Exclude<WorkflowAnswer, 'permitted'> } => entry.answer !== 'permitted');
      for (const { row, answer } of refusals) {
        const response = await context.app.inject({ ...request(row), headers: bearer(tokens.get(actor.name) as string) });
        const allowed = roleNeverPermitted ? [statusOf[answer], 403] : [statusOf[answer]];
        if (!allowed.includes(response.statusCode)) wrong.push(`${actor.name} ${fixtureNameOf(String(row['id']))}: ${response.statusCode} ${response.body}, not ${allowed.join(' or ')}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await readSnapshot(context.db)).toEqual(world.snapshot);
  });
});
