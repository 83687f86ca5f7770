import { createLogger } from '../src/platform/shared/logger.js';

/** The logger of tests that read no log line: silent. A test that reads its logs makes its own. */
export const testLogger = createLogger({ logLevel: 'silent', logFormat: 'json' });
