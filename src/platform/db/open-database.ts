import { join, resolve } from 'node:path';
import type { Config } from '../../config.js';
import type { Logger } from '../shared/logger.js';
import type { Db } from './database.js';
import { createQueryLog } from './query-log.js';

/** The embedded database lives in `<DATA_DIR>/pglite`, beside the files Unitrain generates. */
export function embeddedDatabaseDir(dataDir: string): string {
  return join(resolve(dataDir), 'pglite');
}

/** Loads only the engine in use: a server process never loads PGlite's WebAssembly, nor the embedded one pg. */
export async function openDatabase(config: Pick<Config, 'database' | 'slowQueryMs'>, logger: Logger | null): Promise<Db> {
  const queryLog = createQueryLog(logger, config.slowQueryMs);
  const { database } = config;
  if (database.engine === 'postgres') {
    const { openPostgresDatabase } = await import('./postgres-database.js');
    return openPostgresDatabase(database, queryLog, logger);
  }
  const { openPgliteDatabase } = await import('./pglite-database.js');
  return openPgliteDatabase(
    database.dataDir === null ? { kind: 'memory' } : { kind: 'directory', path: embeddedDatabaseDir(database.dataDir) },
    queryLog,
  );
}
