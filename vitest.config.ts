import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/** A private (0700) folder for this run. */
const scratch = (name: string) => mkdtempSync(join(tmpdir(), `wasm-risk-test-${name}-`));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each run transpiles into its own cache, authenticated by its own key, so a stale or tampered user
    // cache cannot leak into tests and no test writes into the user's home directory.
    env: { WASM_RISK_CACHE_DIR: scratch('cache'), WASM_RISK_CACHE_KEY_FILE: join(scratch('cache-key'), 'cache.key') },
  },
});
