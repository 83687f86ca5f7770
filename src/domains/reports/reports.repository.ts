import type { Queryable, Tx } from '../../platform/db/database.js';

/** The analytics views, refreshed together by the scheduled job (migrations 0007 and 0036). */
export const analyticsViews = [
  'session_fill_by_location_month',
  'certificate_counts_by_location_quarter',
  'enrollment_figures_by_month',
  'instructor_figures_by_month',
  'certificate_figures_by_month',
] as const;
export type AnalyticsView = (typeof analyticsViews)[number];

/** One refresh at a time across workers: a second one finds this transaction lock taken and leaves it. */
const refreshLockKey = 8_245_972_158_721_130;

export interface ViewRefresh {
  view: AnalyticsView;
  durationMs: number;
}

/**
 * Refreshes every analytics view CONCURRENTLY (readers keep the old rows until the new ones commit) and
 * records when, in the caller's transaction. Null when another refresh holds the lock.
 */
export async function refreshAnalyticsViews(tx: Tx, views: readonly AnalyticsView[] = analyticsViews): Promise<ViewRefresh[] | null> {
  const { rows: [lock] } = await tx.query<{ taken: boolean }>('select pg_try_advisory_xact_lock($1) as taken', [refreshLockKey]);
  if (!lock?.taken) return null;
  const refreshed: ViewRefresh[] = [];
  for (const view of views) {
    const started = performance.now();
    // The name comes from the list above, never from a caller: identifiers cannot be parameters.
    await tx.query(`refresh materialized view concurrently ${view}`);
    const durationMs = Math.round(performance.now() - started);
    await tx.query(
      `insert into analytics_refreshes (view_name, refreshed_at, duration_ms) values ($1, clock_timestamp(), $2)
       on conflict (view_name) do update set refreshed_at = excluded.refreshed_at, duration_ms = excluded.duration_ms`,
      [view, durationMs],
    );
    refreshed.push({ view, durationMs });
  }
  return refreshed;
}

/** How old each view is, for `unitrain doctor`. */
export async function readViewFreshness(db: Queryable): Promise<Array<{ view: string; refreshed_at: Date | null; age_seconds: number | null }>> {
  const { rows } = await db.query<{ view: string; refreshed_at: Date | null; age_seconds: number | null }>(
    `select v.view, r.refreshed_at, extract(epoch from now() - r.refreshed_at)::float8 as age_seconds
       from unnest($1::text[]) as v(view) left join analytics_refreshes r on r.view_name = v.view order by v.view`,
    [analyticsViews],
  );
  return rows;
}

export const reportNames = ['enrollments', 'instructors', 'certificates', 'session-fill'] as const;
export type ReportName = (typeof reportNames)[number];

interface ReportDefinition {
  view: AnalyticsView;
  /** Dimension columns, in output order after `month`. */
  keys: readonly string[];
  /** Output columns computed from the view's (sums as stored, rates derived per row). */
  figures: Readonly<Record<string, string>>;
  /** The column whose value makes a row an IC's or IP's own; null: instructors get no such report. */
  instructorColumn: string | null;
}

const rate = (part: string, whole: string) => `round(${part}::numeric / nullif(${whole}, 0), 4)::float8`;

