export { type CheckOutcome, checkConsistency, type ConsistencyReport, type Violation } from './consistency.service.js';
export type { CheckedRowCounts } from './consistency.repository.js';
