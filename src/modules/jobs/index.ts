export { jobsRoutes } from './jobs.routes.js';
export { createDispatcher, type Dispatcher, type DispatcherSettings, defaultDispatcherSettings } from './dispatcher.js';
export { createWorker } from './worker.js';
export { listJobs, retryJob } from './jobs.service.js';
export { jobStatuses } from './jobs.repository.js';
export { eventOf, type JobHandler } from './job-handler.js';
export { type PruneReport, pruneRetained } from './prune.js';
