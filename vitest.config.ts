import { defineConfig } from 'vitest/config';

// The fast suite: everything except *.slow.test.ts (long fuzzing, soak, Monte-Carlo),
// which `npm run fuzz` / `npm run test:slow` run with vitest.slow.config.ts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.slow.test.ts', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
