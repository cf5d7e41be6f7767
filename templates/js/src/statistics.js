// VaR, ES and their standard error from N scenario losses sorted ascending, as wasm-risk's model defines
// them (docs/model.md of wasm-risk, "Statistics"). Lists of f64 arrive as Float64Arrays, whose `map`
// would return numbers only: levels are built with Array.from.

/** Losses (-P&L) in ascending total order (-0 before +0): Float64Array's sort gives exactly that. */
export function sortedLosses(pnl) {
  return Float64Array.from(pnl, (x) => -x).sort();
}

function rank(confidence, count) {
  const target = confidence * count;
  const nearest = Math.round(target);
  const k = Math.abs(target - nearest) <= 1e-9 * target ? nearest : Math.ceil(target);
  return Math.min(Math.max(k, 1), count);
}

export function reportFromSortedLosses(losses, confidenceLevels) {
  const count = losses.length;
  let sum = 0;
  for (const loss of losses) sum += loss;
  const meanLoss = sum / count;
  let squares = 0;
  for (const loss of losses) squares += (loss - meanLoss) * (loss - meanLoss);
  const levels = Array.from(confidenceLevels, (confidence) => {
    const k = rank(confidence, count);
    const varLoss = losses[k - 1];
    let tail = 0;
    for (let i = k; i < count; i++) tail += losses[i];
    const es = k === count ? varLoss : tail / (count - k);
    const j = Math.ceil(Math.sqrt(count * confidence * (1 - confidence)));
    const stdError = (losses[Math.min(count, k + j) - 1] - losses[Math.max(1, k - j) - 1]) / 2;
    return { confidence, var: varLoss, es, stdError };
  });
  return { scenarios: BigInt(count), levels, meanPnl: -meanLoss, stdPnl: count > 1 ? Math.sqrt(squares / (count - 1)) : 0 };
}
