// What comes back from a component is untrusted: errors are mapped to the host's typed errors, its text
// is escaped for the terminal, and results are checked for shape and sanity before anyone reads a
// number from them.
import { asComponentRefusal } from './component-refusal.js';
import { RISK_ERROR_TAGS, type EngineInfo, type RiskErrorCase, type RiskReport } from './types.js';
import { LIFTED_LEVELS_BOUND } from '../load/glue-patches.js';
import {
  ComponentContractError,
  ComponentTrapError,
  InvalidInputError,
  NotPositiveSemidefiniteError,
  RequestTooLargeError,
  WasmRiskError,
  messageOf,
} from '../errors.js';
import { precedes, varRank } from '../report/risk-statistics.js';
import { terminalText } from '../report/terminal-text.js';

const MAX_MESSAGE = 500;

/** Maps whatever a component call threw: a `risk-error` case, a trap, or a broken contract. Its text is
 *  cut to a bounded length and escaped (`terminalText`) before any error carries it. */
export function componentFailure(thrown: unknown): WasmRiskError {
  if (thrown instanceof WasmRiskError) return thrown;
  if (thrown instanceof WebAssembly.RuntimeError) {
    return new ComponentTrapError(`component trapped: ${terminalText(thrown.message)}`, { cause: thrown });
  }
  if (isRiskErrorCase(thrown)) return asComponentRefusal(RISK_ERRORS[thrown.tag](terminalText(thrown.val.slice(0, MAX_MESSAGE))));
  // A RangeError or TypeError from the glue means the component's memory or data was corrupt.
  return new ComponentTrapError(`component failed: ${terminalText(messageOf(thrown).slice(0, MAX_MESSAGE))}`, { cause: thrown });
}

/** The host's error for each `risk-error` case: typed by the generated contract, so a case added to the WIT
 *  is a compile error here until it is mapped. */
const RISK_ERRORS: { [Tag in RiskErrorCase['tag']]: (message: string) => WasmRiskError } = {
  'invalid-input': (message) => {
    const split = message.indexOf(': ');
    return split > 0 ? new InvalidInputError(message.slice(0, split), message.slice(split + 2)) : new InvalidInputError('', message);
  },
  'not-positive-semidefinite': (message) => new NotPositiveSemidefiniteError(message),
  'too-large': (message) => new RequestTooLargeError(message),
};

function isRiskErrorCase(value: unknown): value is RiskErrorCase {
  if (typeof value !== 'object' || value === null) return false;
  const { tag, val } = value as { tag?: unknown; val?: unknown };
  return (RISK_ERROR_TAGS as readonly unknown[]).includes(tag) && typeof val === 'string';
}

/** The longest name or version a component may report (UTF-16 code units). */
const MAX_INFO_LENGTH = 200;
/** The longest they are once escaped: `terminalText` writes an unsafe character as at most six (`\u202e`).
 *  Whatever takes a version or name back (the admin API's body, a distributed chunk's result) allows this. */
export const MAX_ESCAPED_INFO_LENGTH = 6 * MAX_INFO_LENGTH;

/** The component's name and version, escaped (`terminalText`) once here so that every table, log and
 *  registry downstream holds only printable text; escaping, not refusing, keeps the evidence visible. */
export function checkedInfo(info: EngineInfo): EngineInfo {
  const ok = (s: unknown) => typeof s === 'string' && s.length > 0 && s.length <= MAX_INFO_LENGTH;
  if (!ok(info?.name) || !ok(info?.version)) throw new ComponentContractError('component info() returned no valid name and version');
  return { name: terminalText(info.name), version: terminalText(info.version) };
}

/**
 * `report` if it could have come from the estimators README "The model" defines, for the requested
 * `confidence` levels (in request order) and `scenarios` (0 for the closed form); else a contract error.
 * A genuine report is never refused: every check below is a theorem about those estimators, with a
 * rounding slack proved to cover floating point.
 */
export function checkedReport(report: RiskReport, confidence: readonly number[], scenarios: bigint): RiskReport {
  const fail = (what: string) => new ComponentContractError(`component returned an invalid report: ${what}`);
  if (report?.scenarios !== scenarios) throw fail(`scenarios ${String(report?.scenarios)}, expected ${scenarios}`);
  if (!Array.isArray(report.levels)) throw fail('no list of levels');
  if (report.levels.length !== confidence.length) {
    // Lists longer than LIFTED_LEVELS_BOUND were cut while lifted (glue-patches.ts): say "at least".
    const returned = report.levels.length >= LIFTED_LEVELS_BOUND ? `at least ${LIFTED_LEVELS_BOUND}` : String(report.levels.length);
    throw fail(`${returned} levels for ${confidence.length} confidence levels asked`);
  }
  report.levels.forEach((level, i) => {
    if (level.confidence !== confidence[i]) throw fail(`levels[${i}].confidence is not the requested ${confidence[i]}`);
    for (const key of ['var', 'es', 'stdError'] as const) {
      if (!Number.isFinite(level[key])) throw fail(`levels[${i}].${key} is not finite`);
    }
    if (level.stdError < 0) throw fail(`levels[${i}].stdError is negative`);
  });
  if (!Number.isFinite(report.meanPnl) || !Number.isFinite(report.stdPnl) || report.stdPnl < 0) throw fail('meanPnl/stdPnl');
  // Both estimators take the square root of a finite variance; this also keeps the bounds below finite.
  if (!Number.isFinite(report.stdPnl * report.stdPnl)) throw fail(`stdPnl ${report.stdPnl} is the root of no finite variance`);
  const count = Number(scenarios);
  const slack = count > 0 ? sampleSlack(report, count) : closedFormSlack(report);
  checkOrder(report, slack, fail);
  checkSpread(report, count, slack, fail);
  return report;
}

