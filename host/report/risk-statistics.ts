// VaR, ES and P&L moments of a set of scenario P&Ls, exactly as README "Statistics" defines them.
// Shared by the reference engine and by the host, which merges the chunks of a run sorted where they
// were simulated: every sum runs over the losses in ascending order, so the result does not depend on
// how the scenarios were split or ordered.

import type { LevelRisk, RiskReport } from '../contract/types.js';

/** c N within this fraction of an integer is taken as that integer (k = c N, not c N + 1). */
const INTEGER_TOLERANCE = 1e-9;

/** 1-based rank of the VaR among N ascending losses: ceil(c N), integer tolerance, in [1, N]. */
export function varRank(confidence: number, count: number): number {
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

/** The losses (-P&L) of N scenarios in ascending order, -0 before +0 (the order the engine sorts in). */
export function sortedLosses(pnl: Float64Array): Float64Array {
  const losses = new Float64Array(pnl.length);
  for (let i = 0; i < pnl.length; i++) losses[i] = -pnl[i]!;
  return losses.sort();
}

/** Whether `a` comes before `b` in the sort's order, which puts -0 before +0. */
export function precedes(a: number, b: number): boolean {
  return a < b || (a === 0 && b === 0 && Object.is(a, -0) && !Object.is(b, -0));
}

function mergeTwo(a: Float64Array, b: Float64Array): Float64Array {
  const merged = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) merged[k++] = precedes(b[j]!, a[i]!) ? b[j++]! : a[i++]!;
  merged.set(a.subarray(i), k);
  merged.set(b.subarray(j), k + a.length - i);
  return merged;
}

/** Sorted runs (chunks of one simulation, sorted where they were simulated) merged into one sorted
 *  array, pairwise: log2(runs) linear passes instead of a sort of the whole. */
export function mergeSortedRuns(runs: readonly Float64Array[]): Float64Array {
  if (runs.length === 0) return new Float64Array(0);
  let level = [...runs];
  while (level.length > 1) {
    const next: Float64Array[] = [];
    for (let r = 0; r < level.length; r += 2) next.push(r + 1 < level.length ? mergeTwo(level[r]!, level[r + 1]!) : level[r]!);
    level = next;
  }
  return level[0]!;
}

/** Report of N >= 1 losses already in ascending order (`sortedLosses`, `mergeSortedRuns`). */
export function summarizeSortedLosses(losses: Float64Array, confidenceLevels: ArrayLike<number>): RiskReport {
  const count = losses.length;
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

/** Report of N >= 1 scenario P&Ls (loss = -P&L) at each confidence level, in the given order. */
export function summarizePnl(pnl: Float64Array, confidenceLevels: ArrayLike<number>): RiskReport {
  return summarizeSortedLosses(sortedLosses(pnl), confidenceLevels);
}
