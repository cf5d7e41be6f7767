// Deterministic random portfolios (spot and option positions, valid correlations) for differential tests.
import type { PortfolioSpec } from '../../host/request/portfolio.js';

/** mulberry32: a tiny seeded generator, so every failing case can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A valid correlation matrix: normalised rows of a random factor matrix, C = B B'. */
function randomCorrelation(n: number, random: () => number): number[][] {
  const rows = Array.from({ length: n }, () => Array.from({ length: n }, () => random() * 2 - 1));
  const unit = rows.map((row) => {
    const norm = Math.hypot(...row);
    return row.map((v) => v / norm);
  });
  return unit.map((a, i) => unit.map((b, j) => (i === j ? 1 : Math.round(a.reduce((s, v, k) => s + v * b[k]!, 0) * 1e12) / 1e12)));
}

export function randomPortfolio(seed: number): PortfolioSpec {
  const random = seededRandom(seed);
  const n = 1 + Math.floor(random() * 6);
  const assets = Array.from({ length: n }, (_, i) => ({
    id: `A${i}`,
    spot: 5 + random() * 500,
    drift: random() * 0.3 - 0.1,
    vol: 0.05 + random() * 0.7,
  }));
  const positions = Array.from({ length: 1 + Math.floor(random() * 8) }, () => {
    const asset = assets[Math.floor(random() * n)]!;
    const quantity = Math.round((random() * 2 - 1) * 1000);
    const kind = random();
    if (kind < 0.4) return { asset: asset.id, type: 'spot' as const, quantity };
    return {
      asset: asset.id,
      type: kind < 0.7 ? ('call' as const) : ('put' as const),
      strike: asset.spot * (0.7 + random() * 0.6),
      expiryYears: 0.01 + random() * 2,
      quantity,
    };
  });
  return { assets, correlation: randomCorrelation(n, random), riskFreeRate: random() * 0.06, positions };
}

/** The same kind of book on k factors: rows of loadings explaining 0 to 100% of each asset's variance. */
export function randomFactorPortfolio(seed: number): PortfolioSpec {
  const { correlation: _, ...book } = randomPortfolio(seed);
  const random = seededRandom(seed * 7 + 1);
  const k = 1 + Math.floor(random() * 5);
  const factorLoadings = book.assets.map(() => {
    const row = Array.from({ length: k }, () => random() * 2 - 1);
    const scale = Math.sqrt(random()) / Math.hypot(...row);
    return row.map((loading) => loading * scale);
  });
  return { ...book, factorLoadings };
}