/** Every report: a view, its keys and figures. Nothing here comes from a request. */
export const reportDefinitions: Readonly<Record<ReportName, ReportDefinition>> = {
  enrollments: {
    view: 'enrollment_figures_by_month',
    keys: ['provider_id', 'location_id', 'course_id', 'instructor_id'],
    figures: {
      enrollments: 'enrollments', waitlisted: 'waitlisted', cancellations: 'cancellations', completions: 'completions',
      failures: 'failures', no_shows: 'no_shows', pass_rate: rate('completions', 'completions + failures'),
    },
    instructorColumn: 'instructor_id',
  },
  instructors: {
    view: 'instructor_figures_by_month',
    keys: ['instructor_id', 'location_id'],
    figures: {
      sessions_scheduled: 'sessions_scheduled', sessions_taught: 'sessions_taught', passed: 'passed', failed: 'failed',
      attendance_rate: rate('attended_in_taught', 'enrolled_in_taught'), pass_rate: rate('passed', 'passed + failed'),
      average_score: 'round(score_sum / nullif(scored, 0), 2)::float8',
    },
    instructorColumn: 'instructor_id',
  },
  certificates: {
    view: 'certificate_figures_by_month',
    keys: ['provider_id', 'location_id', 'course_id', 'issued_by'],
    figures: { issued: 'issued', revoked: 'revoked', expiring: 'expiring' },
    instructorColumn: 'issued_by',
  },
  'session-fill': {
    view: 'session_fill_by_location_month',
    keys: ['location_id'],
    figures: {
      sessions: 'sessions', completed_sessions: 'completed_sessions', cancelled_sessions: 'cancelled_sessions',
      enrolled_seats: 'enrolled_seats', offered_seats: 'offered_seats', avg_fill_ratio: 'avg_fill_ratio::float8',
    },
    instructorColumn: null,
  },
};

export function reportColumns(name: ReportName): string[] {
  const definition = reportDefinitions[name];
  return ['month', ...definition.keys, ...Object.keys(definition.figures)];
}

export interface ReportFilters {
  /** First day of the first month, 'YYYY-MM-01'. */
  from: string | null;
  to: string | null;
  provider_id: string | null;
  location_id: string | null;
  course_id: string | null;
  instructor_id: string | null;
  limit: number;
}

export type ReportCell = string | number | null;

export interface ReportRows {
  refreshed_at: Date | null;
  rows: Record<string, ReportCell>[];
  truncated: boolean;
}

/**
 * A report's rows for the actor of `tx`. Materialised views have no row-level security, so the scope is
 * in the WHERE: SA and AD every row, AP the rows of its providers' locations (the locations its
 * sessions and certificates policies use), IC and IP the rows they taught or issued; any other role
 * none (the service refuses them before asking). The refresh time is read in the same transaction.
 */
export async function readReport(tx: Tx, name: ReportName, filters: ReportFilters): Promise<ReportRows> {
  const definition = reportDefinitions[name];
  const own = definition.instructorColumn ? `${definition.instructorColumn} = app_user_id()` : 'false';
  const has = (key: string) => definition.keys.includes(key);
  const keyFilter = (key: string, index: number) => (has(key) ? `and ($${index}::uuid is null or ${key} = $${index}::uuid)` : `and $${index}::uuid is null`);
  const figures = Object.entries(definition.figures).map(([as, expression]) => `${expression} as ${as}`);
  const { rows } = await tx.query<Record<string, ReportCell>>(
    `select to_char(month, 'YYYY-MM') as month, ${[...definition.keys, ...figures].join(', ')}
       from ${definition.view}
      where case app_role()
              when 'SA' then true
              when 'AD' then true
              when 'AP' then location_id = any ((select app_provider_location_ids())::uuid[])
              when 'IC' then ${own}
              when 'IP' then ${own}
              else false
            end
        and ($1::date is null or month >= $1::date) and ($2::date is null or month <= $2::date)
        ${keyFilter('provider_id', 3)} ${keyFilter('location_id', 4)} ${keyFilter('course_id', 5)}
        ${has('instructor_id') ? keyFilter('instructor_id', 6) : keyFilter('issued_by', 6)}
      order by month desc, ${definition.keys.join(', ')}
      limit $7`,
    [filters.from, filters.to, filters.provider_id, filters.location_id, filters.course_id, filters.instructor_id, filters.limit + 1],
  );
  const { rows: [refresh] } = await tx.query<{ refreshed_at: Date | null }>('select app_analytics_refreshed_at($1) as refreshed_at', [definition.view]);
  return { refreshed_at: refresh?.refreshed_at ?? null, rows: rows.slice(0, filters.limit), truncated: rows.length > filters.limit };
}
