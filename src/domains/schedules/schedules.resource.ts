import Type from 'typebox';
import type { ResourceDefinition } from '../../platform/shared/crud/crud.routes.js';
import { schedulesTable } from './schedules.repository.js';
import { scheduleFilters, ScheduleSchema } from './schedules.schemas.js';

const Unused = Type.Object({}, { additionalProperties: false });

/** Listing and reading schedules are plain resource routes; creating, editing and extending are workflows (schedules.routes.ts). */
export const schedulesResource: ResourceDefinition<typeof Unused, typeof Unused> = {
  path: '/v1/schedules',
  what: 'schedule',
  tag: 'schedules',
  table: schedulesTable,
  rowSchema: ScheduleSchema,
  createBody: Unused,
  patchBody: Unused,
  filters: scheduleFilters,
  defaultSort: 'created_at',
  creatable: false,
  updatable: false,
  deletable: false,
};
