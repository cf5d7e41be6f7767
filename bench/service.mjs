// `make bench-service`: `wasm-risk serve` under load (autocannon) against the same requests made on the
// library directly (RiskEngine in this process), for the issue's three workloads: parametric on 10 assets,
// /v1/batch of 100 parametric evaluations, Monte Carlo 10,000 paths on 10 assets. Reports throughput,
// p50/p99 latency, the server's peak resident memory and CPU time per evaluation (its main thread's, all its
// threads', and the load generator's: where the two cores go), and the service's overhead; the same bodies
// on a bare fastify server (bench/http-floor-server.mjs), the HTTP floor of this machine; writes
// bench/service-results.json and the table in docs/service.md's "Performance" section.
//
// Usage: node bench/service.mjs [--duration S] [--connections N]   (defaults: 10 s per run, 10 connections)
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { DEFAULT_COMPONENT } from '../dist/host/files/package-paths.js';
import { RiskEngine } from '../dist/host/risk-engine.js';
import { benchPortfolio } from './workloads.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'host', 'cli', 'main.js');
const FLOOR_SERVER = join(ROOT, 'bench', 'http-floor-server.mjs');
const RESULTS = join(ROOT, 'bench', 'service-results.json');
const DOC = join(ROOT, 'docs', 'service.md');
/** The block of docs/service.md this script rewrites (not a tools/write-docs.mjs block: it is measured, not generated). */
const BLOCK = /(<!-- bench-service: begin -->\n)[\s\S]*?(<!-- bench-service: end -->)/;
const { values: flags } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' } } });
const DURATION_S = Number(flags.duration);
const CONNECTIONS = Number(flags.connections);
const WARMUP_S = 1;
const CORES = availableParallelism();
const BATCH_SIZE = 100;
const MC_PATHS = 10_000;
const SEED = '42';
const log = (message) => process.stderr.write(`${message}\n`);

/** The issue's targets (#12), on a 2-core machine. */
const TARGETS = {
  parametric: { perSecond: 5_000, p99Ms: 10 },
  batch: { perSecond: 50_000 },
  'batch-shared': { perSecond: 50_000 },
  'monte-carlo': { perSecond: 500, p99Ms: 50 },
};

const portfolio = benchPortfolio(10, 'linear');
const WORKLOADS = [
  {
    name: 'parametric',
    title: 'parametric, 10 assets',
    path: '/v1/parametric',
    body: { portfolio },
    evaluations: 1,
    library: (engine) => engine.parametric(portfolio),
  },
  {
    name: 'batch',
    title: `/v1/batch of ${BATCH_SIZE} parametric, 10 assets`,
    path: '/v1/batch',
    body: { requests: Array.from({ length: BATCH_SIZE }, () => ({ method: 'parametric', portfolio })) },
    evaluations: BATCH_SIZE,
    library: (engine) => engine.runBatch(Array.from({ length: BATCH_SIZE }, () => ({ method: 'parametric', portfolio }))),
  },
  {
    name: 'batch-shared',
    title: `/v1/batch of ${BATCH_SIZE} parametric, one shared portfolio`,
    path: '/v1/batch',
    body: { portfolio, requests: Array.from({ length: BATCH_SIZE }, (_, i) => ({ method: 'parametric', horizonDays: 1 + (i % 10) })) },
    evaluations: BATCH_SIZE,
    library: (engine) => engine.runBatch(Array.from({ length: BATCH_SIZE }, (_, i) => ({ method: 'parametric', portfolio, horizonDays: 1 + (i % 10) }))),
  },
  {
    name: 'monte-carlo',
    title: `Monte Carlo ${MC_PATHS / 1000}k paths, 10 assets`,
    path: '/v1/monte-carlo',
    body: { portfolio, paths: MC_PATHS, seed: SEED },
    evaluations: 1,
    library: (engine) => engine.monteCarlo(portfolio, { paths: MC_PATHS, seed: BigInt(SEED) }),
  },
];

/** p-th percentile (0..100) of latencies in ms, nearest rank. */
function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(latencies, seconds, answered, evaluations) {
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: answered,
    seconds,
    requestsPerSecond: answered / seconds,
    evaluationsPerSecond: (answered * evaluations) / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}

/** Starts `wasm-risk serve` on 127.0.0.1 (a free port, workers = cores), or the HTTP floor's bare fastify
 *  server (`args` = [FLOOR_SERVER]); resolves once it listens. */
async function startServer(args = [CLI, 'serve', '--host', '127.0.0.1', '--port', '0']) {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk.toString('utf8');
      const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.once('exit', () => reject(new Error(`wasm-risk serve exited before listening: ${stderr}`)));
  });
  return { child, url };
}

/** Microseconds per clock tick of /proc's CPU times (Linux; undefined elsewhere). */
const TICK_US = (() => {
  try {
    return 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  } catch {
    return undefined;
  }
})();

