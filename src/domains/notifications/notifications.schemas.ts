import Type, { type Static, type TSchema } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const InboxQuery = Type.Object(
  {
    unread: Type.Optional(Type.Boolean({ description: 'true: only unread; false: only read' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page' })),
  },
  { additionalProperties: false },
);
export type InboxQuery = Static<typeof InboxQuery>;

export const NotificationParams = Type.Object({ id: Uuid });

export const NotificationSchema = Type.Object({
  id: Uuid,
  user_id: Uuid,
  kind: Type.String({ description: 'what it is about, e.g. session.cancelled' }),
  title: Type.String(),
  body: Nullable(Type.String()),
  data: Type.Record(Type.String(), Type.Unknown(), { description: 'ids of what it concerns' }),
  read_at: Nullable(Type.String({ format: 'date-time' })),
  created_at: Type.String({ format: 'date-time' }),
}, { title: 'Notification' });
export type NotificationSchema = Static<typeof NotificationSchema>;

export const InboxPage = Type.Object({
  items: Type.Array(NotificationSchema),
  next_cursor: Nullable(Type.String()),
  total: Type.Integer({ description: 'your notifications matching the filter, on every page' }),
  unread: Type.Integer({ description: 'your unread notifications, whatever the filter' }),
}, { title: 'NotificationPage', description: 'a page with, besides, the number unread' });
export type InboxPage = Static<typeof InboxPage>;

export const ReadAllResult = Type.Object({ marked: Type.Integer({ description: 'notifications that were unread and now are read' }) }, { title: 'ReadAllResult' });
export type ReadAllResult = Static<typeof ReadAllResult>;
