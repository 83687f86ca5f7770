import { accountMailHandlers } from '../accounts/index.js';
import { complianceOnCompletion } from '../compliance/index.js';
import { type NotificationSenderDeps, notifyOnSessionCancelled } from '../notifications/index.js';
import type { JobHandler } from './job-handler.js';

/** Every handler a worker runs, subscribed to its event types. */
export function createJobHandlers(deps: NotificationSenderDeps): JobHandler[] {
  return [complianceOnCompletion, notifyOnSessionCancelled(deps), ...accountMailHandlers(deps)];
}
