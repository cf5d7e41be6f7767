// A component that answers with enormous results (millions of report levels, far more P&L values than
// paths) gets a typed error, over and over, and never exhausts or aborts the host; a worker that does
// run out of JS heap becomes the out-of-memory error and is replaced.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentPayload } from '../../host/run/component-instance.js';
import type { EngineCall } from '../../host/run/engine-calls.js';
import { EnginePool } from '../../host/run/worker-pool.js';
import { RequestClock } from '../../host/run/executor.js';
import { ComponentContractError, OutOfMemoryError } from '../../host/errors.js';
import type { PortfolioSpec } from '../../host/request/portfolio.js';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';
import { EXAMPLE_PORTFOLIO, fixture } from '../support/fixtures.js';

const HUGE_RESULT = fixture('huge-result');
const PORTFOLIO = EXAMPLE_PORTFOLIO;
const portfolio = JSON.parse(readFileSync(PORTFOLIO, 'utf8')) as PortfolioSpec;

/** Every way to ask huge-result for something: three reports of 8 million levels, 32 million P&L values. */
const requests: [string, (engine: RiskEngine) => Promise<unknown>][] = [
  ['monte-carlo', (engine) => engine.monteCarlo(portfolio, { paths: 1_000 })],
  ['historical', (engine) => engine.historical(portfolio)],
  ['parametric', (engine) => engine.parametric(portfolio)],
  ['simulate-pnl', (engine) => engine.simulatePnl(portfolio, { paths: 1_000 })],
  ['monte-carlo in chunks', (engine) => engine.monteCarlo(portfolio, { paths: 40_000, chunkPaths: 20_000 })],
];

describe('a component returning enormous results, in workers', () => {
  let engine: RiskEngine;
  beforeAll(async () => {
    engine = await RiskEngine.load(HUGE_RESULT, { workers: 1 });
  });
  afterAll(() => engine.close());

  it('gets a contract error 50 times in a row, the host heap stays small, and the engine keeps serving', async () => {
    const before = process.memoryUsage();
    for (let round = 0; round < 50; round++) {
      const [name, request] = requests[round % requests.length]!;
      const error = await request(engine).catch((e: unknown) => e);
      expect(error, `round ${round}: ${name}`).toBeInstanceOf(ComponentContractError);
      // Results are checked in the worker: neither the levels nor the P&L values reach this thread.
      const now = process.memoryUsage();
      expect(now.heapUsed - before.heapUsed, `round ${round}: ${name}`).toBeLessThan(64 * 2 ** 20);
      expect(now.arrayBuffers - before.arrayBuffers, `round ${round}: ${name}`).toBeLessThan(64 * 2 ** 20);
    }
    expect((await engine.info()).name).toBe('huge-result');
  }, 100_000);
});

describe('a component returning enormous results, in-thread', () => {
  it('gets a contract error without lifting them: a host with a 128 MiB heap survives each request', () => {
    // In-thread, the lifting happens in the host's own heap: a run that lifted 8 million levels would
    // need about 600 MiB of it and die of a fatal V8 out-of-memory (exit 134), not throw.
    const script = `
      import { RiskEngine } from ${JSON.stringify(join(PROJECT_ROOT, 'dist', 'host', 'index.js'))};
      const portfolio = JSON.parse(${JSON.stringify(JSON.stringify(portfolio))});
      const engine = await RiskEngine.load(${JSON.stringify(HUGE_RESULT)}, { isolation: 'in-thread' });
      const codes = [];
      for (const request of [() => engine.monteCarlo(portfolio, { paths: 1000 }), () => engine.historical(portfolio), () => engine.parametric(portfolio)]) {
        codes.push(await request().then(() => 'ok', (error) => error.code));
      }
      codes.push((await engine.info()).name);
      console.log(codes.join(' '));
    `;
    const run = spawnSync(process.execPath, ['--max-old-space-size=128', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('ERR_COMPONENT_CONTRACT ERR_COMPONENT_CONTRACT ERR_COMPONENT_CONTRACT huge-result');
  }, 70_000);
});

describe('a component returning enormous results, from the CLI', () => {
  it.each(['historical', 'parametric'])('%s exits 3 with one line', (method) => {
    const run = runCli(['var', PORTFOLIO, '--component', HUGE_RESULT, '--method', method]);
    expectOneLineFailure(run, 3, /^wasm-risk: ERR_COMPONENT_CONTRACT: component returned an invalid report: at least 65 levels for 2 confidence levels asked$/);
  });

  // The host summarises Monte Carlo itself, from the paths' P&L: the enormous answer is the P&L.
  it('monte-carlo exits 3 with one line', () => {
    const run = runCli(['var', PORTFOLIO, '--component', HUGE_RESULT, '--workers', '1', '--paths', '1000']);
    expectOneLineFailure(run, 3, /^wasm-risk: ERR_COMPONENT_CONTRACT: component returned 32000000 P&L values for 1000 paths$/);
  });

  it('monte-carlo over several workers exits 3 with one line', () => {
    const run = runCli(['var', PORTFOLIO, '--component', HUGE_RESULT, '--workers', '2', '--paths', '40000']);
    expectOneLineFailure(run, 3, /^wasm-risk: ERR_COMPONENT_CONTRACT: component returned 32000000 P&L values for 20000 paths$/);
  });
});

describe('a worker that runs out of JS heap', () => {
  // Stands in for jco's glue: fills the worker's heap with small objects (no single allocation near
  // Node's 16 MiB leeway, so the worker is stopped cleanly) whenever monte-carlo is called.
  const glue = `
    export async function instantiate() {
      const fillHeap = () => { let list = null; for (;;) list = { next: list, value: Math.random() }; };
      return {
        'wasm-risk:risk/engine@1.0.0': {
          info: () => ({ name: 'heap-filler', version: '1.0.0' }),
          monteCarlo: fillHeap, simulatePnl: fillHeap, historical: fillHeap, parametric: fillHeap,
        },
      };
    }`;
  const payload: ComponentPayload = {
    path: 'heap-filler.wasm',
    sha256: '0'.repeat(64),
    glue,
    modules: [],
    memoryLimitBytes: 16 * 2 ** 20,
    sandbox: { grantedInterfaces: [] },
    imports: [],
  };

  it('becomes the out-of-memory error, and the replaced worker answers the next call', async () => {
    const pool = new EnginePool(payload, { workers: 1 });
    try {
      const limits = () => ({ clock: new RequestClock(60_000) });
      const call: EngineCall<'parametric'> = { method: 'parametric', portfolio: { assets: [], correlation: [], riskFreeRate: 0, positions: [] }, horizonDays: 1, confidence: Float64Array.of(0.99) };
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await pool.run(call, limits()).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OutOfMemoryError);
        // 2 x 16 MiB of linear memory + 256 MiB: the heap limit derived from the component's memory cap.
        expect((error as OutOfMemoryError).message).toBe('the worker running the call ran out of its 288 MiB JS heap and was replaced');
        expect(await pool.run({ method: 'info' }, limits())).toEqual({ name: 'heap-filler', version: '1.0.0' });
      }
    } finally {
      await pool.close();
    }
  }, 60_000);
});
