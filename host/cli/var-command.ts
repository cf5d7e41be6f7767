// `wasm-risk var`: one risk run on a portfolio file, printed as a table or as one JSON object; a Monte
// Carlo run can also write its P&L to a file and plot it. Ctrl-C cancels the run.
import { terminalJson } from '../report/terminal-text.js';
import { echoed } from '../report/echoed-input.js';
import { CancelledError, InvalidInputError } from '../errors.js';
import { RiskEngine, type RiskMethod, type RiskResult } from '../risk-engine.js';
import { DEFAULT_COMPONENT } from '../files/package-paths.js';
import type { PortfolioSpec } from '../request/portfolio.js';
import { RISK_METHODS, validateRiskRequest, type ValidMonteCarloRequest } from '../request/risk-request.js';
import { admissionInputFiles, admissionOptionsFrom, type AdmissionFlags } from './admission-flags.js';
import { distributedFrom, type RedisFlags } from './redis-flags.js';
import { formatPnlHistogram } from './histogram.js';
import { pnlOutputFrom, writePnl, type PnlFormat, type PnlOutput } from './pnl-output.js';
import { readPortfolioFile } from './portfolio-file.js';
import { formatRiskResult } from './report-format.js';
import { RunProgress } from './run-progress.js';

/** The flags of a run on the engine, shared by `var` and `batch`: the component, the request's options
 *  (riskRequestOptions in main.ts), isolation, admission and Redis. */
export interface EngineRunFlags extends AdmissionFlags, RedisFlags {
  component?: string;
  paths?: number;
  seed?: bigint;
  confidence?: number[];
  horizonDays?: number;
  antithetic?: boolean;
  workers?: number;
  timeoutMs?: number;
  memoryLimitMb?: number;
}

export interface VarCommandOptions extends EngineRunFlags {
  method: string;
  json?: boolean;
  pnlOut?: string;
  pnlFormat?: PnlFormat;
  force?: boolean;
  histogram?: boolean;
}

/** Flags that only a simulation can honour. */
const MONTE_CARLO_FLAGS: readonly [keyof VarCommandOptions, string][] = [
  ['paths', '--paths'],
  ['seed', '--seed'],
  ['antithetic', '--antithetic'],
  ['pnlOut', '--pnl-out'],
  ['histogram', '--histogram'],
];

/** What a Monte Carlo run must produce besides its result. */
interface PnlUses {
  output?: PnlOutput;
  histogram: boolean;
}

export async function varCommand(portfolioPath: string, options: VarCommandOptions): Promise<void> {
  const method = RISK_METHODS.find((m) => m === options.method);
  if (!method) throw new InvalidInputError('--method', `${echoed(options.method)} is not one of ${RISK_METHODS.join(', ')}`);
  if (method !== 'monte-carlo') {
    for (const [key, flag] of MONTE_CARLO_FLAGS) {
      if (options[key] !== undefined) throw new InvalidInputError(flag, 'applies only to --method monte-carlo');
    }
  }
  if (options.pnlOut === undefined) {
    if (options.pnlFormat !== undefined) throw new InvalidInputError('--pnl-format', 'applies only with --pnl-out');
    if (options.force !== undefined) throw new InvalidInputError('--force', 'applies only with --pnl-out');
  }
  const uses: PnlUses = {
    output:
      options.pnlOut === undefined
        ? undefined
        : pnlOutputFrom(options.pnlOut, options.pnlFormat, options.force === true, [
            { label: 'portfolio', path: portfolioPath },
            { label: 'component', path: options.component ?? DEFAULT_COMPONENT },
            ...admissionInputFiles(options, options.component ?? DEFAULT_COMPONENT),
          ], [
            { label: 'standard output', fd: process.stdout.fd },
            { label: 'standard error', fd: process.stderr.fd },
          ]),
    histogram: options.histogram === true,
  };

  // Ctrl-C or SIGTERM (a supervisor's, timeout(1)'s) cancels the run and ends with ERR_CANCELLED (exit 130): a
  // distributed run's chunks no worker took are removed. SIGTERM's default killed the process with them left
  // queued, for the workers to run for no one. A second signal kills at once (`once`).
  const interrupt = new AbortController();
  const onInterrupt = (signal: NodeJS.Signals) => interrupt.abort(new Error(signal));
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  try {
    const portfolio = await readPortfolioFile(portfolioPath);
    const engine = await RiskEngine.load(options.component ?? DEFAULT_COMPONENT, {
      workers: options.workers,
      timeoutMs: options.timeoutMs,
      memoryLimitMb: options.memoryLimitMb,
      admission: await admissionOptionsFrom(options),
      distributed: distributedFrom(options),
    });
    try {
      await printRisk(engine, method, portfolio, options, uses, interrupt.signal);
    } finally {
      await engine.close();
    }
  } catch (error) {
    if (error instanceof CancelledError && interrupt.signal.aborted) {
      const signal = (interrupt.signal.reason as Error).message;
      throw new CancelledError(`interrupted by ${signal === 'SIGINT' ? 'SIGINT (Ctrl-C)' : signal}`, { cause: error });
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    process.removeListener('SIGTERM', onInterrupt);
  }
}

/** A run's result, and the P&L of its paths when something needs them. */
interface Run {
  result: RiskResult;
  pnl?: Float64Array;
}

async function printRisk(engine: RiskEngine, method: RiskMethod, portfolio: PortfolioSpec, options: VarCommandOptions, uses: PnlUses, signal: AbortSignal): Promise<void> {
  const { paths, seed, horizonDays, confidence, antithetic } = options;
  const request = validateRiskRequest(
    method === 'monte-carlo' ? { method, portfolio, paths, seed, horizonDays, confidence, antithetic } : { method, portfolio, horizonDays, confidence },
  );
  const { result, pnl }: Run =
    request.method === 'monte-carlo'
      ? await simulate(engine, request, uses.output !== undefined || uses.histogram, signal)
      : { result: await engine.run(request, { signal }) };
  if (uses.output && pnl) await writePnl(uses.output, pnl);
  if (options.json) {
    process.stdout.write(`${terminalJson(result)}\n`);
    return;
  }
  const histogram = uses.histogram && pnl ? `\n\n${formatPnlHistogram(pnl, result.levels)}` : '';
  process.stdout.write(`${formatRiskResult(result)}${histogram}\n`);
}

/** A Monte Carlo run, with a progress line while it runs when stderr is a terminal. */
async function simulate(engine: RiskEngine, request: ValidMonteCarloRequest, keepPnl: boolean, signal: AbortSignal): Promise<Run> {
  const progress = process.stderr.isTTY ? new RunProgress(request.paths, process.stderr) : undefined;
  const options = { signal, onProgress: progress?.update };
  try {
    // One simulation serves the file, the plot and the table, instead of simulating the paths a second time.
    return keepPnl ? await engine.runWithPnl(request, options) : { result: await engine.run(request, options) };
  } finally {
    progress?.stop();
  }
}
