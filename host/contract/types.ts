// The TypeScript shape of the `wasm-risk:risk@1.0.0` world's types, as jco lifts and lowers them.
// Mirrors wit/risk.wit; the loader checks at load time that a component exports this contract.

export interface Asset {
  spot: number;
  drift: number;
  vol: number;
}

export type OptionKind = 'call' | 'put';

export interface OptionContract {
  kind: OptionKind;
  strike: number;
  expiryYears: number;
}

export type Instrument = { tag: 'spot' } | { tag: 'european'; val: OptionContract };

export interface Position {
  assetIndex: number;
  quantity: number;
  instrument: Instrument;
}

export interface Portfolio {
  assets: Asset[];
  correlation: Float64Array[];
  riskFreeRate: number;
  positions: Position[];
}

export interface Simulation {
  seed: bigint;
  horizonDays: number;
  antithetic: boolean;
  firstPath: bigint;
  pathCount: bigint;
}

export interface LevelRisk {
  confidence: number;
  var: number;
  es: number;
  stdError: number;
}

export interface RiskReport {
  scenarios: bigint;
  levels: LevelRisk[];
  meanPnl: number;
  stdPnl: number;
}

export interface EngineInfo {
  name: string;
  version: string;
}

export type RiskErrorCase =
  | { tag: 'invalid-input'; val: string }
  | { tag: 'not-positive-semidefinite'; val: string }
  | { tag: 'too-large'; val: string };

/** The functions of the `engine` interface, as the host calls them (errors are thrown). */
export interface EngineExports {
  info(): EngineInfo;
  monteCarlo(portfolio: Portfolio, run: Simulation, confidenceLevels: Float64Array): RiskReport;
  simulatePnl(portfolio: Portfolio, run: Simulation): Float64Array;
  historical(
    portfolio: Portfolio,
    returns: Float64Array[],
    horizonDays: number,
    confidenceLevels: Float64Array,
  ): RiskReport;
  parametric(portfolio: Portfolio, horizonDays: number, confidenceLevels: Float64Array): RiskReport;
}
