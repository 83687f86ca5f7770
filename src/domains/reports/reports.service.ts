import type { TwoLayerCache } from '../../platform/cache/two-layer-cache.js';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import type { SignedInActor } from '../../platform/http/authenticate.js';
import { readReport, reportDefinitions, type ReportFilters, type ReportName, type ReportRows } from './reports.repository.js';

export interface ReportsDeps {
  db: Db;
  cache: TwoLayerCache;
}

export interface ReportQuery {
  from?: string;
  to?: string;
  provider_id?: string;
  location_id?: string;
  course_id?: string;
  instructor_id?: string;
  limit?: number;
}

/** The keys each filter narrows; a filter a report has no key for is refused, not ignored. */
const filterKeys: Record<'provider_id' | 'location_id' | 'course_id' | 'instructor_id', readonly string[]> = {
  provider_id: ['provider_id'],
  location_id: ['location_id'],
  course_id: ['course_id'],
  instructor_id: ['instructor_id', 'issued_by'],
};

/**
 * Who gets which report: SA and AD all of them; AP all, scoped to its providers' locations; IC and IP
 * those with an instructor key (their own rows: what they taught or issued); IT and IN none — their own
 * records are on their dashboard. The repository repeats the scope in SQL (materialised views have no
 * row-level security), so a mistake here could only refuse more, never show more.
 */
function assertMayRead(actor: SignedInActor, name: ReportName): void {
  const { role } = actor;
  if (role === 'SA' || role === 'AD' || role === 'AP') return;
  if ((role === 'IC' || role === 'IP') && reportDefinitions[name].instructorColumn !== null) return;
  throw new AppError('FORBIDDEN', `the ${name} report is not available to role ${role}`);
}

const firstOfMonth = (month: string | undefined) => (month ? `${month}-01` : null);

export function reportFilters(name: ReportName, query: ReportQuery): ReportFilters {
  const keys = reportDefinitions[name].keys;
  for (const [filter, columns] of Object.entries(filterKeys)) {
    if (query[filter as keyof typeof filterKeys] !== undefined && !columns.some((column) => keys.includes(column))) {
      throw new AppError('VALIDATION_FAILED', `the ${name} report has no ${filter}`, { field: `querystring.${filter}` });
    }
  }
  if (query.from && query.to && query.from > query.to) {
    throw new AppError('VALIDATION_FAILED', 'from must not be after to', { field: 'querystring.from' });
  }
  return {
    from: firstOfMonth(query.from),
    to: firstOfMonth(query.to),
    provider_id: query.provider_id ?? null,
    location_id: query.location_id ?? null,
    course_id: query.course_id ?? null,
    instructor_id: query.instructor_id ?? null,
    limit: query.limit ?? 1000,
  };
}

/**
 * A report for the caller, cached: SA and AD share one entry per filter (they see the same rows); every
 * other caller has its own. A refresh of the views (analytics_refreshes) ends the entries, and so does a
 * change to what an AP's locations are.
 */
export function getReport(deps: ReportsDeps, actor: SignedInActor, name: ReportName, query: ReportQuery): Promise<ReportRows & { report: ReportName }> {
  assertMayRead(actor, name);
  const filters = reportFilters(name, query);
  const audience = actor.role === 'SA' || actor.role === 'AD' ? 'admin' : `${actor.role}:${actor.userId}`;
  const key = `report:${name}:${audience}:${JSON.stringify(filters)}`;
  const tags = ['analytics_refreshes', 'provider_locations', 'provider_members'];
  return deps.cache.getOrLoad(key, tags, async (after) => ({ report: name, ...(await deps.db.reader.withActor(actor, (tx) => readReport(tx, name, filters), after)) }));
}
