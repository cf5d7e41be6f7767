// `make bench` / `make bench-quick`: the component through the host (one worker and all cores) under
// Node 20, 22 and 24, the same crate compiled natively, the TypeScript reference, NumPy's vectorised
// equivalent, Numba, and the component under Wasmtime (Python), on the same workloads and seeds in one
// run, with each contender's peak resident memory; plus cold start and per-call overhead.
// Prints the tables, writes bench/results.json and the table block of docs/performance.md.
// Ratios are only meaningful within one run.
//
// Usage: node bench/run.mjs [--quick]   (--quick: one row, 10 assets linear 100k paths, every contender)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComponentInstance } from '../dist/host/run/component-instance.js';
import { ComponentImage } from '../dist/host/load/component-image.js';
import { validatePortfolio } from '../dist/host/request/portfolio.js';
import { DEFAULT_COMPONENT } from '../dist/host/files/package-paths.js';
import { referenceMonteCarlo, referenceSimulatePnl } from '../dist/reference/reference-engine.js';
import { RiskEngine } from '../dist/host/risk-engine.js';
import { anotherRun } from './repeat-runs.mjs';
import { childJson } from './child-json.mjs';
import { writeDocBlock } from './doc-block.mjs';
import { majorOf, nodeRuntimes } from './node-runtimes.mjs';
import { componentKey, report, targets } from './report.mjs';
import { benchPortfolio, workloadText } from './workloads.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, 'build', 'bench');
const NATIVE = join(WORK, 'native-target', 'release', 'risk-engine-bench');
/** The same crate limited to 128-bit SIMD (x86-64 only): the vector width wasm SIMD128 has. */
const NATIVE_SSE = join(WORK, 'native-sse-target', 'release', 'risk-engine-bench');
const COMPONENT_CHILD = join(ROOT, 'bench', 'component-node.mjs');
const PYTHON = process.env.BENCH_PYTHON ?? (existsSync(join(WORK, 'venv', 'bin', 'python')) ? join(WORK, 'venv', 'bin', 'python') : 'python3');
const CORES = availableParallelism();
const SEED = 42;
const CONFIDENCE = [0.95, 0.99];
const QUICK = process.argv.includes('--quick');
/** The Node line that runs this script: its component columns run every workload in full. */
const PRIMARY_NODE = majorOf(process.version);
const WORKLOADS = QUICK
  ? [{ assets: 10, kind: 'linear', paths: 100_000 }]
  : [100_000, 1_000_000].flatMap((paths) => ['linear', 'options'].flatMap((kind) => [10, 100, 500].map((assets) => ({ assets, kind, paths }))));
/**
 * A run shorter than this is repeated until the runs add up to it, at least three and at most nine times
 * (the best counts); longer ones run once. Three runs of a 15 ms workload left its ratios to a few
 * milliseconds of another process's work: two runs of one commit gave 0.72x and 1.33x for one cell.
 */
const REPEAT_BELOW_S = 2;
/** The TypeScript reference runs on the first paths of the workload, sized to take about this long. */
const REFERENCE_BUDGET_S = QUICK ? 0.5 : 3;
/** Fresh processes per cold-start measurement, and rounds of tiny calls (the first is a warm-up). */
const COLD_START_PROCESSES = QUICK ? 2 : 5;
const OVERHEAD_ROUNDS = QUICK ? 4 : 10;
/**
 * Wasmtime, NumPy, Numba, the 128-bit native build and the component under the other Node lines run
 * 500-asset workloads on at most this many paths (paths per second extrapolated, marked in the table),
 * to keep `make bench` near ten minutes.
 */
const SECONDARY_MAX_PATHS_500 = 100_000;

mkdirSync(WORK, { recursive: true });
const log = (message) => process.stderr.write(`${message}\n`);

/** The smallest of the numbers among `values`, or null when there is none (a contender without a CPU clock). */
const least = (values) => {
  const numbers = values.filter((v) => typeof v === 'number');
  return numbers.length ? Math.min(...numbers) : null;
};

/**
 * Best of one run, or of several when the first was short (`anotherRun`); `once` returns { seconds, cpuSeconds?, report,
 * peakRssKb? }. Wall and CPU time are each their own best; the peak memory is the largest seen.
 */
