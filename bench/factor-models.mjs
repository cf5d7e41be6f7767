// The factor-model target (issue #14, item 3): a bank-size linear book, 5,000 assets on 20 factors, one
// million Monte Carlo paths on two workers, in under 30 s. Builds the book deterministically (the model's own
// splitmix64), runs `RiskEngine.monteCarlo` once to warm the workers, then times the run and prints wall
// time, the process's CPU time (all threads) and paths per second, as a line of JSON too.
//
//   node bench/factor-models.mjs [--paths 1000000] [--workers 2] [--assets 5000] [--factors 20] [--in-thread]
//                                [--antithetic] [--component build/components/risk-engine.wasm]
// --in-thread runs the engine in this thread instead (one core): its CPU time per path is the engine's own,
// without the worker hops and with less of a shared machine's noise.
import { parseArgs } from 'node:util';
import { RiskEngine } from '../dist/host/index.js';
import { SplitMix64 } from '../dist/reference/random-streams.js';

const { values } = parseArgs({
  options: {
    paths: { type: 'string', default: '1000000' },
    workers: { type: 'string', default: '2' },
    assets: { type: 'string', default: '5000' },
    factors: { type: 'string', default: '20' },
    'in-thread': { type: 'boolean', default: false },
    component: { type: 'string' },
    antithetic: { type: 'boolean', default: false },
  },
});
const [paths, workers, assetCount, factorCount] = [values.paths, values.workers, values.assets, values.factors].map(Number);

/** Uniforms in [0, 1) from the model's own splitmix64: the same book on every run and machine. */
function seededRandom(seed) {
  const generator = new SplitMix64(BigInt(seed));
  return () => Number(generator.nextUint64() >> 11n) / 2 ** 53;
}

/** n assets, one spot position each, loadings whose rows explain 20% to 80% of each asset's variance. */
export function factorBook(n, k) {
  const random = seededRandom(n * 104_729 + k);
  const assets = Array.from({ length: n }, (_, i) => ({
    id: `A${i}`,
    spot: Math.round((20 + random() * 480) * 100) / 100,
    drift: Math.round((random() * 0.2 - 0.05) * 1e4) / 1e4,
    vol: Math.round((0.1 + random() * 0.5) * 1e4) / 1e4,
  }));
  const factorLoadings = assets.map(() => {
    const row = Array.from({ length: k }, () => random() * 2 - 0.7);
    const scale = Math.sqrt(0.2 + 0.6 * random()) / Math.hypot(...row);
    return row.map((loading) => loading * scale);
  });
  const positions = assets.map((asset) => ({ asset: asset.id, type: 'spot', quantity: Math.round(1 + random() * 99) }));
  return { assets, factorLoadings, riskFreeRate: 0.03, positions };
}

const portfolio = factorBook(assetCount, factorCount);
const inThread = values['in-thread'];
const engine = await RiskEngine.load(values.component, inThread ? { isolation: 'in-thread', timeoutMs: 3_600_000 } : { workers, timeoutMs: 3_600_000 });
try {
  await engine.monteCarlo(portfolio, { paths: 1_000 * workers, seed: 1n });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await engine.monteCarlo(portfolio, { paths, seed: 42n, confidence: [0.99], antithetic: values.antithetic });
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const figures = {
    assets: assetCount,
    factors: factorCount,
    paths,
    workers: inThread ? 'in-thread' : workers,
    antithetic: values.antithetic,
    wallSeconds: Number(wallSeconds.toFixed(2)),
    cpuSeconds: Number(cpuSeconds.toFixed(2)),
    pathsPerSecond: Math.round(paths / wallSeconds),
    pathsPerCpuSecond: Math.round(paths / cpuSeconds),
    var99: Number(result.levels[0].var.toFixed(2)),
  };
  console.log(
    `${assetCount} assets x ${factorCount} factors, linear, ${paths.toLocaleString('en-US')}${values.antithetic ? ' antithetic' : ''} paths ${inThread ? 'in-thread' : `on ${workers} workers`}: ` +
      `${figures.wallSeconds} s wall, ${figures.cpuSeconds} s CPU (all threads), ${figures.pathsPerSecond.toLocaleString('en-US')} paths/s, ` +
      `${figures.pathsPerCpuSecond.toLocaleString('en-US')} paths per CPU second; 99% VaR ${figures.var99}`,
  );
  console.log(JSON.stringify(figures));
} finally {
  await engine.close();
}
