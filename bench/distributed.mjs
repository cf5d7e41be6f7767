// `make bench-distributed`: one Monte Carlo run of examples/portfolio.json split across 1, 2 and 4 `wasm-risk
// worker` processes on a local Redis, against the local pool on the same paths; the Redis traffic per chunk
// (INFO's net bytes around the timed runs) and the requester's cost per chunk (validating and merging its
// tail). Writes bench/distributed-results.json and the block of docs/distributed.md between its
// `bench-distributed` markers, with the extrapolation to N machines computed from these numbers.
//
// Usage: node bench/distributed.mjs [--paths N] [--chunk-paths N]   (defaults 2,000,000 and 250,000)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parseChunkResult, chunkResultData } from '../dist/host/distributed/chunk-result.js';
import { DEFAULT_COMPONENT, EXAMPLE_PORTFOLIO } from '../dist/host/files/package-paths.js';
import { lossMoments, mergeSortedRuns, tailLength } from '../dist/host/report/risk-statistics.js';
import { RiskEngine } from '../dist/host/risk-engine.js';
import { startRedis, startWorker, stopProcess } from '../dist/tools/local-cluster.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'distributed-results.json');
const DOC = join(ROOT, 'docs', 'distributed.md');
const BLOCK = /(<!-- bench-distributed: begin -->\n)[\s\S]*?(<!-- bench-distributed: end -->)/;
const { values: flags } = parseArgs({ options: { paths: { type: 'string', default: '2000000' }, 'chunk-paths': { type: 'string', default: '250000' } } });
const PATHS = Number(flags.paths);
const CHUNK_PATHS = Number(flags['chunk-paths']);
const CHUNKS = Math.ceil(PATHS / CHUNK_PATHS);
const CONFIDENCE = [0.95, 0.99];
const WORKER_COUNTS = [1, 2, 4];
const TIMED_RUNS = 2;
/** The overhead the chunk size is chosen to stay under. */
const OVERHEAD_TARGET = 0.05;
/** An assumed link for the extrapolation (not measured here): 10 GbE. */
const LINK_BYTES_PER_SECOND = 1.25e9;
const portfolio = JSON.parse(readFileSync(EXAMPLE_PORTFOLIO, 'utf8'));
delete portfolio.returns;
const log = (message) => process.stderr.write(`${message}\n`);
const request = { method: 'monte-carlo', portfolio, paths: PATHS, seed: 42n, confidence: CONFIDENCE };

/** Best of TIMED_RUNS after one warm-up (the workers load their engine on their first chunk). */
async function pathsPerSecond(engine, between = async () => undefined) {
  await engine.run(request);
  let best = Infinity;
  for (let i = 0; i < TIMED_RUNS; i++) {
    await between();
    const started = performance.now();
    await engine.run(request);
    best = Math.min(best, performance.now() - started);
  }
  return { pathsPerSecond: PATHS / (best / 1000), bestMs: best };
}

async function netBytes(url) {
  const connection = new Redis(url);
  try {
    const info = await connection.info('stats');
    const field = (name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)[1]);
    return { in: field('total_net_input_bytes'), out: field('total_net_output_bytes') };
  } finally {
    await connection.quit();
  }
}

async function local(workers) {
  const engine = await RiskEngine.load(DEFAULT_COMPONENT, { workers });
  try {
    return await pathsPerSecond(engine);
  } finally {
    await engine.close();
  }
}

async function distributed(redis, workerCount) {
  const queue = `bench-${workerCount}`;
  const workers = await Promise.all(Array.from({ length: workerCount }, () => startWorker(['--redis', redis.url, '--queue', queue])));
  const engine = await RiskEngine.load(DEFAULT_COMPONENT, { workers: 1, distributed: { redis: redis.url, queue, chunkPaths: CHUNK_PATHS } });
  try {
    const before = { bytes: undefined };
    const speed = await pathsPerSecond(engine, async () => {
      before.bytes ??= await netBytes(redis.url);
    });
    const after = await netBytes(redis.url);
    const runs = TIMED_RUNS * CHUNKS;
    return { ...speed, redisBytesInPerChunk: (after.in - before.bytes.in) / runs, redisBytesOutPerChunk: (after.out - before.bytes.out) / runs };
  } finally {
    await engine.close();
    await Promise.all(workers.map((worker) => stopProcess(worker)));
  }
}

