import Type, { type Static } from 'typebox';
import { topics } from './topics.js';

export const StreamQuery = Type.Object(
  {
    topics: Type.Optional(Type.String({ maxLength: 500, description: `comma-separated, any of ${topics.join(', ')}; all when absent` })),
    since: Type.Optional(Type.String({ maxLength: 50, description: 'resume after this event id (Last-Event-ID wins when both are sent)' })),
    access_token: Type.Optional(Type.String({ maxLength: 4096, description: 'for EventSource, which cannot send an Authorization header' })),
  },
  { additionalProperties: false },
);
export type StreamQuery = Static<typeof StreamQuery>;
