import Type, { type Static, type TSchema } from 'typebox';
import { jobStatuses } from './jobs.repository.js';
import { uncountedPageOf } from '../shared/crud/schema-types.js';

const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });

export const JobStatus = Type.Enum(jobStatuses, {
  description: 'PENDING: queued; RUNNING: leased to a worker; FAILED: waiting for its next attempt; DEAD: out of attempts',
});

export const JobsQuery = Type.Object(
  {
    status: Type.Optional(JobStatus),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page' })),
  },
  { additionalProperties: false },
);
export type JobsQuery = Static<typeof JobsQuery>;

export const JobParams = Type.Object({ id: Uuid });

export const JobSchema = Type.Object({
  id: Uuid,
  queue: Type.String(),
  handler: Type.String(),
  event_seq: Nullable(Type.String({ description: 'the domain event it reacts to (a bigint, as a string)' })),
  payload: Type.Record(Type.String(), Type.Unknown()),
  status: JobStatus,
  attempts: Type.Integer(),
  max_attempts: Type.Integer(),
  run_after: DateTime,
  locked_by: Nullable(Type.String()),
  locked_until: Nullable(DateTime),
  last_error: Nullable(Type.String()),
  finished_at: Nullable(DateTime),
  created_at: DateTime,
  updated_at: DateTime,
  version: Type.Integer(),
}, { title: 'Job' });
export type JobSchema = Static<typeof JobSchema>;

export const JobPage = uncountedPageOf(JobSchema, 'JobPage');
export type JobPage = Static<typeof JobPage>;
