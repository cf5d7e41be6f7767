// The library's batch path alone, without HTTP: `RiskEngine.runBatch` of 100 parametric evaluations on the
// 10-asset book, each item with its own portfolio (as /v1/batch's bench workload), for a few seconds, and the
// process's CPU time per evaluation (every thread: the caller's, the workers', V8's helpers). For comparing two
// builds of the host by turns: `--dist` names a build's dist folder (default: this checkout's).
//
//   node bench/library-batch.mjs [--dist DIR] [--isolation workers|in-thread] [--concurrency 10] [--seconds 4]
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { benchPortfolio } from './workloads.mjs';

const { values } = parseArgs({
  options: {
    dist: { type: 'string', default: join(import.meta.dirname, '..', 'dist') },
    isolation: { type: 'string', default: 'workers' },
    concurrency: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '4' },
  },
});
const { RiskEngine } = await import(pathToFileURL(join(resolve(values.dist), 'host', 'risk-engine.js')).href);
const BATCH = 100;
const portfolio = benchPortfolio(10, 'linear');
const items = () => Array.from({ length: BATCH }, () => ({ method: 'parametric', portfolio }));
const engine = await RiskEngine.load(undefined, values.isolation === 'in-thread' ? { isolation: 'in-thread' } : { workers: 2 });
try {
  for (let i = 0; i < 50; i++) await engine.runBatch(items());
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let evaluations = 0;
  const client = async () => {
    while (performance.now() - started < Number(values.seconds) * 1000) {
      const outcomes = await engine.runBatch(items());
      const failed = outcomes.find((outcome) => !outcome.ok);
      if (failed) throw failed.error;
      evaluations += BATCH;
    }
  };
  await Promise.all(Array.from({ length: Number(values.concurrency) }, client));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const line = { isolation: values.isolation, concurrency: Number(values.concurrency), evaluationsPerSecond: Math.round(evaluations / seconds), cpuMicrosecondsPerEvaluation: Number(((cpu.user + cpu.system) / evaluations).toFixed(1)) };
  process.stdout.write(`${JSON.stringify(line)}\n`);
} finally {
  await engine.close();
}
