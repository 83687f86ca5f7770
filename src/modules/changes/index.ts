export { type ChangeRow, lastChangeSeq, listChangesAfter } from './changes.repository.js';
export { type ChangePosition, comparePositions, formatPosition, laterPosition, parsePosition, startOfFeed } from './change-position.js';
export { type ChangeLogPrune, type ChangeLogPruneOptions, pruneChangeLog, readPrunedThrough } from './retention.js';
