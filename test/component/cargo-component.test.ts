// The cargo-component route (docs/building.md): the unchanged engine crate, built with
// `cargo component build --target wasm32-unknown-unknown`, is a component that passes the golden vectors.
// Skipped when cargo-component is not installed (from crates.io it takes about 19 minutes).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { loadGoldenVectors, verifyGoldenVectors } from '../../host/versions/golden-vectors.js';

const installed = spawnSync('cargo-component', ['--version']).status === 0;
const reason = installed ? '' : ' (skipped: cargo-component is not on PATH; `cargo install --locked cargo-component`)';

describe.skipIf(!installed)(`the engine built by cargo-component${reason}`, () => {
  // Made in beforeAll, not here: a skipped suite's body still runs, but its hooks do not.
  let target = '';
  beforeAll(() => {
    target = mkdtempSync(join(tmpdir(), 'wasm-risk-cargo-component-'));
  });
  afterAll(() => rmSync(target, { recursive: true, force: true }));

  it('passes the golden vectors', { timeout: 600_000 }, async () => {
    execFileSync('cargo', ['component', 'build', '--release', '--quiet', '--target', 'wasm32-unknown-unknown'], {
      cwd: join(PROJECT_ROOT, 'components', 'risk-engine'),
      env: { ...process.env, CARGO_TARGET_DIR: target, RUSTFLAGS: '-C target-feature=+simd128 -C llvm-args=-unroll-runtime=false' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const component = join(target, 'wasm32-unknown-unknown', 'release', 'risk_engine.wasm');
    const engine = await RiskEngine.load(component, { workers: 1 });
    try {
      expect(readFileSync(component).subarray(4, 8)).toEqual(Buffer.from([0x0d, 0x00, 0x01, 0x00])); // a component, not a core module
      expect(await verifyGoldenVectors(engine, await loadGoldenVectors())).toEqual({ passed: true, failures: [] });
    } finally {
      await engine.close();
    }
  });
});
