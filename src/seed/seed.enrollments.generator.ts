import { verificationCodeOf } from '../domains/certificates/index.js';
import type { Catalogue } from './seed.catalogue.generator.js';
import { addMonths, dayOf, isoDate, parseDay, utcTimestamp, zonedTimestamp } from './seed.calendar.js';
import type { People, SeedContext, StudentSeed, UserSeed } from './seed.people.generator.js';
import { Random, streamSeed } from './seed.random.js';
import type { SessionPlan } from './seed.sessions.generator.js';
import type { Row } from './seed.tables.js';

export type CertificateSeed = Omit<Row<'certificates'>, 'recipient_email_ciphertext'> & { recipient_email: string | null };

/** What happened around one session: its enrollments and, when it has them, its roster and certificates. */
export interface SessionOutcome {
  enrollments: Row<'session_enrollments'>[];
  roster: Row<'rosters'> | null;
  members: Row<'student_roster_members'>[];
  batch: Row<'certificate_batches'> | null;
  certificates: CertificateSeed[];
}

export interface OutcomeInputs {
  ctx: SeedContext;
  people: People;
  catalogue: Catalogue;
  /** Per user id: the name as printed on certificates and rosters. */
  nameOf: Map<string, string>;
  userById: Map<string, UserSeed>;
  studentById: Map<string, StudentSeed>;
}

const msPerMinute = 60_000;
const revocationReasons = ['Issued in error', 'Assessment irregularity', 'Duplicate record', 'Requested by the provider'];

/**
 * Generates a session's outcome from the session's own stream only, so it is the same whichever
 * table is being loaded when it is asked for (the loader asks once per table rather than keeping
 * a million rows in memory).
 */
export function sessionOutcome(inputs: OutcomeInputs, plan: SessionPlan): SessionOutcome {
  const enrollments = generateEnrollments(inputs, plan);
  if (plan.roster === null && !(plan.course.certifies && plan.row.status === 'COMPLETED')) {
    return { enrollments, roster: null, members: [], batch: null, certificates: [] };
  }
  return { enrollments, ...generateCertification(inputs, plan, enrollments) };
}

function generateEnrollments({ ctx, people }: OutcomeInputs, plan: SessionPlan): Row<'session_enrollments'>[] {
  const random = Random.of(ctx.seed, 'enrollments', plan.index);
  const session = plan.row;
  const learners = plan.course.audience === 'learners';
  const pool = learners ? people.learners : (people.studentsOf[plan.slot] as number[]);
  const picks = random.sample(pool.length, plan.enrolled + plan.waitlisted + plan.cancelled).map((k) => pool[k] as number);
  const opened = Date.parse(session.created_at);
  const startsAt = Date.parse(zonedTimestamp(plan.day, plan.startMinutes, plan.timezone));
  // Enrollments are taken from the session's creation until it starts, is cancelled, or "now" (the anchor day).
  const stop = session.status === 'CANCELLED' ? Date.parse(session.updated_at) : startsAt;
  const closed = Math.max(opened + 60 * msPerMinute, Math.min(stop, ctx.today * 86_400_000));
  const when = () => new Date(opened + Math.floor(random.float() * ((closed - opened) / msPerMinute)) * msPerMinute).toISOString();
  const endsAt = zonedTimestamp(plan.day, plan.endMinutes, plan.timezone);
  const queued = Array.from({ length: plan.enrolled + plan.waitlisted }, when).sort();

  return picks.map((pick, k) => {
    const student = learners ? (people.users[pick] as { id: string }) : (people.students[pick] as { id: string });
    const isQueued = k < queued.length;
    const enrolledAt = isQueued ? (queued[k] as string) : when();
    const status = k < plan.enrolled ? 'ENROLLED' : isQueued ? 'WAITLISTED' : 'CANCELLED';
    const selfEnrolled = learners && session.self_enrollment_allowed && random.chance(0.7);
    const row: Row<'session_enrollments'> = {
      id: random.uuid(), session_id: session.id, student_id: learners ? student.id : null, student_profile_id: learners ? null : student.id,
      status, waitlist_position: status === 'WAITLISTED' ? k - plan.enrolled + 1 : null, enrollment_date: enrolledAt,
      attendance_status: 'REGISTERED', completion_status: 'NOT_STARTED', assessment_score: null, practical_score: null,
      written_score: null, completed_at: null, enrolled_by: selfEnrolled ? student.id : session.created_by, created_at: enrolledAt,
      updated_at: enrolledAt, version: 1,
    };
    if (status === 'CANCELLED') {
      const cancelledAt = session.status === 'CANCELLED' ? session.updated_at
        : new Date(Math.min(closed, Date.parse(enrolledAt) + random.int(60, 20_000) * msPerMinute)).toISOString();
      return { ...row, updated_at: cancelledAt < enrolledAt ? enrolledAt : cancelledAt, version: 2 };
    }
    if (status !== 'ENROLLED') return row;
    if (session.status === 'IN_PROGRESS') {
      return random.chance(0.9)
        ? { ...row, attendance_status: 'ATTENDED', completion_status: 'IN_PROGRESS', updated_at: new Date(startsAt).toISOString(), version: 3 }
        : row;
    }
    if (session.status !== 'COMPLETED') return row;
    return recordResult(row, random, endsAt);
  });
}

