// One worker against two on a small run (10 linear assets, 100k paths: bench/workloads.mjs), the case where
// splitting a run costs most against what it saves. Interleaved rounds on warm engines; per worker count,
// the best wall time and the best CPU time of the whole process (all threads) of one run, in ms. On a
// machine with a free core per worker, two workers should take less wall time; the CPU time shows what
// the split costs whatever the machine's load.
// Usage: node bench/small-run-workers.mjs [rounds, default 20]; prints one JSON object.
import { RiskEngine } from '../dist/host/risk-engine.js';
import { benchPortfolio } from './workloads.mjs';

const portfolio = benchPortfolio(10, 'linear');
const request = { paths: 100_000, seed: 42n };
const rounds = Number(process.argv[2] ?? 20);
const counts = [1, 2];
const engines = await Promise.all(counts.map((workers) => RiskEngine.load(undefined, { workers })));
const wallMs = counts.map(() => Infinity);
const cpuMs = counts.map(() => Infinity);
try {
  for (const engine of engines) for (let i = 0; i < 3; i++) await engine.monteCarlo(portfolio, request);
  for (let round = 0; round < rounds; round++) {
    for (const [i, engine] of engines.entries()) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      await engine.monteCarlo(portfolio, request);
      const used = process.cpuUsage(cpu);
      wallMs[i] = Math.min(wallMs[i], performance.now() - started);
      cpuMs[i] = Math.min(cpuMs[i], (used.user + used.system) / 1000);
    }
  }
} finally {
  await Promise.all(engines.map((engine) => engine.close()));
}
const byWorkers = (values) => Object.fromEntries(counts.map((workers, i) => [`${workers}W`, Number(values[i].toFixed(1))]));
console.log(JSON.stringify({ rounds, bestWallMs: byWorkers(wallMs), bestCpuMs: byWorkers(cpuMs) }));
