import type { Tx } from '../db/database.js';
import { eventsPassedWithoutJobs, eventsPassedWithoutJobsParams, type Subscription, subscriptionColumnsOf } from '../jobs/index.js';

/** One row that breaks a rule: where it is, what is wrong, what the rule expects and what is stored. */
export interface ViolationRow {
  table_name: string;
  row_id: string;
  problem: string;
  expected: string;
  found: string;
}

export interface ConsistencyCheck {
  name: string;
  /** The rule, in words, for the report. */
  rule: string;
  /** One set-based statement returning a `ViolationRow` per violation (none when the rule holds). */
  sql: string;
  /**
   * The statement's parameters (`$1`, … in `sql`), for a check that judges by a moment: `asOf`, the
   * moment the whole run judges by (now, or the clock of whoever expired the certificates).
   */
  params?: (asOf: Date) => unknown[];
}

// Seats taken per session, the count every counter and capacity rule compares with: ENROLLED rows and
// the seats held for open waitlist offers (migration 0044).
const enrolledPerSession = `
  SELECT session_id, count(*)::integer AS enrolled FROM session_enrollments
   WHERE status = 'ENROLLED' OR offer_expires_at IS NOT NULL GROUP BY session_id`;

/**
 * The invariants the write path keeps, each as one statement over whole tables, so a check costs one
 * scan however large the database is. They run as the database owner, which row-level security lets
 * see every row. Some rules are also CHECK constraints (a counter above capacity, a waitlist position
 * on a row that is not waitlisted); they are checked anyway, as a constraint can be dropped or not yet exist.
 */
