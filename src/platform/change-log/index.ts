export { type ChangePosition, comparePositions, formatPosition, laterPosition, parsePosition } from './change-position.js';
export { type ChangeLogPrune, type ChangeLogPruneOptions, pruneChangeLog, readPrunedThrough } from './retention.js';
