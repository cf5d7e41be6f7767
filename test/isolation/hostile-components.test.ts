// Faults inside a component (an endless loop, a memory bomb, a panic) become typed errors; the host
// stays bounded and keeps serving.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComponentTrapError, OutOfMemoryError, TimeoutError } from '../../host/errors.js';
import type { PortfolioSpec } from '../../host/portfolio.js';
import { PROJECT_ROOT } from '../../host/project-paths.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { runCli } from '../support/run-cli.js';

const fixture = (name: string) => join(PROJECT_ROOT, 'build', 'fixtures', `${name}.wasm`);
const portfolio = JSON.parse(readFileSync(join(PROJECT_ROOT, 'examples', 'portfolio.json'), 'utf8')) as PortfolioSpec;

let healthy: RiskEngine;
beforeAll(async () => {
  healthy = await RiskEngine.load(undefined, { workers: 1 });
});
afterAll(() => healthy.close());

async function expectHealthyAnswer() {
  const result = await healthy.monteCarlo(portfolio, { paths: 2_000, seed: 3n });
  expect(result.levels[1]!.var).toBeGreaterThan(result.levels[0]!.var);
}

describe('an infinite loop', () => {
  it('fails with the timeout error within deadline + 1 s, then the host serves normally', async () => {
    const engine = await RiskEngine.load(fixture('infinite-loop'), { workers: 1, timeoutMs: 1_500 });
    try {
      const started = performance.now();
      await expect(engine.monteCarlo(portfolio, { paths: 1_000 })).rejects.toBeInstanceOf(TimeoutError);
      expect(performance.now() - started).toBeLessThan(1_500 + 1_000);
      // The looping worker was terminated and replaced: the same engine still answers.
      expect((await engine.info()).name).toBe('infinite-loop');
      await expectHealthyAnswer();
    } finally {
      await engine.close();
    }
  });

  it('gets its own exit code and one line from the CLI', () => {
    const run = runCli(['var', 'examples/portfolio.json', '--component', fixture('infinite-loop'), '--timeout-ms', '1000', '--paths', '100']);
    expect(run.status).toBe(4);
    expect(run.stderr).toMatch(/^wasm-risk: ERR_TIMEOUT: call exceeded its 1000 ms deadline/);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('a memory bomb', () => {
  const LIMIT_MB = 128;
  // The host's own ~200 MB, one capped instance, and room for a not-yet-collected earlier one.
  const RSS_BOUND_MB = 200 + 3 * LIMIT_MB;

  it('fails with the out-of-memory error, keeps host memory bounded, and the host keeps serving', async () => {
    const engine = await RiskEngine.load(fixture('memory-bomb'), { workers: 1, memoryLimitMb: LIMIT_MB });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        await expect(engine.monteCarlo(portfolio, { paths: 1_000 })).rejects.toBeInstanceOf(OutOfMemoryError);
        expect(process.memoryUsage().rss / 2 ** 20).toBeLessThan(RSS_BOUND_MB);
      }
      expect((await engine.info()).name).toBe('memory-bomb');
      await expectHealthyAnswer();
    } finally {
      await engine.close();
    }
  });

  it('gets its own exit code and one line from the CLI', () => {
    const run = runCli(['var', 'examples/portfolio.json', '--component', fixture('memory-bomb'), '--memory-limit-mb', '64', '--paths', '100']);
    expect(run.status).toBe(5);
    expect(run.stderr).toMatch(/^wasm-risk: ERR_OUT_OF_MEMORY: component ran out of memory: it holds \d+ MiB of its 64 MiB limit\n$/);
  });
});

describe('a panic', () => {
  it('becomes a trap error, and the next call gets a fresh instance', async () => {
    const engine = await RiskEngine.load(fixture('panicker'), { workers: 1 });
    try {
      const error = await engine.monteCarlo(portfolio, { paths: 100 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ComponentTrapError);
      expect((error as Error).message).toMatch(/unreachable/);
      expect((await engine.info()).name).toBe('panicker');
      await expect(engine.parametric(portfolio)).rejects.toBeInstanceOf(ComponentTrapError);
      await expectHealthyAnswer();
    } finally {
      await engine.close();
    }
  });

  it('exits with the component-failure code from the CLI', () => {
    const run = runCli(['var', 'examples/portfolio.json', '--component', fixture('panicker'), '--paths', '100']);
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/^wasm-risk: ERR_COMPONENT_TRAP: component trapped/);
  });
});
