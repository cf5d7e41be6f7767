// What `wasm-risk conformance` finds, as data: one row per contract function checked, with its status and
// worst deviation (conformance-command.ts computes it, conformance-format.ts prints it, --json is it).
import type { Compatibility } from '../contract/compatibility.js';

/** The methods checked, named as the contract's functions: a portfolio with factor loadings goes to the
 *  `-factors` functions (contract 1.2), which a plugin may leave unsupported on their own. */
export const CORRELATION_METHODS = ['monte-carlo', 'historical', 'parametric', 'simulate-pnl', 'sorted-losses'] as const;
export const CONFORMANCE_METHODS = [...CORRELATION_METHODS, ...CORRELATION_METHODS.map((method) => `${method}-factors` as const)] as const;
export type ConformanceMethod = (typeof CONFORMANCE_METHODS)[number];

/** The largest miss of one method, measured against what the vector allows. */
export interface Deviation {
  vector: string;
  confidence: number;
  measure: 'VaR' | 'ES';
  actual: number;
  expected: number;
  /** |actual - expected| / max(1, |expected|). */
  relative: number;
  /** |actual - expected| over the vector's tolerance: above 1 fails; null when the tolerance is 0 (a
   *  Monte Carlo report with no standard error allows no miss). */
  ofAllowed: number | null;
}

export interface MethodConformance {
  method: ConformanceMethod;
  status: 'pass' | 'fail' | 'not-supported';
  /** Golden vectors (or comparisons) run for it. */
  checks: number;
  worst: Deviation | null;
  /** Why it failed or is not supported, one line each. */
  notes: string[];
}

export interface ConformanceReport {
  component: { path: string; sha256: string; name: string | null; version: string | null };
  policy: string;
  contract: Compatibility;
  methods: MethodConformance[];
  verdict: 'pass' | 'fail';
}
