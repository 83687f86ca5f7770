import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import type { AppDeps } from '../src/app.js';
import type { Db } from '../src/platform/db/database.js';
import { buildTestApp } from './auth.js';
import { createMigratedDatabase, type TestDatabase } from './database.js';

export interface TestApp {
  database: TestDatabase;
  db: Db;
  app: FastifyInstance;
}

/**
 * A migrated database and the real application on it for the tests of one file: made in `beforeAll`,
 * closed and dropped in `afterAll`. Read the fields inside tests (they are set once `beforeAll` ran).
 */
export function useTestApp(overrides: Partial<AppDeps> = {}): TestApp {
  const context = {} as TestApp;
  beforeAll(async () => {
    context.database = await createMigratedDatabase();
    context.db = context.database.db;
    context.app = await buildTestApp(context.db, overrides);
  });
  afterAll(async () => {
    await context.app?.close();
    await context.database?.drop();
  });
  return context;
}
