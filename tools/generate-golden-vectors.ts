// Writes wit/golden-vectors.json (or the path given): `node dist/tools/generate-golden-vectors.js`. Expected numbers
// come from closed forms (exact lognormal quantiles, Black-Scholes) and from the TypeScript reference,
// never from the component they will judge.
import { writeFile } from 'node:fs/promises';
import type { GoldenVectors } from '../host/versions/golden-vectors.js';
import { GOLDEN_VECTORS_FILE } from '../host/versions/golden-vectors.js';
import { validatePortfolio, type PortfolioSpec } from '../host/request/portfolio.js';
import { blackScholesPrice } from '../reference/black-scholes.js';
import { inverseNormalCdf } from '../reference/normal-distribution.js';
import { referenceHistorical, referenceMonteCarlo, referenceParametric } from '../reference/reference-engine.js';

const LEVELS = [0.95, 0.99];
const TRADING_DAYS = 252;

const STOCK = { id: 'X', spot: 100, drift: 0.06, vol: 0.3 };

function singleAsset(position: PortfolioSpec['positions'][number]): PortfolioSpec {
  return { assets: [STOCK], correlation: [[1]], riskFreeRate: 0.03, positions: [position] };
}

/**
 * Levels of a loss L = g(X) monotone in the log-return X ~ N(m, s^2) of the single asset: the VaR is g at
 * the matching quantile of X, the ES the mean of g over that tail (midpoint rule in probability, 20k cells).
 */
function monotoneLossLevels(loss: (x: number) => number, lossFallsAsPriceRises: boolean, asset: { drift: number; vol: number }, horizonDays: number) {
  const h = horizonDays / TRADING_DAYS;
  const m = (asset.drift - (asset.vol * asset.vol) / 2) * h;
  const s = asset.vol * Math.sqrt(h);
  const xAtTailProbability = (u: number) => m + s * inverseNormalCdf(lossFallsAsPriceRises ? u : 1 - u);
  return LEVELS.map((confidence) => {
    const tail = 1 - confidence;
    const cells = 20_000;
    let sum = 0;
    for (let k = 0; k < cells; k++) sum += loss(xAtTailProbability(((k + 0.5) / cells) * tail));
    return { confidence, var: loss(xAtTailProbability(tail)), es: sum / cells };
  });
}

function levelsOf(report: { levels: { confidence: number; var: number; es: number }[] }) {
  return report.levels.map(({ confidence, var: v, es }) => ({ confidence, var: v, es }));
}

const longStock = singleAsset({ asset: 'X', type: 'spot', quantity: 100 });
const shortStock = singleAsset({ asset: 'X', type: 'spot', quantity: -100 });
const longCall = singleAsset({ asset: 'X', type: 'call', strike: 105, expiryYears: 0.5, quantity: 100 });
const correlatedBook: PortfolioSpec = {
  assets: [
    { id: 'A', spot: 120, drift: 0.05, vol: 0.25 },
    { id: 'B', spot: 80, drift: 0.02, vol: 0.35 },
    { id: 'C', spot: 45, drift: 0.07, vol: 0.4 },
  ],
  correlation: [
    [1, 0.7, -0.3],
    [0.7, 1, 0.1],
    [-0.3, 0.1, 1],
  ],
  riskFreeRate: 0.025,
  positions: [
    { asset: 'A', type: 'spot', quantity: 200 },
    { asset: 'B', type: 'spot', quantity: -150 },
    { asset: 'C', type: 'put', strike: 40, expiryYears: 0.75, quantity: 300 },
    { asset: 'A', type: 'call', strike: 130, expiryYears: 0.25, quantity: -80 },
  ],
};
/** Three assets on two factors; C = L L' + diag(1 - row sums of squares) is `impliedCorrelationBook`'s. */
const FACTOR_LOADINGS = [
  [0.7, 0.3],
  [0.4, -0.6],
  [-0.5, 0.2],
];
const factorBook: PortfolioSpec = (({ correlation: _, ...rest }) => ({ ...rest, factorLoadings: FACTOR_LOADINGS }))(correlatedBook);
const impliedCorrelationBook: PortfolioSpec = {
  ...correlatedBook,
  correlation: FACTOR_LOADINGS.map((a, i) => FACTOR_LOADINGS.map((b, j) => (i === j ? 1 : a[0]! * b[0]! + a[1]! * b[1]!))),
};
const history = [
  [0.012, -0.004, 0.021], [-0.031, -0.022, 0.005], [0.004, 0.011, -0.018], [-0.017, -0.009, -0.026],
  [0.022, 0.015, 0.009], [-0.008, 0.003, 0.031], [0.027, 0.019, -0.012], [-0.044, -0.038, 0.015],
  [0.001, -0.007, 0.004], [0.015, 0.021, -0.007], [-0.021, -0.011, -0.035], [0.006, 0.002, 0.013],
];