/** The requester's own work per chunk: validating its result (base64 tail, hex sums) and its share of the
 *  merge, on synthetic chunks of the run's shape. */
function requesterMsPerChunk() {
  const keep = tailLength(PATHS, CONFIDENCE);
  const length = Math.min(CHUNK_PATHS, keep);
  const component = { name: 'risk-engine', version: '0', sha256: '0'.repeat(64) };
  const data = Array.from({ length: CHUNKS }, (_, c) => {
    const tail = Float64Array.from({ length }, (_, i) => i * CHUNKS + c).sort();
    return JSON.parse(JSON.stringify(chunkResultData({ component, firstPath: c * CHUNK_PATHS, pathCount: Math.min(CHUNK_PATHS, PATHS - c * CHUNK_PATHS), tail, moments: lossMoments(tail) })));
  });
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const tails = data.map((chunk) => parseChunkResult(chunk, { firstPath: chunk.firstPath, pathCount: chunk.pathCount, tailLength: keep }).tail);
    mergeSortedRuns(tails);
    best = Math.min(best, performance.now() - started);
  }
  return { msPerChunk: best / CHUNKS, tailLength: keep, resultBytes: JSON.stringify(data[0]).length };
}

const count = (n) => Math.round(n).toLocaleString('en-US');
const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

function table(results) {
  const rows = [
    ['local pool, 1 thread', results.local[1]],
    [`local pool, ${results.machine.cores} threads`, results.local[results.machine.cores]],
    ...WORKER_COUNTS.map((n) => [`${n} worker process${n > 1 ? 'es' : ''}`, results.distributed[n]]),
  ];
  const lines = ['| where the paths run | paths/s | run (ms) | Redis bytes in / out per chunk |', '| --- | ---: | ---: | ---: |'];
  for (const [name, row] of rows) {
    const bytes = row.redisBytesInPerChunk === undefined ? '' : `${kib(row.redisBytesInPerChunk)} / ${kib(row.redisBytesOutPerChunk)}`;
    lines.push(`| ${name} | ${count(row.pathsPerSecond)} | ${row.bestMs.toFixed(0)} | ${bytes} |`);
  }
  return lines.join('\n');
}

/** The extrapolation, from this run's numbers: a worker's speed r (paths/s), the overhead of a chunk per
 *  loss it ships (a 1-worker run against 1 local thread, per chunk, over the losses a chunk sends), the
 *  Redis bytes and the requester's time per shipped loss. A run of N paths in K chunks (each at least the
 *  tail T) ships K T losses, so its overhead is K T c / (N / r) = K (T/N) c r. */
function extrapolation(results) {
  const r = results.local[1].pathsPerSecond;
  const shipped = Math.min(CHUNK_PATHS, results.requester.tailLength);
  const one = results.distributed[1];
  const perLoss = Math.max(0, one.bestMs - results.local[1].bestMs) / 1000 / CHUNKS / shipped;
  const tailShare = results.requester.tailLength / PATHS;
  const bytesPerLoss = (one.redisBytesInPerChunk + one.redisBytesOutPerChunk) / shipped;
  const requesterPerLoss = results.requester.msPerChunk / 1000 / shipped;
  return {
    workerPathsPerSecond: r,
    overheadSecondsPerShippedLoss: perLoss,
    tailShare,
    overheadOneChunk: tailShare * perLoss * r,
    /** The slowest path (s) for which K chunks stay under the target: K (T/N) c / t < 5%. */
    pathSecondsFor5PercentPerChunk: (tailShare * perLoss) / OVERHEAD_TARGET,
    redisBytesPerShippedLoss: bytesPerLoss,
    requesterSecondsPerShippedLoss: requesterPerLoss,
    /** Losses per second the requester merges, and a 10 GbE link carries. */
    requesterLossesPerSecond: 1 / requesterPerLoss,
    linkLossesPerSecond: LINK_BYTES_PER_SECOND / bytesPerLoss,
  };
}

