// Every table of the schema, for the typed query layer. Materialized views (0007_analytics) are
// read with plain SQL and are not declared here.
export * from './identity.js';
export * from './training.js';
export * from './certification.js';
export * from './compliance.js';
export * from './platform.js';
export * from './login-failures.js';
export * from './calendar.js';
export * from './accounts.js';
