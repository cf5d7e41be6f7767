// Seeded Monte Carlo paths. Path p draws from its own stream (xoshiro256++ seeded by splitmix64 from the
// seed and p), so any split of a run into chunks gives every path the same P&L.
import { cholesky } from './pricing.js';
import { PathStream, words } from './random.js';
import { revaluation, TRADING_DAYS_PER_YEAR } from './revaluation.js';

const TWO_PI = 2 * Math.PI;

/** n independent standard normals by Box-Muller, into `out`. */
function normals(stream, n, out) {
  for (let i = 0; i < n; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(stream.nextUniform()));
    const angle = TWO_PI * stream.nextUniform();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < n) out[i + 1] = radius * Math.sin(angle);
  }
}

/** The P&L of paths [run.firstPath, run.firstPath + run.pathCount), in path order. */
export function simulatePnl(portfolio, run) {
  const { assets } = portfolio;
  const n = assets.length;
  const factor = cholesky(portfolio.correlation);
  const h = run.horizonDays / TRADING_DAYS_PER_YEAR;
  const driftTerm = assets.map(({ drift, vol }) => (drift - (vol * vol) / 2) * h);
  const volTerm = assets.map(({ vol }) => vol * Math.sqrt(h));
  const pnl = revaluation(portfolio, run.horizonDays);
  const count = Number(run.pathCount);
  const out = new Float64Array(count);
  const logReturns = new Float64Array(n);
  const eps = new Float64Array(n);
  const stream = new PathStream();
  const seed = words(run.seed);
  const path = words(run.firstPath);
  const key = new Uint32Array(2);
  for (let k = 0; k < count; k++) {
    key[0] = run.antithetic ? path[0] >>> 1 : path[0];
    key[1] = run.antithetic ? ((path[1] >>> 1) | (path[0] << 31)) >>> 0 : path[1];
    stream.reset(seed, key);
    normals(stream, n, eps);
    const sign = run.antithetic && (path[1] & 1) === 1 ? -1 : 1;
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let j = 0; j <= i; j++) z += factor[i][j] * eps[j];
      logReturns[i] = driftTerm[i] + volTerm[i] * sign * z;
    }
    out[k] = pnl(logReturns);
    path[1] = (path[1] + 1) >>> 0;
    if (path[1] === 0) path[0] = (path[0] + 1) >>> 0;
  }
  return out;
}