export const consistencyChecks: ConsistencyCheck[] = [
  {
    name: 'enrollment-counter',
    rule: 'training_sessions.current_enrollment equals the number of ENROLLED enrollments and open waitlist offers',
    sql: `
      SELECT 'training_sessions' AS table_name, s.id AS row_id,
             'current_enrollment is not the number of ENROLLED enrollments' AS problem,
             coalesce(e.enrolled, 0)::text AS expected, s.current_enrollment::text AS found
        FROM training_sessions s LEFT JOIN (${enrolledPerSession}) e ON e.session_id = s.id
       WHERE s.current_enrollment <> coalesce(e.enrolled, 0)`,
  },
  {
    name: 'capacity',
    rule: 'no session holds more ENROLLED enrollments (or a higher counter) than its max_capacity',
    sql: `
      SELECT 'training_sessions' AS table_name, s.id AS row_id,
             'more students enrolled than max_capacity' AS problem,
             'at most ' || s.max_capacity AS expected,
             coalesce(e.enrolled, 0) || ' ENROLLED enrollments, current_enrollment ' || s.current_enrollment AS found
        FROM training_sessions s LEFT JOIN (${enrolledPerSession}) e ON e.session_id = s.id
       WHERE greatest(coalesce(e.enrolled, 0), s.current_enrollment) > s.max_capacity`,
  },
  {
    name: 'waitlist-positions',
    rule: "a session's WAITLISTED enrollments are numbered exactly 1..n; other enrollments have no position",
    // dense_rank is the position a row would have in a gapless list: a row after a gap differs from
    // it, and rows sharing a position are caught by their count.
    sql: `
      SELECT 'session_enrollments' AS table_name, w.id AS row_id,
             CASE WHEN w.sharing > 1 THEN 'waitlist position shared by ' || w.sharing || ' WAITLISTED enrollments of session ' || w.session_id
                  ELSE 'waitlist positions of session ' || w.session_id || ' are not 1..n' END AS problem,
             CASE WHEN w.sharing > 1 THEN 'a position of its own' ELSE w.gapless::text END AS expected,
             coalesce(w.waitlist_position::text, 'none') AS found
        FROM (SELECT e.id, e.session_id, e.waitlist_position,
                     dense_rank() OVER (PARTITION BY e.session_id ORDER BY e.waitlist_position) AS gapless,
                     count(*) OVER (PARTITION BY e.session_id, e.waitlist_position) AS sharing
                FROM session_enrollments e WHERE e.status = 'WAITLISTED') w
       WHERE w.sharing > 1 OR w.waitlist_position IS DISTINCT FROM w.gapless
      UNION ALL
      SELECT 'session_enrollments', e.id, 'a ' || e.status || ' enrollment has a waitlist position', 'none', e.waitlist_position::text
        FROM session_enrollments e
       WHERE e.status <> 'WAITLISTED' AND e.waitlist_position IS NOT NULL`,
  },
  {
    name: 'waitlist-while-seats-free',
    rule: 'a session that is not CANCELLED has a waitlist only when all its seats are taken',
    sql: `
      SELECT 'training_sessions' AS table_name, s.id AS row_id,
             'students are waitlisted while seats are free' AS problem,
             'no WAITLISTED enrollments while ' || coalesce(e.enrolled, 0) || ' of ' || s.max_capacity || ' seats are taken' AS expected,
             w.waitlisted || ' WAITLISTED' AS found
        FROM training_sessions s
        JOIN (SELECT session_id, count(*) AS waitlisted FROM session_enrollments WHERE status = 'WAITLISTED' GROUP BY session_id) w
          ON w.session_id = s.id
        LEFT JOIN (${enrolledPerSession}) e ON e.session_id = s.id
       WHERE s.status <> 'CANCELLED' AND coalesce(e.enrolled, 0) < s.max_capacity`,
  },
  {
    name: 'cancelled-session-enrollments',
    rule: 'a CANCELLED session has no ENROLLED or WAITLISTED enrollments',
    sql: `
      SELECT 'session_enrollments' AS table_name, e.id AS row_id,
             'enrollment in CANCELLED session ' || s.id || ' is not cancelled' AS problem,
             'CANCELLED' AS expected, e.status AS found
        FROM session_enrollments e JOIN training_sessions s ON s.id = e.session_id
       WHERE s.status = 'CANCELLED' AND e.status IN ('ENROLLED', 'WAITLISTED')`,
  },
  {
    name: 'roster-certificate-count',
    rule: 'rosters.certificate_count equals the number of certificates of the roster that are not REVOKED',
    sql: `
      SELECT 'rosters' AS table_name, r.id AS row_id,
             'certificate_count is not the number of its certificates that are not REVOKED' AS problem,
             coalesce(c.live, 0)::text AS expected, r.certificate_count::text AS found
        FROM rosters r
        LEFT JOIN (SELECT roster_id, count(*) AS live FROM certificates
                    WHERE roster_id IS NOT NULL AND status <> 'REVOKED' GROUP BY roster_id) c ON c.roster_id = r.id
       WHERE r.certificate_count <> coalesce(c.live, 0)`,
  },
  {
    name: 'provider-serves-location',
    rule: 'the provider of a session, schedule or roster (if any) serves its location (provider_locations)',
    sql: `
      SELECT t.table_name, t.id AS row_id,
             'provider ' || t.provider_id || ' does not serve the location' AS problem,
             'a location of provider ' || t.provider_id AS expected, 'location ' || t.location_id AS found
        FROM (SELECT 'training_sessions' AS table_name, id, provider_id, location_id FROM training_sessions WHERE provider_id IS NOT NULL
              UNION ALL
              SELECT 'course_schedules', id, provider_id, location_id FROM course_schedules WHERE provider_id IS NOT NULL
              UNION ALL
              SELECT 'rosters', id, provider_id, location_id FROM rosters WHERE provider_id IS NOT NULL) t
       WHERE NOT EXISTS (SELECT 1 FROM provider_locations pl WHERE pl.provider_id = t.provider_id AND pl.location_id = t.location_id)`,
  },
  {
    name: 'schedule-course',
    rule: "a session generated from a schedule has the schedule's course",
    sql: `
      SELECT 'training_sessions' AS table_name, s.id AS row_id,
             'course differs from that of its schedule ' || c.id AS problem,
             'course ' || c.course_id AS expected, 'course ' || s.course_id AS found
        FROM training_sessions s JOIN course_schedules c ON c.id = s.schedule_id
       WHERE s.course_id <> c.course_id`,
  },
  {
    name: 'roster-session',
    rule: "a roster made from a session has the session's course and location",
    sql: `
      SELECT 'rosters' AS table_name, r.id AS row_id,
             v.field || ' differs from that of its session ' || s.id AS problem,
             v.field || ' ' || v.expected AS expected, v.field || ' ' || v.found AS found
        FROM rosters r JOIN training_sessions s ON s.id = r.session_id
       CROSS JOIN LATERAL (VALUES ('course_id', s.course_id, r.course_id),
                                  ('location_id', s.location_id, r.location_id)) v (field, expected, found)
       WHERE v.expected <> v.found`,
  },
  {
    name: 'instructor-role',
    rule: 'the instructor of a session, schedule or roster holds an instructor role (IC, IP) or is an administrator (SA, AD)',
    sql: `
      SELECT t.table_name, t.id AS row_id,
             'instructor ' || u.id || ' may not teach' AS problem,
             'role IC, IP, SA or AD' AS expected, 'role ' || u.role AS found
        FROM (SELECT 'training_sessions' AS table_name, id, instructor_id FROM training_sessions
              UNION ALL
              SELECT 'course_schedules', id, instructor_id FROM course_schedules
              UNION ALL
              SELECT 'rosters', id, instructor_id FROM rosters WHERE instructor_id IS NOT NULL) t
        JOIN users u ON u.id = t.instructor_id
       WHERE u.role NOT IN ('IC', 'IP', 'SA', 'AD')`,
  },
  {
    name: 'certificate-source',
    rule: 'a certificate names the session, course and student of the enrollment it was issued for, or the roster, course and student of its roster line',
    // A recipient may be an account and a profile at once: only the student the source names must match.
    // Messages are built outside the lists of comparisons, so only for offenders.
    sql: `
      SELECT 'certificates' AS table_name, x.id AS row_id,
             x.field || ' differs from that of its ' || x.source || ' ' || x.source_id AS problem,
             x.field || ' ' || x.expected AS expected, x.field || ' ' || coalesce(x.found::text, 'null') AS found
        FROM (SELECT c.id, 'enrollment' AS source, e.id AS source_id, v.*
                FROM certificates c
                JOIN session_enrollments e ON e.id = c.enrollment_id
                JOIN training_sessions s ON s.id = e.session_id
               CROSS JOIN LATERAL (VALUES ('session_id', e.session_id, c.session_id),
                                          ('course_id', s.course_id, c.course_id),
                                          ('user_id', e.student_id, c.user_id),
                                          ('student_profile_id', e.student_profile_id, c.student_profile_id)) v (field, expected, found)
              UNION ALL
              SELECT c.id, 'roster line', m.id, v.*
                FROM certificates c
                JOIN student_roster_members m ON m.id = c.roster_member_id
                JOIN rosters r ON r.id = m.roster_id
               CROSS JOIN LATERAL (VALUES ('roster_id', m.roster_id, c.roster_id),
                                          ('course_id', r.course_id, c.course_id),
                                          ('student_profile_id', m.student_profile_id, c.student_profile_id)) v (field, expected, found)
             ) x
       WHERE x.expected IS NOT NULL AND x.expected IS DISTINCT FROM x.found`,
  },
  {
    name: 'analytics-freshness',
    rule: 'every analytics view was refreshed within the last 24 hours (the scheduled refresh runs every 15 minutes by default)',
    sql: `
      SELECT 'analytics_refreshes' AS table_name, r.id AS row_id,
             r.view_name || ' has not been refreshed for over a day: is a worker running the analytics-refresh schedule?' AS problem,
             'refreshed within 24 hours' AS expected,
             'refreshed ' || floor(extract(epoch FROM now() - r.refreshed_at) / 3600)::integer || ' hours ago' AS found
        FROM analytics_refreshes r
       WHERE r.refreshed_at < now() - interval '24 hours'`,
  },
  {
    name: 'certificate-status-list',
    rule: 'every certificate has a place in the status lists, and its bits there say its status: revocation set iff REVOKED, suspension set iff SUSPENDED',
    // Bit i of a list is the (i % 8)-th bit from the left of byte i / 8 (migration 0034); no list row reads as all zeros.
    sql: `
      SELECT 'certificates' AS table_name, c.id AS row_id,
             CASE WHEN e.status_list_index IS NULL THEN 'it has no place in the status lists'
                  ELSE 'its bit in ' || p.purpose || ' status list ' || (e.status_list_index / 131072) || ' does not say its status ' || c.status END AS problem,
             (c.status = p.status)::text AS expected,
             CASE WHEN e.status_list_index IS NULL THEN 'no index' ELSE (NOT (c.status = p.status))::text END AS found
        FROM certificates c
       CROSS JOIN (VALUES ('revocation', 'REVOKED'), ('suspension', 'SUSPENDED')) p (purpose, status)
        LEFT JOIN certificate_status_entries e ON e.certificate_id = c.id
        LEFT JOIN certificate_status_lists l ON l.purpose = p.purpose AND l.list_number = e.status_list_index / 131072
       WHERE e.status_list_index IS NULL
          OR (c.status = p.status) <> coalesce(get_bit(l.bits, ((e.status_list_index % 131072) / 8 * 8 + 7 - e.status_list_index % 8)::integer) = 1, false)`,
  },
  {
    name: 'certificate-status',
    rule: 'a certificate marked EXPIRED has an expiry date, and it has passed',
    sql: `
      SELECT 'certificates' AS table_name, c.id AS row_id,
             'EXPIRED before its expiry date' AS problem,
             'an expiry date before ' || ($1::timestamptz AT TIME ZONE 'UTC')::date AS expected, coalesce('expiry date ' || c.expiry_date, 'no expiry date') AS found
        FROM certificates c
       WHERE c.status = 'EXPIRED' AND (c.expiry_date IS NULL OR c.expiry_date >= ($1::timestamptz AT TIME ZONE 'UTC')::date)`,
    params: (asOf) => [asOf],
  },
  {
    name: 'certificate-verification-count',
    rule: 'a verification count belongs to a certificate that exists',
    // The count has no foreign key (decision 0105): an owner's delete racing a flush of counts can leave one behind.
    sql: `
      SELECT 'certificate_verifications' AS table_name, v.certificate_id AS row_id,
             'counts ' || v.verification_count || ' verification(s) of a certificate that does not exist' AS problem,
             'certificate ' || v.certificate_id AS expected, 'no certificate' AS found
        FROM certificate_verifications v
       WHERE NOT EXISTS (SELECT 1 FROM certificates c WHERE c.id = v.certificate_id)`,
  },
  {
    name: 'compliance-standing',
    rule: 'a profile\'s compliance status agrees with its score: COMPLIANT at 100, PENDING at 0, AT_RISK from 50 to under 100, NON_COMPLIANT under 100 (decision 0021)',
    sql: `
      SELECT 'profiles' AS table_name, p.id AS row_id,
             'compliance status ' || p.compliance_status || ' disagrees with its score' AS problem,
             CASE p.compliance_status WHEN 'COMPLIANT' THEN 'score 100.00' WHEN 'PENDING' THEN 'score 0.00'
                  WHEN 'AT_RISK' THEN 'score from 50.00 to under 100.00' ELSE 'score under 100.00' END AS expected,
             'score ' || p.compliance_score AS found
        FROM profiles p
       WHERE CASE p.compliance_status WHEN 'COMPLIANT' THEN p.compliance_score <> 100
                                      WHEN 'PENDING' THEN p.compliance_score <> 0
                                      WHEN 'AT_RISK' THEN p.compliance_score < 50 OR p.compliance_score >= 100
                                      ELSE p.compliance_score >= 100 END`,
  },
  {
    name: 'compliance-record-source',
    rule: 'a compliance record made from an enrollment is that enrollment\'s student\'s',
    sql: `
      SELECT 'compliance_records' AS table_name, c.id AS row_id,
             'its source enrollment ' || e.id || ' is another person''s' AS problem,
             'user ' || e.student_id AS expected, 'user ' || c.user_id AS found
        FROM compliance_records c JOIN session_enrollments e ON e.id = c.source_enrollment_id
       WHERE e.student_id IS DISTINCT FROM c.user_id`,
  },
  {
    name: 'instructor-eligibility',
    rule: "a SCHEDULED session not yet begun has an instructor who meets what its course asks on the day, or an SA's or AD's override",
    // instructors_no_longer_eligible applies the one rule (migration 0041) the API, the dashboard and the notice job use.
    sql: `
      SELECT 'training_sessions' AS table_name, f.session_id AS row_id,
             'the instructor no longer meets what the course asks on ' || f.session_date AS problem,
             'eligible, or an override with a reason' AS expected,
             (SELECT string_agg(coalesce(g->>'code', g->>'course_code', 'tier ' || (g->>'required')), ', ') FROM jsonb_array_elements(f.missing) g)
               || ' missing' AS found
        FROM instructors_no_longer_eligible($1::timestamptz) f`,
    params: (asOf) => [asOf],
  },
];

