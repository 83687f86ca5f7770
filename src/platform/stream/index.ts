export { createRealtime, type Realtime } from './realtime.js';
export { streamRoutes } from './stream.routes.js';
export type { FeedBatch, FeedObserver } from './change-feed.js';
export type { FeedChange } from './realtime.repository.js';
