// The `wasm-risk:risk` contract as the host sees it, the one module every host file takes it from: the types
// jco lifts and lowers, the names and version a component must export, and what follows from them. All of it
// is generated from wit/ at build time (tools/generate-contract.mjs, into ./generated/); nothing here
// restates the WIT.
import type * as EngineInterface from './generated/interfaces/wasm-risk-risk-engine.js';
import * as generated from './generated/contract.js';
import { CONTRACT_PACKAGE, CONTRACT_VERSION, ENGINE_FUNCTION_SINCE, ENGINE_INTERFACE } from './generated/contract.js';

export type {
  Asset,
  EngineInfo,
  FactorPortfolio,
  Instrument,
  LevelRisk,
  OptionContract,
  OptionKind,
  Portfolio,
  Position,
  RiskError as RiskErrorCase,
  RiskReport,
  Simulation,
} from './generated/interfaces/wasm-risk-risk-types.js';
export { CONTRACT_PACKAGE, CONTRACT_VERSION, ENGINE_INTERFACE, RISK_ERROR_TAGS } from './generated/contract.js';
export { isFactorPortfolio, type EnginePortfolio } from './engine-portfolio.js';

/** Engine functions added after the major version's x.0.0: an engine built against an earlier minor lacks them. */
type LaterFunction = { [F in keyof typeof ENGINE_FUNCTION_SINCE]: (typeof ENGINE_FUNCTION_SINCE)[F] extends `${number}.0.0` ? never : F }[keyof typeof ENGINE_FUNCTION_SINCE];

/** The functions of the `engine` interface, as the host calls them (errors are thrown); those added in a
 *  later minor version are optional, as an engine built against an earlier one does not have them. */
export type EngineExports = Omit<typeof EngineInterface, LaterFunction> & Partial<Pick<typeof EngineInterface, LaterFunction>>;

/** What the generator writes of one version of the contract: enough to check a component against it. */
export interface ContractDescription {
  readonly CONTRACT_VERSION: string;
  readonly ENGINE_FUNCTION_SINCE: Readonly<Record<string, string>>;
  readonly INTERFACE_DECLARATIONS: Readonly<Record<string, string>>;
}

/** The contract this host was built against. */
export const HOST_CONTRACT: ContractDescription = generated;

/**
 * The numbers of a plain `x.y.z` version, the only form a contract version takes here: the package's
 * (tools/generate-contract.mjs writes major.minor.patch), a `@since` gate's (it refuses any other) and an
 * engine export's (`ENGINE_EXPORT`). Not semver: even its `major` alone takes a new worker thread about
 * 8 ms to import (its regular expressions), and a pool worker needs these two comparisons only.
 */
function versionNumbers(version: string): [major: number, minor: number, patch: number] {
  const match = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(version);
  const numbers = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [];
  if (!match || !numbers.every(Number.isSafeInteger)) throw new TypeError(`Invalid Version: ${version}`);
  return numbers as [number, number, number];
}

/** The major number of a plain `x.y.z` version (throws on any other). */
export function versionMajor(version: string): number {
  return versionNumbers(version)[0];
}

/** Whether plain version `a` is at most `b`. */
function versionAtMost(a: string, b: string): boolean {
  const [x, y] = [versionNumbers(a), versionNumbers(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]!;
  return true;
}

/** The major version this host speaks: a component must export the engine at `CONTRACT_MAJOR.x`. */
export const CONTRACT_MAJOR = versionMajor(CONTRACT_VERSION);

const ENGINE_EXPORT = new RegExp(`^${CONTRACT_PACKAGE}/${ENGINE_INTERFACE}@(\\d+\\.\\d+\\.\\d+)$`);

/** The name of the engine export at `version` (`wasm-risk:risk/engine@1.2.0`). */
export function engineExportName(version: string): string {
  return `${CONTRACT_PACKAGE}/${ENGINE_INTERFACE}@${version}`;
}

/** The contract version of a component export named like `wasm-risk:risk/engine@1.2.0`, or null. */
export function engineExportVersion(exportName: string): string | null {
  return ENGINE_EXPORT.exec(exportName)?.[1] ?? null;
}

/** The engine functions of `contract` a component exporting `version` must have: those its version had. A
 *  function added in a later minor version (WIT `@since`) is not required of an engine built against an
 *  earlier one. */
export function engineFunctionsAt(version: string, contract = HOST_CONTRACT): string[] {
  return Object.entries(contract.ENGINE_FUNCTION_SINCE)
    .filter(([, since]) => versionAtMost(since, version))
    .map(([name]) => name);
}
