// `wasm-risk conformance <component.wasm>`: does a plugin compute what the contract says? The contract
// check (contract/compatibility.ts), then the golden vectors (wit/golden-vectors.json) per method: pass,
// fail with the worst deviation, or not supported (the plugin answers `invalid-input` saying so, or lacks
// an optional function). Monte Carlo runs as the host runs it (sorted-losses, or simulate-pnl before
// contract 1.1), and again split into other chunks, which must not change a bit (a plugin that ignores
// the seed or the path index, or draws from WASI's random, fails here); simulate-pnl is checked on its
// own, and sorted-losses must agree with it bit for bit.
// Exit 0 when every supported method passes; ERR_INCOMPATIBLE_COMPONENT or ERR_GOLDEN_VECTORS_FAILED otherwise.
import semver from 'semver';
import { checkCompatibility } from '../contract/compatibility.js';
import { GoldenVectorsFailedError, IncompatibleComponentError, InvalidInputError, messageOf, WasmRiskError } from '../errors.js';
import { ComponentImage } from '../load/component-image.js';
import { summarizePnl } from '../report/risk-statistics.js';
import { terminalJson } from '../report/terminal-text.js';
import { parseOrThrow } from '../request/validation.js';
import { portfolioSchema } from '../request/portfolio.js';
import { engineOverImage, type RiskEngine } from '../risk-engine.js';
import { allowedMiss, goldenRequest, loadGoldenVectors, type GoldenVector } from '../versions/golden-vectors.js';
import { admissionOptionsFrom, type AdmissionFlags } from './admission-flags.js';
import { formatConformance } from './conformance-format.js';
import { CONFORMANCE_METHODS, CORRELATION_METHODS, type ConformanceMethod, type ConformanceReport, type Deviation, type MethodConformance } from './conformance-report.js';

type MethodFamily = 'correlation' | 'factors';
/** The contract version that added the factor functions. */
const FACTORS_SINCE = '1.2.0';

export interface ConformanceCommandOptions extends AdmissionFlags {
  json?: boolean;
  /** Deadline of each call: a plugin that never returns costs one a phase of the check (about ten). */
  timeoutMs?: number;
}

/** Chunks the split Monte Carlo run is cut into. */
const SPLIT_CHUNKS = 7;

/** A plugin's way of saying it does not implement a method. */
const UNSUPPORTED = /\b(not supported|unsupported|not implemented)\b/i;

/** What a method's answer is judged on: a RiskResult, or a report the host summarised from simulate-pnl. */
interface Answer {
  levels: { confidence: number; var: number; es: number; stdError: number }[];
  meanPnl: number;
  stdPnl: number;
}

type Outcome = { kind: 'report'; report: Answer } | { kind: 'unsupported'; note: string } | { kind: 'error'; error: unknown };

export async function conformanceCommand(componentPath: string, options: ConformanceCommandOptions): Promise<void> {
  const admission = await admissionOptionsFrom(options);
  const image = await ComponentImage.load(componentPath, { admission });
  const contract = await checkCompatibility(image.contract);
  let report: ConformanceReport;
  if (!contract.compatible) {
    report = { component: { path: image.path, sha256: image.sha256, name: null, version: null }, policy: policyName(options), contract, methods: [], verdict: 'fail' };
  } else {
    const engine = await engineOverImage(image, { timeoutMs: options.timeoutMs });
    try {
      const methods = await checkMethods(engine, contract.contractVersion!);
      const failed = methods.some((m) => m.status === 'fail') || methods.every((m) => m.status === 'not-supported');
      report = {
        component: { path: image.path, sha256: image.sha256, name: engine.component.name, version: engine.component.version },
        policy: policyName(options),
        contract,
        methods,
        verdict: failed ? 'fail' : 'pass',
      };
    } finally {
      await engine.close();
    }
  }
  process.stdout.write(options.json ? `${terminalJson(report)}\n` : `${formatConformance(report)}\n`);
  if (!contract.compatible) throw new IncompatibleComponentError(`${image.path} does not implement the contract: ${contract.differences.join('; ')}`);
  if (report.verdict === 'fail') {
    const failing = report.methods.filter((m) => m.status === 'fail').map((m) => m.method);
    throw new GoldenVectorsFailedError(
      failing.length > 0 ? `${image.path} fails the golden vectors of ${failing.join(', ')}` : `${image.path} supports none of ${CORRELATION_METHODS.join(', ')}`,
    );
  }
}

function policyName({ policy }: AdmissionFlags): string {
  return policy ?? 'default';
}

