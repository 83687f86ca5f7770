import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { createEnrollmentWorld, createSession, createStudents, type EnrollmentWorld, sessionState } from '../../../test/enrollment-world.js';
import { propertyRuns } from '../../../test/property-runs.js';

// Random sequences of enroll, cancel and capacity changes against one session, through the real API on
// a real database, compared after every step with a model small enough to be obviously right.
const context = useTestApp();
let world: EnrollmentWorld;
let students: string[];

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
  students = await createStudents(context.db, 6);
});

type Operation =
  | { kind: 'enroll'; student: number }
  | { kind: 'cancel'; student: number }
  | { kind: 'capacity'; capacity: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('enroll' as const), student: fc.nat({ max: 5 }) }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('cancel' as const), student: fc.nat({ max: 5 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('capacity' as const), capacity: fc.integer({ min: 1, max: 5 }) }), weight: 2 },
);

/** The model: a capacity, the seated students, the waitlist in order. */
class SessionModel {
  enrolled = new Set<string>();
  waitlist: string[] = [];
  constructor(public capacity: number) {}

  enroll(student: string): { status: number; enrollment?: string; position?: number | null } {
    if (this.enrolled.has(student) || this.waitlist.includes(student)) return { status: 409 };
    if (this.enrolled.size < this.capacity) {
      this.enrolled.add(student);
      return { status: 201, enrollment: 'ENROLLED', position: null };
    }
    this.waitlist.push(student);
    return { status: 201, enrollment: 'WAITLISTED', position: this.waitlist.length };
  }

  cancel(student: string): void {
    if (this.enrolled.delete(student)) this.promote();
    else this.waitlist = this.waitlist.filter((each) => each !== student);
  }

  setCapacity(capacity: number): number {
    if (capacity < this.enrolled.size) return 409;
    this.capacity = capacity;
    this.promote();
    return 200;
  }

  private promote(): void {
    while (this.enrolled.size < this.capacity && this.waitlist.length > 0) this.enrolled.add(this.waitlist.shift()!);
  }
}

describe('enrollment against a model', () => {
  it('keeps counter, seats and waitlist equal to the model after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.array(operation, { minLength: 1, maxLength: 30, size: 'max' }), async (capacity, operations) => {
        const sessionId = await createSession(context.db, world, { capacity });
        const model = new SessionModel(capacity);
        const enrollmentIds = new Map<string, string>();
        const headers = bearer(world.tokens.sa);
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
            model.cancel(student)
            const response = await context.app.inject({ method: 'POST', url: `/v1/enrollments/${enrollmentId}/cancel`, headers });
            expect(response.statusCode, response.body).toBe(200);
            expect(response.json().status).toBe('CANCELLED');
          } else {
            const expected = model.setCapacity(step.capacity);
            const response = await context.app.inject({ method: 'PUT', url: `/v1/sessions/${sessionId}/capacity`, headers, payload: { max_capacity: step.capacity } });
            expect(response.statusCode, response.body).toBe(expected);
          }
          const state = await sessionState(context.db, sessionId);
          expect(state.capacity).toBe(model.capacity);
          expect(state.counter).toBe(model.enrolled.size);
          expect(state.enrolled).toEqual([...model.enrolled].sort());
          expect(state.waitlist).toEqual(model.waitlist);
          expect(state.positions).toEqual(model.waitlist.map((_, index) => index + 1));
          expect(state.duplicates).toBe(0);
        }
      }),
      propertyRuns(100),
    );
  }, 240_000);
});