function generate(): GoldenVectors {
  const horizon = 10;
  const h = horizon / TRADING_DAYS;
  const book = validatePortfolio(correlatedBook).portfolio;
  const implied = validatePortfolio(impliedCorrelationBook).portfolio;
  const callToday = blackScholesPrice('call', 100, 105, 0.5, 0.03, 0.3);
  const statistical = { varTolerance: { stdErrors: 5 }, esTolerance: { relative: 0.03 } };
  const exact = { varTolerance: { relative: 1e-9 }, esTolerance: { relative: 1e-9 } };
  const mc = { paths: 200_000, seed: '20261125', horizonDays: horizon, confidence: LEVELS };
  return {
    contract: 'wasm-risk:risk@1',
    vectors: [
      {
        name: 'monte-carlo long stock',
        source: 'exact lognormal quantile and tail mean of 100 * (100 e^X - 100)',
        method: 'monte-carlo',
        portfolio: longStock,
        options: mc,
        expect: { levels: monotoneLossLevels((x) => -100 * (100 * Math.exp(x) - 100), true, STOCK, horizon), ...statistical },
      },
      {
        name: 'monte-carlo short stock',
        source: 'exact lognormal upper quantile of -100 * (100 e^X - 100)',
        method: 'monte-carlo',
        portfolio: shortStock,
        options: mc,
        expect: { levels: monotoneLossLevels((x) => 100 * (100 * Math.exp(x) - 100), false, STOCK, horizon), ...statistical },
      },
      {
        name: 'monte-carlo long call',
        source: 'Black-Scholes revaluation at the exact lognormal quantile (the loss is monotone in the spot)',
        method: 'monte-carlo',
        portfolio: longCall,
        options: mc,
        expect: {
          levels: monotoneLossLevels((x) => -100 * (blackScholesPrice('call', 100 * Math.exp(x), 105, 0.5 - h, 0.03, 0.3) - callToday), true, STOCK, horizon),
          ...statistical,
        },
      },
      {
        name: 'monte-carlo correlated book',
        source: 'TypeScript reference, 1,000,000 paths under another seed',
        method: 'monte-carlo',
        portfolio: correlatedBook,
        options: mc,
        expect: {
          levels: levelsOf(referenceMonteCarlo(book, { seed: 1n, horizonDays: horizon, antithetic: false, firstPath: 0n, pathCount: 1_000_000n }, LEVELS)),
          ...statistical,
        },
      },
      {
        name: 'parametric correlated book',
        source: 'delta-normal closed form (TypeScript reference)',
        method: 'parametric',
        portfolio: correlatedBook,
        options: { horizonDays: horizon, confidence: LEVELS },
        expect: { levels: levelsOf(referenceParametric(book, horizon, LEVELS)), ...exact },
      },
      {
        name: 'historical correlated book',
        source: 'full revaluation on 12 scenarios (TypeScript reference)',
        method: 'historical',
        portfolio: { ...correlatedBook, returns: history },
        options: { horizonDays: 1, confidence: [0.75, 0.9] },
        expect: { levels: levelsOf(referenceHistorical(book, history.map((row) => Float64Array.from(row)), 1, [0.75, 0.9])), ...exact },
      },
      {
        name: 'monte-carlo factor book',
        source: 'TypeScript reference on the correlation the loadings imply (the full-correlation route), 1,000,000 paths under another seed',
        method: 'monte-carlo',
        since: '1.2.0',
        portfolio: factorBook,
        options: mc,
        expect: {
          levels: levelsOf(referenceMonteCarlo(implied, { seed: 1n, horizonDays: horizon, antithetic: false, firstPath: 0n, pathCount: 1_000_000n }, LEVELS)),
          ...statistical,
        },
      },
      {
        name: 'parametric factor book',
        source: 'delta-normal closed form on the correlation the loadings imply (TypeScript reference)',
        method: 'parametric',
        since: '1.2.0',
        portfolio: factorBook,
        options: { horizonDays: horizon, confidence: LEVELS },
        expect: { levels: levelsOf(referenceParametric(implied, horizon, LEVELS)), ...exact },
      },
      {
        name: 'correlation that is not positive semi-definite',
        source: 'a 3 x 3 matrix with a negative eigenvalue',
        method: 'parametric',
        portfolio: { ...correlatedBook, correlation: [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]] },
        options: { horizonDays: 1 },
        expect: { errorCode: 'ERR_NOT_POSITIVE_SEMIDEFINITE' },
      },
    ],
  };
}

const output = process.argv[2] ?? GOLDEN_VECTORS_FILE;
await writeFile(output, `${JSON.stringify(generate(), null, 2)}\n`);
console.log(`wrote ${output}`);
