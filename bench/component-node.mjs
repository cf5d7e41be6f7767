// The component through RiskEngine.monteCarlo on one workload, in a fresh process of whichever Node binary
// runs this script: bench/run.mjs spawns it with Node 20, 22 and 24, bench/node-flags.mjs with V8 flags on
// the command line, so every Node column is measured the same way and each process's peak resident memory
// belongs to one contender on one workload.
//
// Usage: [BENCH_V8_FLAGS=...] [BENCH_HOST=<a build's dist dir>] node [v8 flags] bench/component-node.mjs <workload.json> <paths> <in-thread|workers:N> <seed> <repeatBelowSeconds>
// Prints one JSON object: the wall and CPU seconds of each timed run (one, or several when the first took less
// than repeatBelowSeconds: repeat-runs.mjs), the last run's report, the Node and V8 versions, the flags, and the process's peak RSS.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { anotherRun } from './repeat-runs.mjs';

// The host under test: this checkout's build, or another build's `dist` (bench/ab-component.mjs compares two).
const hostModule = process.env.BENCH_HOST ? pathToFileURL(join(resolve(process.env.BENCH_HOST), 'host', 'risk-engine.js')).href : '../dist/host/risk-engine.js';

// V8 flags set at run time, in this (main) thread before any wasm is compiled, as an application would
// with v8.setFlagsFromString (bench/node-flags.mjs measures whether they take effect, workers included).
if (process.env.BENCH_V8_FLAGS) v8.setFlagsFromString(process.env.BENCH_V8_FLAGS);

const CONFIDENCE = [0.95, 0.99];
/** Paths of the warm-up run: every worker instantiates and V8 tiers the hot loops up from Liftoff to TurboFan. */
const WARM_UP_PATHS = 40_000;
/**
 * A deadline far above the host's default (2 minutes), which 500 option-heavy assets on a million paths
 * can pass on a busy 2-core machine: the bench measures the run, it does not bound it (bench/run.mjs
 * bounds the whole child instead).
 */
const RUN_TIMEOUT_MS = 3_600_000;

function parseArgs(argv) {
  if (argv.length !== 5) throw new Error('usage: component-node.mjs <workload.json> <paths> <in-thread|workers:N> <seed> <repeatBelowSeconds>');
  const [workloadFile, pathsText, isolationText, seedText, repeatText] = argv;
  const paths = Number(pathsText);
  const repeatBelowSeconds = Number(repeatText);
  const workers = /^workers:([1-9][0-9]?)$/.exec(isolationText);
  if (!Number.isSafeInteger(paths) || paths < 1) throw new Error(`paths must be a positive integer, not ${pathsText}`);
  if (!/^[0-9]{1,19}$/.test(seedText)) throw new Error(`seed must be an unsigned integer, not ${seedText}`);
  if (!(repeatBelowSeconds >= 0)) throw new Error(`repeatBelowSeconds must be a number >= 0, not ${repeatText}`);
  if (isolationText !== 'in-thread' && !workers) throw new Error(`isolation must be in-thread or workers:N, not ${isolationText}`);
  const engineOptions = workers ? { workers: Number(workers[1]), timeoutMs: RUN_TIMEOUT_MS } : { isolation: 'in-thread' };
  return { spec: JSON.parse(readFileSync(workloadFile, 'utf8')), paths, engineOptions, seed: BigInt(seedText), repeatBelowSeconds };
}

const { spec, paths, engineOptions, seed, repeatBelowSeconds } = parseArgs(process.argv.slice(2));
const { RiskEngine } = await import(hostModule);
const engine = await RiskEngine.load(undefined, engineOptions);
try {
  await engine.monteCarlo(spec, { paths: Math.min(paths, WARM_UP_PATHS), seed: 1n });
  const seconds = [];
  const cpuSeconds = [];
  let report;
  do {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    report = await engine.monteCarlo(spec, { paths, seed, confidence: CONFIDENCE });
    const cpu = process.cpuUsage(cpuBefore);
    seconds.push((performance.now() - started) / 1000);
    cpuSeconds.push((cpu.user + cpu.system) / 1e6);
  } while (anotherRun(seconds, repeatBelowSeconds));
  console.log(JSON.stringify({
    seconds,
    // CPU time of the whole process (every thread) during each run: on a machine shared with other work
    // it moves less than wall time, which also counts the time the run waited for a core.
    cpuSeconds,
    report: { levels: report.levels.map(({ confidence, var: v, es, stdError }) => ({ confidence, var: v, es, stdError })), meanPnl: report.meanPnl, stdPnl: report.stdPnl },
    node: process.version,
    v8: process.versions.v8,
    execArgv: process.execArgv,
    // Whole process (main thread and every worker thread), in kB, as getrusage(2) reports it on Linux.
    peakRssKb: process.resourceUsage().maxRSS,
  }));
} finally {
  await engine.close();
}
