// VaR, ES and P&L moments of a set of scenario P&Ls, exactly as README "Statistics" defines them.
// Shared by the reference engine and by the host when it merges chunks simulated in parallel: every
// sum runs over the losses in ascending order, so the result does not depend on how the scenarios
// were split or ordered.

import type { LevelRisk, RiskReport } from './engine-types.js';

/** c N within this fraction of an integer is taken as that integer (k = c N, not c N + 1). */
const INTEGER_TOLERANCE = 1e-9;

/** 1-based rank of the VaR among N ascending losses: ceil(c N), integer tolerance, in [1, N]. */
function varRank(confidence: number, count: number): number {
  const exact = confidence * count;
  const nearest = Math.round(exact);
  const rank = Math.abs(exact - nearest) <= INTEGER_TOLERANCE * exact ? nearest : Math.ceil(exact);
  return Math.min(Math.max(rank, 1), count);
}

function levelRisk(sortedLosses: Float64Array, confidence: number): LevelRisk {
  const count = sortedLosses.length;
  const k = varRank(confidence, count);
  const valueAtRisk = sortedLosses[k - 1]!;
  let expectedShortfall = valueAtRisk;
  if (k < count) {
    let tail = 0;
    for (let i = k; i < count; i++) tail += sortedLosses[i]!;
    expectedShortfall = tail / (count - k);
  }
  // One binomial standard deviation of the rank either side of k.
  const j = Math.ceil(Math.sqrt(count * confidence * (1 - confidence)));
  const upper = sortedLosses[Math.min(count, k + j) - 1]!;
  const lower = sortedLosses[Math.max(1, k - j) - 1]!;
  return { confidence, var: valueAtRisk, es: expectedShortfall, stdError: (upper - lower) / 2 };
}

/** Report of N >= 1 scenario P&Ls (loss = -P&L) at each confidence level, in the given order. */
export function summarizePnl(pnl: Float64Array, confidenceLevels: ArrayLike<number>): RiskReport {
  const count = pnl.length;
  const losses = new Float64Array(count);
  for (let i = 0; i < count; i++) losses[i] = -pnl[i]!;
  losses.sort();

  let sum = 0;
  for (let i = 0; i < count; i++) sum += losses[i]!;
  const meanLoss = sum / count;
  let squares = 0;
  for (let i = 0; i < count; i++) {
    const deviation = losses[i]! - meanLoss;
    squares += deviation * deviation;
  }

  return {
    scenarios: BigInt(count),
    levels: Array.from(confidenceLevels, (confidence) => levelRisk(losses, confidence)),
    meanPnl: -meanLoss,
    stdPnl: count > 1 ? Math.sqrt(squares / (count - 1)) : 0,
  };
}