type Failure = (what: string) => ComponentContractError;

/** Unit roundoff of a double. */
const UNIT_ROUNDOFF = 2 ** -53;

/**
 * What rounding may move a sample report's numbers by. The engine's mean and tail means are sums of at
 * most N losses, each at most |mu| + sigma sqrt(N) in size (bounds (a), (b) of `spreadBounds` with k = N
 * and 1), so by the summation error bound |fl(sum x) - sum x| <= (n - 1) u sum |x| / (1 - n u) each is
 * off by at most about N u (|mu| + s sqrt(N)); the sample variance, computed from rounded deviations and
 * squares, is under its exact value by at most a relative (N + 3) u and an absolute N 2^-1074 lost to
 * underflow. Eight times that error covers every check (each compares at most two rounded results);
 * (N + 1) 1e-150 covers the squares that underflow (deviations below 1e-161). The property tests find
 * loss sets that need more than an eighth of it.
 */
function sampleSlack(report: RiskReport, count: number): number {
  const rounding = 8 * (count + 4) * UNIT_ROUNDOFF;
  return rounding * Math.abs(report.meanPnl) + rounding * report.stdPnl * (Math.sqrt(count) + 1) + (count + 1) * 1e-150;
}

/** What rounding may move the closed form -mu + sigma x by: a few units in the last place of its terms,
 *  with a margin; x (z or phi(z) / (1 - c)) is below 40 in size for every double c in (0, 1). */
function closedFormSlack(report: RiskReport): number {
  return 16 * UNIT_ROUNDOFF * (Math.abs(report.meanPnl) + 40 * report.stdPnl) + 1e-300;
}

/**
 * What every estimator guarantees about the order of its numbers: ES(c) >= VaR(c) (a tail mean of losses
 * at least the VaR), ES(c) >= -meanPnl (a tail mean is at least the mean), and VaR and ES non-decreasing
 * in c (a higher c takes a later order statistic and a shorter tail of the largest losses). Levels are
 * compared sorted by confidence, as the request need not list them in order.
 */
function checkOrder(report: RiskReport, slack: number, fail: Failure): void {
  const meanLoss = -report.meanPnl;
  report.levels.forEach((level, i) => {
    if (level.es < level.var - slack) throw fail(`levels[${i}]: es ${level.es} is below var ${level.var}`);
    if (level.es < meanLoss - slack) throw fail(`levels[${i}]: es ${level.es} is below the mean loss ${meanLoss}`);
  });
  const order = report.levels.map((_, i) => i).sort((a, b) => report.levels[a]!.confidence - report.levels[b]!.confidence);
  for (let r = 1; r < order.length; r++) {
    const [lower, higher] = [report.levels[order[r - 1]!]!, report.levels[order[r]!]!];
    for (const key of ['var', 'es'] as const) {
      if (higher[key] < lower[key] - slack) {
        throw fail(`${key} falls as confidence rises: ${lower[key]} at ${lower.confidence}, ${higher[key]} at ${higher.confidence}`);
      }
    }
  }
}

interface SpreadBounds {
  /** Largest (VaR - mean loss) / stdPnl, (mean loss - VaR) / stdPnl, (ES - mean loss) / stdPnl, stdError / stdPnl;
   *  infinite where nothing bounds it. */
  above: number;
  below: number;
  tail: number;
  stdError: number;
}

