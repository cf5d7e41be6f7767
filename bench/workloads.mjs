// The benchmark's workloads: deterministic portfolios of 10, 100 and 500 assets, linear (one spot position
// per asset) or option-heavy (per asset a spot position, a call and a put), in the three forms the
// contenders read: the host's PortfolioSpec, the native binary's text file and NumPy's JSON.
import { SplitMix64 } from '../dist/reference/random-streams.js';

/** Uniforms in [0, 1) from the model's own splitmix64, so every workload is the same on every run and machine. */
function seededRandom(seed) {
  const generator = new SplitMix64(BigInt(seed));
  return () => Number(generator.nextUint64() >> 11n) / 2 ** 53;
}

const FACTORS = 8;
const FACTOR_WEIGHT = 0.6;

/**
 * Sector-like correlation: C = w U U' + (1 - w) I with unit rows u_i in R^8, so full rank and exactly
 * symmetric (u_i . u_j and u_j . u_i are summed in the same order).
 */
function factorCorrelation(n, random) {
  const loadings = Array.from({ length: n }, () => {
    const row = Array.from({ length: FACTORS }, () => random() * 2 - 0.6);
    const norm = Math.hypot(...row);
    return row.map((v) => v / norm);
  });
  return loadings.map((u, i) =>
    loadings.map((v, j) => (i === j ? 1 : FACTOR_WEIGHT * u.reduce((sum, x, k) => sum + x * v[k], 0))),
  );
}

/** kind: 'linear' | 'options'. */
export function benchPortfolio(assetCount, kind) {
  const random = seededRandom(assetCount * 7919 + (kind === 'options' ? 1 : 0));
  const assets = Array.from({ length: assetCount }, (_, i) => ({
    id: `A${i}`,
    spot: Math.round((20 + random() * 480) * 100) / 100,
    drift: Math.round((random() * 0.2 - 0.05) * 1e4) / 1e4,
    vol: Math.round((0.1 + random() * 0.5) * 1e4) / 1e4,
  }));
  const positions = [];
  for (const asset of assets) {
    positions.push({ asset: asset.id, type: 'spot', quantity: Math.round((random() * 2 - 0.5) * 1000) });
    if (kind === 'options') {
      for (const type of ['call', 'put']) {
        positions.push({
          asset: asset.id,
          type,
          strike: Math.round(asset.spot * (0.85 + random() * 0.3) * 100) / 100,
          expiryYears: Math.round((0.1 + random() * 1.4) * 1000) / 1000,
          quantity: Math.round((random() * 2 - 1) * 200),
        });
      }
    }
  }
  return { assets, correlation: factorCorrelation(assetCount, random), riskFreeRate: 0.03, positions };
}

/** The native binary's input (bench/native/src/main.rs parses it). */
export function workloadText(spec) {
  const index = new Map(spec.assets.map((a, i) => [a.id, i]));
  const lines = [`assets ${spec.assets.length}`];
  for (const a of spec.assets) lines.push(`${a.spot} ${a.drift} ${a.vol}`);
  for (const row of spec.correlation) lines.push(row.join(' '));
  lines.push(`rate ${spec.riskFreeRate}`, `positions ${spec.positions.length}`);
  for (const p of spec.positions) {
    lines.push(`${index.get(p.asset)} ${p.quantity} ${p.type} ${p.strike ?? 0} ${p.expiryYears ?? 0}`);
  }
  return lines.join('\n') + '\n';
}
