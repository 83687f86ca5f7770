import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import { createFieldCipher } from '../../security/field-cipher.js';
import type { Keyring } from '../../security/keyring.js';
import type { Logger } from '../../shared/logger.js';
import { createDispatcher, defaultDispatcherSettings, type Dispatcher, type DispatcherSettings } from './dispatcher.js';
import { createJobHandlers } from './handlers.js';
import { scheduledPrune } from './prune.js';

/**
 * The dispatcher `serve` runs in process and `unitrain worker` runs alone, with every handler, and
 * with the retention prune when given retention settings (the processes are; handler tests are not).
 */
export function createWorker(
  db: Db,
  config: Pick<Config, 'worker' | 'mail'> & Partial<Pick<Config, 'retention'>>,
  keyring: Keyring,
  logger: Logger,
  hooks: Pick<DispatcherSettings, 'onJobsCommitted'> = {},
): Dispatcher {
  const handlers = createJobHandlers({ cipher: createFieldCipher(keyring), mail: config.mail, logger });
  const prune = config.retention && scheduledPrune(db, config.retention, logger);
  return createDispatcher(db, handlers, logger, { ...defaultDispatcherSettings, pollMs: config.worker.pollMs, leaseMs: config.worker.leaseMs, prune, ...hooks });
}
