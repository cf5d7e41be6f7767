import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each run transpiles into its own cache, so a stale or tampered user cache cannot leak into tests.
    env: { WASM_RISK_CACHE_DIR: mkdtempSync(join(tmpdir(), 'wasm-risk-test-cache-')) },
  },
});