async function best(once) {
  const runs = [await once()];
  while (anotherRun(runs.map((run) => run.seconds), REPEAT_BELOW_S)) runs.push(await once());
  const fastest = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const peaks = runs.map((r) => r.peakRssKb).filter((kb) => typeof kb === 'number');
  return { ...fastest, runs: runs.length, cpuSeconds: least(runs.map((r) => r.cpuSeconds)), peakRssKb: peaks.length ? Math.max(...peaks) : null };
}

/** A child that repeats its own runs (a Node or Numba process): its fastest run and its peak memory. */
function bestOfChild(out) {
  return { seconds: Math.min(...out.seconds), cpuSeconds: least(out.cpuSeconds ?? []), runs: out.seconds.length, report: out.report, peakRssKb: out.peakRssKb ?? null };
}

/** Python without writing __pycache__ into bench/ (numba_var.py imports numpy_var.py and peak_rss.py). */
const python = (script, args) => childJson(PYTHON, ['-B', join(ROOT, 'bench', script), ...args]);

function pythonHas(modules) {
  return spawnSync(PYTHON, ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0;
}

/** Two host reports: VaR, ES, mean and standard deviation bit-identical. */
const sameNumbers = (a, b) =>
  a.meanPnl === b.meanPnl && a.stdPnl === b.stdPnl && a.levels.every((l, i) => l.var === b.levels[i].var && l.es === b.levels[i].es);
/**
 * The crate on its own (native, Wasmtime) against the host: VaR and ES bit-identical; the mean and the
 * standard deviation to rounding, since the host sums the moments exactly (host/report/exact-sum.ts) and
 * the crate in floating point.
 */
const MOMENTS_TOLERANCE = 1e-9;
/** Relative difference of each level's VaR (NumPy and Numba against the component: statistical agreement). */
const varDifferences = (other, component) => other.levels.map((l, i) => l.var / component.levels[i].var - 1);
const sameRisk = (crate, host) =>
  crate.levels.every((l, i) => l.var === host.levels[i].var && l.es === host.levels[i].es) &&
  Math.abs(crate.meanPnl - host.meanPnl) <= MOMENTS_TOLERANCE * host.stdPnl &&
  Math.abs(crate.stdPnl - host.stdPnl) <= MOMENTS_TOLERANCE * host.stdPnl;

async function benchWorkload({ assets: assetCount, kind, paths }, context) {
  const { runtimes, pythonModules, inThread } = context;
  const name = `${assetCount} assets, ${kind === 'options' ? 'option-heavy' : 'linear'}, ${paths / 1000}k paths`;
  log(`- ${name}`);
  const spec = benchPortfolio(assetCount, kind);
  const textFile = join(WORK, `workload-${assetCount}-${kind}.txt`);
  const jsonFile = join(WORK, `workload-${assetCount}-${kind}.json`);
  writeFileSync(textFile, workloadText(spec));
  writeFileSync(jsonFile, JSON.stringify(spec));
  const row = { assets: assetCount, portfolio: kind, positions: spec.positions.length, paths, results: {} };
  const record = (key, measured, extra = {}) => {
    row.results[key] = {
      seconds: measured.seconds,
      pathsPerSecond: (extra.paths ?? paths) / measured.seconds,
      cpuSeconds: measured.cpuSeconds ?? null,
      runs: measured.runs,
      peakRssKb: measured.peakRssKb ?? null,
      ...extra,
    };
    const memory = measured.peakRssKb ? `, peak RSS ${(measured.peakRssKb / 1024).toFixed(0)} MiB` : '';
    const cpu = measured.cpuSeconds ? ` (CPU ${measured.cpuSeconds.toFixed(3)} s)` : '';
    log(`    ${key.padEnd(26)} ${measured.seconds.toFixed(3)} s${cpu}${extra.paths ? ` (${extra.paths} paths)` : ''}${memory}`);
    return measured;
  };

  // Secondary contenders run a prefix of the paths on the largest workloads.
  const secondaryPaths = assetCount >= 500 ? Math.min(paths, SECONDARY_MAX_PATHS_500) : paths;
  const secondaryExtra = secondaryPaths < paths ? { paths: secondaryPaths } : {};

  const native = (binary, threads, count = paths) => async () => {
    const out = childJson(binary, [textFile, String(count), String(threads), '1', String(SEED)]);
    return { seconds: out.seconds[0], cpuSeconds: out.cpuSeconds?.[0], report: out.report, peakRssKb: out.peakRssKb };
  };
  const native1 = record('native-1-thread', await best(native(NATIVE, 1)));
  record(`native-${CORES}-threads`, await best(native(NATIVE, CORES)));
  const nativeSse = existsSync(NATIVE_SSE) ? record('native-sse-1-thread', await best(native(NATIVE_SSE, 1, secondaryPaths)), secondaryExtra) : null;
  row.identical = { nativeVsComponent: null };

  // The component in a fresh process per Node line and pool size (warm-up run first, in that process).
  const components = {};
  for (const [line, runtime] of Object.entries(runtimes)) {
    if (!runtime.path) continue;
    const primary = Number(line) === PRIMARY_NODE;
    const count = primary ? paths : secondaryPaths;
    const extra = primary ? {} : secondaryExtra;
    for (const workers of [1, CORES]) {
      const out = childJson(runtime.path, [COMPONENT_CHILD, jsonFile, String(count), `workers:${workers}`, String(SEED), String(REPEAT_BELOW_S)]);
      components[`${line}/${workers}`] = record(componentKey(line, workers, CORES), bestOfChild(out), extra);
      row.nodeVersions = { ...row.nodeVersions, [line]: out.node };
    }
  }
  const one = components[`${PRIMARY_NODE}/1`];
  const all = components[`${PRIMARY_NODE}/${CORES}`];
  row.identical.nativeVsComponent = sameRisk(native1.report, one.report);
  row.identical.workersVsOne = sameNumbers(all.report, one.report);
  if (nativeSse && !secondaryExtra.paths) row.identical.nativeSseVsComponent = sameRisk(nativeSse.report, one.report);
  for (const line of Object.keys(runtimes)) {
    if (Number(line) === PRIMARY_NODE || !components[`${line}/1`] || secondaryExtra.paths) continue;
    row.identical[`node${line}VsNode${PRIMARY_NODE}`] = sameNumbers(components[`${line}/1`].report, one.report) && sameNumbers(components[`${line}/${CORES}`].report, one.report);
  }

  // The TypeScript reference on the first paths: same inputs, paths per second extrapolated.
  const { portfolio } = validatePortfolio(spec);
  const run = (count) => ({ seed: BigInt(SEED), horizonDays: 1, antithetic: false, firstPath: 0n, pathCount: BigInt(count) });
  // Calibrate on doubling path counts until a run takes 0.3 s (the JIT warms up on the way).
  let probe = Math.max(20, Math.round(2_000 / assetCount));
  let rate;
  for (;;) {
    const started = performance.now();
    referenceSimulatePnl(portfolio, run(probe));
    const elapsed = (performance.now() - started) / 1000;
    rate = probe / elapsed;
    if (elapsed > 0.3 || probe >= paths) break;
    probe *= 2;
  }
  const subset = Math.min(paths, Math.max(1_000, Math.round(rate * REFERENCE_BUDGET_S)));
  const reference = await best(async () => {
    const t0 = performance.now();
    referenceMonteCarlo(portfolio, run(subset), CONFIDENCE);
    return { seconds: (performance.now() - t0) / 1000 };
  });
  record('typescript-reference', reference, { paths: subset });
  // Path by path on the first paths: the model makes the two agree bit for bit.
  const compared = Math.min(subset, 20_000);
  const componentPnl = await inThread.simulatePnl(spec, { paths: compared, seed: BigInt(SEED) });
  const referencePnl = referenceSimulatePnl(portfolio, run(compared));
  let differing = 0;
  for (let i = 0; i < compared; i++) if (componentPnl[i] !== referencePnl[i]) differing++;
  row.identical.referencePathsCompared = compared;
  row.identical.referencePathsDiffering = differing;

  if (pythonModules.wasmtime) {
    const measured = await best(async () => {
      const out = python('wasmtime_var.py', [DEFAULT_COMPONENT, jsonFile, String(secondaryPaths), '1', String(SEED)]);
      row.wasmtime = { version: out.wasmtime, compileSeconds: out.compileSeconds };
      return { seconds: out.seconds[0], cpuSeconds: out.cpuSeconds?.[0], report: out.report, peakRssKb: out.peakRssKb };
    });
    record('wasmtime-python', measured, secondaryExtra);
    if (!secondaryExtra.paths) row.identical.wasmtimeVsComponent = sameRisk(measured.report, one.report);
  }
  // NumPy and Numba draw their own random numbers: their VaRs agree only statistically.
  if (pythonModules.numpy) {
    const measured = await best(async () => {
      const out = python('numpy_var.py', [jsonFile, String(secondaryPaths), '1', String(SEED)]);
      row.numpy = { version: out.numpy, blas: out.blas };
      return { seconds: out.seconds[0], report: out.report, peakRssKb: out.peakRssKb };
    });
    record('numpy', measured, secondaryExtra);
    row.numpyVarRelativeDifference = varDifferences(measured.report, one.report);
  }
  if (pythonModules.numba) {
    const out = python('numba_var.py', [jsonFile, String(secondaryPaths), String(REPEAT_BELOW_S), String(SEED)]);
    row.numba = { version: out.numba, threads: out.threads, compileSeconds: out.compileSeconds };
    const measured = record('numba', bestOfChild(out), secondaryExtra);
    row.numbaVarRelativeDifference = varDifferences(measured.report, one.report);
    log(`    numba compile (first call) ${out.compileSeconds.toFixed(2)} s, ${out.threads} threads`);
  }
  return { name, ...row };
}

/**
 * Per isolation mode: a fresh process with an empty cache (import, transpile + load + first call, then a
 * second load in that process: a cache hit), and fresh processes on the filled cache (best of several).
 */
function coldStarts() {
  const script = join(ROOT, 'bench', 'cold-start.mjs');
  const out = {};
  for (const isolation of ['in-thread', 'workers']) {
    const cacheDir = mkdtempSync(join(tmpdir(), 'wasm-risk-bench-cache-'));
    try {
      const miss = childJson(process.execPath, [script, cacheDir, isolation]);
      const fresh = Array.from({ length: COLD_START_PROCESSES }, () => childJson(process.execPath, [script, cacheDir, isolation]));
      const fastest = (pick) => Math.min(...fresh.map(pick));
      out[isolation] = {
        importMs: fastest((r) => r.importMs),
        transpileLoadAndFirstCallMs: miss.first.totalMs,
        freshProcessCachedLoadAndFirstCallMs: fastest((r) => r.first.totalMs),
        secondLoadAndFirstCallMs: Math.min(miss.second.totalMs, fastest((r) => r.second.totalMs)),
        secondLoadMs: Math.min(miss.second.loadMs, fastest((r) => r.second.loadMs)),
        freshProcesses: COLD_START_PROCESSES,
      };
      const o = out[isolation];
      log(`- cold start ${isolation}: import ${o.importMs.toFixed(0)} ms; transpile+load+call ${o.transpileLoadAndFirstCallMs.toFixed(1)} ms; ` +
        `fresh process, cached: ${o.freshProcessCachedLoadAndFirstCallMs.toFixed(1)} ms; second load+call ${o.secondLoadAndFirstCallMs.toFixed(1)} ms`);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }
  return out;
}

/**
 * Microseconds per tiny call (1 asset, 1 path): the component's export called directly through jco's
 * glue, and the whole RiskEngine request (validation, call, checks) in-thread and through the pool.
 * Each is the best mean of several interleaved rounds, so a GC pause or a noisy neighbour in one round
 * does not count; host overhead = RiskEngine in-thread minus the raw export call.
 */
async function perCallOverhead() {
  const tiny = { assets: [{ id: 'X', spot: 100, drift: 0.05, vol: 0.2 }], correlation: [[1]], positions: [{ asset: 'X', type: 'spot', quantity: 1 }] };
  const options = { paths: 1, seed: 1n, confidence: [0.99] };
  const inThread = await RiskEngine.load(undefined, { isolation: 'in-thread' });
  const pool = await RiskEngine.load(undefined, { workers: 1 });
  const raw = (await ComponentInstance.create((await ComponentImage.load(DEFAULT_COMPONENT)).payload)).engine;
  const { portfolio } = validatePortfolio(tiny);
  const run = { seed: 1n, horizonDays: 1, antithetic: false, firstPath: 0n, pathCount: 1n };
  const levels = Float64Array.from([0.99]);
  const contenders = {
    rawInfoUs: { calls: 10_000, call: () => raw.info() },
    rawExportUs: { calls: 10_000, call: () => raw.monteCarlo(portfolio, run, levels) },
    inThreadUs: { calls: 5_000, call: () => inThread.monteCarlo(tiny, options) },
    workerPoolUs: { calls: 1_000, call: () => pool.monteCarlo(tiny, options) },
  };
  const out = Object.fromEntries(Object.keys(contenders).map((key) => [key, Infinity]));
  try {
    for (let round = 0; round < OVERHEAD_ROUNDS; round++) {
      for (const [key, { calls, call }] of Object.entries(contenders)) {
        const started = performance.now();
        for (let i = 0; i < calls; i++) await call();
        if (round > 0) out[key] = Math.min(out[key], ((performance.now() - started) * 1000) / calls);
      }
    }
    out.hostOverheadUs = out.inThreadUs - out.rawExportUs;
    out.rounds = OVERHEAD_ROUNDS - 1;
    log(`- tiny request: raw info() ${out.rawInfoUs.toFixed(1)} us, raw monteCarlo ${out.rawExportUs.toFixed(1)} us, in-thread ${out.inThreadUs.toFixed(1)} us ` +
      `(host overhead ${out.hostOverheadUs.toFixed(1)} us), worker pool ${out.workerPoolUs.toFixed(1)} us`);
    return out;
  } finally {
    await Promise.all([inThread.close(), pool.close()]);
  }
}

async function main() {
  if (!existsSync(NATIVE)) throw new Error(`${NATIVE} is missing: run \`make bench\``);
  const pythonModules = { numpy: pythonHas('numpy, scipy'), wasmtime: pythonHas('wasmtime.component'), numba: pythonHas('numba, scipy') };
  if (!pythonModules.numpy) log(`NumPy/SciPy not importable by ${PYTHON}: NumPy skipped`);
  if (!pythonModules.numba) log(`Numba not importable by ${PYTHON}: Numba skipped`);
  if (!pythonModules.wasmtime) log(`wasmtime (with wasmtime.component) not importable by ${PYTHON}: Wasmtime skipped`);
  const started = performance.now();
  const runtimes = nodeRuntimes();
  for (const [line, runtime] of Object.entries(runtimes)) log(runtime.path ? `Node ${line}: ${runtime.version} (${runtime.path})` : `Node ${line}: not measured, ${runtime.missing}`);
  const inThread = await RiskEngine.load(undefined, { isolation: 'in-thread' });
  const rows = [];
  try {
    for (const workload of WORKLOADS) rows.push(await benchWorkload(workload, { runtimes, pythonModules, inThread }));
  } finally {
    await inThread.close();
  }
  const cold = coldStarts();
  const overhead = await perCallOverhead();
  const machine = {
    cpu: cpus()[0]?.model,
    cores: CORES,
    node: process.version,
    nodeRuntimes: Object.fromEntries(Object.entries(runtimes).map(([line, r]) => [line, r.version ?? r.missing])),
    rustc: execFileSync('rustc', ['--version'], { encoding: 'utf8' }).trim(),
    python: Object.values(pythonModules).some(Boolean) ? execFileSync(PYTHON, ['--version'], { encoding: 'utf8' }).trim() : null,
  };
  const results = {
    quick: QUICK,
    command: QUICK ? 'make bench-quick' : 'make bench',
    date: new Date().toISOString(),
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
    machine,
    primaryNode: PRIMARY_NODE,
    seed: SEED,
    horizonDays: 1,
    confidence: CONFIDENCE,
    repeatBelowSeconds: REPEAT_BELOW_S,
    referenceBudgetSeconds: REFERENCE_BUDGET_S,
    secondaryMaxPaths500: SECONDARY_MAX_PATHS_500,
    workloads: rows,
    coldStart: cold,
    perCallOverhead: overhead,
  };
  results.targets = targets(results);
  results.benchSeconds = (performance.now() - started) / 1000;
  writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const text = report(results);
  writeDocBlock('table', text);
  console.log(text);
  console.log('\nTargets:', JSON.stringify(results.targets, null, 2));
  console.log(`\nbench took ${results.benchSeconds.toFixed(0)} s; wrote bench/results.json and docs/performance.md (the table block)`);
}

await main();
