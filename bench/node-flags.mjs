// `make bench-node-flags`: where Node 24 loses time against Node 20 on the component, and whether a V8
// flag wins it back. Runs the component in-thread (one thread, no worker hop) under Node 20, 22 and 24,
// and under Node 24 with each V8 flag below given on the command line (V8 flags are process-wide; a
// worker rejects them in execArgv), in interleaved rounds (best of all runs), and checks that every
// configuration reports bit-identical VaR, ES and moments; one configuration sets its flag at run time
// instead (v8.setFlagsFromString in the main thread before the engine loads, as an application would). A
// last set of runs caps wasm memories on Node 24's command line, and then at run time, with one pool
// worker, to see whether V8 flags set either way reach worker threads.
// Writes bench/node-flags-results.json and the block of docs/performance.md between its markers.
//
// Usage: node bench/node-flags.mjs [--rounds N] [--paths N]   (defaults: 2 rounds, 1,000,000 paths)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childJson } from './child-json.mjs';
import { writeDocBlock } from './doc-block.mjs';
import { nodeRuntimes } from './node-runtimes.mjs';
import { benchPortfolio } from './workloads.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, 'build', 'bench');
const CHILD = join(ROOT, 'bench', 'component-node.mjs');
const SEED = 42;

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} takes a positive integer`);
  return value;
}
const ROUNDS = option('--rounds', 2);
const PATHS = option('--paths', 1_000_000);

const WORKLOADS = [
  { assets: 100, kind: 'linear' },
  { assets: 10, kind: 'options' },
];
/** What was tried on Node 24, each flag alone, and why. */
const NODE_24_FLAGS = [
  ['--experimental-wasm-revectorize', 'SIMD128 pairs fused into 256-bit AVX2 operations (experimental)'],
  ['--no-liftoff', 'TurboFan/Turboshaft only: no baseline tier, no tier-up during the run'],
  ['--no-wasm-loop-unrolling', 'the engine was tuned without unrolling (V8 spilled unrolled kernels)'],
  ['--no-wasm-loop-peeling', 'loop peeling duplicates the hot loops\' first iteration'],
  ['--no-wasm-inlining', 'inlining of wasm calls into wasm, which Node 20 lacked'],
  ['--no-turbo-wasm-address-reassociation', 'address arithmetic refactored for immediate offsets'],
  ['--no-turboshaft-wasm-load-elimination', 'Turboshaft\'s load elimination for wasm'],
];

/** Flags an application sets at run time (v8.setFlagsFromString in its main thread, before loading the engine). */
const NODE_24_RUNTIME_FLAGS = [
  ['--experimental-wasm-revectorize', 'as above, set by the application at run time instead of on the command line'],
];

function configurations(runtimes) {
  const configs = [20, 22, 24].map((line) => ({ line, flags: [], runtimeFlags: [], why: 'as shipped' }));
  configs.push(...NODE_24_FLAGS.map(([flag, why]) => ({ line: 24, flags: [flag], runtimeFlags: [], why })));
  configs.push(...NODE_24_RUNTIME_FLAGS.map(([flag, why]) => ({ line: 24, flags: [], runtimeFlags: [flag], why })));
  return configs.filter((c) => runtimes[c.line]?.path);
}

const sameNumbers = (a, b) =>
  a.meanPnl === b.meanPnl && a.stdPnl === b.stdPnl && a.levels.every((l, i) => l.var === b.levels[i].var && l.es === b.levels[i].es);

function run(runtime, config, workloadFile, isolation, paths) {
  const env = config.runtimeFlags.length ? { ...process.env, BENCH_V8_FLAGS: config.runtimeFlags.join(' ') } : process.env;
  return childJson(runtime.path, [...config.flags, CHILD, workloadFile, String(paths), isolation, String(SEED), '1000'], { env });
}

/** Whether a V8 flag on the command line applies inside a pool worker: a tiny memory cap makes it trap. */
function flagReachesWorker(runtime, workloadFile) {
  const flag = '--wasm-max-mem-pages=20';
  const capped = spawnSync(runtime.path, [flag, CHILD, workloadFile, '100000', 'workers:1', String(SEED), '0'], { encoding: 'utf8', timeout: 300_000 });
  const trapped = capped.status !== 0 && capped.stderr.includes('ComponentTrapError');
  const uncapped = spawnSync(runtime.path, [CHILD, workloadFile, '100000', 'workers:1', String(SEED), '0'], { encoding: 'utf8', timeout: 300_000 });
  // The same cap set at run time by v8.setFlagsFromString in the main thread (component-node.mjs's BENCH_V8_FLAGS).
  const atRunTime = spawnSync(runtime.path, [CHILD, workloadFile, '100000', 'workers:1', String(SEED), '0'], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, BENCH_V8_FLAGS: flag },
  });
  const trappedAtRunTime = atRunTime.status !== 0 && atRunTime.stderr.includes('ComponentTrapError');
  return { flag, trappedWithFlag: trapped, trappedWithFlagSetAtRunTime: trappedAtRunTime, succeededWithout: uncapped.status === 0 };
}

const seconds = (s) => s.toFixed(3);
const key = (c) => `node${c.line} ${c.flags.join(' ') || '(none)'}${c.runtimeFlags?.length ? ` at run time ${c.runtimeFlags.join(' ')}` : ''}`;

async function main() {
  mkdirSync(WORK, { recursive: true });
  const started = performance.now();
  const runtimes = nodeRuntimes();
  const files = WORKLOADS.map(({ assets, kind }) => {
    const file = join(WORK, `workload-${assets}-${kind}.json`);
    writeFileSync(file, JSON.stringify(benchPortfolio(assets, kind)));
    return file;
  });
  const configs = configurations(runtimes);
  const measured = new Map(configs.map((c) => [
    key(c),
    { ...c, version: runtimes[c.line].version, best: WORKLOADS.map(() => Infinity), bestCpu: WORKLOADS.map(() => Infinity), reports: [] },
  ]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const config of configs) {
      const m = measured.get(key(config));
      files.forEach((file, i) => {
        const out = run(runtimes[config.line], config, file, 'in-thread', PATHS);
        m.best[i] = Math.min(m.best[i], ...out.seconds);
        m.bestCpu[i] = Math.min(m.bestCpu[i], ...out.cpuSeconds);
        m.reports[i] = out.report;
        process.stderr.write(`round ${round + 1} ${key(config).padEnd(48)} ${WORKLOADS[i].assets} ${WORKLOADS[i].kind}: ` +
          `${out.seconds.map(seconds).join(' ')} s wall, ${out.cpuSeconds.map(seconds).join(' ')} s CPU\n`);
      });
    }
  }
  const baseline = measured.get(key({ line: 20, flags: [], runtimeFlags: [] }));
  const rows = [...measured.values()].map((m) => ({
    node: m.version,
    flags: m.flags,
    runtimeFlags: m.runtimeFlags,
    why: m.why,
    seconds: m.best,
    cpuSeconds: m.bestCpu,
    cpuOverNode20: baseline ? m.bestCpu.map((s, i) => s / baseline.bestCpu[i]) : null,
    sameNumbersAsNode20: baseline ? m.reports.every((r, i) => sameNumbers(r, baseline.reports[i])) : null,
  }));

  // Do command-line V8 flags reach worker threads? --wasm-max-mem-pages=20 caps every wasm memory at
  // 1.25 MiB: if the pool worker obeys it, the component cannot grow its memory there and traps.
  const workerCheck = runtimes[24]?.path ? flagReachesWorker(runtimes[24], files[1]) : null;
  const results = {
    date: new Date().toISOString(),
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
    machine: { cpu: cpus()[0]?.model, cores: cpus().length },
    runtimes,
    paths: PATHS,
    rounds: ROUNDS,
    workloads: WORKLOADS,
    rows,
    workerCheck,
  };
  results.benchSeconds = (performance.now() - started) / 1000;
  writeFileSync(join(ROOT, 'bench', 'node-flags-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const text = table(results);
  writeDocBlock('node-flags', text);
  console.log(text);
  console.log(`\nbench took ${results.benchSeconds.toFixed(0)} s; wrote bench/node-flags-results.json and docs/performance.md (Node versions)`);
}

function table(results) {
  const million = results.paths / 1e6;
  const label = (w) => `${w.assets} ${w.kind} ${million >= 1 ? `${million}M` : `${results.paths / 1000}k`}`;
  const head = ['Node', 'V8 flag', ...results.workloads.flatMap((w) => [`${label(w)} wall`, 'CPU', 'CPU / Node 20']), 'same numbers'];
  const lines = [`| ${head.join(' | ')} |`, `| --- | --- |${results.workloads.map(() => ' ---: | ---: | ---: |').join('')} :---: |`];
  for (const row of results.rows) {
    const cells = row.seconds.flatMap((s, i) => [seconds(s), seconds(row.cpuSeconds[i]), row.cpuOverNode20 ? `${row.cpuOverNode20[i].toFixed(2)}x` : 'n/a']);
    const flags = [...row.flags.map((f) => `\`${f}\``), ...(row.runtimeFlags ?? []).map((f) => `\`${f}\` set at run time`)];
    lines.push(`| ${row.node} | ${flags.join(' ') || 'none'} | ${cells.join(' | ')} | ${row.sameNumbersAsNode20 ? 'yes' : 'NO'} |`);
  }
  const missing = Object.entries(results.runtimes).filter(([, r]) => r.missing);
  lines.push(
    '',
    `Seconds per run, in-thread (one thread), best of ${results.rounds} rounds x 3 runs, each configuration a fresh process: wall time, and the ` +
      'CPU time of the whole process during the run (user + system, every thread: V8\'s background compilation too), which a busy machine inflates less. ' +
      `same numbers = VaR, ES, mean and standard deviation bit-identical to Node 20's. ${results.machine.cpu}, ${results.machine.cores} cores, ${results.date.slice(0, 10)}, commit ${results.commit}.`,
  );
  if (missing.length) lines.push(`Not measured: ${missing.map(([line, r]) => `Node ${line} (${r.missing})`).join('; ')}.`);
  if (results.workerCheck) {
    const w = results.workerCheck;
    const reaches = w.trappedWithFlag && w.succeededWithout;
    lines.push(
      `V8 flags on the command line ${reaches ? 'reach' : 'were not seen to reach'} worker threads: with \`${w.flag}\` (every wasm memory capped at 1.25 MiB) ` +
        `on Node 24's command line, the component ${w.trappedWithFlag ? 'trapped' : 'did not trap'} in its pool worker, and ran ${w.succeededWithout ? 'fine' : '**not at all**'} without it.`,
    );
    if (w.trappedWithFlagSetAtRunTime !== undefined) {
      lines.push(
        `Set at run time instead (\`v8.setFlagsFromString('${w.flag}')\` in the main thread before the engine loads), the same cap ` +
          `${w.trappedWithFlagSetAtRunTime ? 'made the component trap in its pool worker too: flags set so reach worker threads' : 'did **not** make the component trap in its pool worker'}.`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

await main();
