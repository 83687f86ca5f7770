export { changesChannel, createCommitSignal } from './commit-signal.js';
export { createRealtime, type Realtime } from './realtime.js';
export { streamRoutes } from './stream.routes.js';
