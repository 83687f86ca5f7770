export { reportsRoutes } from './reports.routes.js';
export { refreshAnalyticsHandler, refreshAnalyticsJob } from './reports.handler.js';
export { analyticsViews, readViewFreshness, refreshAnalyticsViews, reportNames, type ReportName } from './reports.repository.js';
