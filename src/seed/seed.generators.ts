import { type Catalogue, generateCatalogue } from './seed.catalogue.generator.js';
import { parseDay } from './seed.calendar.js';
import { type Completions, generateCompliance } from './seed.compliance.generator.js';
import { type OutcomeInputs, sessionOutcome } from './seed.enrollments.generator.js';
import { generatePeople, type People, type ProfileSeed, type SeedContext } from './seed.people.generator.js';
import { generateSessions, type SessionPlan } from './seed.sessions.generator.js';
import type { SizePlan } from './seed.sizes.js';
import type { Row } from './seed.tables.js';

export type { CertificateSeed, SessionOutcome } from './seed.enrollments.generator.js';
export type { ProviderSeed, StudentSeed, UserSeed, ProfileSeed } from './seed.people.generator.js';
export type { SessionPlan } from './seed.sessions.generator.js';
export { sessionOutcome, verificationCode } from './seed.enrollments.generator.js';

/**
 * Everything the seed writes, except what is derived per session (enrollments, rosters, their
 * lines, batches and certificates), which `sessionOutcome` generates on demand from the session
 * alone: a million enrollments never sit in memory at once.
 *
 * Pure and deterministic: the same plan, seed and anchor day give the same world, ids included.
 * Every value comes from a stream of the seeded PRNG (seed.random.ts) named after what it
 * generates; no clock, no Math.random, no crypto.randomUUID.
 */
export interface SeedWorld {
  ctx: SeedContext;
  people: People;
  /** The people's profiles with their compliance score and status filled in. */
  profiles: ProfileSeed[];
  catalogue: Catalogue;
  schedules: Row<'course_schedules'>[];
  sessions: SessionPlan[];
  complianceRecords: Row<'compliance_records'>[];
  outcomeInputs: OutcomeInputs;
}

export function generateWorld(plan: SizePlan, seed: number, today: string): SeedWorld {
  const ctx: SeedContext = { seed, today: parseDay(today), plan };
  const people = generatePeople(ctx);
  const catalogue = generateCatalogue(ctx, people);
  const { schedules, sessions } = generateSessions(ctx, people, catalogue);
  const nameOf = new Map(people.profiles.map((p) => [p.user_id, `${p.first_name} ${p.last_name}`]));
  const outcomeInputs: OutcomeInputs = {
    ctx, people, catalogue, nameOf,
    userById: new Map(people.users.map((u) => [u.id, u])),
    studentById: new Map(people.students.map((s) => [s.id, s])),
  };
  const { records, profiles } = generateCompliance(ctx, people, catalogue.requirements, learnerCompletions(outcomeInputs, sessions));
  return { ctx, people, profiles, catalogue, schedules, sessions, complianceRecords: records, outcomeInputs };
}

/** The completions of instructors in training (the only students with accounts), latest per course. */
function learnerCompletions(inputs: OutcomeInputs, sessions: SessionPlan[]): Completions {
  const completions: Completions = new Map();
  for (const plan of sessions) {
    if (plan.course.audience !== 'learners' || plan.row.status !== 'COMPLETED') continue;
    for (const e of sessionOutcome(inputs, plan).enrollments) {
      if (e.student_id === null || e.completion_status !== 'COMPLETED' || e.completed_at === null) continue;
      const key = `${e.student_id}/${plan.course.id}`;
      const previous = completions.get(key);
      if (!previous || previous.completedAt < e.completed_at) completions.set(key, { enrollmentId: e.id, completedAt: e.completed_at });
    }
  }
  return completions;
}
