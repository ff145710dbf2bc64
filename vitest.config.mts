import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Long tests (*.slow.test.ts) run with `npm run test:slow` (vitest.slow.config.mts).
    exclude: [...configDefaults.exclude, 'test/**/*.slow.test.ts'],
    // Native addons and signal tests are safest in child processes; worker_threads
    // safety has its own explicit test.
    pool: 'forks',
    // Both cores of a 2-core machine (vitest's default leaves one idle): the suite is mostly
    // waiting on child processes, sockets and timers, and halves in wall time.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The JSON report lets .ci/run print a one-line "N passed, N failed" summary.
    reporters: ['default', 'json'],
    outputFile: { json: 'build/test-results.json' },
  },
});