/** CPU time the server has used, in us: all its threads, and its main thread alone (Linux /proc). */
function serverCpuMicros(pid) {
  if (TICK_US === undefined) return undefined;
  try {
    const ticks = (stat) => {
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * TICK_US;
    };
    return { all: ticks(readFileSync(`/proc/${pid}/stat`, 'utf8')), main: ticks(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')) };
  } catch {
    return undefined;
  }
}

/** The server's resident memory from its /metrics (NaN for the HTTP floor's server, which has none). */
async function residentBytes(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1]);
}

/** autocannon for `seconds` on `connections` connections; latencies from its per-response hrtime (sub-ms,
 *  where its own histogram keeps whole ms); peak resident memory of the server sampled from /metrics. */
async function loadServer({ url, child }, workload, seconds, connections) {
  const latencies = [];
  const serverCpuBefore = serverCpuMicros(child.pid);
  const clientCpuBefore = process.cpuUsage();
  let peakRss = await residentBytes(url);
  const sampler = setInterval(() => {
    residentBytes(url).then((rss) => (peakRss = Math.max(peakRss, rss)), () => undefined);
  }, 250);
  const instance = autocannon({
    url: `${url}${workload.path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(workload.body),
    connections,
    duration: seconds,
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode === 200) latencies.push(responseTime);
  });
  const result = await instance;
  const serverCpuAfter = serverCpuMicros(child.pid);
  const clientCpu = process.cpuUsage(clientCpuBefore);
  clearInterval(sampler);
  const evaluations = result['2xx'] * workload.evaluations;
  const cpuPerEvaluationUs =
    serverCpuBefore && serverCpuAfter && evaluations > 0
      ? {
          server: (serverCpuAfter.all - serverCpuBefore.all) / evaluations,
          serverMainThread: (serverCpuAfter.main - serverCpuBefore.main) / evaluations,
          client: (clientCpu.user + clientCpu.system) / evaluations,
        }
      : undefined;
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0) log(`    ${failed} failed requests (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`);
  return { ...summary(latencies, result.duration, result['2xx'], workload.evaluations), failed, peakResidentBytes: peakRss, cpuPerEvaluationUs };
}

/** The same requests on the library: `concurrency` loops calling it back to back for `seconds`. */
async function loadLibrary(engine, workload, seconds, concurrency) {
  const latencies = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await workload.library(engine);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return summary(latencies, (performance.now() - started) / 1000, latencies.length, workload.evaluations);
}

function verdict(workload, service) {
  const target = TARGETS[workload.name];
  const throughput = workload.evaluations > 1 ? service.evaluationsPerSecond : service.requestsPerSecond;
  return {
    ...target,
    measuredPerSecond: throughput,
    met: throughput >= target.perSecond && (target.p99Ms === undefined || service.p99Ms < target.p99Ms),
  };
}

const ms = (value) => value.toFixed(2);
const rate = (value) => Math.round(value).toLocaleString('en-US');
const mib = (bytes) => `${Math.round(bytes / 2 ** 20)} MiB`;

const cpuText = (cpu) => (cpu ? `${cpu.server.toFixed(0)} (${cpu.serverMainThread.toFixed(0)}) / ${cpu.client.toFixed(0)}` : 'n/a');

function table(results) {
  const lines = [
    `| workload | service req/s (eval/s) | p50 / p99 ms | server RSS peak | CPU us/eval: server (main thread) / client | library concurrent req/s | p50 / p99 ms | service / library | 1 connection: service p50 ms | library p50 ms | added per request | target | met |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const row of results.workloads) {
    const { service, library, sequential, target } = row;
    const targetText = `>= ${rate(target.perSecond)} ${row.name.startsWith('batch') ? 'eval/s' : 'req/s'}${target.p99Ms ? `, p99 < ${target.p99Ms} ms` : ''}`;
    lines.push(
      `| ${row.title} | ${rate(service.requestsPerSecond)} (${rate(service.evaluationsPerSecond)}) | ${ms(service.p50Ms)} / ${ms(service.p99Ms)} | ${mib(service.peakResidentBytes)} | ${cpuText(service.cpuPerEvaluationUs)} | ${rate(library.requestsPerSecond)} | ${ms(library.p50Ms)} / ${ms(library.p99Ms)} | ${(service.requestsPerSecond / library.requestsPerSecond).toFixed(2)} | ${ms(sequential.service.p50Ms)} | ${ms(sequential.library.p50Ms)} | ${ms(sequential.service.p50Ms - sequential.library.p50Ms)} ms | ${targetText} | ${target.met ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

/** The HTTP floor beside the service: the same bodies on a bare fastify server (bench/http-floor-server.mjs). */
function floorTable(results) {
  const lines = [
    '| workload | bare fastify req/s (eval/s) | p50 / p99 ms | CPU us/eval: server (main thread) / client | wasm-risk serve eval/s | serve / floor |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of results.workloads) {
    const { floor, service } = row;
    lines.push(
      `| ${row.title} | ${rate(floor.requestsPerSecond)} (${rate(floor.evaluationsPerSecond)}) | ${ms(floor.p50Ms)} / ${ms(floor.p99Ms)} | ${cpuText(floor.cpuPerEvaluationUs)} | ${rate(service.evaluationsPerSecond)} | ${(service.evaluationsPerSecond / floor.evaluationsPerSecond).toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

function writeDoc(results) {
  const { machine } = results;
  const text = [
    `Measured by \`make bench-service\` (\`node bench/service.mjs --duration ${results.durationSeconds}\`) on ${results.date.slice(0, 10)}, commit ${results.commit}:`,
    `${machine.cores} cores (${machine.cpu}), Node ${machine.node}, \`wasm-risk serve\` with ${machine.cores} workers, autocannon with ${results.connections}`,
    `connections in the same machine, ${results.durationSeconds} s per run after a ${WARMUP_S} s warm-up; load average ${results.loadAverage.toFixed(1)} when it started`,
    '(the machine is shared with other work, so the figures are indicative: run it again to measure yours). CPU us/eval: CPU time',
    "per evaluation answered, of the server process (all its threads: event loop, engine workers, V8's GC helpers), of its",
    'main thread alone (the event loop: HTTP, parsing, validation, dispatch, answers, logs) and of the load generator. The library',
    `columns make the same calls on \`RiskEngine\` in one process (${results.connections} at once, then one at a time); "added per request" is`,
    "the service's p50 minus the library's, one at a time.",
    '',
    table(results),
    '',
    'The HTTP floor, in the same run: the same bodies, connections and durations on a bare fastify server that parses each body',
    'and answers a fixed small JSON object, with no validation, engine, queue, metrics or logs (`bench/http-floor-server.mjs`):',
    "what a request costs this machine's HTTP stack and the load generator before wasm-risk does anything with it.",
    '',
    floorTable(results),
    '',
  ].join('\n');
  const doc = readFileSync(DOC, 'utf8');
  if (!BLOCK.test(doc)) throw new Error('docs/service.md has no <!-- bench-service: begin --> ... <!-- bench-service: end --> block');
  writeFileSync(DOC, doc.replace(BLOCK, (_all, begin, end) => `${begin}${text}${end}`));
}

const started = performance.now();
const loadAverage = loadavg()[0];
const floorServer = await startServer([FLOOR_SERVER]);
const server = await startServer();
const engine = await RiskEngine.load(DEFAULT_COMPONENT, { workers: CORES });
const rows = [];
try {
  for (const workload of WORKLOADS) {
    log(`- ${workload.title}`);
    const probe = await fetch(`${server.url}${workload.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(workload.body) });
    if (probe.status !== 200) throw new Error(`${workload.path} answered ${probe.status}: ${await probe.text()}`);
    await loadServer(server, workload, WARMUP_S, CONNECTIONS);
    const service = await loadServer(server, workload, DURATION_S, CONNECTIONS);
    log(`    service   ${rate(service.requestsPerSecond)} req/s, p50 ${ms(service.p50Ms)} ms, p99 ${ms(service.p99Ms)} ms, RSS ${mib(service.peakResidentBytes)}, CPU us/eval ${cpuText(service.cpuPerEvaluationUs)}`);
    await loadLibrary(engine, workload, WARMUP_S, CONNECTIONS);
    const library = await loadLibrary(engine, workload, DURATION_S, CONNECTIONS);
    log(`    library   ${rate(library.requestsPerSecond)} req/s, p50 ${ms(library.p50Ms)} ms, p99 ${ms(library.p99Ms)} ms`);
    const sequential = { service: await loadServer(server, workload, DURATION_S, 1), library: await loadLibrary(engine, workload, DURATION_S, 1) };
    log(`    one at a time: service p50 ${ms(sequential.service.p50Ms)} ms, library p50 ${ms(sequential.library.p50Ms)} ms`);
    await loadServer(floorServer, workload, WARMUP_S, CONNECTIONS);
    const floor = await loadServer(floorServer, workload, DURATION_S, CONNECTIONS);
    log(`    floor     ${rate(floor.requestsPerSecond)} req/s, p50 ${ms(floor.p50Ms)} ms, p99 ${ms(floor.p99Ms)} ms, CPU us/eval ${cpuText(floor.cpuPerEvaluationUs)}`);
    rows.push({ name: workload.name, title: workload.title, service, library, sequential, floor, target: verdict(workload, service) });
  }
} finally {
  await engine.close();
  for (const { child } of [server, floorServer]) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

const results = {
  date: new Date().toISOString(),
  commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
  machine: { cpu: cpus()[0]?.model, cores: CORES, node: process.version },
  durationSeconds: DURATION_S,
  warmupSeconds: WARMUP_S,
  connections: CONNECTIONS,
  loadAverage,
  portfolio: '10 assets, linear (bench/workloads.mjs)',
  workloads: rows,
  benchSeconds: (performance.now() - started) / 1000,
};
writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
writeDoc(results);
console.log(`${table(results)}\n\n${floorTable(results)}`);
console.log(`\nbench took ${results.benchSeconds.toFixed(0)} s; wrote bench/service-results.json and docs/service.md (Performance)`);
