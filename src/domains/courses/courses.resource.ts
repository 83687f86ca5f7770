import Type from 'typebox';
import type { ResourceDefinition } from '../../platform/shared/crud/crud.routes.js';
import type { TableSpec } from '../../platform/shared/crud/crud.repository.js';
import { createBodyOf, patchBodyOf } from '../../platform/shared/crud/schema-types.js';
import { catalogueFields, CourseSchema, CourseStatus } from './courses.schemas.js';

const CreateCourse = createBodyOf(catalogueFields, ['code', 'title', 'duration_minutes']);
const PatchCourse = patchBodyOf(catalogueFields);

/**
 * Courses are read through `courses_as_seen` (migration 0014): RLS on courses decides which exist for
 * the caller, and everyone but the administrators sees the published snapshot, not the working copy.
 * Writes go to the table, so only the working copy is ever edited.
 */
export const coursesTable: TableSpec = {
  table: 'courses',
  readFrom: 'courses_as_seen',
  // The view has exactly the columns of the representation.
  columns: Object.keys(CourseSchema.properties),
  filterable: ['status', 'certifies'],
  sortable: ['code', 'title', 'created_at'],
  versioned: true,
};

/** Create, list, read and edit (the working copy); publishing has routes of its own. */
export const coursesResource: ResourceDefinition<typeof CreateCourse, typeof PatchCourse> = {
  path: '/v1/courses',
  what: 'course',
  tag: 'courses',
  table: coursesTable,
  rowSchema: CourseSchema,
  createBody: CreateCourse,
  patchBody: PatchCourse,
  filters: { status: Type.Optional(CourseStatus), certifies: Type.Optional(Type.Boolean()) },
  defaultSort: 'code',
  createdByColumn: 'created_by',
  updatable: true,
  deletable: false,
  events: { aggregate: 'course', created: 'course.created', changed: 'course.changed' },
};
