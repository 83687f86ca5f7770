export { changesChannel, type CommitSignal, createCommitSignal } from './commit-signal.js';
export { createRealtime, type Realtime } from './realtime.js';
export { streamRoutes } from './stream.routes.js';
export { topics, topicTables, type Topic } from './topics.js';
