import { beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { createEnrollmentWorld, createSession, createStudents, type EnrollmentWorld, sessionState, studentToken } from '../../../test/world.js';
import { createDispatcher, defaultDispatcherSettings, insertJob } from '../../platform/jobs/index.js';
import { checkConsistency } from '../../platform/consistency/consistency.service.js';
import { expireOffersName, expireWaitlistOffersHandler } from './offer-expiry.handler.js';
import { testLogger } from '../../../test/logger.js';

// Waitlist offers through the real API on a real database; time is a clock the application and the
// expiry job read, moved by the tests.
let clock = new Date('2027-03-01T08:00:00Z');
const context = useTestApp({ now: () => clock });
let world: EnrollmentWorld;
const hour = 3_600_000;

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
});

const call = (token: string, method: 'POST' | 'PUT', url: string, payload?: object) =>
  context.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

/** Runs the expiry job as the scheduler would queue it, with the clock as it is now. */
async function runExpiryJob(): Promise<void> {
  const dispatcher = createDispatcher(context.db, [expireWaitlistOffersHandler({ now: () => clock })], testLogger, {
    ...defaultDispatcherSettings, pollMs: 10,
  });
  await context.db.transaction((tx) => insertJob(tx, { handler: expireOffersName }));
  await dispatcher.drain();
}

/** A full session of one seat that offers freed seats for `hours`, its seated student and three in line. */
async function fullSessionInLine(hours: number) {
  const sessionId = await createSession(context.db, world, { capacity: 1 });
  expect((await call(world.tokens.ap, 'PUT', `/v1/sessions/${sessionId}/waitlist-offers`, { offer_hours: hours })).json())
    .toEqual({ id: sessionId, offer_hours: hours, effective_offer_hours: hours });
  const ids = await createStudents(context.db, 4);
  const people = await Promise.all(ids.map(async (id) => ({ id, token: await studentToken(id) })));
  const enrollments: string[] = [];
  for (const person of people) enrollments.push((await call(person.token, 'POST', `/v1/sessions/${sessionId}/enrollments`, {})).json().id);
  return { sessionId, people, enrollments };
}

const offerOf = async (enrollmentId: string) =>
  (await context.db.query<{ status: string; waitlist_position: number | null; offer_expires_at: Date | null }>(
    'select status, waitlist_position, offer_expires_at from session_enrollments where id = $1', [enrollmentId])).rows[0]!;

