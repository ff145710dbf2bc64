// `npm run test:slow`: the long tests (*.slow.test.ts: scale, full-timeout waits) that
// `npm test` leaves out. Same settings as vitest.config.mts otherwise.
import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.mts';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/**/*.slow.test.ts'],
    // One file at a time, as before `npm test` went to two workers: these are the timing-
    // and signal-sensitive tests (a full-timeout EINTR wait, load generators against the
    // example servers), and a second file running beside them only makes them noisier.
    maxWorkers: 1,
    exclude: configDefaults.exclude,
    outputFile: { json: 'build/test-results-slow.json' },
  },
});