/** Attendance, completion and scores of a finished session. */
function recordResult(row: Row<'session_enrollments'>, random: Random, endsAt: string): Row<'session_enrollments'> {
  const attendance = random.weighted([['ATTENDED', 85], ['PARTIAL', 6], ['ABSENT', 9]] as const);
  const finishedAt = new Date(Date.parse(endsAt) + random.int(0, 90) * msPerMinute).toISOString();
  if (attendance === 'ABSENT') return { ...row, attendance_status: 'ABSENT', updated_at: endsAt, version: 2 };
  const passed = attendance === 'ATTENDED' ? random.chance(0.9) : false;
  const completion = passed ? 'COMPLETED' : attendance === 'PARTIAL' && random.chance(0.6) ? 'IN_PROGRESS' : 'FAILED';
  const finished = completion !== 'IN_PROGRESS';
  return {
    ...row,
    attendance_status: attendance,
    completion_status: completion,
    assessment_score: finished ? (passed ? random.score(70, 100) : random.score(30, 69.75)) : null,
    practical_score: passed ? random.score(70, 100) : random.score(20, 90),
    written_score: finished ? (passed ? random.score(65, 100) : random.score(20, 85)) : null,
    completed_at: finished ? finishedAt : null,
    updated_at: finished ? finishedAt : endsAt,
    version: 3,
  };
}

/**
 * A public verification code of the product's form (80 bits, verification-code.ts), deterministic and unique
 * by construction: its first 40 bits are a keyed 4-round Feistel permutation of the session number and the
 * certificate's place in it (distinct numbers give distinct bits), the other 40 drawn from the seeded generator.
 * Demo data: whoever knows the seed can compute them, as every other seeded value.
 */
export function verificationCode(seed: number, sessionIndex: number, k: number): string {
  let left = Math.floor((sessionIndex * 256 + k) / 2 ** 20) & 0xfffff;
  let right = (sessionIndex * 256 + k) & 0xfffff;
  for (let round = 0; round < 4; round++) {
    const mixed = (streamSeed(seed, 'code', round, right) & 0xfffff) ^ left;
    left = right;
    right = mixed;
  }
  const random = Random.of(seed, 'code-random', sessionIndex, k);
  const drawn = (BigInt(random.uint32() & 0xfffff) << 20n) | BigInt(random.uint32() & 0xfffff);
  return verificationCodeOf((((BigInt(left) << 20n) | BigInt(right)) << 40n) | drawn);
}

const later = (a: string, b: string) => (a > b ? a : b);

