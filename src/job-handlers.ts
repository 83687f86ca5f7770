import type { MailSettings } from './config.js';
import { accountMailHandlers } from './modules/accounts/index.js';
import { expireDueCertificates } from './modules/certificates/index.js';
import { complianceOnCompletion } from './modules/compliance/index.js';
import type { JobHandler } from './modules/jobs/index.js';
import { notifyOnSessionCancelled } from './modules/notifications/index.js';
import type { FieldCipher } from './security/field-cipher.js';
import type { Logger } from './shared/logger.js';

/**
 * Every handler a worker runs, subscribed to its event types. The processes that run a worker (`serve`,
 * `unitrain worker`) hand this list to it, so the job queue does not know its consumers. Every worker
 * must run the same list: an event is relayed once, for the handlers of the relaying process.
 */
export function createJobHandlers(deps: { cipher: FieldCipher; mail: MailSettings; logger: Logger; now?: () => Date }): JobHandler[] {
  const now = deps.now ?? (() => new Date());
  return [complianceOnCompletion, notifyOnSessionCancelled(deps), ...accountMailHandlers(deps), expireDueCertificates({ now })];
}
