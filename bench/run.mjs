// `make bench`: the component through the host (one worker and all cores), the same crate compiled
// natively, the TypeScript reference, NumPy's vectorised equivalent and the component under Wasmtime
// (Python), on the same workloads and seeds in one run; plus cold start and per-call overhead.
// Prints a table and writes bench/results.json. Ratios are only meaningful within one run.
//
// Usage: node bench/run.mjs [--quick]   (--quick: 100k paths only, for a smoke run)
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
import { benchPortfolio, workloadText } from './workloads.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, 'build', 'bench');
const NATIVE = join(WORK, 'native-target', 'release', 'risk-engine-bench');
/** The same crate limited to 128-bit SIMD (x86-64 only): the vector width wasm SIMD128 has. */
const NATIVE_SSE = join(WORK, 'native-sse-target', 'release', 'risk-engine-bench');
const PYTHON = process.env.BENCH_PYTHON ?? (existsSync(join(WORK, 'venv', 'bin', 'python')) ? join(WORK, 'venv', 'bin', 'python') : 'python3');
const CORES = availableParallelism();
const SEED = 42;
const CONFIDENCE = [0.95, 0.99];
const QUICK = process.argv.includes('--quick');
const PATH_COUNTS = QUICK ? [100_000] : [100_000, 1_000_000];
/** A run shorter than this is repeated (best of three); longer ones run once. */
const REPEAT_BELOW_S = 2;
/** The TypeScript reference runs on the first paths of the workload, sized to take about this long. */
const REFERENCE_BUDGET_S = 3;
/**
 * Wasmtime, NumPy and the 128-bit native build run 500-asset workloads on at most this many paths
 * (paths per second extrapolated, marked in the table), to keep `make bench` under ten minutes.
 */
const SECONDARY_MAX_PATHS_500 = 100_000;

mkdirSync(WORK, { recursive: true });
const log = (message) => process.stderr.write(`${message}\n`);

/** Best of one run, or of three when the first was short. `once` returns { seconds, report }. */
async function best(once) {
  const first = await once();
  const runs = [first];
  if (first.seconds < REPEAT_BELOW_S) runs.push(await once(), await once());
  const fastest = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { ...fastest, runs: runs.length };
}

function childJson(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout);
}

