import Type from 'typebox';
import type { ResourceDefinition } from '../../platform/shared/crud/crud.routes.js';
import type { TableSpec } from '../../platform/shared/crud/crud.repository.js';
import { Uuid } from '../../platform/shared/crud/schema-types.js';
import { enrollmentColumnNames } from './enrollments.repository.js';
import { enrollmentFilters, EnrollmentSchema, enrollmentSortColumns } from './enrollments.schemas.js';

export const enrollmentsTable: TableSpec = {
  table: 'session_enrollments',
  readFrom: 'session_enrollments',
  columns: enrollmentColumnNames,
  filterable: ['session_id', ...Object.keys(enrollmentFilters)],
  sortable: enrollmentSortColumns,
  versioned: true,
};

const Nothing = Type.Object({}, { additionalProperties: false });

/**
 * Reads only: enrollments are made by enrolling (0012, 0016), changed by cancelling or recording results,
 * never by a generic POST, PATCH or DELETE.
 */
export const enrollmentsResource: ResourceDefinition<typeof Nothing, typeof Nothing> = {
  path: '/v1/enrollments',
  what: 'enrollment',
  tag: 'enrollments',
  table: enrollmentsTable,
  rowSchema: EnrollmentSchema,
  createBody: Nothing,
  patchBody: Nothing,
  filters: { session_id: Type.Optional(Uuid), ...enrollmentFilters },
  defaultSort: 'enrollment_date',
  creatable: false,
  updatable: false,
  deletable: false,
};
