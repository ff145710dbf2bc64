// `npm run test:slow`: the long tests (*.slow.test.ts: scale, full-timeout waits) that
// `npm test` leaves out. Same settings as vitest.config.mts otherwise.
import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.mts';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/**/*.slow.test.ts'],
    exclude: configDefaults.exclude,
    outputFile: { json: 'build/test-results-slow.json' },
  },
});
