import Type, { type Static, type TSchema } from 'typebox';
import { uncountedPageOf } from '../shared/crud/schema-types.js';

const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const AggregateType = Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$', description: 'e.g. enrollment, session, course' });

/**
 * Keyset paging by the global sequence, in the one page shape: `cursor` is the `next_cursor` of the
 * previous page, which is the `seq` of its last event in decimal (so a client may start after any event it holds).
 */
const Paging = {
  cursor: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,14})$', description: 'events after this seq: the next_cursor of the previous page, or the seq of an event you hold' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
};

export const EventsQuery = Type.Object(
  {
    aggregate_type: Type.Optional(AggregateType),
    aggregate_id: Type.Optional(Uuid),
    event_type: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}(\\.[a-z][a-z0-9_]{0,62}){1,3}$', description: '<aggregate>.<past tense>, e.g. enrollment.cancelled' })),
    ...Paging,
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuery>;

export const AggregateParams = Type.Object({ type: AggregateType, id: Uuid });
export type AggregateParams = Static<typeof AggregateParams>;

export const AggregateHistoryQuery = Type.Object(Paging, { additionalProperties: false });
export type AggregateHistoryQuery = Static<typeof AggregateHistoryQuery>;

export const DomainEventEntry = Type.Object({
  seq: Type.Integer({ description: 'global sequence; allocation order, not commit order' }),
  aggregate_type: Type.String(),
  aggregate_id: Uuid,
  aggregate_version: Nullable(Type.Integer()),
  event_type: Type.String(),
  payload: Type.Record(Type.String(), Type.Unknown()),
  actor_id: Nullable(Uuid),
  request_id: Nullable(Type.String()),
  occurred_at: Type.String({ format: 'date-time' }),
}, { title: 'DomainEvent' });
export type DomainEventEntry = Static<typeof DomainEventEntry>;

export const EventPage = uncountedPageOf(DomainEventEntry, 'DomainEventPage');
export type EventPage = Static<typeof EventPage>;
