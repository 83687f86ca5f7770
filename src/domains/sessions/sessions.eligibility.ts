import type { Actor } from '../../platform/db/actor.js';
import type { Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';

/** One thing an instructor lacks for a course on a day (app_instructor_eligibility_gaps, migration 0041). */
export type EligibilityGap =
  | { kind: 'TIER'; required: 'IC' | 'IP'; held: string | null }
  | { kind: 'REQUIREMENT'; id: string; code: string; name: string; valid_until: string | null }
  | { kind: 'CERTIFICATE'; course_id: string; course_code: string; valid_until: string | null };

/** Who teaches what, where and when: what the rule is asked about. */
export interface Assignment {
  instructor_id: string;
  course_id: string;
  location_id: string;
  start_time: string;
  end_time: string;
}

/** The override columns of a session or schedule: both null, or an SA's or AD's reason and id. */
export interface EligibilityOverride {
  eligibility_override_reason: string | null;
  eligibility_overridden_by: string | null;
}

export const noOverride: EligibilityOverride = { eligibility_override_reason: null, eligibility_overridden_by: null };

export interface OccurrenceGaps {
  session_date: string;
  missing: EligibilityGap[];
}

/**
 * What the instructor lacks on each of `days` (only the days with something missing, in order). The
 * session's start is taken in its location's zone, as the stored instants are (migration 0039).
 */
export async function selectEligibilityGaps(tx: Tx, assignment: Assignment, days: readonly string[]): Promise<OccurrenceGaps[]> {
  if (days.length === 0) return [];
  const { rows } = await tx.query<OccurrenceGaps>(
    `select day::text as session_date, g.missing
       from unnest($6::date[]) as day,
            lateral (select app_instructor_eligibility_gaps($1, $2, day, lower(app_session_time_range($3, day, $4::time, $5::time))) as missing) g
      where g.missing <> '[]'::jsonb
      order by day`,
    [assignment.instructor_id, assignment.course_id, assignment.location_id, assignment.start_time, assignment.end_time, days],
  );
  return rows;
}

const describe = (gap: EligibilityGap) =>
  gap.kind === 'TIER' ? `tier ${gap.required} (holds ${gap.held ?? 'none'})` : gap.kind === 'REQUIREMENT' ? `requirement ${gap.code}` : `certificate of ${gap.course_code}`;

/**
 * Decides an assignment against the rule. Eligible: no override is kept (there is nothing to override).
 * Not eligible: 422 INSTRUCTOR_NOT_ELIGIBLE listing what is missing on which days, unless an SA or AD
 * gives a reason, which is returned to be stored with the row. Anyone else giving one is 403.
 */
export function decideEligibility(actor: Actor, gaps: OccurrenceGaps[], reason: string | undefined, field = 'body.instructor_id'): EligibilityOverride {
  if (gaps.length === 0) return noOverride;
  if (reason === undefined) {
    const first = gaps[0] as OccurrenceGaps;
    const days = gaps.length === 1 ? `on ${first.session_date}` : `on ${gaps.length} days from ${first.session_date}`;
    throw new AppError(
      'INSTRUCTOR_NOT_ELIGIBLE',
      `the instructor does not meet what the course asks ${days}: ${first.missing.map(describe).join(', ')}; an SA or AD may assign them with eligibility_override_reason`,
      { field, missing: first.missing, occurrences: gaps },
    );
  }
  if ((actor.role !== 'SA' && actor.role !== 'AD') || actor.userId === null) {
    throw new AppError('FORBIDDEN', 'only an SA or AD may override instructor eligibility', { field: 'body.eligibility_override_reason' });
  }
  return { eligibility_override_reason: reason, eligibility_overridden_by: actor.userId };
}
