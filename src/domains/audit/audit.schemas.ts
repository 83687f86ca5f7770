import Type, { type Static, type TSchema } from 'typebox';
import { pageOf } from '../../platform/shared/crud/schema-types.js';

const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Operation = Type.Union([Type.Literal('INSERT'), Type.Literal('UPDATE'), Type.Literal('DELETE')]);
const ChangedValues = Nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'column → value; for an UPDATE only the changed columns' }));

export const AuditQuery = Type.Object(
  {
    table: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$', description: 'a table name, e.g. training_sessions' })),
    row_id: Type.Optional(Uuid),
    actor_id: Type.Optional(Uuid),
    operation: Type.Optional(Operation),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'changes at or after this time' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'changes before this time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 64, description: 'next_cursor of the previous page' })),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  occurred_at: Type.String({ format: 'date-time' }),
  actor_id: Nullable(Uuid),
  actor_role: Nullable(Type.String()),
  table_name: Type.String(),
  operation: Operation,
  row_id: Uuid,
  old_values: ChangedValues,
  new_values: ChangedValues,
  request_id: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
}, { title: 'AuditEntry' });
export type AuditEntry = Static<typeof AuditEntry>;

export const AuditPage = pageOf(AuditEntry, 'AuditPage');
export type AuditPage = Static<typeof AuditPage>;

export const ActivityParams = Type.Object({ userId: Uuid });

export const ActivityQuery = Type.Object(
  { days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 30, description: 'days back, today (UTC) included' })) },
  { additionalProperties: false },
);

const Counts = {
  inserts: Type.Integer(),
  updates: Type.Integer(),
  deletes: Type.Integer(),
  total: Type.Integer(),
};

export const ActivitySummary = Type.Object({
  user_id: Uuid,
  days: Type.Integer(),
  by_day: Type.Array(Type.Object({ day: Type.String({ format: 'date' }), table_name: Type.String(), ...Counts })),
  totals: Type.Object(Counts),
}, { title: 'ActivitySummary' });
export type ActivitySummary = Static<typeof ActivitySummary>;
