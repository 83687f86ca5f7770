import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { createEnrollmentWorld, createSession, createStudents, type EnrollmentWorld, sessionState } from '../../../test/world.js';
import { propertyRuns } from '../../../test/property-runs.js';
import { createDispatcher, defaultDispatcherSettings, insertJob } from '../../platform/jobs/index.js';
import { expireOffersName, expireWaitlistOffersHandler } from './offer-expiry.handler.js';
import { testLogger } from '../../../test/logger.js';

// Random sequences of enroll, cancel, capacity changes and, where the session offers freed seats,
// accepting, declining, time passing and the expiry job, against one session, through the real API on
// a real database, compared after every step with a model small enough to be obviously right. Time is
// a clock the application and the job read; a step moves it.
const start = new Date('2027-03-01T08:00:00Z');
let clock = start;
const context = useTestApp({ now: () => clock });
let world: EnrollmentWorld;
let students: string[];
const dispatcher = () =>
  createDispatcher(context.db, [expireWaitlistOffersHandler({ now: () => clock })], testLogger, {
    ...defaultDispatcherSettings, pollMs: 10,
  });

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
  students = await createStudents(context.db, 6);
});

const offerHours = 24;
const hour = 3_600_000;

type Operation =
  | { kind: 'enroll'; student: number }
  | { kind: 'cancel'; student: number }
  | { kind: 'capacity'; capacity: number }
  | { kind: 'accept'; student: number }
  | { kind: 'decline'; student: number }
  | { kind: 'wait'; hours: number }
  | { kind: 'expire' };

const student = fc.nat({ max: 5 });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('enroll' as const), student }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('cancel' as const), student }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('capacity' as const), capacity: fc.integer({ min: 1, max: 5 }) }), weight: 2 },
  { arbitrary: fc.oneof(fc.record({ kind: fc.constant('accept' as const), student }), fc.record({ kind: fc.constant('decline' as const), student })), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('wait' as const), hours: fc.constantFrom(1, 12, 25) }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'expire' as const }), weight: 1 },
);

/** The model: a capacity, the seated students, the waitlist in order, and the open offers with their deadlines. */
class SessionModel {
  enrolled = new Set<string>();
  waitlist: string[] = [];
  offers = new Map<string, number>();
  constructor(public capacity: number, private readonly offering: boolean) {}

  private get taken(): number {
    return this.enrolled.size + this.offers.size;
  }

  enroll(student: string): { status: number; enrollment?: string; position?: number | null } {
    if (this.enrolled.has(student) || this.waitlist.includes(student)) return { status: 409 };
    if (this.taken < this.capacity) {
      this.enrolled.add(student);
      return { status: 201, enrollment: 'ENROLLED', position: null };
    }
    this.waitlist.push(student);
    return { status: 201, enrollment: 'WAITLISTED', position: this.waitlist.length };
  }

  cancel(student: string): void {
    if (this.enrolled.delete(student) || this.offers.has(student)) {
      this.leaveWaitlist(student);
      this.fill();
    } else {
      this.leaveWaitlist(student);
    }
  }

  setCapacity(capacity: number): number {
    if (capacity < this.taken) return 409;
    this.capacity = capacity;
    this.fill();
    return 200;
  }

  /** An answer to an offer: 200, or the error code. */
  answer(student: string, accept: boolean): { status: number; code?: string } {
    const deadline = this.offers.get(student);
    if (deadline === undefined) return { status: 409, code: 'NO_OPEN_OFFER' };
    if (deadline <= clock.getTime()) {
      this.cancel(student);
      return { status: 409, code: 'OFFER_EXPIRED' };
    }
    if (accept) {
      this.leaveWaitlist(student);
      this.enrolled.add(student);
    } else {
      this.cancel(student);
    }
    return { status: 200 };
  }

  expire(): void {
    for (const [student, deadline] of [...this.offers]) if (deadline <= clock.getTime()) this.cancel(student);
  }

  private leaveWaitlist(student: string): void {
    this.offers.delete(student);
    this.waitlist = this.waitlist.filter((each) => each !== student);
  }