/**
 * The relay's rule (decision 0016): an event it has passed has its jobs. Only the app knows which handlers
 * subscribe to which events (src/job-handlers.ts), so the caller hands them in; only the events of the
 * job retention are judged, since older ones may have had their jobs pruned (eventsPassedWithoutJobs).
 */
export function passedEventsCheck(subscriptions: readonly Subscription[], jobRetentionDays: number): ConsistencyCheck {
  const columns = subscriptionColumnsOf(subscriptions);
  return {
    name: 'relayed-event-jobs',
    rule: `an event the job relay has passed has the jobs of the handlers of its type (events of the last ${jobRetentionDays} days: JOB_RETENTION_DAYS)`,
    sql: `
      SELECT 'domain_events' AS table_name, p.seq::text AS row_id,
             p.event_type || ' event of transaction ' || p.txid || ' is behind the relay position and has no job' AS problem,
             'jobs of ' || p.handlers AS expected, 'no job' AS found
        FROM (${eventsPassedWithoutJobs}) p`,
    params: () => eventsPassedWithoutJobsParams(columns, jobRetentionDays),
  };
}

/** The violations of one check, judged as of `asOf` where the check depends on the moment. */
export async function selectViolations(tx: Tx, check: ConsistencyCheck, asOf: Date): Promise<ViolationRow[]> {
  const { rows } = await tx.query<ViolationRow>(`${check.sql}\n ORDER BY 1, 2, 3`, check.params?.(asOf) ?? []);
  return rows;
}

