export { jobsRoutes } from './jobs.routes.js';
export { createDispatcher, type Dispatcher, type DispatcherSettings, defaultDispatcherSettings, retryDelayMs } from './dispatcher.js';
export { createWorker } from './worker.js';
export { listJobs, queueJobsOfPassedEvents, retryJob } from './jobs.service.js';
export {
  countJobsByStatus, eventsPassedWithoutJobs, eventsPassedWithoutJobsParams, insertJob, jobStatuses, type Subscription, subscriptionColumnsOf,
} from './jobs.repository.js';
export { type EventSubscriber, eventOf, type JobHandler, subscriptionsOf } from './job-handler.js';
export { type PruneReport, pruneRetained } from './prune.js';
export { createScheduler, cronOf, type ScheduledJob, type Scheduler } from './schedules.js';
