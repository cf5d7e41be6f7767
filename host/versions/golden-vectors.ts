// Golden test vectors: requests with expected answers and tolerances, shipped in wit/golden-vectors.json
// beside the contract they exercise. A candidate engine must pass all of them before it may serve.
import { join } from 'node:path';
import semver from 'semver';
import { z } from 'zod';
import { messageOf, WasmRiskError } from '../errors.js';
import { parseOrThrow } from '../request/validation.js';
import { validateRiskRequest, type ValidRiskRequest } from '../request/risk-request.js';
import { readJsonFile } from '../files/json-file.js';
import { PROJECT_ROOT } from '../files/package-paths.js';
import type { RiskEngine, RiskResult } from '../risk-engine.js';

export const GOLDEN_VECTORS_FILE = join(PROJECT_ROOT, 'wit', 'golden-vectors.json');

const tolerance = z.union([
  z.strictObject({ relative: z.number().positive() }),
  /** Statistical: within this many of the candidate's own reported standard errors of the VaR. */
  z.strictObject({ stdErrors: z.number().positive() }),
]);

const expectedLevel = z.strictObject({ confidence: z.number(), var: z.number(), es: z.number() });

const vectorSchema = z.strictObject({
  name: z.string(),
  /** Where the expected numbers come from, for a reader who wants to check them. */
  source: z.string(),
  method: z.enum(['monte-carlo', 'historical', 'parametric']),
  /** The contract version that added what the vector exercises: a candidate built against an earlier one
   *  is not asked it (contract 1.2's factor portfolios, which a 1.1 engine refuses by design). */
  since: z.string().refine((version) => semver.valid(version) !== null, { error: 'must be a version x.y.z' }).optional(),
  portfolio: z.record(z.string(), z.unknown()),
  options: z.record(z.string(), z.unknown()),
  expect: z.union([
    z.strictObject({ levels: z.array(expectedLevel).min(1), varTolerance: tolerance, esTolerance: tolerance }),
    z.strictObject({ errorCode: z.string() }),
  ]),
});

export const goldenVectorsSchema = z.strictObject({ contract: z.string(), vectors: z.array(vectorSchema).min(1) });
/** Vectors a program hands the registry itself: none is its explicit choice (a file that lists none is refused,
 *  as a truncated one would silently turn the gate off). */
export const goldenVectorsOptionSchema = z.strictObject({ contract: z.string(), vectors: z.array(vectorSchema) });

export type GoldenVector = z.output<typeof vectorSchema>;
export type GoldenVectors = z.output<typeof goldenVectorsSchema>;

export interface GoldenOutcome {
  passed: boolean;
  /** One line per failed check, naming the vector. */
  failures: string[];
}

export async function loadGoldenVectors(path = GOLDEN_VECTORS_FILE): Promise<GoldenVectors> {
  return parseOrThrow(goldenVectorsSchema, await readJsonFile(path, 'goldenVectors', 'golden vectors'), 'golden vectors');
}

export type GoldenTolerance = z.output<typeof tolerance>;

/** The largest miss a tolerance allows for `expected`, given the candidate's own standard error of the VaR. */
export function allowedMiss(allowed: GoldenTolerance, expected: number, stdError: number): number {
  return 'relative' in allowed ? allowed.relative * Math.max(1, Math.abs(expected)) : allowed.stdErrors * stdError;
}

function within(actual: number, expected: number, allowed: GoldenTolerance, stdError: number): boolean {
  return Math.abs(actual - expected) <= allowedMiss(allowed, expected, stdError);
}

/** The vector's request, validated like any other (its seed a decimal string: a u64 does not fit a JSON number). */
export function goldenRequest({ method, portfolio, options }: GoldenVector): ValidRiskRequest {
  return validateRiskRequest({ method, portfolio, ...options });
}

async function check(engine: RiskEngine, vector: GoldenVector): Promise<string[]> {
  const expect = vector.expect;
  let result: RiskResult;
  try {
    result = await engine.run(goldenRequest(vector));
  } catch (error) {
    if ('errorCode' in expect && error instanceof WasmRiskError && error.code === expect.errorCode) return [];
    return [`${vector.name}: failed with ${error instanceof WasmRiskError ? error.code : 'an error'}: ${messageOf(error)}`];
  }
  if ('errorCode' in expect) return [`${vector.name}: answered, expected error ${expect.errorCode}`];
  return expect.levels.flatMap((level, i) => {
    const actual = result.levels[i];
    if (!actual || actual.confidence !== level.confidence) return [`${vector.name}: no level ${level.confidence}`];
    const failures: string[] = [];
    if (!within(actual.var, level.var, expect.varTolerance, actual.stdError)) {
      failures.push(`${vector.name} @${level.confidence}: VaR ${actual.var} vs expected ${level.var}`);
    }
    if (!within(actual.es, level.es, expect.esTolerance, actual.stdError)) {
      failures.push(`${vector.name} @${level.confidence}: ES ${actual.es} vs expected ${level.es}`);
    }
    return failures;
  });
}

/** `contractVersion`: the candidate's (compatibility check); vectors added since are skipped. Without it every
 *  vector is checked. */
export async function verifyGoldenVectors(engine: RiskEngine, vectors: GoldenVectors, contractVersion?: string): Promise<GoldenOutcome> {
  const failures: string[] = [];
  for (const vector of vectors.vectors) {
    if (vector.since !== undefined && contractVersion !== undefined && semver.lt(contractVersion, vector.since)) continue;
    failures.push(...(await check(engine, vector)));
  }
  return { passed: failures.length === 0, failures };
}
