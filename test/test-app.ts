import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import type { AppDeps } from '../src/app.js';
import type { Db } from '../src/platform/db/database.js';
import { buildTestApp } from './auth.js';
import { type TestDatabase, useTestDatabase } from './database.js';

export interface TestApp {
  database: TestDatabase;
  db: Db;
  app: FastifyInstance;
}

/**
 * A migrated database (useTestDatabase) and the real application on it for the tests of one file: made in
 * `beforeAll`, closed and dropped in `afterAll`. Read the fields inside tests (they are set once `beforeAll` ran).
 */
export function useTestApp(overrides: Partial<AppDeps> = {}): TestApp {
  const context = useTestDatabase() as TestApp;
  beforeAll(async () => {
    context.app = await buildTestApp(context.db, overrides);
  });
  // After hooks run in the reverse order (Vitest's `stack`): the app closes before its database is dropped.
  afterAll(async () => {
    await context.app?.close();
  });
  return context;
}
