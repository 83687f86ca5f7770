export { jobsRoutes } from './jobs.routes.js';
export { createDispatcher, type Dispatcher, type DispatcherSettings, defaultDispatcherSettings, retryDelayMs } from './dispatcher.js';
export { createWorker } from './worker.js';
export { listJobs, retryJob } from './jobs.service.js';
export { countJobsByStatus, insertJob, jobStatuses } from './jobs.repository.js';
export { eventOf, type JobHandler } from './job-handler.js';
export { type PruneReport, pruneRetained } from './prune.js';
export { createScheduler, cronOf, type ScheduledJob, type Scheduler } from './schedules.js';
