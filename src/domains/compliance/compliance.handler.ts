import { eventOf, type JobHandler } from '../../platform/jobs/index.js';
import { followCertificate, recomputeComplianceScores, recordCompletion } from './compliance.repository.js';

interface EnrollmentCompleted {
  course_id: string | null;
  student_id: string | null;
  completed_at: string | null;
}

/**
 * `enrollment.completed` → the student's compliance records for the requirements the course fulfils,
 * and their compliance score and status recomputed from those records in the same transaction.
 */
export const complianceOnCompletion: JobHandler = {
  name: 'compliance.record-completion',
  eventTypes: ['enrollment.completed'],
  // A session completed at once queues one job per student: they commit together.
  sharesTransaction: true,
  async run(tx, job) {
    const event = eventOf<EnrollmentCompleted>(job);
    // A student without an account (a profile) holds no compliance records; neither does a course-less session.
    if (!event.data.student_id || !event.data.course_id) return;
    await recordCompletion(tx, {
      userId: event.data.student_id,
      courseId: event.data.course_id,
      enrollmentId: event.aggregate_id,
      completedAt: event.data.completed_at ?? event.occurred_at,
      eventSeq: event.seq,
    });
    // Also when no record changed (a rerun, or a course that fulfils nothing): the recompute writes
    // only a score that differs, and it catches records that have lapsed since the last one.
    await recomputeComplianceScores(tx, [event.data.student_id]);
  },
};

/**
 * A certificate issued, revoked, suspended or reinstated → the holder's records of the requirements its
 * course fulfils follow it (decision 0056), and their score is recomputed in the same transaction.
 */
export const complianceFollowsCertificates: JobHandler = {
  name: 'compliance.follow-certificate',
  eventTypes: ['certificate.issued', 'certificate.revoked', 'certificate.suspended', 'certificate.reinstated'],
  // A batch issues thousands at once: their jobs commit together.
  sharesTransaction: true,
  async run(tx, job) {
    const event = eventOf<Record<string, unknown>>(job);
    const holder = await followCertificate(tx, event.aggregate_id, event.seq);
    if (holder !== null) await recomputeComplianceScores(tx, [holder]);
  },
};
