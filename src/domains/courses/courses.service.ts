import { type Actor, signedOutActor } from '../../platform/db/actor.js';
import type { Loader, TwoLayerCache } from '../../platform/cache/two-layer-cache.js';
import type { Db, Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { getRow, lockAtVersion } from '../../platform/shared/crud/crud.repository.js';
import { appendDomainEvent } from '../../platform/shared/events/append-domain-event.js';
import {
  catalogueCodeTaken,
  type CatalogueQuery,
  type CourseStatus,
  findCatalogueEntry,
  findCourseVersion,
  insertCourseVersion,
  listCatalogue,
  listCourseVersions,
  type LockedCourse,
  lockCourse,
  markCoursePublished,
  setCourseStatus,
} from './courses.repository.js';
import { coursesTable } from './courses.resource.js';
import type { CatalogueEntry, Course, CourseVersion, PageOf } from './courses.schemas.js';

export interface CoursesDeps {
  db: Db;
  /** The public catalogue is cached when given (the same answer for everybody; courses' changes end it). */
  cache?: TwoLayerCache;
}

export type CourseTransition = 'publish' | 'unpublish' | 'archive';

/**
 * The status machine: DRAFT and PUBLISHED publish (again: a new version), PUBLISHED unpublishes to
 * DRAFT, DRAFT and PUBLISHED archive. ARCHIVED is final.
 */
const transitionRules: Record<CourseTransition, { from: readonly CourseStatus[]; done: string }> = {
  publish: { from: ['DRAFT', 'PUBLISHED'], done: 'published' },
  unpublish: { from: ['PUBLISHED'], done: 'unpublished' },
  archive: { from: ['DRAFT', 'PUBLISHED'], done: 'archived' },
};

const readCourse = async (tx: Tx, courseId: string) => (await getRow(tx, coursesTable, courseId, 'course')) as Course;

/**
 * Locks the course and checks the caller's version and the transition. Invisible: 404; visible but
 * not the caller's to change: 403; the version moved on: 409 VERSION_CONFLICT with the current row;
 * not allowed from the current status: 409 INVALID_TRANSITION.
 */
async function lockForTransition(tx: Tx, courseId: string, expectedVersion: number, transition: CourseTransition): Promise<LockedCourse> {
  const locked = await lockAtVersion(tx, coursesTable, { id: courseId, what: 'course', expectedVersion, refusal: `not allowed to ${transition} this course`, lock: lockCourse });
  const rule = transitionRules[transition];
  if (!rule.from.includes(locked.status)) {
    throw new AppError('INVALID_TRANSITION', `the course is ${locked.status}: only a ${rule.from.join(' or ')} course can be ${rule.done}`, {
      status: locked.status,
      current: await readCourse(tx, courseId),
    });
  }
  return locked;
}

/** The course after a status change, with its event appended in the same transaction. */
async function courseChanged(tx: Tx, courseId: string, eventType: string, payload: Record<string, unknown>): Promise<Course> {
  const current = await readCourse(tx, courseId);
  await appendDomainEvent(tx, {
    aggregateType: 'course',
    aggregateId: current.id,
    aggregateVersion: current.version,
    eventType,
    payload: { code: current.code, status: current.status, ...payload },
  });
  return current;
}

/**
 * Publishes the working copy: its catalogue fields become the next course_versions row, which the
 * catalogue and every non-administrator then see. A published course with no change since: 409.
 */
export async function publishCourse(deps: CoursesDeps, actor: Actor, courseId: string, expectedVersion: number): Promise<Course> {
  return deps.db.withActor(actor, async (tx) => {
    const locked = await lockForTransition(tx, courseId, expectedVersion, 'publish');
    const course = await readCourse(tx, courseId);
    if (locked.status === 'PUBLISHED' && course.has_unpublished_changes === false) {
      throw new AppError('INVALID_TRANSITION', `nothing to publish: the course is unchanged since version ${String(course.published_version)}`, {
        status: locked.status,
        current: course,
      });
    }
    if (await catalogueCodeTaken(tx, courseId)) {
      throw new AppError('CONFLICT', `another published course is in the catalogue under the code ${course.code}`, { field: 'code' });
    }
    const versionNumber = await insertCourseVersion(tx, courseId);
    await markCoursePublished(tx, courseId, versionNumber);
    return courseChanged(tx, courseId, 'course.published', { version_number: versionNumber, previous_status: locked.status });
  });
}

/** Takes a published course out of the catalogue (back to DRAFT); its versions stay. */
export async function unpublishCourse(deps: CoursesDeps, actor: Actor, courseId: string, expectedVersion: number): Promise<Course> {
  return deps.db.withActor(actor, async (tx) => {
    await lockForTransition(tx, courseId, expectedVersion, 'unpublish');
    await setCourseStatus(tx, courseId, 'DRAFT');
    return courseChanged(tx, courseId, 'course.unpublished', {});
  });
}

/** Retires a course for good: out of the catalogue, and no new schedules or sessions. */
export async function archiveCourse(deps: CoursesDeps, actor: Actor, courseId: string, expectedVersion: number): Promise<Course> {
  return deps.db.withActor(actor, async (tx) => {
    const locked = await lockForTransition(tx, courseId, expectedVersion, 'archive');
    await setCourseStatus(tx, courseId, 'ARCHIVED');
    return courseChanged(tx, courseId, 'course.archived', { previous_status: locked.status });
  });
}

/** The versions of a course the actor may read, newest first; 404 for a course they cannot see. */
export async function courseVersions(deps: CoursesDeps, actor: Actor, courseId: string, page: { limit: number; cursor?: string | undefined }): Promise<PageOf<CourseVersion>> {
  return deps.db.withActor(actor, async (tx) => {
    await readCourse(tx, courseId);
    return listCourseVersions(tx, courseId, page.limit, page.cursor);
  });
}

export async function courseVersion(deps: CoursesDeps, actor: Actor, courseId: string, versionNumber: number): Promise<CourseVersion> {
  return deps.db.withActor(actor, async (tx) => {
    const version = await findCourseVersion(tx, courseId, versionNumber);
    if (!version) throw new AppError('NOT_FOUND', `no version ${versionNumber} of course ${courseId}`, { field: 'params.number' });
    return version;
  });
}

/**
 * The public catalogue reads as the signed-out actor whoever asks, so everybody gets the same answer:
 * the published snapshots of the PUBLISHED courses.
 */
const asPublic = (actor: Actor): Actor =>
  signedOutActor({ requestId: actor.requestId ?? null, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null, ...(actor.commits ? { commits: actor.commits } : {}) });

/** What the catalogue reads (courses_as_seen): publishing writes both, so `courses` alone would do; both say it. */
const catalogueTables = ['courses', 'course_versions'];

function cachedCatalogue<T>(deps: CoursesDeps, key: string, load: Loader<T>): Promise<T> {
  return deps.cache ? deps.cache.getOrLoad(key, catalogueTables, load) : load(null);
}

export async function catalogue(deps: CoursesDeps, actor: Actor, query: CatalogueQuery): Promise<PageOf<CatalogueEntry>> {
  return cachedCatalogue(deps, `catalogue:list:${JSON.stringify(query)}`, (after) => deps.db.reader.withActor(asPublic(actor), (tx) => listCatalogue(tx, query), after));
}

export async function catalogueEntry(deps: CoursesDeps, actor: Actor, code: string): Promise<CatalogueEntry> {
  const entry = await cachedCatalogue(deps, `catalogue:entry:${code}`, (after) => deps.db.reader.withActor(asPublic(actor), (tx) => findCatalogueEntry(tx, code), after));
  if (!entry) throw new AppError('NOT_FOUND', `no published course with the code ${code}`, { field: 'params.code' });
  return entry;
}