  /** Free seats go to the head of the line: seated at once, or offered to those without an offer. */
  private fill(): void {
    const waiting = this.waitlist.filter((each) => !this.offers.has(each));
    while (this.taken < this.capacity && waiting.length > 0) {
      const next = waiting.shift()!;
      if (this.offering) {
        this.offers.set(next, clock.getTime() + offerHours * hour);
      } else {
        this.leaveWaitlist(next);
        this.enrolled.add(next);
      }
    }
  }
}

describe('enrollment against a model', () => {
  it('keeps counter, seats, waitlist and offers equal to the model after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.array(operation, { minLength: 1, maxLength: 30, size: 'max' }), async (capacity, offering, operations) => {
        clock = start;
        const sessionId = await createSession(context.db, world, { capacity });
        const headers = bearer(world.tokens.sa);
        if (offering) {
          const set = await context.app.inject({ method: 'PUT', url: `/v1/sessions/${sessionId}/waitlist-offers`, headers, payload: { offer_hours: offerHours } });
          expect(set.statusCode, set.body).toBe(200);
        }
        const model = new SessionModel(capacity, offering);
        const enrollmentIds = new Map<string, string>();
        for (const step of operations) {
          if (step.kind === 'enroll') {
            const student = students[step.student]!;
            const expected = model.enroll(student);
            const response = await context.app.inject({ method: 'POST', url: `/v1/sessions/${sessionId}/enrollments`, headers, payload: { student_id: student } });
            expect(response.statusCode, response.body).toBe(expected.status);
            if (expected.status === 201) {
              expect(response.json()).toMatchObject({ status: expected.enrollment, waitlist_position: expected.position });
              enrollmentIds.set(student, response.json().id);
            } else {
              expect(response.json().error.code).toBe('ALREADY_ENROLLED');
            }
          } else if (step.kind === 'cancel') {
            const student = students[step.student]!;
            const enrollmentId = enrollmentIds.get(student);
            if (enrollmentId === undefined) continue;
            model.cancel(student);
            const response = await context.app.inject({ method: 'POST', url: `/v1/enrollments/${enrollmentId}/cancel`, headers });
            expect(response.statusCode, response.body).toBe(200);
            expect(response.json().status).toBe('CANCELLED');
          } else if (step.kind === 'accept' || step.kind === 'decline') {
            const student = students[step.student]!;
            const enrollmentId = enrollmentIds.get(student);
            if (enrollmentId === undefined) continue;
            const expected = model.answer(student, step.kind === 'accept');
            const response = await context.app.inject({ method: 'POST', url: `/v1/enrollments/${enrollmentId}/offer/${step.kind}`, headers });
            expect(response.statusCode, response.body).toBe(expected.status);
            if (expected.code) expect(response.json().error.code).toBe(expected.code);
            else expect(response.json().status).toBe(step.kind === 'accept' ? 'ENROLLED' : 'CANCELLED');
          } else if (step.kind === 'wait') {
            clock = new Date(clock.getTime() + step.hours * hour);
          } else if (step.kind === 'expire') {
            model.expire();
            await context.db.transaction((tx) => insertJob(tx, { handler: expireOffersName }));
            await dispatcher().drain();
          } else {
            const expected = model.setCapacity(step.capacity);
            const response = await context.app.inject({ method: 'PUT', url: `/v1/sessions/${sessionId}/capacity`, headers, payload: { max_capacity: step.capacity } });
            expect(response.statusCode, response.body).toBe(expected);
          }
          const state = await sessionState(context.db, sessionId);
          expect(state.capacity).toBe(model.capacity);
          expect(state.counter).toBe(model.enrolled.size + model.offers.size);
          expect(state.enrolled).toEqual([...model.enrolled].sort());
          expect(state.waitlist).toEqual(model.waitlist);
          expect(state.offered).toEqual(model.waitlist.filter((each) => model.offers.has(each)));
          expect(state.positions).toEqual(model.waitlist.map((_, index) => index + 1));
          expect(state.duplicates).toBe(0);
        }
      }),
      propertyRuns(100),
    );
  }, 300_000);
});
