import type { Tx } from '../../platform/db/database.js';
import { type ExtraCondition, listRows, type TableSpec } from '../../platform/shared/crud/crud.repository.js';
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

/** The published courses as the catalogue shows them: `courses_as_seen` read as the signed-out actor. */
const catalogueTable: TableSpec = {
  table: 'courses',
  readFrom: 'courses_as_seen',
  columns: ['id', 'code', 'title', 'description', 'duration_minutes', 'certifies', 'certificate_validity_months', 'published_at', 'published_version'],
  filterable: ['status', 'certifies'],
  sortable: ['code', 'title'],
  versioned: false,
};
const catalogueColumns = `id, code, title, description, duration_minutes, certifies, certificate_validity_months,
  published_at, published_version as version`;

/** `%`, `_` and the escape character match themselves in a search. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;

/**
 * The published courses as the catalogue shows them. Run as the signed-out actor, `courses_as_seen`
 * gives the published snapshots, never working copies.
 */
export async function listCatalogue(tx: Tx, query: CatalogueQuery): Promise<PageOf<CatalogueEntry>> {
  const { search, certifies, ...paging } = query;
  const matching: ExtraCondition[] = search === undefined ? [] : [(bind) => {
    const pattern = bind(likePattern(search));
    return `(title ilike ${pattern} or code ilike ${pattern})`;
  }];
  const page = await listRows(tx, catalogueTable, { ...paging, filters: { status: 'PUBLISHED', certifies }, where: matching });
  // An entry's version is the published one it shows.
  const items = page.items.map(({ published_version: version, ...entry }) => ({ ...entry, version }) as CatalogueEntry);
  return { ...page, items };
}

export async function findCatalogueEntry(tx: Tx, code: string): Promise<CatalogueEntry | null> {
  const { rows } = await tx.query<CatalogueEntry>(`select ${catalogueColumns} from courses_as_seen where status = 'PUBLISHED' and code = $1`, [code]);
  return rows[0] ?? null;
}
