// The bench's own parts that a silent break would turn into wrong figures in docs/performance.md: the Node
// child that times the component (its numbers must be the library's, its memory and CPU real), the
// targets computed from the results (CPU ratios, worst row), and the doc's measured blocks.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { RiskEngine } from '../../host/risk-engine.js';
// @ts-expect-error -- plain ESM bench module without type declarations
import { componentKey, report, targets } from '../../bench/report.mjs';
// @ts-expect-error -- plain ESM bench module without type declarations
import { anotherRun } from '../../bench/repeat-runs.mjs';
import { EXAMPLE_PORTFOLIO, examplePortfolio } from '../support/fixtures.js';

const CHILD = join(PROJECT_ROOT, 'bench', 'component-node.mjs');

function child(args: string[]) {
  return spawnSync(process.execPath, [CHILD, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('bench/component-node.mjs (one Node process per contender and workload)', () => {
  it('reports the library\'s own numbers, its wall and CPU time and the process\'s peak memory', async () => {
    const run = child([EXAMPLE_PORTFOLIO, '5000', 'in-thread', '42', '0']);
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.node).toBe(process.version);
    expect(out.seconds).toHaveLength(1);
    expect(out.cpuSeconds).toHaveLength(1);
    expect(out.cpuSeconds[0]).toBeGreaterThan(0);
    // A Node process that loaded the library and a wasm instance holds tens of MiB.
    expect(out.peakRssKb).toBeGreaterThan(20 * 1024);
    const engine = await RiskEngine.load(undefined, { isolation: 'in-thread' });
    try {
      const expected = await engine.monteCarlo(examplePortfolio(), { paths: 5000, seed: 42n, confidence: [0.95, 0.99] });
      expect(out.report.meanPnl).toBe(expected.meanPnl);
      expect(out.report.stdPnl).toBe(expected.stdPnl);
      expect(out.report.levels.map((l: { var: number; es: number }) => [l.var, l.es])).toEqual(expected.levels.map((l) => [l.var, l.es]));
    } finally {
      await engine.close();
    }
  });

  it('repeats short runs until they add up to the threshold, at most nine times, and runs a pool when asked', () => {
    const run = child([EXAMPLE_PORTFOLIO, '2000', 'workers:2', '7', '1000']);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).seconds).toHaveLength(9);
  });

  it.each([
    [['x.json', '0', 'in-thread', '1', '0'], /paths must be a positive integer/],
    [[EXAMPLE_PORTFOLIO, '10', 'threads:2', '1', '0'], /isolation must be in-thread or workers:N/],
    [[EXAMPLE_PORTFOLIO, '10', 'in-thread', '-1', '0'], /seed must be an unsigned integer/],
    [[EXAMPLE_PORTFOLIO, '10'], /usage/],
  ])('refuses %j', (args, message) => {
    const run = child(args);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(message);
  });
});

describe('bench/repeat-runs.mjs', () => {
  it.each([
    [[3], false, 'a long run runs once'],
    [[0.5], true, 'a short run is repeated'],
    [[0.5, 0.5], true, 'at least three runs'],
    [[0.5, 0.5, 0.5], true, 'until they add up to the threshold'],
    [[0.5, 0.5, 0.5, 0.5], false, 'and no further'],
    [[1.5, 1.5], true, 'three even when two add up to it'],
    [[1.5, 1.5, 1.5], false, 'then stops'],
    [Array(9).fill(0.01), false, 'nine at most'],
  ])('%j: %s (%s)', (seconds, again) => {
    expect(anotherRun(seconds, 2)).toBe(again);
  });
});

