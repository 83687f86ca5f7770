import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test files that open no database: the embedded run runs them, the server run (DATABASE_URL set)
 * skips them, as they would only test the same code twice. A new file not listed runs on both.
 */
const databaseFreeTests = [
  'src/platform/cache/two-layer-cache.test.ts',
  'src/config.test.ts',
  'src/job-handlers.test.ts',
  'src/platform/db/database-unavailable.test.ts',
  'src/domains/calendar/calendar.timezones.test.ts',
  'src/domains/notifications/mail-transport.test.ts',
  'src/domains/schedules/schedules.recurrence.test.ts',
  'src/platform/security/access-matrix.doc.test.ts',
  'src/platform/security/field-cipher.test.ts',
  'src/platform/security/keyring.test.ts',
  'src/platform/security/passwords.test.ts',
  'src/platform/shared/csv/csv-records.test.ts',
  'src/platform/shared/csv/csv-upload.test.ts',
  'src/platform/shared/csv/person-cells.test.ts',
  'src/platform/shared/failure-warning.test.ts',
  'src/platform/shared/wakeable-sleep.test.ts',
  'src/platform/http/signed-in-accounts.rules.test.ts',
  'test/server-build.test.ts',
];

/**
 * The console's end-to-end tests in Chromium run on the embedded database only (the README's test command):
 * the browser, the built console and the stream client are the same whatever the engine, and every API call
 * they make is tested on both engines by the API's own tests (decision 0055).
 */
const browserTests = ['console/e2e/**/*.test.ts'];

export default defineConfig({
  test: {
    // console/e2e: the training day in Chromium against a listening server (about a minute).
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'client/**/*.test.ts', 'console/e2e/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(process.env['DATABASE_URL'] ? [...databaseFreeTests, ...browserTests] : [])],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // A worker process runs file after file with the modules it has loaded (tsx transforms, the app,
    // pdf.js): loading them anew per file cost more than most files' tests. Each file still opens its
    // own database, and no test changes process-wide state (environment, globals) it does not restore.
    isolate: false,
    // Each file gets its own migrated database copy; PGlite copies cost memory, so two at a time on two cores.
    maxWorkers: 2,
    // Generous: several tests start real processes (tsx + PGlite), slow on a busy 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
