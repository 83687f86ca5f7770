import fc from 'fast-check';
import type { Tx } from '../src/platform/db/database.js';
import { fixtureId } from './fixture-world.js';

/**
 * Random rewirings of the fixture world for property tests: who teaches which session where, who is
 * enrolled, who belongs to which provider, which provider has which location, whom each instructor is
 * affiliated with and who instructs which roster.
 */
const sessions = ['s1', 's2', 's3', 's4', 's5', 's6', 's7'];
const locations = ['l1', 'l2', 'l3', 'l4'];
const providers = ['p1', 'p2'];
const rosters = ['r1', 'r2', 'r3', 'r4'];
const instructorProfiles = ['ic1', 'ic2', 'ip1', 'it1', 'in1', 'it2'];
// Teaching is not limited to IC/IP in the data; the matrix only honours it for them.
const teachers = ['ic1', 'ic2', 'ip1', 'it1', 'ap1'];
// The SA among them: no enrollment, roster line or membership may show an SA account to anyone else.
const students = ['it1', 'it2', 'in1', 'in2', 'ic1', 'ic2', 'ip1', 'ap3', 'sa'].map((user) => ({ student_id: user }));
const walkIns = ['sp1', 'sp2', 'sp3', 'sp4', 'sp5'].map((profile) => ({ student_profile_id: profile }));
const members = ['ap1', 'ap2', 'ap3', 'ic1', 'ip1', 'it1', 'sa'];

export const randomWorld = fc.record({
  sessions: fc.tuple(
    ...sessions.map(() =>
      fc.record({
        instructor: fc.constantFrom(...teachers),
        location: fc.constantFrom(...locations),
        status: fc.constantFrom('SCHEDULED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED'),
        selfEnrollment: fc.boolean(),
      }),
    ),
  ),
  enrollments: fc.uniqueArray(
    fc.record({
      session: fc.constantFrom(...sessions),
      student: fc.constantFrom<Record<string, string>>(...students, ...walkIns),
      status: fc.constantFrom('ENROLLED', 'WAITLISTED', 'CANCELLED'),
    }),
    { maxLength: 14, selector: (enrollment) => `${enrollment.session} ${JSON.stringify(enrollment.student)}` },
  ),
  memberships: fc.uniqueArray(fc.record({ provider: fc.constantFrom(...providers), user: fc.constantFrom(...members) }), {
    maxLength: 6,
    selector: (membership) => `${membership.provider} ${membership.user}`,
  }),
  providerLocations: fc.subarray(providers.flatMap((provider) => locations.map((location) => ({ provider, location })))),
  affiliations: fc.tuple(...instructorProfiles.map(() => fc.constantFrom('p1', 'p2', null))),
  rosters: fc.tuple(
    ...rosters.map(() =>
      fc.record({ instructor: fc.constantFrom('ic1', 'ic2', 'ip1', null), session: fc.constantFrom(...sessions, null), location: fc.constantFrom(...locations) }),
    ),
  ),
});
export type RandomWorld = typeof randomWorld extends fc.Arbitrary<infer T> ? T : never;

const idOrNull = (name: string | null) => (name === null ? null : fixtureId(name));

/** Rewrites the fixture world as the owner, with foreign keys and triggers off for the rewrite. */
export async function rewire(tx: Tx, random: RandomWorld): Promise<void> {
  await tx.query('set local session_replication_role = replica');
  for (const [index, session] of random.sessions.entries()) {
    await tx.query(
      `update training_sessions set instructor_id = $2, location_id = $3, status = $4, self_enrollment_allowed = $5,
              cancelled_reason = null, max_capacity = 50, current_enrollment = 0 where id = $1`,
      [fixtureId(sessions[index]!), fixtureId(session.instructor), fixtureId(session.location), session.status, session.selfEnrollment],
    );
  }
  await tx.query('delete from session_enrollments');
  for (const [index, enrollment] of random.enrollments.entries()) {
    await tx.query(
      `insert into session_enrollments (session_id, student_id, student_profile_id, status, waitlist_position) values ($1, $2, $3, $4, $5)`,
      [
        fixtureId(enrollment.session),
        idOrNull(enrollment.student['student_id'] ?? null),
        idOrNull(enrollment.student['student_profile_id'] ?? null),
        enrollment.status,
        enrollment.status === 'WAITLISTED' ? index + 1 : null,
      ],
    );
  }
  await tx.query('delete from provider_members');
  for (const membership of random.memberships) {
    await tx.query('insert into provider_members (provider_id, user_id) values ($1, $2)', [fixtureId(membership.provider), fixtureId(membership.user)]);
  }
  await tx.query('delete from provider_locations');
  for (const link of random.providerLocations) {
    await tx.query('insert into provider_locations (provider_id, location_id) values ($1, $2)', [fixtureId(link.provider), fixtureId(link.location)]);
  }
  for (const [index, provider] of random.affiliations.entries()) {
    await tx.query('update instructor_profiles set provider_id = $2 where user_id = $1', [fixtureId(instructorProfiles[index]!), idOrNull(provider)]);
  }
  for (const [index, roster] of random.rosters.entries()) {
    await tx.query('update rosters set instructor_id = $2, session_id = $3, location_id = $4 where id = $1', [
      fixtureId(rosters[index]!),
      idOrNull(roster.instructor),
      idOrNull(roster.session),
      fixtureId(roster.location),
    ]);
  }
  await tx.query('set local session_replication_role = origin');
}