async function checkMethods(engine: RiskEngine, contractVersion: string): Promise<MethodConformance[]> {
  const { vectors } = await loadGoldenVectors();
  const isFactorBook = (vector: GoldenVector) => typeof vector.portfolio === 'object' && vector.portfolio !== null && 'factorLoadings' in vector.portfolio;
  const inOrder = (rows: MethodConformance[]) => rows.sort((a, b) => CONFORMANCE_METHODS.indexOf(a.method) - CONFORMANCE_METHODS.indexOf(b.method));
  const correlation = await checkFamily(engine, contractVersion, 'correlation', vectors.filter((vector) => !isFactorBook(vector)));
  const factorVectors = vectors.filter(isFactorBook);
  if (semver.lt(contractVersion, FACTORS_SINCE)) {
    const methods = [...new Set(factorVectors.map((vector) => vector.method))].flatMap((method) => (method === 'monte-carlo' ? ['monte-carlo', 'simulate-pnl', 'sorted-losses'] : [method]));
    return inOrder([
      ...correlation,
      ...methods.map((method): MethodConformance => ({
        method: `${method}-factors` as ConformanceMethod,
        status: 'not-supported',
        checks: 0,
        worst: null,
        notes: [`contract ${contractVersion} has no factor functions (added in ${FACTORS_SINCE})`],
      })),
    ]);
  }
  return inOrder([...correlation, ...(await checkFamily(engine, contractVersion, 'factors', factorVectors))]);
}

/** The rows of one family of functions (correlation or factor portfolios), from that family's vectors; a
 *  method without vectors in the family has no row. */
async function checkFamily(engine: RiskEngine, contractVersion: string, family: MethodFamily, vectors: GoldenVector[]): Promise<MethodConformance[]> {
  const name = (method: (typeof CORRELATION_METHODS)[number]) => (family === 'factors' ? `${method}-factors` : method) as ConformanceMethod;
  const byMethod = (method: GoldenVector['method']) => vectors.filter((vector) => vector.method === method);
  const monteCarlo = byMethod('monte-carlo');
  // Whole (one call into the component), then split: whatever the number of workers, the two differ.
  const runSplit = (chunks: number) =>
    Promise.all(
      monteCarlo.map((vector) => {
        const valid = goldenRequest(vector);
        const chunkPaths = valid.method === 'monte-carlo' ? Math.max(1, Math.ceil(valid.paths / chunks)) : undefined;
        return outcome(() => engine.run(valid, { chunkPaths }));
      }),
    );
  const hostRuns = await runSplit(1);
  const splitRuns = await runSplit(SPLIT_CHUNKS);
  const simulated = await Promise.all(
    monteCarlo.map((vector) => {
      const valid = goldenRequest(vector);
      if (valid.method !== 'monte-carlo') throw new TypeError('a Monte Carlo vector validated as another method');
      const { portfolio: _portfolio, method: _method, ...options } = valid;
      const portfolio = parseOrThrow(portfolioSchema, vector.portfolio, 'portfolio');
      return outcome(async () => summarizePnl(await engine.simulatePnl(portfolio, options), valid.confidence));
    }),
  );
  const closedForm = async (method: 'historical' | 'parametric') =>
    judge(name(method), byMethod(method), await Promise.all(byMethod(method).map((vector) => outcome(() => engine.run(goldenRequest(vector))))));
  const rows: MethodConformance[] = [];
  if (monteCarlo.length > 0) rows.push(splitInvariance(judge(name('monte-carlo'), monteCarlo, hostRuns), monteCarlo, hostRuns, splitRuns));
  if (byMethod('historical').length > 0) rows.push(await closedForm('historical'));
  if (byMethod('parametric').length > 0) rows.push(await closedForm('parametric'));
  if (monteCarlo.length > 0) {
    rows.push(judge(name('simulate-pnl'), monteCarlo, simulated));
    rows.push(
      family === 'correlation' && semver.lt(contractVersion, '1.1.0')
        ? { method: 'sorted-losses', status: 'not-supported', checks: 0, worst: null, notes: [`contract ${contractVersion} has no sorted-losses (added in 1.1.0): the host sorts simulate-pnl`] }
        : agreement(name('sorted-losses'), monteCarlo, hostRuns, simulated),
    );
  }
  return rows;
}

async function outcome(run: () => Promise<Answer>): Promise<Outcome> {
  try {
    return { kind: 'report', report: await run() };
  } catch (error) {
    // The vectors' requests are valid (the host validated them): an invalid-input now is the plugin's answer.
    if (error instanceof InvalidInputError && UNSUPPORTED.test(error.message)) return { kind: 'unsupported', note: error.message };
    return { kind: 'error', error };
  }
}

