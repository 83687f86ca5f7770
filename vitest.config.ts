import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'client/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Each file gets its own migrated database copy; PGlite copies cost memory, so two at a time on two cores.
    maxWorkers: 2,
    // Generous: several tests start real processes (tsx + PGlite), slow on a busy 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
