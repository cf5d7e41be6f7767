// The `wasm-risk:risk` contract as the host sees it, the one module every host file takes it from: the types
// jco lifts and lowers, the names and version a component must export, and what follows from them. All of it
// is generated from wit/ at build time (tools/generate-contract.mjs, into ./generated/); nothing here
// restates the WIT.
// The two functions alone: the whole of semver takes a new worker thread about 20 ms to import.
import major from 'semver/functions/major.js';
import lte from 'semver/functions/lte.js';
import type * as EngineInterface from './generated/interfaces/wasm-risk-risk-engine.js';
import * as generated from './generated/contract.js';
import { CONTRACT_PACKAGE, CONTRACT_VERSION, ENGINE_FUNCTION_SINCE, ENGINE_INTERFACE } from './generated/contract.js';

export type {
  Asset,
  EngineInfo,
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

/** The major version this host speaks: a component must export the engine at `CONTRACT_MAJOR.x`. */
export const CONTRACT_MAJOR = major(CONTRACT_VERSION);

const ENGINE_EXPORT = new RegExp(`^${CONTRACT_PACKAGE}/${ENGINE_INTERFACE}@(\\d+\\.\\d+\\.\\d+)$`);

/** The name of the engine export at `version` (`wasm-risk:risk/engine@1.1.0`). */
export function engineExportName(version: string): string {
  return `${CONTRACT_PACKAGE}/${ENGINE_INTERFACE}@${version}`;
}

/** The contract version of a component export named like `wasm-risk:risk/engine@1.1.0`, or null. */
export function engineExportVersion(exportName: string): string | null {
  return ENGINE_EXPORT.exec(exportName)?.[1] ?? null;
}

/** The engine functions of `contract` a component exporting `version` must have: those its version had. A
 *  function added in a later minor version (WIT `@since`) is not required of an engine built against an
 *  earlier one. */
export function engineFunctionsAt(version: string, contract = HOST_CONTRACT): string[] {
  return Object.entries(contract.ENGINE_FUNCTION_SINCE)
    .filter(([, since]) => lte(since, version))
    .map(([name]) => name);
}
