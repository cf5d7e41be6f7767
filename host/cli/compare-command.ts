// `wasm-risk compare <a.wasm> <b.wasm> <portfolio.json>`: both components on the same inputs and seeds,
// the per-level differences, and whether each speaks the host's contract. Exit 1 if either does not.
import { terminalJson, terminalText } from '../report/terminal-text.js';
import Table from 'cli-table3';
import { ComponentImage } from '../load/component-image.js';
import { checkCompatibility, type Compatibility } from '../contract/compatibility.js';
import { IncompatibleComponentError } from '../errors.js';
import type { PortfolioSpec } from '../request/portfolio.js';
import { validateRiskRequest, type ValidRiskRequest } from '../request/risk-request.js';
import { engineOverImage, type RiskEngine, type RiskMethod } from '../risk-engine.js';
import { admissionOptionsFrom, type AdmissionFlags } from './admission-flags.js';
import { readPortfolioFile } from './portfolio-file.js';

export interface CompareCommandOptions extends AdmissionFlags {
  paths?: number;
  seed?: bigint;
  confidence?: number[];
  horizonDays?: number;
  antithetic?: boolean;
  timeoutMs?: number;
  json?: boolean;
}

interface ComparedComponent extends Compatibility {
  path: string;
  sha256: string;
  name: string | null;
  version: string | null;
}

interface LevelComparison {
  confidence: number;
  a: { var: number; es: number };
  b: { var: number; es: number };
  varDifference: number;
  esDifference: number;
}

export interface Comparison {
  components: [ComparedComponent, ComparedComponent];
  methods: { method: RiskMethod; levels: LevelComparison[] }[];
  verdict: 'identical' | 'different' | 'incompatible';
}

export async function compareCommand(pathA: string, pathB: string, portfolioPath: string, options: CompareCommandOptions): Promise<void> {
  const portfolio = await readPortfolioFile(portfolioPath);
  const admission = await admissionOptionsFrom(options);
  const images = await Promise.all([pathA, pathB].map((path) => ComponentImage.load(path, { admission })));
  const compatibility = await Promise.all(images.map((image) => checkCompatibility(image.contract)));
  const compatible = compatibility.every((c) => c.compatible);
  const engines = compatible ? await Promise.all(images.map((image) => engineOverImage(image, { timeoutMs: options.timeoutMs }))) : [];
  try {
    const components = images.map((image, i) => ({
      path: image.path,
      sha256: image.sha256,
      name: engines[i]?.component.name ?? null,
      version: engines[i]?.component.version ?? null,
      ...compatibility[i]!,
    })) as [ComparedComponent, ComparedComponent];
    const methods = compatible ? await compareMethods(engines as [RiskEngine, RiskEngine], portfolio, options) : [];
    const identical = methods.every(({ levels }) => levels.every((l) => l.varDifference === 0 && l.esDifference === 0));
    const comparison: Comparison = { components, methods, verdict: !compatible ? 'incompatible' : identical ? 'identical' : 'different' };
    process.stdout.write(options.json ? `${terminalJson(comparison)}\n` : `${formatComparison(comparison)}\n`);
  } finally {
    await Promise.all(engines.map((engine) => engine.close()));
  }
  if (!compatible) {
    const reasons = compatibility.flatMap((c, i) => c.differences.map((d) => `${[pathA, pathB][i]}: ${d}`));
    throw new IncompatibleComponentError(reasons.join('; '));
  }
}

async function compareMethods(engines: [RiskEngine, RiskEngine], portfolio: PortfolioSpec, options: CompareCommandOptions) {
  const { paths, seed, antithetic, horizonDays, confidence } = options;
  // Validated once, run on both components.
  const requests: ValidRiskRequest[] = [
    validateRiskRequest({ method: 'monte-carlo', portfolio, paths, seed, antithetic, horizonDays, confidence }),
    validateRiskRequest({ method: 'parametric', portfolio, horizonDays, confidence }),
  ];
  if (portfolio.returns?.length) requests.push(validateRiskRequest({ method: 'historical', portfolio, horizonDays, confidence }));
  const methods = [];
  for (const request of requests) {
    const { method } = request;
    const [a, b] = await Promise.all(engines.map((engine) => engine.run(request)));
    const levels = a!.levels.map((level, i) => {
      const other = b!.levels[i]!;
      return {
        confidence: level.confidence,
        a: { var: level.var, es: level.es },
        b: { var: other.var, es: other.es },
        varDifference: other.var - level.var,
        esDifference: other.es - level.es,
      };
    });
    methods.push({ method, levels });
  }
  return methods;
}

function formatComparison({ components, methods, verdict }: Comparison): string {
  // Differences quote declarations generated from the components' own type names: untrusted text.
  const lines = components.map(
    (c, i) =>
      terminalText(`${'AB'[i]}: ${c.path}  ${c.name === null ? '(not run: a component is incompatible)' : `${c.name} ${c.version}`}  contract ${c.contractVersion ?? 'none'}  sha256 ${c.sha256.slice(0, 16)}…  ${
        c.compatible ? 'compatible' : `INCOMPATIBLE: ${c.differences.join('; ')}`
      }`),
  );
  if (methods.length > 0) {
    const table = new Table({ head: ['Method', 'Confidence', 'VaR A', 'VaR B', 'B - A', 'ES A', 'ES B', 'B - A'], style: { head: [], border: [] } });
    for (const { method, levels } of methods) {
      for (const l of levels) {
        table.push([method, String(l.confidence), l.a.var.toFixed(4), l.b.var.toFixed(4), l.varDifference.toExponential(3), l.a.es.toFixed(4), l.b.es.toFixed(4), l.esDifference.toExponential(3)]);
      }
    }
    lines.push(table.toString());
  }
  lines.push(`Verdict: ${verdict}`);
  return lines.join('\n');
}
