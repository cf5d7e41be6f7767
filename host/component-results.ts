// What comes back from a component is untrusted: errors are mapped to the host's typed errors, and
// results are checked for shape and sanity before anyone reads a number from them.
import type { EngineInfo, RiskReport } from './engine-types.js';
import {
  ComponentContractError,
  ComponentTrapError,
  InvalidInputError,
  NotPositiveSemidefiniteError,
  RequestTooLargeError,
  WasmRiskError,
  messageOf,
} from './errors.js';

const MAX_MESSAGE = 500;

/** Maps whatever a component call threw: a `risk-error` case, a trap, or a broken contract. */
export function componentFailure(thrown: unknown): WasmRiskError {
  if (thrown instanceof WasmRiskError) return thrown;
  if (thrown instanceof WebAssembly.RuntimeError) {
    return new ComponentTrapError(`component trapped: ${thrown.message}`, { cause: thrown });
  }
  if (isRiskErrorCase(thrown)) {
    const message = thrown.val.slice(0, MAX_MESSAGE);
    switch (thrown.tag) {
      case 'invalid-input': {
        const split = message.indexOf(': ');
        return split > 0 ? new InvalidInputError(message.slice(0, split), message.slice(split + 2)) : new InvalidInputError('', message);
      }
      case 'not-positive-semidefinite':
        return new NotPositiveSemidefiniteError(message);
      case 'too-large':
        return new RequestTooLargeError(message);
    }
  }
  // A RangeError or TypeError from the glue means the component's memory or data was corrupt.
  return new ComponentTrapError(`component failed: ${messageOf(thrown)}`, { cause: thrown });
}

function isRiskErrorCase(value: unknown): value is { tag: 'invalid-input' | 'not-positive-semidefinite' | 'too-large'; val: string } {
  if (typeof value !== 'object' || value === null) return false;
  const { tag, val } = value as { tag?: unknown; val?: unknown };
  return (tag === 'invalid-input' || tag === 'not-positive-semidefinite' || tag === 'too-large') && typeof val === 'string';
}

export function checkedInfo(info: EngineInfo): EngineInfo {
  const ok = (s: unknown) => typeof s === 'string' && s.length > 0 && s.length <= 200;
  if (!ok(info?.name) || !ok(info?.version)) throw new ComponentContractError('component info() returned no valid name and version');
  return { name: info.name, version: info.version };
}

export function checkedReport(report: RiskReport, confidence: readonly number[], scenarios: bigint): RiskReport {
  const fail = (what: string) => new ComponentContractError(`component returned an invalid report: ${what}`);
  if (report?.scenarios !== scenarios) throw fail(`scenarios ${String(report?.scenarios)}, expected ${scenarios}`);
  if (!Array.isArray(report.levels) || report.levels.length !== confidence.length) throw fail('one level per confidence expected');
  report.levels.forEach((level, i) => {
    if (level.confidence !== confidence[i]) throw fail(`levels[${i}].confidence is not the requested ${confidence[i]}`);
    for (const key of ['var', 'es', 'stdError'] as const) {
      if (!Number.isFinite(level[key])) throw fail(`levels[${i}].${key} is not finite`);
    }
    if (level.stdError < 0) throw fail(`levels[${i}].stdError is negative`);
  });
  if (!Number.isFinite(report.meanPnl) || !Number.isFinite(report.stdPnl) || report.stdPnl < 0) throw fail('meanPnl/stdPnl');
  return report;
}

export function checkedPnl(pnl: Float64Array, pathCount: number): Float64Array {
  if (!(pnl instanceof Float64Array) || pnl.length !== pathCount) {
    throw new ComponentContractError(`component returned ${pnl?.length ?? 'no'} P&L values for ${pathCount} paths`);
  }
  for (let i = 0; i < pnl.length; i++) {
    if (!Number.isFinite(pnl[i])) throw new ComponentContractError(`component returned a non-finite P&L for path ${i}`);
  }
  return pnl;
}
