// `make bench-plugins`: the plugins `make plugins` builds from templates/ (Rust, JavaScript, Python), side
// by side with the project's own engine: component size, imports and the policy they need, cold start
// (load with an empty transpile cache, then a first parametric call) and warm start (the same with the
// cache filled), and the speed of the same Monte Carlo on the same book (examples/portfolio.json, one
// worker). Writes bench/plugins-results.json and the block of docs/plugins.md between its `bench-plugins`
// markers. Runs on Node 22 or later (the Python plugin's CPython needs extended-const); `make
// bench-plugins` runs it under Node 24 from npm when the Node on PATH is older.
//
// Usage: node bench/plugins.mjs [--paths N]   (default 100,000)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { auditComponent } from '../dist/host/audit/admission.js';
import { DEFAULT_COMPONENT, EXAMPLE_PORTFOLIO } from '../dist/host/files/package-paths.js';
import { readComponentFile } from '../dist/host/load/component-format.js';
import { RiskEngine } from '../dist/host/risk-engine.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'plugins-results.json');
const DOC = join(ROOT, 'docs', 'plugins.md');
const BLOCK = /(<!-- bench-plugins: begin -->\n)[\s\S]*?(<!-- bench-plugins: end -->)/;
const { values: flags } = parseArgs({ options: { paths: { type: 'string', default: '100000' } } });
const PATHS = Number(flags.paths);
const TIMED_RUNS = 2;
const log = (message) => process.stderr.write(`${message}\n`);

if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error(`bench/plugins.mjs needs Node 22 or later (this is ${process.version}): run make bench-plugins`);
  process.exit(2);
}

const plugin = (lang) => join(ROOT, 'build', 'plugins', lang, 'build', 'plugin.wasm');
const ROWS = [
  { label: "wasm-risk's engine (Rust, SIMD)", component: DEFAULT_COMPONENT, build: 'make build (cargo, wasm32-unknown-unknown + simd128)', policyName: 'default' },
  { label: 'Rust template', component: plugin('rust'), build: 'cargo build --target wasm32-unknown-unknown, then jco-transpile componentNew', policyName: 'default' },
  { label: 'JavaScript template', component: plugin('js'), build: 'componentize-js --disable stdio random clocks http fetch-event', policyName: 'default' },
  { label: 'Python template', component: plugin('python'), build: 'componentize-py componentize', policyName: 'python', policy: 'python' },
];

const portfolio = JSON.parse(readFileSync(EXAMPLE_PORTFOLIO, 'utf8'));
delete portfolio.returns;

/** Load + first parametric call, in ms; `cacheDir` decides whether the transpile is cold or warm. */
async function start(row, cacheDir) {
  const t0 = performance.now();
  const engine = await RiskEngine.load(row.component, { cacheDir, workers: 1, admission: row.policy ? { policy: row.policy } : undefined });
  const loaded = performance.now();
  await engine.parametric(portfolio);
  const answered = performance.now();
  await engine.close();
  return { loadMs: loaded - t0, firstCallMs: answered - loaded, totalMs: answered - t0 };
}

async function monteCarloSpeed(row, cacheDir) {
  const engine = await RiskEngine.load(row.component, { cacheDir, workers: 1, timeoutMs: 3_600_000, admission: row.policy ? { policy: row.policy } : undefined });
  try {
    const options = { paths: PATHS, seed: 42n, confidence: [0.95, 0.99] };
    const warm = await engine.monteCarlo(portfolio, options);
    let best = Infinity;
    for (let i = 0; i < TIMED_RUNS; i++) {
      const t0 = performance.now();
      await engine.monteCarlo(portfolio, options);
      best = Math.min(best, performance.now() - t0);
    }
    return { seconds: best / 1000, pathsPerSecond: PATHS / (best / 1000), var95: warm.levels[0].var };
  } finally {
    await engine.close();
  }
}

async function measure(row) {
  if (!existsSync(row.component)) return { label: row.label, missing: `${row.component} is missing: run make plugins` };
  const audit = await auditComponent(await readComponentFile(row.component), row.component, row.policy ? { policy: row.policy } : {});
  const cacheDir = mkdtempSync(join(tmpdir(), 'wasm-risk-bench-plugins-'));
  try {
    const cold = await start(row, cacheDir);
    const warm = await start(row, cacheDir);
    const speed = await monteCarloSpeed(row, cacheDir);
    log(`${row.label}: ${statSync(row.component).size} bytes, cold ${cold.totalMs.toFixed(0)} ms, warm ${warm.totalMs.toFixed(0)} ms, ${Math.round(speed.pathsPerSecond)} paths/s`);
    return {
      label: row.label,
      build: row.build,
      bytes: statSync(row.component).size,
      imports: audit.imports.length,
      wasiImports: audit.imports.filter((i) => i.name.startsWith('wasi:')).length,
      policy: row.policyName,
      verdict: audit.verdict,
      cold,
      warm,
      monteCarlo: speed,
    };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

const ms = (value) => `${Math.round(value).toLocaleString('en-US')} ms`;
const mb = (bytes) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(0)} kB`);

function table(results) {
  const header = [
    '| component | build | size | imports (WASI) | policy | cold start | warm start | Monte Carlo, 1 worker | VaR 95% |',
    '| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  const rows = results.rows.map((r) =>
    r.missing
      ? `| ${r.label} | n/a (${r.missing}) | | | | | | | |`
      : `| ${r.label} | \`${r.build}\` | ${mb(r.bytes)} | ${r.imports} (${r.wasiImports}) | ${r.policy} | ${ms(r.cold.totalMs)} | ${ms(r.warm.totalMs)} | ${Math.round(r.monteCarlo.pathsPerSecond).toLocaleString('en-US')} paths/s | ${r.monteCarlo.var95.toFixed(6)} |`,
  );
  return [...header, ...rows].join('\n');
}

function writeDoc(results) {
  const text = [
    `Measured by \`make bench-plugins\` (\`node bench/plugins.mjs --paths ${results.paths}\`) on ${results.date.slice(0, 10)}, commit ${results.commit},`,
    `Node ${results.machine.node}, ${results.machine.cpu} (${results.machine.cores} cores, shared): examples/portfolio.json, ${results.paths.toLocaleString('en-US')} paths, seed 42,`,
    `best of ${TIMED_RUNS} runs after a warm-up. Cold start: \`RiskEngine.load\` with an empty transpile cache, then a first parametric call;`,
    "warm start: the same with the cache filled. The engine's cold start uses the glue shipped with the package (no transpile).",
    '',
    table(results),
    '',
  ].join('\n');
  const doc = readFileSync(DOC, 'utf8');
  if (!BLOCK.test(doc)) throw new Error('docs/plugins.md has no <!-- bench-plugins: begin --> ... <!-- bench-plugins: end --> block');
  writeFileSync(DOC, doc.replace(BLOCK, (_all, begin, end) => `${begin}${text}${end}`));
}

const started = performance.now();
const results = {
  date: new Date().toISOString(),
  commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version },
  paths: PATHS,
  rows: [],
};
for (const row of ROWS) results.rows.push(await measure(row));
results.benchSeconds = (performance.now() - started) / 1000;
writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
writeDoc(results);
console.log(table(results));
console.log(`\nbench took ${results.benchSeconds.toFixed(0)} s; wrote bench/plugins-results.json and docs/plugins.md (Measured)`);
