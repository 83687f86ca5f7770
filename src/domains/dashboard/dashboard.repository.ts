import type { Tx } from '../../platform/db/database.js';

/** The tables the dashboard reads: a committed change to any of them ends a cached dashboard. */
export const dashboardTables = [
  'training_sessions', 'session_enrollments', 'certificates', 'compliance_records', 'notifications',
  'instructor_profiles', 'provider_locations', 'provider_members',
] as const;

export interface DashboardSession {
  id: string;
  title: string;
  session_date: string;
  start_time: string;
  status: string;
  location_id: string;
  instructor_id: string;
  max_capacity: number;
  current_enrollment: number;
  fill_percent: number;
  waitlisted: number;
}

export interface AttentionSession extends DashboardSession {
  reasons: Array<'UNDER_FILLED' | 'INSTRUCTOR_NOT_ELIGIBLE'>;
}

export interface MonthFigures {
  month: string;
  enrollments: number;
  completions: number;
  failures: number;
  no_shows: number;
  pass_rate: number | null;
}

export interface Dashboard {
  role: string;
  generated_at: string;
  upcoming: { total: number; sessions: DashboardSession[] };
  attention: { total: number; sessions: AttentionSession[] };
  activity: { this_month: MonthFigures; last_month: MonthFigures };
  certificates: { issued_this_month: number; issued_last_month: number; expiring_30_days: number; expiring_60_days: number; expiring_90_days: number };
  compliance: { compliant: number; expiring: number; overdue: number; pending: number };
  notifications: { unread: number };
}

/** How many sessions each list shows at most; `total` counts them all. */
export const dashboardListLimit = 50;
/** A session this close to its start with fewer than this share of its seats taken needs attention. */
export const attentionWindowHours = 48;
export const underFilledBelow = 0.5;

/**
 * The caller's whole dashboard in one statement, run as the caller: row-level security decides which
 * rows exist at all, and the role's slice narrows the sessions further where the policies show more than
 * the role's own work (every signed-in user may read the sessions open for self-enrollment):
 *   SA, AD  every session;  AP  sessions at its providers' locations;  IC, IP  sessions they teach;
 *   IT, IN  sessions they hold a live (enrolled or waitlisted) place in.
 * Enrollments count in the slice of their session (IT and IN: their own, any status); certificates those
 * of the AP's locations, issued by the IC or IP, or held by the IT or IN; compliance records and
 * notifications as the policies show them. Dates are UTC days of `now`, which the caller passes (a clock
 * tests can move). Counts of rows the caller cannot read are never included: a student sees only their
 * own place on a waitlist.
 */
export async function readDashboard(tx: Tx, now: Date): Promise<Dashboard> {
  const { rows } = await tx.query<{ dashboard: Dashboard }>(dashboardStatement, [now, attentionWindowHours, underFilledBelow, dashboardListLimit]);
  return (rows[0] as { dashboard: Dashboard }).dashboard;
}

