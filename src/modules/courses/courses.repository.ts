import type { Tx } from '../../db/database.js';
import { listRows, type TableSpec } from '../../shared/crud/crud.repository.js';
import { decodeCursor, encodeCursor } from '../../shared/crud/cursor.js';
import { type CatalogueEntry, type CourseVersion, CourseVersionSchema, type PageOf } from './courses.schemas.js';

export type CourseStatus = 'DRAFT' | 'PUBLISHED' | 'ARCHIVED';

export interface LockedCourse {
  id: string;
  status: CourseStatus;
  version: number;
}

/**
 * The course row, locked until commit, so that a status change decides on the state it changes.
 * Only rows the actor may both see and update come back (RLS applies the UPDATE policies to FOR UPDATE).
 */
export async function lockCourse(tx: Tx, courseId: string): Promise<LockedCourse | null> {
  const { rows } = await tx.query<LockedCourse>('select id, status, version from courses where id = $1 for update', [courseId]);
  return rows[0] ?? null;
}

/** Stores the working copy's catalogue fields as the next version of the course; returns its number. */
export async function insertCourseVersion(tx: Tx, courseId: string): Promise<number> {
  const { rows } = await tx.query<{ version_number: number }>(
    `insert into course_versions (course_id, version_number, snapshot, published_by)
     select c.id, coalesce((select max(v.version_number) from course_versions v where v.course_id = c.id), 0) + 1,
            course_catalogue_fields(c), app_user_id()
       from courses c where c.id = $1
     returning version_number`,
    [courseId],
  );
  return rows[0]?.version_number as number;
}

/** Points the catalogue at a stored version (the caller holds the row lock). */
export async function markCoursePublished(tx: Tx, courseId: string, versionNumber: number): Promise<void> {
  await tx.query(
    `update courses set status = 'PUBLISHED', published_at = now(), published_version = $2, modified_by = app_user_id() where id = $1`,
    [courseId, versionNumber],
  );
}

/** Unpublishing and archiving keep published_at and published_version: they record the last publication. */
export async function setCourseStatus(tx: Tx, courseId: string, status: CourseStatus): Promise<void> {
  await tx.query('update courses set status = $2, modified_by = app_user_id() where id = $1', [courseId, status]);
}

/**
 * Whether another published course shows this course's code in the catalogue. Codes of working copies
 * are unique by constraint, but a published course keeps its old code in the catalogue until it is
 * published again, so another course may meanwhile have taken that code.
 */
export async function catalogueCodeTaken(tx: Tx, courseId: string): Promise<boolean> {
  const { rows } = await tx.query<{ taken: boolean }>(
    `select exists (
       select 1 from courses mine, courses other
         join course_versions shown on shown.course_id = other.id and shown.version_number = other.published_version
        where mine.id = $1 and other.id <> mine.id and other.status = 'PUBLISHED'
          and coalesce(shown.snapshot ->> 'code', other.code) = mine.code) as taken`,
    [courseId],
  );
  return rows[0]?.taken === true;
}

const courseVersionsTable: TableSpec = {
  table: 'course_versions',
  readFrom: 'course_versions',
  columns: Object.keys(CourseVersionSchema.properties),
  filterable: ['course_id'],
  sortable: ['version_number'],
  versioned: false,
};

/** A course's versions the actor may read, newest first. */
export async function listCourseVersions(tx: Tx, courseId: string, limit: number, cursor: string | undefined): Promise<PageOf<CourseVersion>> {
  const page = await listRows(tx, courseVersionsTable, { filters: { course_id: courseId }, sort: 'version_number', direction: 'desc', limit, cursor });
  return page as PageOf<CourseVersion>;
}

export async function findCourseVersion(tx: Tx, courseId: string, versionNumber: number): Promise<CourseVersion | null> {
  const { rows } = await tx.query<CourseVersion>(
    `select ${courseVersionsTable.columns.join(', ')} from course_versions where course_id = $1 and version_number = $2`,
    [courseId, versionNumber],
  );
  return rows[0] ?? null;
}

export interface CatalogueQuery {
  search?: string | undefined;
  certifies?: boolean | undefined;
  sort: 'code' | 'title';
  direction: 'asc' | 'desc';
  limit: number;
  cursor?: string | undefined;
}

const catalogueColumns = `id, code, title, description, duration_minutes, certifies, certificate_validity_months,
  published_at, published_version as version`;

/** `%`, `_` and the escape character match themselves in a search. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;

/**
 * The published courses as the catalogue shows them. Run as the signed-out actor, `courses_as_seen`
 * gives the published snapshots, never working copies.
 */
export async function listCatalogue(tx: Tx, query: CatalogueQuery): Promise<PageOf<CatalogueEntry>> {
  const params: unknown[] = [];
  const conditions = [`status = 'PUBLISHED'`];
  if (query.search !== undefined) {
    params.push(likePattern(query.search));
    conditions.push(`(title ilike $${params.length} or code ilike $${params.length})`);
  }
  if (query.certifies !== undefined) {
    params.push(query.certifies);
    conditions.push(`certifies = $${params.length}`);
  }
  const counted = await tx.query<{ total: number }>(`select count(*)::int as total from courses_as_seen where ${conditions.join(' and ')}`, params);
  if (query.cursor !== undefined) {
    const cursor = decodeCursor(query.cursor, query.sort);
    params.push(cursor.value, cursor.id);
    conditions.push(`(${query.sort}, id) ${query.direction === 'asc' ? '>' : '<'} ($${params.length - 1}, $${params.length})`);
  }
  params.push(query.limit + 1);
  const { rows } = await tx.query<CatalogueEntry>(
    `select ${catalogueColumns} from courses_as_seen where ${conditions.join(' and ')}
      order by ${query.sort} ${query.direction}, id ${query.direction} limit $${params.length}`,
    params,
  );
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  const more = rows.length > query.limit && last !== undefined;
  return { items, next_cursor: more ? encodeCursor({ sort: query.sort, value: last[query.sort], id: last.id }) : null, total: counted.rows[0]?.total ?? 0 };
}

export async function findCatalogueEntry(tx: Tx, code: string): Promise<CatalogueEntry | null> {
  const { rows } = await tx.query<CatalogueEntry>(`select ${catalogueColumns} from courses_as_seen where status = 'PUBLISHED' and code = $1`, [code]);
  return rows[0] ?? null;
}
