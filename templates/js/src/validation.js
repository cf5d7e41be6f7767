// Every argument is checked before the model reads it: the host validates too, but a plugin trusts no caller.
import { invalidInput, tooLarge } from './errors.js';

// The contract's request limits (wit/limits.json of wasm-risk).
const MAX_ASSETS = 2000;
const MAX_POSITIONS = 100_000;
const MAX_PATHS_PER_CALL = 10_000_000n;
const MAX_HISTORY_ROWS = 1_000_000;
const MAX_CONFIDENCE_LEVELS = 64;
const MAX_HORIZON_DAYS = 2520;

function finite(value, field) {
  if (!Number.isFinite(value)) throw invalidInput(field, 'must be a finite number');
  return value;
}

function positive(value, field) {
  if (!(finite(value, field) > 0)) throw invalidInput(field, 'must be positive');
  return value;
}

export function validatePortfolio(portfolio) {
  const { assets, correlation, positions } = portfolio;
  const n = assets.length;
  if (n === 0) throw invalidInput('portfolio.assets', 'must not be empty');
  if (n > MAX_ASSETS) throw tooLarge('portfolio.assets', `at most ${MAX_ASSETS}`);
  if (positions.length > MAX_POSITIONS) throw tooLarge('portfolio.positions', `at most ${MAX_POSITIONS}`);
  assets.forEach((asset, i) => {
    positive(asset.spot, `portfolio.assets[${i}].spot`);
    finite(asset.drift, `portfolio.assets[${i}].drift`);
    if (!(finite(asset.vol, `portfolio.assets[${i}].vol`) >= 0)) throw invalidInput(`portfolio.assets[${i}].vol`, 'must not be negative');
  });
  finite(portfolio.riskFreeRate, 'portfolio.riskFreeRate');
  if (correlation.length !== n) throw invalidInput('portfolio.correlation', `must have ${n} rows`);
  correlation.forEach((row, i) => {
    if (row.length !== n) throw invalidInput(`portfolio.correlation[${i}]`, `must have ${n} entries`);
    row.forEach((c, j) => {
      const field = `portfolio.correlation[${i}][${j}]`;
      if (!(Math.abs(finite(c, field)) <= 1)) throw invalidInput(field, 'must lie in [-1, 1]');
      if (i === j && c !== 1) throw invalidInput(field, 'the diagonal must be 1');
      if (j < i && c !== correlation[j][i]) throw invalidInput(field, 'the matrix must be symmetric');
    });
  });
  positions.forEach((position, p) => {
    if (position.assetIndex >= n) throw invalidInput(`portfolio.positions[${p}].assetIndex`, `must be below ${n}`);
    finite(position.quantity, `portfolio.positions[${p}].quantity`);
    if (position.instrument.tag === 'european') {
      positive(position.instrument.val.strike, `portfolio.positions[${p}].strike`);
      positive(position.instrument.val.expiryYears, `portfolio.positions[${p}].expiryYears`);
    }
  });
}

export function validateHorizon(horizonDays, field = 'horizonDays') {
  positive(horizonDays, field);
  if (horizonDays > MAX_HORIZON_DAYS) throw invalidInput(field, `at most ${MAX_HORIZON_DAYS}`);
}

export function validateConfidence(levels) {
  if (levels.length === 0) throw invalidInput('confidence', 'must not be empty');
  if (levels.length > MAX_CONFIDENCE_LEVELS) throw tooLarge('confidence', `at most ${MAX_CONFIDENCE_LEVELS} levels`);
  levels.forEach((c, i) => {
    if (!(c > 0 && c < 1)) throw invalidInput(`confidence[${i}]`, 'must lie strictly between 0 and 1');
  });
}

export function validateSimulation(run) {
  validateHorizon(run.horizonDays, 'run.horizonDays');
  if (run.pathCount < 1n) throw invalidInput('run.pathCount', 'must be at least 1');
  if (run.pathCount > MAX_PATHS_PER_CALL) throw tooLarge('run.pathCount', `at most ${MAX_PATHS_PER_CALL} paths per call`);
  if (run.firstPath + run.pathCount > 2n ** 64n) throw invalidInput('run.firstPath', 'the paths must end below 2^64');
}

export function validateReturns(returns, assetCount) {
  if (returns.length === 0) throw invalidInput('returns', 'must not be empty');
  if (returns.length > MAX_HISTORY_ROWS) throw tooLarge('returns', `at most ${MAX_HISTORY_ROWS} rows`);
  returns.forEach((row, r) => {
    if (row.length !== assetCount) throw invalidInput(`returns[${r}]`, `must have ${assetCount} entries, one per asset`);
    row.forEach((x, i) => finite(x, `returns[${r}][${i}]`));
  });
}
