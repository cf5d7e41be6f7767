// Two builds of the host on one workload, by turns in one sitting, against native at the same vector width
// (native-SSE, `make bench-native`): on a machine shared with other work, what one build gains over
// another shows in the ratios of runs made side by side, not in two tables measured on different days.
// Each turn runs native-SSE (best of 5 processes), then each build in a fresh process on one worker (best
// of its repeated runs, bench/component-node.mjs), and checks the two builds report the same numbers.
//
// Usage: node bench/ab-component.mjs <before-dist> <after-dist> [--assets 10] [--kind linear|options]
//          [--paths 100000] [--turns 14]
// A build's dist: `git worktree add /tmp/before <commit> && cd /tmp/before && npm ci && make build`, then
// /tmp/before/dist (this checkout's own is ./dist).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { childJson } from './child-json.mjs';
import { benchPortfolio, workloadText } from './workloads.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NATIVE_SSE = join(ROOT, 'build', 'bench', 'native-sse-target', 'release', 'risk-engine-bench');
const COMPONENT_CHILD = join(ROOT, 'bench', 'component-node.mjs');
const SEED = '42';
const NATIVE_RUNS = 5;
/** A build's runs are repeated in its process until they add up to this many seconds (3 to 9 runs). */
const REPEAT_BELOW_S = '2';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { assets: { type: 'string', default: '10' }, kind: { type: 'string', default: 'linear' }, paths: { type: 'string', default: '100000' }, turns: { type: 'string', default: '14' } },
});
if (positionals.length !== 2) throw new Error('usage: node bench/ab-component.mjs <before-dist> <after-dist> [--assets N] [--kind linear|options] [--paths N] [--turns N]');
const builds = { before: positionals[0], after: positionals[1] };

const best = (values) => Math.min(...values);
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const ms = (seconds) => (seconds * 1000).toFixed(1);

const work = mkdtempSync(join(tmpdir(), 'wasm-risk-ab-'));
try {
  const spec = benchPortfolio(Number(flags.assets), flags.kind);
  const jsonFile = join(work, 'workload.json');
  const textFile = join(work, 'workload.txt');
  writeFileSync(jsonFile, JSON.stringify(spec));
  writeFileSync(textFile, workloadText(spec));
  const cpu = { native: [], before: [], after: [] };
  console.log(`${flags.assets} ${flags.kind} assets, ${flags.paths} paths, one worker; CPU ms (ratio to native-SSE)`);
  for (let turn = 0; turn < Number(flags.turns); turn++) {
    const native = Array.from({ length: NATIVE_RUNS }, () => childJson(NATIVE_SSE, [textFile, flags.paths, '1', '1', SEED]).cpuSeconds[0]);
    cpu.native.push(best(native));
    const reports = {};
    for (const [name, dist] of Object.entries(builds)) {
      const out = childJson(process.execPath, [COMPONENT_CHILD, jsonFile, flags.paths, 'workers:1', SEED, REPEAT_BELOW_S], { env: { ...process.env, BENCH_HOST: dist } });
      cpu[name].push(best(out.cpuSeconds));
      reports[name] = JSON.stringify(out.report);
    }
    const ratio = (name) => (cpu[name].at(-1) / cpu.native.at(-1)).toFixed(2);
    console.log(`turn ${turn + 1}: native-SSE ${ms(cpu.native.at(-1))}, before ${ms(cpu.before.at(-1))} (${ratio('before')}x), after ${ms(cpu.after.at(-1))} (${ratio('after')}x)${reports.before === reports.after ? '' : ', DIFFERENT numbers'}`);
  }
  const medianRatio = (name) => (median(cpu[name]) / median(cpu.native)).toFixed(2);
  console.log(`medians: native-SSE ${ms(median(cpu.native))}, before ${ms(median(cpu.before))} (${medianRatio('before')}x), after ${ms(median(cpu.after))} (${medianRatio('after')}x)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