function judge(method: ConformanceMethod, vectors: GoldenVector[], outcomes: Outcome[]): MethodConformance {
  const notes: string[] = [];
  const deviations: Deviation[] = [];
  let unsupported = 0;
  for (const [i, vector] of vectors.entries()) {
    const result = outcomes[i]!;
    const expect = vector.expect;
    if (result.kind === 'unsupported') {
      unsupported++;
      if (!notes.includes(result.note)) notes.push(result.note);
      continue;
    }
    if (result.kind === 'error') {
      const { error } = result;
      if ('errorCode' in expect && error instanceof WasmRiskError && error.code === expect.errorCode) continue;
      notes.push(`${vector.name}: failed with ${error instanceof WasmRiskError ? error.code : 'an error'}: ${messageOf(error)}`);
      continue;
    }
    if ('errorCode' in expect) {
      notes.push(`${vector.name}: answered, expected error ${expect.errorCode}`);
      continue;
    }
    for (const [j, level] of expect.levels.entries()) {
      const actual = result.report.levels[j];
      if (!actual || actual.confidence !== level.confidence) {
        notes.push(`${vector.name}: no level ${level.confidence}`);
        continue;
      }
      for (const [measure, got, want, tolerance] of [
        ['VaR', actual.var, level.var, expect.varTolerance],
        ['ES', actual.es, level.es, expect.esTolerance],
      ] as const) {
        const bound = allowedMiss(tolerance, want, actual.stdError);
        const miss = Math.abs(got - want);
        const deviation = { vector: vector.name, confidence: level.confidence, measure, actual: got, expected: want, relative: miss / Math.max(1, Math.abs(want)), ofAllowed: bound > 0 ? miss / bound : miss > 0 ? null : 0 };
        deviations.push(deviation);
        if (!(miss <= bound)) notes.push(`${vector.name} @${level.confidence}: ${measure} ${got} vs expected ${want}`);
      }
    }
  }
  // Not supported when the plugin says so for every vector; saying so for some only is a failure.
  if (unsupported === vectors.length) return { method, status: 'not-supported', checks: vectors.length, worst: null, notes };
  const worst = deviations.reduce<Deviation | null>((a, b) => (a === null || excess(b) > excess(a) ? b : a), null);
  const failed = unsupported > 0 || notes.length > 0;
  return { method, status: failed ? 'fail' : 'pass', checks: vectors.length, worst, notes: unsupported > 0 && failed ? [`supported for ${vectors.length - unsupported} of ${vectors.length} vectors`, ...notes] : notes };
}

/** The contract: path p draws the same shocks for a seed whatever the chunk it is in, so any split of a run
 *  gives the same numbers bit for bit. A supported Monte Carlo that does not fails. */
function splitInvariance(row: MethodConformance, vectors: GoldenVector[], whole: Outcome[], split: Outcome[]): MethodConformance {
  if (row.status === 'not-supported') return row;
  const notes = vectors.flatMap((vector, i) => {
    const a = whole[i]!;
    const b = split[i]!;
    if (a.kind !== 'report' || b.kind !== 'report') return [];
    const same = a.report.meanPnl === b.report.meanPnl && a.report.levels.every((level, j) => level.var === b.report.levels[j]?.var && level.es === b.report.levels[j]?.es);
    return same ? [] : [`${vector.name}: split into ${SPLIT_CHUNKS} chunks, VaR ${b.report.levels[0]?.var} instead of ${a.report.levels[0]?.var}: path p must draw the same shocks for the seed, whatever its chunk`];
  });
  return notes.length === 0 ? row : { ...row, status: 'fail', notes: [...row.notes, ...notes] };
}

function excess({ ofAllowed }: Deviation): number {
  return ofAllowed ?? Infinity;
}

/** sorted-losses (the host's Monte Carlo) and simulate-pnl sorted by the host must give the same numbers, bit for bit. */
function agreement(method: ConformanceMethod, vectors: GoldenVector[], fromSorted: Outcome[], fromPnl: Outcome[]): MethodConformance {
  const notes: string[] = [];
  let compared = 0;
  let unsupported = 0;
  for (const [i, vector] of vectors.entries()) {
    const sorted = fromSorted[i]!;
    const pnl = fromPnl[i]!;
    if (sorted.kind === 'unsupported') {
      unsupported++;
      if (!notes.includes(sorted.note)) notes.push(sorted.note);
      continue;
    }
    if (sorted.kind !== 'report' || pnl.kind !== 'report') continue;
    compared++;
    const a = sorted.report;
    const b = pnl.report;
    const same = a.meanPnl === b.meanPnl && a.stdPnl === b.stdPnl && a.levels.every((level, j) => level.var === b.levels[j]?.var && level.es === b.levels[j]?.es);
    if (!same) notes.push(`${vector.name}: sorted-losses gives VaR ${a.levels[0]?.var}, sorted simulate-pnl ${b.levels[0]?.var}`);
  }
  if (unsupported === vectors.length) return { method, status: 'not-supported', checks: vectors.length, worst: null, notes };
  if (compared === 0 && notes.length === 0) notes.push('nothing to compare: Monte Carlo or simulate-pnl failed (see above)');
  return { method, status: notes.length > 0 ? 'fail' : 'pass', checks: compared, worst: null, notes };
}
