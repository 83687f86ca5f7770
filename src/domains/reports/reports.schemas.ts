import Type, { type TSchema } from 'typebox';
import { reportNames } from './reports.repository.js';

const Uuid = Type.String({ format: 'uuid' });
const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ReportParams = Type.Object({ name: Type.String({ enum: [...reportNames], description: 'the report' }) });

export const ReportQuery = Type.Object(
  {
    from: Type.Optional(Month),
    to: Type.Optional(Month),
    provider_id: Type.Optional(Uuid),
    location_id: Type.Optional(Uuid),
    course_id: Type.Optional(Uuid),
    instructor_id: Type.Optional({ ...Uuid, description: 'the instructor (on the certificates report: the issuer)' }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
  },
  { additionalProperties: false },
);

export const ReportRow = Type.Record(Type.String(), Nullable(Type.Union([Type.String(), Type.Number()])), {
  title: 'ReportRow',
  description: 'month (YYYY-MM), the report’s keys (ids), then its figures: see docs/reports.md for each report’s columns',
});

export const ReportSchema = Type.Object({
  report: Type.String({ enum: [...reportNames] }),
  refreshed_at: Nullable(Type.String({ format: 'date-time', description: 'when the report’s view was last refreshed' })),
  rows: Type.Array(ReportRow),
  truncated: Type.Boolean({ description: 'more rows matched than `limit`' }),
}, { title: 'Report' });