/** The statement of readDashboard, with $1 now, $2 the attention window in hours, $3 the fill threshold, $4 the list limit. */
export const dashboardStatement = `with clock as materialized (
       select $1::timestamptz as now, ($1::timestamptz at time zone 'UTC')::date as today,
              date_trunc('month', ($1::timestamptz at time zone 'UTC'))::date as this_month
     ),
     scope as materialized (
       select app_role() as role, app_user_id() as me,
              case when app_role() = 'AP' then (select app_provider_location_ids()) else '{}'::uuid[] end as locations
     ),
     my_sessions as materialized (
       select s.* from training_sessions s cross join scope
        where case scope.role
                when 'SA' then true when 'AD' then true
                when 'AP' then s.location_id = any (scope.locations)
                when 'IC' then s.instructor_id = scope.me when 'IP' then s.instructor_id = scope.me
                else exists (select 1 from session_enrollments e
                              where e.session_id = s.id and e.student_id = scope.me and e.status <> 'CANCELLED')
              end
     ),
     my_enrollments as materialized (
       select e.*, s.session_date from session_enrollments e join training_sessions s on s.id = e.session_id cross join scope
        where case scope.role
                when 'SA' then true when 'AD' then true
                when 'AP' then s.location_id = any (scope.locations)
                when 'IC' then s.instructor_id = scope.me when 'IP' then s.instructor_id = scope.me
                else e.student_id = scope.me
              end
     ),
     my_certificates as materialized (
       select c.* from certificates c cross join scope
        where case scope.role
                when 'SA' then true when 'AD' then true
                when 'AP' then c.location_id = any (scope.locations)
                when 'IC' then c.issued_by = scope.me when 'IP' then c.issued_by = scope.me
                else c.user_id = scope.me
              end
     ),
     listed as materialized (
       select s.id, s.title, s.session_date, s.start_time, s.status, s.location_id, s.instructor_id, s.max_capacity,
              s.current_enrollment,
              round(100.0 * s.current_enrollment / s.max_capacity, 1)::float8 as fill_percent,
              (select count(*) from session_enrollments w where w.session_id = s.id and w.status = 'WAITLISTED')::int as waitlisted,
              array_remove(array[
                case when s.status = 'SCHEDULED'
                      and (s.session_date + s.start_time) at time zone 'UTC' <= clock.now + make_interval(hours => $2)
                      and s.current_enrollment < s.max_capacity * $3::numeric then 'UNDER_FILLED' end,
                -- No active certification, or short of what the course asks on the day (the rule of
                -- migration 0041, which the doctor and the notice job apply too) with no SA or AD override.
                case when not exists (select 1 from instructor_profiles i
                                       where i.user_id = s.instructor_id and i.certification_status = 'ACTIVE')
                       or (s.eligibility_override_reason is null
                           and app_instructor_eligibility_gaps(s.instructor_id, s.course_id, s.session_date, lower(s.scheduled_during)) <> '[]'::jsonb)
                     then 'INSTRUCTOR_NOT_ELIGIBLE' end
              ], null) as reasons
         from my_sessions s cross join clock
        where s.status in ('SCHEDULED', 'IN_PROGRESS') and s.session_date between clock.today and clock.today + 14
     ),
     months as (
       select m.label, m.first, (m.first + interval '1 month')::date as next
         from clock, lateral (values ('this_month', clock.this_month), ('last_month', (clock.this_month - interval '1 month')::date)) m(label, first)
     ),
     activity as (
       select m.label, json_build_object(
                'month', to_char(m.first, 'YYYY-MM'),
                'enrollments', (select count(*) from my_enrollments e where e.enrollment_date >= m.first and e.enrollment_date < m.next),
                'completions', count(*) filter (where e.completion_status = 'COMPLETED'),
                'failures', count(*) filter (where e.completion_status = 'FAILED'),
                'no_shows', (select count(*) from my_enrollments n
                              where n.status = 'ENROLLED' and n.attendance_status = 'ABSENT' and n.session_date >= m.first and n.session_date < m.next),
                'pass_rate', round(count(*) filter (where e.completion_status = 'COMPLETED')::numeric
                                   / nullif(count(*) filter (where e.completion_status in ('COMPLETED', 'FAILED')), 0), 4)::float8
              ) as figures
         from months m left join my_enrollments e on e.completed_at >= m.first and e.completed_at < m.next
        group by m.label, m.first, m.next
     )
     select json_build_object(
       'role', (select role from scope),
       'generated_at', to_char((select now from clock) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       'upcoming', json_build_object(
         'total', (select count(*) from listed),
         'sessions', coalesce((select json_agg(to_jsonb(l) - 'reasons' order by l.session_date, l.start_time, l.id)
                                 from (select * from listed order by session_date, start_time, id limit $4) l), '[]')),
       'attention', json_build_object(
         'total', (select count(*) from listed where cardinality(reasons) > 0),
         'sessions', coalesce((select json_agg(l order by l.session_date, l.start_time, l.id)
                                 from (select * from listed where cardinality(reasons) > 0
                                        order by session_date, start_time, id limit $4) l), '[]')),
       'activity', (select json_object_agg(label, figures) from activity),
       'certificates', (
         select json_build_object(
                  'issued_this_month', count(*) filter (where c.issue_date >= clock.this_month),
                  'issued_last_month', count(*) filter (where c.issue_date >= clock.this_month - interval '1 month' and c.issue_date < clock.this_month),
                  'expiring_30_days', count(*) filter (where c.status = 'ACTIVE' and c.expiry_date between clock.today and clock.today + 30),
                  'expiring_60_days', count(*) filter (where c.status = 'ACTIVE' and c.expiry_date between clock.today and clock.today + 60),
                  'expiring_90_days', count(*) filter (where c.status = 'ACTIVE' and c.expiry_date between clock.today and clock.today + 90))
           from my_certificates c cross join clock),
       'compliance', (
         select json_build_object(
                  'compliant', count(*) filter (where r.status = 'WAIVED' or (r.status = 'MET' and (r.expires_at is null or r.expires_at > clock.now + interval '30 days'))),
                  'expiring', count(*) filter (where r.status = 'MET' and r.expires_at > clock.now and r.expires_at <= clock.now + interval '30 days'),
                  'overdue', count(*) filter (where r.status = 'EXPIRED' or (r.status = 'MET' and r.expires_at <= clock.now)),
                  'pending', count(*) filter (where r.status = 'PENDING'))
           from compliance_records r cross join clock),
       'notifications', json_build_object('unread', (select count(*) from notifications where read_at is null))
     ) as dashboard`;