export interface CheckedRowCounts {
  training_sessions: number;
  session_enrollments: number;
  course_schedules: number;
  rosters: number;
  certificates: number;
}

/** How many certificates there are of each status. */
export async function countCertificateStatuses(tx: Tx): Promise<Record<string, number>> {
  const { rows } = await tx.query<{ status: string; count: number }>(
    'SELECT status, count(*)::integer AS count FROM certificates GROUP BY status ORDER BY status',
  );
  return Object.fromEntries(rows.map((row) => [row.status, row.count]));
}

/** How many rows of each table the checks looked at (all of them). */
export async function countCheckedRows(tx: Tx): Promise<CheckedRowCounts> {
  const { rows } = await tx.query<CheckedRowCounts>(`
    SELECT (SELECT count(*) FROM training_sessions)::integer AS training_sessions,
           (SELECT count(*) FROM session_enrollments)::integer AS session_enrollments,
           (SELECT count(*) FROM course_schedules)::integer AS course_schedules,
           (SELECT count(*) FROM rosters)::integer AS rosters,
           (SELECT count(*) FROM certificates)::integer AS certificates`);
  return rows[0] as CheckedRowCounts;
}

/**
 * The checks hash whole tables: with the default 4 MB per hash the large seed's joins spill to disk in
 * hundreds of batches (on the embedded engine, a third of the time).
 */
export async function prepareCheckTransaction(tx: Tx): Promise<void> {
  await tx.query(`SET LOCAL work_mem = '64MB'`);
}