function pythonHas(modules) {
  return spawnSync(PYTHON, ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0;
}

const sameNumbers = (a, b) =>
  a.meanPnl === b.meanPnl && a.stdPnl === b.stdPnl && a.levels.every((l, i) => l.var === b.levels[i].var && l.es === b.levels[i].es);

async function benchWorkload(assetCount, kind, paths, engines, python) {
  const name = `${assetCount} assets, ${kind === 'options' ? 'option-heavy' : 'linear'}, ${paths / 1000}k paths`;
  log(`- ${name}`);
  const spec = benchPortfolio(assetCount, kind);
  const textFile = join(WORK, `workload-${assetCount}-${kind}.txt`);
  const jsonFile = join(WORK, `workload-${assetCount}-${kind}.json`);
  writeFileSync(textFile, workloadText(spec));
  writeFileSync(jsonFile, JSON.stringify(spec));
  const row = { assets: assetCount, portfolio: kind, positions: spec.positions.length, paths, results: {} };
  const record = (key, measured, extra = {}) => {
    row.results[key] = { seconds: measured.seconds, pathsPerSecond: (extra.paths ?? paths) / measured.seconds, runs: measured.runs, ...extra };
    log(`    ${key.padEnd(18)} ${measured.seconds.toFixed(3)} s${extra.paths ? ` (${extra.paths} paths)` : ''}`);
    return measured;
  };

  // Wasmtime, NumPy and native-SSE on a prefix of the paths for the largest workloads.
  const secondaryPaths = assetCount >= 500 ? Math.min(paths, SECONDARY_MAX_PATHS_500) : paths;
  const secondaryExtra = secondaryPaths < paths ? { paths: secondaryPaths } : {};

  const native = (binary, threads, count = paths) => async () => {
    const out = childJson(binary, [textFile, String(count), String(threads), '1', String(SEED)]);
    return { seconds: out.seconds[0], report: out.report };
  };
  const native1 = record('native-1-thread', await best(native(NATIVE, 1)));
  record(`native-${CORES}-threads`, await best(native(NATIVE, CORES)));
  const nativeSse = existsSync(NATIVE_SSE) ? record('native-sse-1-thread', await best(native(NATIVE_SSE, 1, secondaryPaths)), secondaryExtra) : null;

  const component = (engine) => async () => {
    const started = performance.now();
    const result = await engine.monteCarlo(spec, { paths, seed: BigInt(SEED), confidence: CONFIDENCE });
    return { seconds: (performance.now() - started) / 1000, report: result };
  };
  // Warm up: instantiate in every worker and let V8 tier the hot loop up from Liftoff to TurboFan.
  for (const engine of [engines.one, engines.all]) await engine.monteCarlo(spec, { paths: Math.min(paths, 40_000), seed: 1n });
  const one = record('component-1-worker', await best(component(engines.one)));
  const all = record(`component-${CORES}-workers`, await best(component(engines.all)));
  row.identical = { nativeVsComponent: sameNumbers(native1.report, one.report), workersVsOne: sameNumbers(all.report, one.report) };
  if (nativeSse && !secondaryExtra.paths) row.identical.nativeSseVsComponent = sameNumbers(nativeSse.report, one.report);

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
  const componentPnl = await engines.one.simulatePnl(spec, { paths: compared, seed: BigInt(SEED) });
  const referencePnl = referenceSimulatePnl(portfolio, run(compared));
  let differing = 0;
  for (let i = 0; i < compared; i++) if (componentPnl[i] !== referencePnl[i]) differing++;
  row.identical.referencePathsCompared = compared;
  row.identical.referencePathsDiffering = differing;

  if (python.wasmtime) {
    const measured = await best(async () => {
      const out = childJson(PYTHON, [join(ROOT, 'bench', 'wasmtime_var.py'), DEFAULT_COMPONENT, jsonFile, String(secondaryPaths), '1', String(SEED)]);
      row.wasmtime = { version: out.wasmtime, compileSeconds: out.compileSeconds };
      return { seconds: out.seconds[0], report: out.report };
    });
    record('wasmtime-python', measured, secondaryExtra);
    if (!secondaryExtra.paths) row.identical.wasmtimeVsComponent = sameNumbers(measured.report, one.report);
  }
  if (python.numpy) {
    const measured = await best(async () => {
      const out = childJson(PYTHON, [join(ROOT, 'bench', 'numpy_var.py'), jsonFile, String(secondaryPaths), '1', String(SEED)]);
      row.numpy = { version: out.numpy, blas: out.blas };
      return { seconds: out.seconds[0], report: out.report };
    });
    record('numpy', measured, secondaryExtra);
    // Different random streams: the VaRs agree only statistically.
    row.numpyVar99RelativeDifference = measured.report.levels[1].var / one.report.levels[1].var - 1;
  }
  return { name, ...row };
}

/**
 * Per isolation mode: a fresh process with an empty cache (import, transpile + load + first call, then a
 * second load in that process: a cache hit), and fresh processes on the filled cache (best of five).
 */
function coldStarts() {
  const script = join(ROOT, 'bench', 'cold-start.mjs');
  const out = {};
  for (const isolation of ['in-thread', 'workers']) {
    const cacheDir = mkdtempSync(join(tmpdir(), 'wasm-risk-bench-cache-'));
    try {
      const miss = childJson(process.execPath, [script, cacheDir, isolation]);
      const fresh = Array.from({ length: 5 }, () => childJson(process.execPath, [script, cacheDir, isolation]));
      const best = (pick) => Math.min(...fresh.map(pick));
      out[isolation] = {
        importMs: best((r) => r.importMs),
        transpileLoadAndFirstCallMs: miss.first.totalMs,
        freshProcessCachedLoadAndFirstCallMs: best((r) => r.first.totalMs),
        secondLoadAndFirstCallMs: Math.min(miss.second.totalMs, best((r) => r.second.totalMs)),
        secondLoadMs: Math.min(miss.second.loadMs, best((r) => r.second.loadMs)),
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
    for (let round = 0; round < 10; round++) {
      for (const [key, { calls, call }] of Object.entries(contenders)) {
        const started = performance.now();
        for (let i = 0; i < calls; i++) await call();
        if (round > 0) out[key] = Math.min(out[key], ((performance.now() - started) * 1000) / calls);
      }
    }
    out.hostOverheadUs = out.inThreadUs - out.rawExportUs;
    log(`- tiny request: raw info() ${out.rawInfoUs.toFixed(1)} us, raw monteCarlo ${out.rawExportUs.toFixed(1)} us, in-thread ${out.inThreadUs.toFixed(1)} us ` +
      `(host overhead ${out.hostOverheadUs.toFixed(1)} us), worker pool ${out.workerPoolUs.toFixed(1)} us`);
    return out;
  } finally {
    await Promise.all([inThread.close(), pool.close()]);
  }
}

const seconds = (s) => (s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s.toFixed(3));
const ratio = (x) => `${x.toFixed(2)}x`;

function table(rows, cold, overhead) {
  const head = ['workload', 'native 1T', 'comp. 1W', '1W / native', 'native-SSE 1T', '1W / SSE', `native ${CORES}T`, `comp. ${CORES}W`, 'Wasmtime', 'NumPy', `NumPy / comp. ${CORES}W`, 'TS ref', 'TS / comp. 1W'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  const time = (result, paths) => (result ? `${seconds(paths / result.pathsPerSecond)}${result.paths ? '*' : ''}` : 'n/a');
  for (const row of rows) {
    const r = row.results;
    const oneW = r['component-1-worker'];
    const allW = r[`component-${CORES}-workers`];
    const native = r['native-1-thread'];
    const sse = r['native-sse-1-thread'];
    const cells = [
      `${row.assets} ${row.portfolio === 'options' ? 'options' : 'linear'} ${row.paths >= 1e6 ? `${row.paths / 1e6}M` : `${row.paths / 1000}k`}`,
      time(native, row.paths),
      time(oneW, row.paths),
      ratio(native.pathsPerSecond / oneW.pathsPerSecond),
      time(sse, row.paths),
      sse ? ratio(sse.pathsPerSecond / oneW.pathsPerSecond) : 'n/a',
      time(r[`native-${CORES}-threads`], row.paths),
      time(allW, row.paths),
      time(r['wasmtime-python'], row.paths),
      time(r.numpy, row.paths),
      r.numpy ? ratio(allW.pathsPerSecond / r.numpy.pathsPerSecond) : 'n/a',
      time(r['typescript-reference'], row.paths),
      ratio(oneW.pathsPerSecond / r['typescript-reference'].pathsPerSecond),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const c = cold['in-thread'];
  const w = cold.workers;
  lines.push(
    '',
    `Seconds per run of the whole workload (best of 3 when under ${REPEAT_BELOW_S} s). T = threads, W = workers; native = target-cpu=native (AVX2 here),`,
    `native-SSE = the same crate at 128-bit SIMD. * = run on the first paths only (TS reference: about ${REFERENCE_BUDGET_S} s of them; Wasmtime, NumPy and native-SSE:`,
    `${SECONDARY_MAX_PATHS_500 / 1000}k for 500 assets) and scaled to the workload by its paths per second. Ratios are times over times: 1W / native > 1 means the component is slower, NumPy / comp. and TS / comp. > 1 that it is faster.`,
    '',
    `Cold start (ms): import of the library ${c.importMs.toFixed(0)}; first load with transpilation + first call ${c.transpileLoadAndFirstCallMs.toFixed(0)}; ` +
      `cache hit in a fresh process ${c.freshProcessCachedLoadAndFirstCallMs.toFixed(1)} in-thread / ${w.freshProcessCachedLoadAndFirstCallMs.toFixed(1)} workers; ` +
      `second load (cache hit) + first call ${c.secondLoadAndFirstCallMs.toFixed(1)} in-thread / ${w.secondLoadAndFirstCallMs.toFixed(1)} workers.`,
    `Tiny request (1 asset, 1 path, microseconds per call, best of 9 rounds): raw info() ${overhead.rawInfoUs.toFixed(1)}, raw monteCarlo ${overhead.rawExportUs.toFixed(1)}, ` +
      `RiskEngine in-thread ${overhead.inThreadUs.toFixed(1)} (host overhead ${overhead.hostOverheadUs.toFixed(1)}), worker pool ${overhead.workerPoolUs.toFixed(1)}.`,
  );
  return lines.join('\n');
}

function targets(rows, cold, overhead) {
  const find = (assets, portfolio, paths) => rows.find((r) => r.assets === assets && r.portfolio === portfolio && r.paths === paths);
  const worstNativeRatio = Math.max(...rows.map((r) => r.results['component-1-worker'].seconds / r.results['native-1-thread'].seconds));
  const numpyRow = find(100, 'linear', 1_000_000) ?? find(100, 'linear', 100_000);
  const numpy = numpyRow?.results.numpy;
  const optionRows = rows.filter((r) => r.portfolio === 'options');
  const worstVsTs = Math.min(...optionRows.map((r) => r.results['component-1-worker'].pathsPerSecond / r.results['typescript-reference'].pathsPerSecond));
  return {
    componentWithin1_3xOfNative: { worstRatio: worstNativeRatio, met: worstNativeRatio <= 1.3 },
    fasterThanNumpy100Assets1MLinear: numpy
      ? (() => {
          const speedup = numpyRow.results[`component-${CORES}-workers`].pathsPerSecond / numpy.pathsPerSecond;
          return { paths: numpyRow.paths, speedup, met: speedup > 1 };
        })()
      : { met: null, reason: 'numpy unavailable' },
    atLeast5xTypescriptOnOptions: { worstSpeedup: worstVsTs, met: worstVsTs >= 5 },
    secondLoadAndFirstCallUnder30ms: {
      inThreadMs: cold['in-thread'].secondLoadAndFirstCallMs,
      workersMs: cold.workers.secondLoadAndFirstCallMs,
      met: cold['in-thread'].secondLoadAndFirstCallMs < 30,
    },
    tinyRequestUnder20us: {
      inThreadUs: overhead.inThreadUs,
      hostOverheadUs: overhead.hostOverheadUs,
      workerPoolUs: overhead.workerPoolUs,
      met: overhead.inThreadUs < 20,
    },
  };
}

async function main() {
  if (!existsSync(NATIVE)) throw new Error(`${NATIVE} is missing: run \`make bench\``);
  const python = { numpy: pythonHas('numpy, scipy'), wasmtime: pythonHas('wasmtime.component') };
  if (!python.numpy) log(`NumPy/SciPy not importable by ${PYTHON}: NumPy skipped`);
  if (!python.wasmtime) log(`wasmtime (with wasmtime.component) not importable by ${PYTHON}: Wasmtime skipped`);
  const started = performance.now();
  const engines = { one: await RiskEngine.load(undefined, { workers: 1 }), all: await RiskEngine.load(undefined, { workers: CORES }) };
  const rows = [];
  try {
    for (const paths of PATH_COUNTS) {
      for (const kind of ['linear', 'options']) {
        for (const assetCount of [10, 100, 500]) rows.push(await benchWorkload(assetCount, kind, paths, engines, python));
      }
    }
  } finally {
    await Promise.all([engines.one.close(), engines.all.close()]);
  }
  const cold = coldStarts();
  const overhead = await perCallOverhead();
  const machine = {
    cpu: cpus()[0]?.model,
    cores: CORES,
    node: process.version,
    rustc: execFileSync('rustc', ['--version'], { encoding: 'utf8' }).trim(),
    python: python.numpy || python.wasmtime ? execFileSync(PYTHON, ['--version'], { encoding: 'utf8' }).trim() : null,
  };
  const results = { date: new Date().toISOString(), machine, seed: SEED, horizonDays: 1, confidence: CONFIDENCE, workloads: rows, coldStart: cold, perCallOverhead: overhead };
  results.targets = targets(rows, cold, overhead);
  results.benchSeconds = (performance.now() - started) / 1000;
  writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(table(rows, cold, overhead));
  console.log('\nTargets:', JSON.stringify(results.targets, null, 2));
  console.log(`\nbench took ${results.benchSeconds.toFixed(0)} s; wrote bench/results.json`);
}

await main();
