// VaR, ES and P&L moments of a set of scenario P&Ls, exactly as README "Statistics" defines them.
// Shared by the reference engine and by the host, which merges the chunks of a run sorted where they
// were simulated: the tail sums run over the losses in ascending order and the moments are exact sums
// (exact-sum.ts), so the result does not depend on how the scenarios were split or ordered. A run's
// chunks need to share only their largest losses (`tailLength`) and their moments (distributed runs).

import type { LevelRisk, RiskReport } from '../contract/types.js';
import { InvalidInputError } from '../errors.js';
import { ExactSum, ratioToNumber, SCALE_BITS } from './exact-sum.js';

/** c N within this fraction of an integer is taken as that integer (k = c N, not c N + 1). */
const INTEGER_TOLERANCE = 1e-9;

/** 1-based rank of the VaR among N ascending losses: ceil(c N), integer tolerance, in [1, N]. */
export function varRank(confidence: number, count: number): number {
  const exact = confidence * count;
  const nearest = Math.round(exact);
  const rank = Math.abs(exact - nearest) <= INTEGER_TOLERANCE * exact ? nearest : Math.ceil(exact);
  return Math.min(Math.max(rank, 1), count);
}

/** One binomial standard deviation of the VaR's rank, either side of it (the standard error's spread). */
function rankSpread(confidence: number, count: number): number {
  return Math.ceil(Math.sqrt(count * confidence * (1 - confidence)));
}

/** How many of the largest of N losses the levels read: from the lowest rank any level's standard error
 *  looks at, max(1, k - j), to the largest. A chunk of a run need share no more than these. */
export function tailLength(count: number, confidenceLevels: ArrayLike<number>): number {
  let lowestRank = count;
  for (const confidence of Array.from(confidenceLevels)) {
    lowestRank = Math.min(lowestRank, Math.max(1, varRank(confidence, count) - rankSpread(confidence, count)));
  }
  return count - lowestRank + 1;
}

/** `tail`: the largest `tail.length` of `count` losses, ascending; ranks below them are never read. */
function levelRisk(tail: Float64Array, count: number, confidence: number): LevelRisk {
  const offset = count - tail.length;
  const loss = (rank: number) => tail[rank - 1 - offset]!;
  const k = varRank(confidence, count);
  const valueAtRisk = loss(k);
  let expectedShortfall = valueAtRisk;
  if (k < count) {
    let sum = 0;
    for (let rank = k + 1; rank <= count; rank++) sum += loss(rank);
    expectedShortfall = sum / (count - k);
  }
  const j = rankSpread(confidence, count);
  const upper = loss(Math.min(count, k + j));
  const lower = loss(Math.max(1, k - j));
  return { confidence, var: valueAtRisk, es: expectedShortfall, stdError: (upper - lower) / 2 };
}

/** Exact sums of a set of losses and of their squares, times 2^SCALE_BITS: what the mean and standard
 *  deviation need, added up chunk by chunk without rounding (`addMoments`). */
export interface LossMoments {
  count: number;
  sum: bigint;
  squares: bigint;
}

export function lossMoments(losses: Float64Array): LossMoments {
  const { sum, squares } = ExactSum.ofValuesAndSquares(losses);
  return { count: losses.length, sum, squares };
}

export function addMoments(a: LossMoments, b: LossMoments): LossMoments {
  return { count: a.count + b.count, sum: a.sum + b.sum, squares: a.squares + b.squares };
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

/**
 * The largest `keep` losses of a run whose chunks arrive one by one, each sorted: what the statistics of
 * the whole run read (`tailLength`). A chunk longer than `keep` has its largest copied, so the chunk itself
 * can be freed (a chunk's tail, `chunkSummary`, is kept as it is: no longer than `keep`); they are merged
 * and cut back to `keep` whenever they hold more than twice that: a run of any length holds at most about
 * 3 x `keep` losses here, plus the chunk that arrives. The result is the same array as the largest `keep`
 * of one merge of every chunk (ties are equal bits).
 */
export class LargestLosses {
  private runs: Float64Array[] = [];
  private held = 0;

  constructor(private readonly keep: number) {}

  add(sortedChunk: Float64Array): void {
    // A chunk's tail (chunkSummary) is no longer than `keep` and its own buffer already: kept as it is.
    const largest = sortedChunk.length > this.keep ? sortedChunk.slice(sortedChunk.length - this.keep) : sortedChunk;
    this.runs.push(largest);
    this.held += largest.length;
    if (this.held > 2 * this.keep) this.compact();
  }

  /** The largest `keep` losses added (all of them, if fewer), ascending. */
  largest(): Float64Array {
    this.compact();
    return this.runs[0] ?? new Float64Array(0);
  }

  private compact(): void {
    const merged = mergeSortedRuns(this.runs);
    const kept = merged.length > this.keep ? merged.slice(merged.length - this.keep) : merged;
    this.runs = [kept];
    this.held = kept.length;
  }
}

/** Report of N >= 1 losses already in ascending order (`sortedLosses`, `mergeSortedRuns`). */
export function summarizeSortedLosses(losses: Float64Array, confidenceLevels: ArrayLike<number>): RiskReport {
  return summarizeLossTail(losses, lossMoments(losses), confidenceLevels);
}

/**
 * Report of `moments.count` losses from their moments and their largest `tailLength(count, levels)` (or
 * more) in ascending order. The mean is the exact sum over N rounded once; the variance is the exact
 * (N sum(x^2) - sum(x)^2) / (N (N - 1)) rounded once, then its square root.
 */
export function summarizeLossTail(tail: Float64Array, moments: LossMoments, confidenceLevels: ArrayLike<number>): RiskReport {
  const { count, sum, squares } = moments;
  const n = BigInt(count);
  const meanLoss = ratioToNumber(sum, n << BigInt(SCALE_BITS));
  const variance = count > 1 ? ratioToNumber(((n * squares) << BigInt(SCALE_BITS)) - sum * sum, (n * (n - 1n)) << BigInt(2 * SCALE_BITS)) : 0;
  return finiteReport({
    scenarios: n,
    levels: Array.from(confidenceLevels, (confidence) => levelRisk(tail, count, confidence)),
    meanPnl: -meanLoss,
    stdPnl: Math.sqrt(variance),
  });
}

/**
 * `report`, unless finite losses gave it a number past the largest double: a variance above it (P&Ls of
 * 1e200), or a tail sum (a thousand losses of 1e307); that is the caller's input, as an overflowing P&L is
 * (the engine refuses both alike), never an Infinity that JSON prints as null. The exact mean cannot overflow,
 * and a standard error (half the distance of two losses) only where the variance does.
 */
function finiteReport(report: RiskReport): RiskReport {
  const overflow = (what: string) =>
    new InvalidInputError('portfolio', `the P&L's ${what} is not a finite number; spots, vols, drifts or quantities are too extreme`);
  if (!Number.isFinite(report.stdPnl)) throw overflow('standard deviation');
  for (const { confidence, es } of report.levels) if (!Number.isFinite(es)) throw overflow(`ES at confidence ${confidence}`);
  return report;
}

/** Report of N >= 1 scenario P&Ls (loss = -P&L) at each confidence level, in the given order. */
export function summarizePnl(pnl: Float64Array, confidenceLevels: ArrayLike<number>): RiskReport {
  return summarizeSortedLosses(sortedLosses(pnl), confidenceLevels);
}