function writeDoc(results) {
  const x = results.extrapolation;
  const us = (seconds) => `${(seconds * 1e6).toFixed(2)} µs`;
  const text = [
    `Measured by \`make bench-distributed\` (\`node bench/distributed.mjs --paths ${PATHS} --chunk-paths ${CHUNK_PATHS}\`) on ${results.date.slice(0, 10)}, commit ${results.commit}:`,
    `${results.machine.cores} cores (${results.machine.cpu}), Node ${results.machine.node}; examples/portfolio.json, ${count(PATHS)} paths in ${CHUNKS} chunks of`,
    `${count(CHUNK_PATHS)}, best of ${TIMED_RUNS} runs after a warm-up; Redis, the workers and the requester share the machine (so 4 workers`,
    'on 2 cores measure the overhead, not a speed-up). Redis bytes are INFO `total_net_input_bytes` / `total_net_output_bytes` around the',
    `timed runs, per chunk; a chunk's result is ${kib(results.requester.resultBytes)} of JSON (its ${count(results.requester.tailLength)}-loss tail).`,
    '',
    table(results),
    '',
    `What a chunk costs is set by the losses it ships (\`min(n, T)\`), not by its paths: here ${us(x.overheadSecondsPerShippedLoss)} a shipped loss`,
    `(the 1-worker run against 1 local thread), ${x.redisBytesPerShippedLoss.toFixed(1)} Redis bytes a loss, and ${us(x.requesterSecondsPerShippedLoss)} a loss for the`,
    'requester to check and merge. A run of `N` paths in `K` chunks ships `K T` losses, `T/N` about `1 - c_min`, so its overhead is about',
    '`K (T/N) c / t`, with `c` the cost of a shipped loss and `t` the time of one path on one worker. Extrapolated to N machines:',
    '',
    `- **When it pays.** The example portfolio's paths are cheap (${us(1 / x.workerPathsPerSecond)} each): even one chunk adds ${(x.overheadOneChunk * 100).toFixed(0)}%, so it`,
    `  runs faster locally. Overhead stays under 5% with \`K\` chunks when a path takes at least \`K x\` ${us(x.pathSecondsFor5PercentPerChunk)} on one worker`,
    '  (portfolios with many more assets and options); and then chunks should be as large as the engine allows (10M paths) and',
    '  as few as keep every worker busy: `K` = the number of worker processes.',
    `- **The requester's merge** takes ${count(x.requesterLossesPerSecond)} shipped losses a second: with runs at 95% (\`T\` about 5% of the paths)`,
    `  it keeps up with workers simulating about ${count(x.requesterLossesPerSecond / x.tailShare)} paths a second in all, one chunk per worker.`,
    `- **Redis and its link.** At ${x.redisBytesPerShippedLoss.toFixed(1)} bytes a shipped loss, a 10 GbE link (1.25 GB/s, assumed, not measured) carries`,
    `  ${count(x.linkLossesPerSecond)} losses a second, workers simulating about ${count(x.linkLossesPerSecond / x.tailShare)} paths a second. Of those bytes, one copy of`,
    '  each result is BullMQ\'s `completed` event (its stream carries the return value), which the requester reads besides the result.',
    '',
  ].join('\n');
  const doc = readFileSync(DOC, 'utf8');
  if (!BLOCK.test(doc)) throw new Error('docs/distributed.md has no <!-- bench-distributed: begin --> ... <!-- bench-distributed: end --> block');
  writeFileSync(DOC, doc.replace(BLOCK, (_all, begin, end) => `${begin}${text}${end}`));
}

const started = performance.now();
const cores = availableParallelism();
const results = {
  date: new Date().toISOString(),
  commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
  machine: { cpu: cpus()[0]?.model, cores, node: process.version },
  paths: PATHS,
  chunkPaths: CHUNK_PATHS,
  chunks: CHUNKS,
  local: {},
  distributed: {},
};
for (const workers of new Set([1, cores])) {
  results.local[workers] = await local(workers);
  log(`local pool, ${workers} thread(s): ${count(results.local[workers].pathsPerSecond)} paths/s`);
}
const redis = await startRedis();
try {
  for (const workers of WORKER_COUNTS) {
    results.distributed[workers] = await distributed(redis, workers);
    log(`${workers} worker process(es): ${count(results.distributed[workers].pathsPerSecond)} paths/s`);
  }
} finally {
  await redis.stop();
}
results.requester = requesterMsPerChunk();
results.extrapolation = extrapolation(results);
results.benchSeconds = (performance.now() - started) / 1000;
writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
writeDoc(results);
console.log(table(results));
console.log(`\nbench took ${results.benchSeconds.toFixed(0)} s; wrote bench/distributed-results.json and docs/distributed.md (Performance)`);