function generateCertification({ ctx, catalogue, nameOf, userById, studentById }: OutcomeInputs, plan: SessionPlan, enrollments: Row<'session_enrollments'>[]) {
  const random = Random.of(ctx.seed, 'certification', plan.index);
  const session = plan.row;
  const { today } = ctx;
  const instructorName = nameOf.get(session.instructor_id) ?? null;
  const endsAt = Date.parse(zonedTimestamp(plan.day, plan.endMinutes, plan.timezone));
  let roster: Row<'rosters'> | null = null;
  if (plan.roster !== null) {
    const certificate = plan.roster === 'CERTIFICATE';
    const createdAt = certificate
      ? new Date(Math.min(endsAt + random.int(60, 1440) * msPerMinute, (today + 1) * 86_400_000 - msPerMinute)).toISOString()
      : utcTimestamp(Math.max(dayOf(session.created_at) + 1, today - random.int(1, 10)), random.int(480, 1020));
    const issueDay = certificate ? Math.min(today, dayOf(createdAt) + random.int(0, 3)) : null;
    roster = {
      id: random.uuid(), name: `${plan.course.code} ${session.session_date} ${plan.venue}`, session_id: session.id,
      course_id: session.course_id, location_id: session.location_id, provider_id: session.provider_id,
      instructor_id: session.instructor_id, instructor_name: instructorName,
      status: certificate && plan.day < today - 60 ? 'ARCHIVED' : 'ACTIVE', roster_type: plan.roster, certificate_count: 0,
      issue_date: issueDay === null ? null : isoDate(issueDay), created_by: session.created_by, created_at: createdAt,
      updated_at: createdAt, version: 1,
    };
  }
  const members: Row<'student_roster_members'>[] = [];
  const memberOf = new Map<string, Row<'student_roster_members'>>();
  if (roster) {
    for (const e of enrollments) {
      if (e.status === 'CANCELLED' || e.student_profile_id === null) continue;
      const member: Row<'student_roster_members'> = {
        id: random.uuid(), roster_id: roster.id, student_profile_id: e.student_profile_id, student_id: null,
        enrollment_status: e.status === 'WAITLISTED' ? 'WAITLISTED' : e.completion_status === 'COMPLETED' ? 'COMPLETED' : 'ENROLLED',
        attendance_status: e.attendance_status === 'ABSENT' ? 'ABSENT' : e.attendance_status === 'REGISTERED' ? 'PENDING' : 'ATTENDED',
        practical_score: e.practical_score, written_score: e.written_score,
        completion_status: e.completion_status === 'COMPLETED' ? 'COMPLETED' : e.completion_status === 'NOT_STARTED' ? 'NOT_STARTED' : 'IN_PROGRESS',
        created_at: roster.created_at, updated_at: roster.created_at, version: 1,
      };
      members.push(member);
      memberOf.set(e.id, member);
    }
  }

  const certificates: CertificateSeed[] = [];
  let batch: Row<'certificate_batches'> | null = null;
  if (plan.course.certifies && session.status === 'COMPLETED') {
    const fromRoster = roster?.roster_type === 'CERTIFICATE' ? roster : null;
    const templateId = plan.slot < ctx.plan.providers && random.chance(0.5)
      ? (catalogue.providerTemplateIds[plan.slot] as string) : catalogue.defaultTemplateId;
    const batchId = fromRoster ? random.uuid() : null;
    // A roster's certificates are issued in one batch on its issue date.
    const rosterIssuedAt = fromRoster
      ? later(fromRoster.created_at, utcTimestamp(parseDay(fromRoster.issue_date as string), random.int(540, 960))) : null;
    enrollments.forEach((e, k) => {
      if (e.completion_status !== 'COMPLETED' || e.completed_at === null) return;
      const member = fromRoster ? memberOf.get(e.id) : undefined;
      const issueDay = fromRoster ? parseDay(fromRoster.issue_date as string) : Math.min(today, dayOf(e.completed_at));
      const issuedAt = fromRoster ? (rosterIssuedAt as string) : e.completed_at;
      const expiryDay = plan.course.validityMonths === null ? null : addMonths(issueDay, plan.course.validityMonths);
      const revoked = random.chance(0.005);
      const revokedDay = Math.min(today, issueDay + random.int(1, 60));
      const status = revoked ? 'REVOKED' : expiryDay !== null && expiryDay < today ? 'EXPIRED' : 'ACTIVE';
      const student = e.student_profile_id === null ? null : studentById.get(e.student_profile_id);
      const user = e.student_id === null ? null : userById.get(e.student_id);
      const revokedAt = later(issuedAt, utcTimestamp(revokedDay, random.int(480, 1020)));
      certificates.push({
        id: random.uuid(), user_id: e.student_id, student_profile_id: e.student_profile_id,
        enrollment_id: member ? null : e.id, roster_member_id: member?.id ?? null, roster_id: member ? (fromRoster as Row<'rosters'>).id : null,
        session_id: session.id, course_id: session.course_id, location_id: session.location_id, provider_id: session.provider_id,
        course_name: plan.course.title,
        recipient_name: student ? `${student.first_name} ${student.last_name}` : (nameOf.get(e.student_id as string) ?? 'Unknown'),
        recipient_email: student ? student.email : (user?.email ?? null),
        issued_by: fromRoster ? fromRoster.created_by : session.instructor_id, template_id: templateId, batch_id: member ? batchId : null,
        issue_date: isoDate(issueDay), expiry_date: expiryDay === null ? null : isoDate(expiryDay), status,
        revoked_at: revoked ? revokedAt : null,
        revoked_reason: revoked ? random.pick(revocationReasons) : null,
        verification_code: verificationCode(ctx.seed, plan.index, k), created_at: issuedAt,
        updated_at: revoked ? revokedAt : status === 'EXPIRED' ? later(issuedAt, utcTimestamp(expiryDay as number, 60)) : issuedAt,
        version: status === 'ACTIVE' ? 1 : 2,
      });
    });
    const issued = certificates.filter((c) => c.roster_id !== null).length;
    if (fromRoster && batchId && rosterIssuedAt && issued > 0) {
      const finishedAt = new Date(Date.parse(rosterIssuedAt) + issued * 1000).toISOString();
      batch = {
        id: batchId, roster_id: fromRoster.id, template_id: templateId, requested_by: fromRoster.created_by, status: 'COMPLETED',
        total_count: issued, processed_count: issued, failed_count: 0, started_at: rosterIssuedAt, finished_at: finishedAt,
        created_at: rosterIssuedAt, updated_at: finishedAt, version: 3,
      };
      // Issuing updated the roster's counter once; it counts the certificates still standing (migration 0017).
      const standing = certificates.filter((c) => c.roster_id !== null && c.status !== 'REVOKED').length;
      roster = { ...fromRoster, certificate_count: standing, updated_at: finishedAt, version: 2 };
    }
  }
  return { roster, members, batch, certificates };
}