/**
 * How far from the mean a standard deviation lets the VaR and ES at confidence c lie, for N scenario
 * losses, or for the closed form (N = 0).
 *
 * N losses, exact mean mu, population standard deviation sigma = s sqrt((N - 1) / N) <= s, k the VaR's
 * rank: (a) L(k) - mu <= sigma sqrt((k - 1) / (N - k + 1)); (b) mu - L(k) <= sigma sqrt((N - k) / k);
 * (c) the mean T of L(k+1..N) has T - mu <= sigma sqrt(k / (N - k)) (when k = N, ES = L(N) and (a) gives
 * sqrt(N - 1)); (d) L(N) - L(1) <= sigma sqrt(2 N) <= s sqrt(2 (N - 1)), so stdError <= s sqrt((N - 1) / 2).
 * Proof of (a): let d = L(k) - mu > 0. The m = N - k + 1 losses from L(k) up have deviations >= d summing
 * to D >= m d; the other k - 1 sum to -D (all deviations sum to 0; so k >= 2), and by Cauchy-Schwarz
 * N sigma^2 >= D^2 / m + D^2 / (k - 1) = D^2 N / (m (k - 1)) >= m d^2 N / (k - 1). (b) and (c) are the
 * same argument on the k smallest losses and on the N - k largest, (d) is N sigma^2 >= a^2 + b^2 >=
 * (a + b)^2 / 2 for a = L(N) - mu, b = mu - L(1). N = 1 leaves no spread at all.
 *
 * Closed form: the same argument on a distribution (tail mass 1 - c, body c) gives the one-sided
 * Chebyshev (Cantelli) bounds sqrt(c / (1 - c)) for VaR and ES above the mean and sqrt((1 - c) / c) for
 * VaR below it; the normal's z and phi(z) / (1 - c) lie within them. With k ~ c N the sample bounds are
 * these too, a little tighter. Either way a zero stdPnl leaves every VaR and ES at the mean loss.
 */
function spreadBounds(confidence: number, count: number): SpreadBounds {
  if (count === 0) {
    const odds = confidence / (1 - confidence);
    return { above: Math.sqrt(odds), below: Math.sqrt(1 / odds), tail: Math.sqrt(odds), stdError: Number.POSITIVE_INFINITY };
  }
  const k = varRank(confidence, count);
  return {
    above: Math.sqrt((k - 1) / (count - k + 1)),
    below: Math.sqrt((count - k) / k),
    tail: Math.sqrt(k < count ? k / (count - k) : count - 1),
    stdError: Math.sqrt((count - 1) / 2),
  };
}

function checkSpread(report: RiskReport, count: number, slack: number, fail: Failure): void {
  const meanLoss = -report.meanPnl;
  const s = report.stdPnl;
  // No spread means none, even where the bound is infinite (0 * Infinity would be NaN, which passes all).
  const spread = (ratio: number) => (s === 0 ? 0 : s * ratio);
  report.levels.forEach((level, i) => {
    const bound = spreadBounds(level.confidence, count);
    const [above, below, tail] = [spread(bound.above), spread(bound.below), spread(bound.tail)];
    const impossible = (what: string) =>
      fail(`levels[${i}]: ${what}, impossible ${count > 0 ? `for ${count} losses` : 'in the closed form'} with mean ${meanLoss} and std ${s}`);
    if (level.var - meanLoss > above + slack) throw impossible(`var ${level.var} exceeds the mean loss by more than ${above}`);
    if (meanLoss - level.var > below + slack) throw impossible(`var ${level.var} is below the mean loss by more than ${below}`);
    if (level.es - meanLoss > tail + slack) throw impossible(`es ${level.es} exceeds the mean loss by more than ${tail}`);
    if (level.stdError > spread(bound.stdError) + slack) throw impossible(`stdError ${level.stdError} is wider than the losses`);
  });
}

export function checkedPnl(pnl: Float64Array, pathCount: number): Float64Array {
  checkedLength(pnl, pathCount, 'P&L');
  for (let i = 0; i < pnl.length; i++) {
    if (!Number.isFinite(pnl[i])) throw nonFinite('P&L', i);
  }
  return pnl;
}

/** `losses` if they are what `sorted-losses` must return: one finite loss per path, ascending in the order
 *  the host sorts in (-0 before +0), which merging the chunks relies on. */
export function checkedSortedLosses(losses: Float64Array, pathCount: number): Float64Array {
  checkedLength(losses, pathCount, 'loss');
  // One pass for both checks (a million losses are read once); a non-finite loss anywhere is reported before
  // the first out of order, as two passes would.
  let outOfOrder = 0;
  for (let i = 0; i < losses.length; i++) {
    const loss = losses[i]!;
    if (!Number.isFinite(loss)) throw nonFinite('loss', i);
    if (outOfOrder === 0 && i > 0 && precedes(loss, losses[i - 1]!)) outOfOrder = i;
  }
  if (outOfOrder > 0) {
    throw new ComponentContractError(`component returned losses out of order: ${losses[outOfOrder]} after ${losses[outOfOrder - 1]} at index ${outOfOrder}`);
  }
  return losses;
}

function checkedLength(values: Float64Array, pathCount: number, what: 'P&L' | 'loss'): void {
  if (!(values instanceof Float64Array) || values.length !== pathCount) {
    throw new ComponentContractError(`component returned ${values?.length ?? 'no'} ${what} values for ${pathCount} paths`);
  }
}

function nonFinite(what: 'P&L' | 'loss', index: number): ComponentContractError {
  return new ComponentContractError(`component returned a non-finite ${what} at index ${index}`);
}
