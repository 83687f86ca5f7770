export { type ChangePosition, comparePositions, formatPosition, laterPosition, parsePosition } from './change-position.js';
export {
  type ChangeLogPrune, type ChangeLogPruneOptions, pruneChangeLog, prunedThroughKey, prunedThroughOf, prunedThroughQuery, type PrunedThroughRow,
  readPrunedThrough,
} from './retention.js';
