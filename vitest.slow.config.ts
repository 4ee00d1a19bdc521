import { defineConfig } from 'vitest/config';

// Slow suites only: long fuzzing, soak and Monte-Carlo runs. Not part of `npm test`.
export default defineConfig({
  test: {
    include: ['test/**/*.slow.test.ts'],
    testTimeout: 0,
    hookTimeout: 0,
  },
});
