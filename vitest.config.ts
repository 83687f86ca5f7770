import { relative } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

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
];

/**
 * The console's end-to-end tests in Chromium run on the embedded database only (the README's test command):
 * the browser, the built console and the stream client are the same whatever the engine, and every API call
 * they make is tested on both engines by the API's own tests (decision 0055).
 */
const browserTests = ['console/e2e/**/*.test.ts'];

/**
 * The 30 longest files, longest first (embedded run, 2026-12-07; decision 0097). The two workers each take
 * the next file when theirs ends, so a long file that starts near the end keeps one worker busy while
 * the other has nothing left: started first, the short files fill in behind them. Vitest orders the
 * rest as it would (longest first when its results cache has them, else the largest file first, as in
 * a fresh clone). An estimate that goes stale costs only a less even end; it never skips a file.
 */
const longestFiles = [
  'src/server.test.ts',
  'console/e2e/training-day.test.ts',
  'src/platform/security/access-matrix.rls.test.ts',
  'src/seed/seed.command.test.ts',
  'src/server.terminal.test.ts',
  'src/platform/db/migrations/migrator.test.ts',
  'src/platform/http/hostile-input.test.ts',
  'src/cli/migrate.command.test.ts',
  'src/platform/consistency/doctor.command.test.ts',
  'src/platform/stream/stream.authorisation.property.test.ts',
  'src/cli/prune.command.test.ts',
  'src/domains/enrollments/enrollments.model.test.ts',
  'src/seed/seed.service.test.ts',
  'console/e2e/console-pages.test.ts',
  'src/platform/security/key-rotation.test.ts',
  'src/platform/http/access-matrix.http.test.ts',
  'src/platform/security/access-matrix.changes.test.ts',
  'src/domains/enrollments/enrollments.batch.test.ts',
  'test/reused-pglite.test.ts',
  'src/server.initial-administrator.test.ts',
  'src/cli/keys.credential-key.test.ts',
  'client/client.test.ts',
  'src/cli/user.command.test.ts',
  'src/platform/health/health.routes.test.ts',
  'src/platform/security/access-matrix.workflows.test.ts',
  'src/platform/db/constraints.test.ts',
  'src/platform/db/pglite-template.test.ts',
  'src/platform/http/openapi.contract.test.ts',
  'src/platform/http/access-matrix.workflows.http.test.ts',
  'src/platform/security/access-matrix.property.test.ts',
];

class LongestFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rankOf = (file: TestSpecification) => {
      const rank = longestFiles.indexOf(relative(file.project.config.root, file.moduleId));
      return rank === -1 ? longestFiles.length : rank;
    };
    // A stable sort: the files not listed keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rankOf(a) - rankOf(b));
  }
}

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
    sequence: { sequencer: LongestFilesFirst },
  },
});
