// `wasm-risk var`: one risk run on a portfolio file, printed as a table or as one JSON object.
import { terminalJson } from '../report/terminal-text.js';
import { SingleBar } from 'cli-progress';
import { InvalidInputError } from '../errors.js';
import { RiskEngine, type RiskMethod, type RiskResult } from '../risk-engine.js';
import { DEFAULT_COMPONENT } from '../files/package-paths.js';
import type { PortfolioSpec } from '../request/portfolio.js';
import { admissionOptionsFrom, type AdmissionFlags } from './admission-flags.js';
import { readPortfolioFile } from './portfolio-file.js';
import { formatRiskResult } from './report-format.js';

export interface VarCommandOptions extends AdmissionFlags {
  component?: string;
  method: string;
  paths?: number;
  seed?: bigint;
  confidence?: number[];
  horizonDays?: number;
  antithetic?: boolean;
  workers?: number;
  timeoutMs?: number;
  memoryLimitMb?: number;
  json?: boolean;
}

const METHODS: readonly RiskMethod[] = ['monte-carlo', 'historical', 'parametric'];

export async function varCommand(portfolioPath: string, options: VarCommandOptions): Promise<void> {
  const method = METHODS.find((m) => m === options.method);
  if (!method) throw new InvalidInputError('--method', `'${options.method}' is not one of ${METHODS.join(', ')}`);
  if (method !== 'monte-carlo') {
    for (const flag of ['paths', 'seed', 'antithetic'] as const) {
      if (options[flag] !== undefined) throw new InvalidInputError(`--${flag}`, `applies only to --method monte-carlo`);
    }
  }
  const portfolio = await readPortfolioFile(portfolioPath);
  const engine = await RiskEngine.load(options.component ?? DEFAULT_COMPONENT, {
    workers: options.workers,
    timeoutMs: options.timeoutMs,
    memoryLimitMb: options.memoryLimitMb,
    admission: await admissionOptionsFrom(options),
  });
  try {
    await printRisk(engine, method, portfolio, options);
  } finally {
    await engine.close();
  }
}

async function printRisk(engine: RiskEngine, method: RiskMethod, portfolio: PortfolioSpec, options: VarCommandOptions): Promise<void> {
  const common = { horizonDays: options.horizonDays, confidence: options.confidence };
  let result: RiskResult;
  if (method === 'monte-carlo') {
    let bar: SingleBar | undefined;
    const showProgress = (done: number, total: number) => {
      if (!bar) {
        bar = new SingleBar({ format: 'simulating [{bar}] {percentage}% {value}/{total} paths', stream: process.stderr });
        bar.start(total, 0);
      }
      bar.update(done);
    };
    try {
      result = await engine.monteCarlo(portfolio, {
        ...common,
        paths: options.paths,
        seed: options.seed,
        antithetic: options.antithetic,
        onProgress: process.stderr.isTTY ? showProgress : undefined,
      });
    } finally {
      bar?.stop();
    }
  } else {
    result = method === 'historical' ? await engine.historical(portfolio, common) : await engine.parametric(portfolio, common);
  }
  process.stdout.write(options.json ? `${terminalJson(result)}\n` : `${formatRiskResult(result)}\n`);
}
