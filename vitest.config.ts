import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The run's private temporary folder (its own transpile cache and key, TMPDIR for every test), checked
    // empty of leftovers and removed at the end.
    globalSetup: ['test/support/run-scratch.ts'],
  },
});