describe('bench/report.mjs targets', () => {
  /** One row where Node 20 takes 1.2x native-SSE's CPU time and Node 24 1.5x (on a prefix of the paths). */
  function results() {
    const cores = 2;
    const result = (cpuSeconds: number, paths?: number) => ({ seconds: cpuSeconds * 3, pathsPerSecond: (paths ?? 1000) / (cpuSeconds * 3), cpuSeconds, ...(paths ? { paths } : {}) });
    const row = {
      assets: 10,
      portfolio: 'options',
      paths: 1000,
      identical: {},
      results: {
        'native-1-thread': result(0.5),
        'native-sse-1-thread': result(1),
        'typescript-reference': result(20),
        [componentKey(20, 1, cores)]: result(1.2),
        [componentKey(20, cores, cores)]: result(0.7),
        [componentKey(24, 1, cores)]: result(0.15, 100),
        [componentKey(24, cores, cores)]: result(0.08, 100),
      },
    };
    return {
      machine: { cores, nodeRuntimes: { 20: 'v20', 24: 'v24' } },
      primaryNode: 20,
      workloads: [row],
      coldStart: { 'in-thread': { secondLoadAndFirstCallMs: 10 }, workers: { secondLoadAndFirstCallMs: 100 } },
      perCallOverhead: { inThreadUs: 19, hostOverheadUs: 8, workerPoolUs: 300 },
    };
  }

  it('compares each Node line with native-SSE and with Node 20 on CPU time per path', () => {
    const t = targets(results());
    expect(t.perNode[20].worstCpuOverNativeSse).toBeCloseTo(1.2, 12);
    expect(t.perNode[20].within1_3xOfNativeSse).toBe(true);
    expect(t.perNode[24].worstCpuOverNativeSse).toBeCloseTo(1.5, 12);
    expect(t.perNode[24].worstCpuOverNode20).toBeCloseTo(1.25, 12);
    expect(t.node24Within1_3xOfNativeSse).toBe(false);
    expect(t.node24NoSlowerThanNode20).toBe(false);
    expect(t.atLeast5xTypescriptOnOptions.worstSpeedup).toBeCloseTo(20 / 1.2, 12);
    // The reading under the table names the rows that miss, from the run itself.
    expect(t.perNode[20].rowsOver1_3xOfNativeSse).toEqual([]);
    expect(t.perNode[24].rowsOver1_3xOfNativeSse).toEqual([{ workload: '10 options 1k', ratio: expect.closeTo(1.5, 12) }]);
    expect(t.perNode[24].worstWithin1_3xOfNativeSse).toBeNull();
  });

  it('names, in the targets table, each row over 1.3x of native-SSE and the range of the others', () => {
    const run = results();
    run.workloads.push({ ...run.workloads[0]!, assets: 100 });
    run.workloads[1]!.results = { ...run.workloads[1]!.results, [componentKey(24, 1, 2)]: { seconds: 3, pathsPerSecond: 1000 / 3, cpuSeconds: 1.1 } };
    // What else the block names (the run, the machine, the cold start and tiny-call figures), as a run records it.
    const recorded = {
      ...run,
      command: 'make bench',
      commit: 'abc1234',
      date: '2026-12-02T01:00:00.000Z',
      benchSeconds: 60,
      referenceBudgetSeconds: 3,
      secondaryMaxPaths500: 100_000,
      repeatBelowSeconds: 2,
      machine: { ...run.machine, cpu: 'a CPU', rustc: 'rustc 1.95.0', python: 'Python 3.11' },
      coldStart: {
        'in-thread': { ...run.coldStart['in-thread'], importMs: 80, transpileLoadAndFirstCallMs: 40, freshProcessCachedLoadAndFirstCallMs: 40 },
        workers: { ...run.coldStart.workers, freshProcessCachedLoadAndFirstCallMs: 70 },
      },
      perCallOverhead: { ...run.perCallOverhead, rounds: 8, rawInfoUs: 3, rawExportUs: 4 },
    };
    const text: string = report({ ...recorded, targets: targets(recorded) });
    expect(text).toContain('| **met**: 1.20x to 1.20x (against AVX2 native: worst 2.40x) |');
    expect(text).toContain('| **not met**: 1 of 2 rows over 1.3x, 10 options 1k 1.50x; the others 1.10x to 1.10x (against AVX2 native: worst 3.00x) |');
  });
});

describe('docs/performance.md', () => {
  it('has the blocks bench/run.mjs and bench/node-flags.mjs rewrite', () => {
    const doc = readFileSync(join(PROJECT_ROOT, 'docs', 'performance.md'), 'utf8');
    for (const name of ['table', 'node-flags']) {
      expect(doc.indexOf(`<!-- bench: ${name} begin -->\n`)).toBeGreaterThan(-1);
      expect(doc.indexOf(`<!-- bench: ${name} end -->`)).toBeGreaterThan(doc.indexOf(`<!-- bench: ${name} begin -->`));
    }
  });
});
