// The shipped golden vectors come from the command that generates them, and the project's engine passes them;
// a component built against an earlier contract is not asked the vectors of what came later (factor
// portfolios, 1.2), which it would fail.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_VECTORS_FILE, loadGoldenVectors, verifyGoldenVectors } from '../../host/versions/golden-vectors.js';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { engineVersion } from '../support/fixtures.js';

describe('golden vectors', () => {
  it('are exactly what the generator writes', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-golden-'));
    try {
      const fresh = join(scratch, 'vectors.json');
      execFileSync(process.execPath, [join(PROJECT_ROOT, 'dist', 'tools', 'generate-golden-vectors.js'), fresh]);
      expect(readFileSync(fresh, 'utf8')).toBe(readFileSync(GOLDEN_VECTORS_FILE, 'utf8'));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('pass for the project engine', async () => {
    const engine = await RiskEngine.load();
    try {
      expect(await verifyGoldenVectors(engine, await loadGoldenVectors())).toEqual({ passed: true, failures: [] });
    } finally {
      await engine.close();
    }
  });

  it('skip, for a 1.0 component, the vectors since 1.2 (factor portfolios), which it would fail', async () => {
    const vectors = await loadGoldenVectors();
    const factorVectors = vectors.vectors.filter((vector) => vector.since === '1.2.0').map((vector) => vector.name);
    expect(factorVectors).toEqual(['monte-carlo factor book', 'parametric factor book']);
    const earlier = await RiskEngine.load(engineVersion('1.0.0'));
    try {
      expect(await verifyGoldenVectors(earlier, vectors, '1.0.0')).toEqual({ passed: true, failures: [] });
      const asked = await verifyGoldenVectors(earlier, vectors);
      expect(asked.failures.map((failure) => failure.split(':')[0])).toEqual(factorVectors);
    } finally {
      await earlier.close();
    }
  });
});
