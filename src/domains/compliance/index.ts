export { complianceOnCompletion } from './compliance.handler.js';