describe('waitlist offers', () => {
  it('offers a freed seat to the first in line with a deadline, holds it, and seats them when they accept in time', async () => {
    const { sessionId, people, enrollments } = await fullSessionInLine(24);
    expect((await call(people[0]!.token, 'POST', `/v1/enrollments/${enrollments[0]}/cancel`)).statusCode).toBe(200);

    const offered = await offerOf(enrollments[1]!);
    expect(offered).toEqual({ status: 'WAITLISTED', waitlist_position: 1, offer_expires_at: new Date(clock.getTime() + 24 * hour) });
    // The held seat is not free: a newcomer joins the end of the line.
    const [newcomer] = await createStudents(context.db, 1);
    expect((await call(world.tokens.sa, 'POST', `/v1/sessions/${sessionId}/enrollments`, { student_id: newcomer })).json())
      .toMatchObject({ status: 'WAITLISTED', waitlist_position: 4 });
    expect(await sessionState(context.db, sessionId)).toMatchObject({ counter: 1, enrolled: [], offered: [people[1]!.id], positions: [1, 2, 3, 4] });

    clock = new Date(clock.getTime() + 23 * hour);
    const accepted = await call(people[1]!.token, 'POST', `/v1/enrollments/${enrollments[1]}/offer/accept`);
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toMatchObject({ status: 'ENROLLED', waitlist_position: null, offer_expires_at: null });
    expect(await sessionState(context.db, sessionId)).toMatchObject({ counter: 1, enrolled: [people[1]!.id], offered: [], positions: [1, 2, 3] });
    const again = await call(people[1]!.token, 'POST', `/v1/enrollments/${enrollments[1]}/offer/accept`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('NO_OPEN_OFFER');
    const { rows } = await context.db.query<{ event_type: string; offer_expires_at: string | null }>(
      `select event_type, payload->>'offer_expires_at' as offer_expires_at from domain_events
        where payload->>'session_id' = $1 and event_type in ('enrollment.offered', 'enrollment.promoted') order by seq`, [sessionId]);
    expect(rows.map((row) => row.event_type)).toEqual(['enrollment.offered', 'enrollment.promoted']);
    expect(rows[0]!.offer_expires_at).not.toBeNull();
  });

  it('refuses a late acceptance whether or not the job has run, and passes the seat on at once', async () => {
    const { sessionId, people, enrollments } = await fullSessionInLine(2);
    await call(world.tokens.sa, 'POST', `/v1/enrollments/${enrollments[0]}/cancel`);
    clock = new Date(clock.getTime() + 2 * hour);
    const late = await call(people[1]!.token, 'POST', `/v1/enrollments/${enrollments[1]}/offer/accept`);
    expect(late.statusCode).toBe(409);
    expect(late.json().error).toMatchObject({ code: 'OFFER_EXPIRED', details: { enrollment: { id: enrollments[1], status: 'CANCELLED' } } });
    expect((await offerOf(enrollments[2]!)).offer_expires_at).toEqual(new Date(clock.getTime() + 2 * hour));
    expect(await sessionState(context.db, sessionId)).toMatchObject({ counter: 1, offered: [people[2]!.id], positions: [1, 2] });
  });

  it('passes a declined seat on, and lets a cancellation of an offered place decline it', async () => {
    const { sessionId, people, enrollments } = await fullSessionInLine(24);
    await call(world.tokens.sa, 'POST', `/v1/enrollments/${enrollments[0]}/cancel`);
    const declined = await call(people[1]!.token, 'POST', `/v1/enrollments/${enrollments[1]}/offer/decline`);
    expect(declined.json()).toMatchObject({ status: 'CANCELLED', offer_expires_at: null });
    expect(await sessionState(context.db, sessionId)).toMatchObject({ counter: 1, offered: [people[2]!.id] });
    await call(people[2]!.token, 'POST', `/v1/enrollments/${enrollments[2]}/cancel`);
    expect(await sessionState(context.db, sessionId)).toMatchObject({ counter: 1, offered: [people[3]!.id], positions: [1] });
    // Another student may not answer someone else's offer (nor see it).
    expect((await call(people[1]!.token, 'POST', `/v1/enrollments/${enrollments[3]}/offer/accept`)).statusCode).toBe(404);
  });

  it('catches up after downtime: one run withdraws every offer past its deadline and times the next from now', async () => {
    const first = await fullSessionInLine(1);
    const second = await fullSessionInLine(1);
    await call(world.tokens.sa, 'POST', `/v1/enrollments/${first.enrollments[0]}/cancel`);
    await call(world.tokens.sa, 'POST', `/v1/enrollments/${second.enrollments[0]}/cancel`);
    // Nothing ran for three days.
    clock = new Date(clock.getTime() + 72 * hour);
    await runExpiryJob();
    for (const { sessionId, people, enrollments } of [first, second]) {
      expect((await offerOf(enrollments[1]!)).status).toBe('CANCELLED');
      expect((await offerOf(enrollments[2]!)).offer_expires_at).toEqual(new Date(clock.getTime() + hour));
      expect(await sessionState(context.db, sessionId)).toMatchObject({ counter: 1, offered: [people[2]!.id], positions: [1, 2] });
    }
    const { rows } = await context.db.query<{ n: number }>(
      "select count(*)::integer as n from domain_events where event_type = 'enrollment.offer_expired' and aggregate_id = any($1::uuid[])",
      [[first.enrollments[1], second.enrollments[1]]]);
    expect(rows[0]!.n).toBe(2);
    // A second run finds nothing due.
    await runExpiryJob();
    expect(await sessionState(context.db, first.sessionId)).toMatchObject({ offered: [first.people[2]!.id] });
    expect((await checkConsistency(context.db)).violations).toEqual([]);
  });

  it('never sets a deadline past the session start, and assigns the seat at once once the session has started', async () => {
    const { sessionId, people, enrollments } = await fullSessionInLine(720);
    const { rows: [session] } = await context.db.query<{ starts: Date }>('select lower(scheduled_during) as starts from training_sessions where id = $1', [sessionId]);
    clock = new Date(session!.starts.getTime() - 5 * hour);
    await call(world.tokens.sa, 'POST', `/v1/enrollments/${enrollments[0]}/cancel`);
    expect((await offerOf(enrollments[1]!)).offer_expires_at).toEqual(session!.starts);
    clock = new Date(session!.starts.getTime() + hour);
    await call(world.tokens.sa, 'PUT', `/v1/sessions/${sessionId}/capacity`, { max_capacity: 2 });
    expect(await offerOf(enrollments[2]!)).toMatchObject({ status: 'ENROLLED', offer_expires_at: null });
    expect(await sessionState(context.db, sessionId)).toMatchObject({ counter: 2, enrolled: [people[2]!.id], offered: [people[1]!.id] });
  });

  it('follows the course unless the session says otherwise; only administrators set a course', async () => {
    const course = `/v1/courses/${world.courseId}/waitlist-offers`;
    // The world's course is a draft: an AP does not see it at all.
    expect((await call(world.tokens.ap, 'PUT', course, { offer_hours: 48 })).statusCode).toBe(404);
    expect((await call(world.tokens.ad, 'PUT', course, { offer_hours: 48 })).json()).toEqual({ id: world.courseId, offer_hours: 48, effective_offer_hours: 48 });
    const sessionId = await createSession(context.db, world, { capacity: 1 });
    const session = `/v1/sessions/${sessionId}/waitlist-offers`;
    expect((await call(world.tokens.instructor, 'PUT', session, { offer_hours: null })).json()).toEqual({ id: sessionId, offer_hours: null, effective_offer_hours: 48 });
    expect((await call(world.tokens.instructor, 'PUT', session, { offer_hours: 0 })).json()).toEqual({ id: sessionId, offer_hours: 0, effective_offer_hours: 0 });
    // The other provider's AP sees the session (it takes self-enrollment) but is not its staff.
    expect((await call(world.tokens.otherAp, 'PUT', session, { offer_hours: 3 })).statusCode).toBe(403);
    const tooLong = await call(world.tokens.sa, 'PUT', session, { offer_hours: 721 });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error.details.field).toBe('body.offer_hours');
    await call(world.tokens.ad, 'PUT', course, { offer_hours: null });
  });
});
