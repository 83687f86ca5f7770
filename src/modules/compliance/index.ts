export { complianceOnCompletion } from './compliance.handler.js';
export { recomputeComplianceScores } from './compliance.repository.js';
