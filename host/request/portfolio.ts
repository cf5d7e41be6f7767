// The portfolio contract (the CLI's JSON file and the library's input): schema, cross-field checks, and
// conversion to the engine's index-based form.
import { z } from 'zod';
import type { EnginePortfolio, Position } from '../contract/types.js';
import type { JsonBudget } from '../files/json-budget.js';
import { jsonShapeCheck } from './json-schema.js';
import { echoed } from '../report/echoed-input.js';
import { parseOrThrow } from './validation.js';
import { InvalidInputError } from '../errors.js';
import { CORRELATION_TOLERANCE, LOADINGS_TOLERANCE, MAX_ASSETS, MAX_FACTOR_ASSETS, MAX_FACTORS, MAX_HISTORY_ROWS, MAX_POSITIONS } from './limits.js';

const finite = z.number({ error: 'must be a finite number' });
const positive = finite.gt(0, { error: 'must be a finite number > 0' });
const CORRELATION_RANGE = 'must lie in [-1, 1]';

const assetSchema = z.strictObject({
  id: z.string().min(1, { error: 'must be a non-empty string' }),
  spot: positive,
  drift: finite,
  vol: positive,
});

const spotPositionSchema = z.strictObject({
  asset: z.string(),
  type: z.literal('spot'),
  quantity: finite,
});

const optionPositionSchema = z.strictObject({
  asset: z.string(),
  type: z.enum(['call', 'put']),
  strike: positive,
  expiryYears: positive,
  quantity: finite,
});

const positionSchema = z.discriminatedUnion('type', [spotPositionSchema, optionPositionSchema], {
  error: "must have type 'spot', 'call' or 'put'",
});

/** The rate when a portfolio gives none. */
const DEFAULT_RISK_FREE_RATE = 0;

const portfolioFields = z.strictObject({
  assets: z
    .array(assetSchema)
    .min(1, { error: 'must list at least one asset' })
    .max(MAX_FACTOR_ASSETS, { error: `must list at most ${MAX_FACTOR_ASSETS} assets` }),
  /** Exactly one of `correlation` and `factorLoadings` (checkCrossFieldRules). An entry may pass 1 by the
   *  tolerance, which only the diagonal has (checkCorrelation). */
  correlation: z
    .array(z.array(finite.min(-1, { error: CORRELATION_RANGE }).max(1 + CORRELATION_TOLERANCE, { error: CORRELATION_RANGE })))
    .optional(),
  factorLoadings: z
    .array(
      z
        .array(finite)
        .min(1, { error: 'must have at least 1 factor' })
        .max(MAX_FACTORS, { error: `must have at most ${MAX_FACTORS} factors` }),
    )
    .max(MAX_FACTOR_ASSETS, { error: `must have at most ${MAX_FACTOR_ASSETS} rows` })
    .optional(),
  riskFreeRate: finite.default(DEFAULT_RISK_FREE_RATE),
  positions: z
    .array(positionSchema)
    .min(1, { error: 'must list at least one position' })
    .max(MAX_POSITIONS, { error: `must list at most ${MAX_POSITIONS} positions` }),
  returns: z.array(z.array(finite)).max(MAX_HISTORY_ROWS, { error: `must have at most ${MAX_HISTORY_ROWS} rows` }).optional(),
});

/** The top-level fields of a portfolio: what the host and the engine name flat, as the portfolio's
 *  (field-location.ts). */
export const PORTFOLIO_KEYS: ReadonlySet<string> = new Set(Object.keys(portfolioFields.shape));

/** The most a portfolio within the contract's limits holds as JSON, counted before a text is parsed: the root
 *  and its four arrays, an object per asset and per position, a row per asset of `factorLoadings` (10,000,
 *  more than `correlation`'s 2,000) and per row of `returns`; 6 root keys, 4 keys and an id per asset, at most
 *  5 keys, an asset and a type per position. */
export const PORTFOLIO_JSON_BUDGET: JsonBudget = {
  containers: 1 + 4 + MAX_FACTOR_ASSETS + Math.max(MAX_ASSETS, MAX_FACTOR_ASSETS) + MAX_POSITIONS + MAX_HISTORY_ROWS,
  strings: Object.keys(portfolioFields.shape).length + 5 * MAX_FACTOR_ASSETS + 7 * MAX_POSITIONS,
};

/** A portfolio whose fields have their types and bounds, as written (the rate may be left out). */
type PortfolioFields = z.input<typeof portfolioFields>;

type IssueReporter = (path: PropertyKey[], message: string) => void;

/** An asset id as ids are compared: in Unicode's NFC, so that canonically equivalent spellings (an `é` as
 *  one code point, or as `e` and a combining accent, as some editors and file systems write it) name one
 *  asset. Each id is kept as written. */
function assetKey(id: string): string {
  // ASCII text is in NFC already (the usual id: the test is cheaper than ICU's normalisation).
  return ASCII.test(id) ? id : id.normalize('NFC');
}

const ASCII = /^[\x00-\x7f]*$/;

/** The rules across fields, in the order their problems are reported: unique asset ids (as assetKey compares
 *  them), positions on known assets, exactly one of a correlation matrix and factor loadings (each checked
 *  against the assets), n returns a row. */
function checkCrossFieldRules(p: PortfolioFields, issue: IssueReporter): void {
  const n = p.assets.length;
  const first = new Map<string, number>();
  p.assets.forEach((asset, i) => {
    const key = assetKey(asset.id);
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, i);
    else if (p.assets[earlier]!.id === asset.id) issue(['assets', i, 'id'], `duplicate asset id ${echoed(asset.id)} (also assets[${earlier}].id)`);
    else issue(['assets', i, 'id'], `duplicate asset id ${echoed(asset.id)}: the same text as assets[${earlier}].id ${echoed(p.assets[earlier]!.id)} in another Unicode normal form`);
  });
  p.positions.forEach((position, i) => {
    if (!first.has(assetKey(position.asset))) issue(['positions', i, 'asset'], `unknown asset ${echoed(position.asset)}`);
  });
  if (p.correlation !== undefined && p.factorLoadings !== undefined) {
    issue(['factorLoadings'], 'give either correlation or factorLoadings, not both');
  } else if (p.correlation !== undefined) {
    checkCorrelation(p.correlation, n, issue);
  } else if (p.factorLoadings !== undefined) {
    checkFactorLoadings(p.factorLoadings, n, issue);
  } else {
    issue(['correlation'], 'is required (or factorLoadings, a factor model)');
  }
  p.returns?.forEach((row, t) => {
    if (row.length !== n) issue(['returns', t], `must have ${n} entries (one per asset), has ${row.length}`);
  });
}

/** n x n (n up to MAX_ASSETS: each path costs n²), a unit diagonal, symmetric, each within
 *  CORRELATION_TOLERANCE; off the diagonal in [-1, 1]. */
function checkCorrelation(correlation: readonly (readonly number[])[], n: number, issue: IssueReporter): void {
  if (n > MAX_ASSETS) {
    issue(['assets'], `must list at most ${MAX_ASSETS} assets with a correlation matrix (up to ${MAX_FACTOR_ASSETS} with factorLoadings)`);
    return;
  }
  if (correlation.length !== n) {
    issue(['correlation'], `must have ${n} rows (one per asset), has ${correlation.length}`);
    return;
  }
  correlation.forEach((row, i) => {
    if (row.length !== n) issue(['correlation', i], `must have ${n} entries, has ${row.length}`);
  });
  for (let i = 0; i < n; i++) {
    const row = correlation[i]!;
    if (row.length !== n) return;
    if (Math.abs(row[i]! - 1) > CORRELATION_TOLERANCE) issue(['correlation', i, i], `diagonal must be 1 (within ${CORRELATION_TOLERANCE}), is ${row[i]}`);
    for (let j = 0; j < n; j++) {
      if (j !== i && row[j]! > 1) issue(['correlation', i, j], CORRELATION_RANGE);
    }
    for (let j = 0; j < i; j++) {
      if (Math.abs(row[j]! - correlation[j]![i]!) > CORRELATION_TOLERANCE) {
        issue(['correlation', i, j], `must equal correlation[${j}][${i}] (symmetric)`);
      }
    }
  }
}

/** n rows of k loadings each, every row's sum of squares (summed as the engine sums it) at most 1. */
function checkFactorLoadings(loadings: readonly (readonly number[])[], n: number, issue: IssueReporter): void {
  if (loadings.length !== n) {
    issue(['factorLoadings'], `must have ${n} rows (one per asset), has ${loadings.length}`);
    return;
  }
  const k = loadings[0]!.length;
  loadings.forEach((row, i) => {
    if (row.length !== k) {
      issue(['factorLoadings', i], `must have ${k} entries (as many as row 0), has ${row.length}`);
      return;
    }
    let explained = 0;
    for (const loading of row) explained += loading * loading;
    if (explained > 1 + LOADINGS_TOLERANCE) issue(['factorLoadings', i], `sum of squares ${explained} exceeds 1`);
  });
}

export const portfolioSchema = portfolioFields.superRefine((p, ctx) =>
  checkCrossFieldRules(p, (path, message) => ctx.addIssue({ code: 'custom', path, message })),
);

/** The same checks, compiled: for JSON data, which cannot hold getters, proxies or shared references. */
const hasPortfolioFields = jsonShapeCheck(portfolioFields);

/** A portfolio as users write it: assets by id, positions referring to them. */
export type PortfolioSpec = z.input<typeof portfolioSchema>;

/** A validated portfolio in the engine's form, with the past returns kept beside it. */
export interface ValidatedPortfolio {
  assetIds: string[];
  portfolio: EnginePortfolio;
  returns: Float64Array[] | undefined;
}

/** Where a value to validate came from. `json`: parsed from JSON text as it is (plain data, every value read
 *  once), which a compiled check can take on its own; anything else goes through zod. */
export type InputSource = 'json' | 'any';

/** `field`: where the portfolio sits in the caller's input, prefixed to error paths (`portfolio.assets[0].vol`).
 *  A portfolio from JSON that passes the compiled checks is taken as it is; anything else, and every error's
 *  wording, comes from zod, so both routes accept the same portfolios and report the same first problem. */
export function validatePortfolio(spec: unknown, field = '', source: InputSource = 'any'): ValidatedPortfolio {
  // A book that is not an object at all is named as the whole book: `portfolio` where fields are named flat
  // (field-location.ts), not '' (which named nothing, and `run` named a missing one `portfolio` already).
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new InvalidInputError(field === '' ? 'portfolio' : field, spec === undefined ? 'is required' : 'must be an object');
  }
  if (source === 'json' && hasPortfolioFields(spec) && !breaksCrossFieldRules(spec as PortfolioFields)) {
    return engineForm(spec as PortfolioFields);
  }
  return engineForm(parseOrThrow(portfolioSchema, spec, field));
}

function breaksCrossFieldRules(p: PortfolioFields): boolean {
  let broken = false;
  checkCrossFieldRules(p, () => {
    broken = true;
  });
  return broken;
}

function engineForm(p: PortfolioFields): ValidatedPortfolio {
  const index = new Map(p.assets.map((asset, i) => [assetKey(asset.id), i]));
  const positions: Position[] = p.positions.map((position) => ({
    assetIndex: index.get(assetKey(position.asset))!,
    quantity: position.quantity,
    instrument:
      position.type === 'spot'
        ? { tag: 'spot' }
        : { tag: 'european', val: { kind: position.type, strike: position.strike, expiryYears: position.expiryYears } },
  }));
  const common = {
    assets: p.assets.map(({ spot, drift, vol }) => ({ spot, drift, vol })),
    riskFreeRate: p.riskFreeRate ?? DEFAULT_RISK_FREE_RATE,
    positions,
  };
  return {
    assetIds: p.assets.map((asset) => asset.id),
    // The cross-field rules let exactly one of the two through.
    portfolio: p.factorLoadings ? { ...common, factorLoadings: rowsInOneBuffer(p.factorLoadings) } : { ...common, correlation: unitDiagonal(rowsInOneBuffer(p.correlation ?? [])) },
    returns: p.returns && rowsInOneBuffer(p.returns),
  };
}

/** The correlation with its diagonal set to 1, as the model's is: a diagonal within the tolerance is one
 *  written or estimated to rounding (numpy's corrcoef gives 1 +- 2e-16), and the engine takes entries in
 *  [-1, 1] only. */
function unitDiagonal(rows: Float64Array[]): Float64Array[] {
  rows.forEach((row, i) => {
    row[i] = 1;
  });
  return rows;
}

/** `rows` as views into one buffer: a worker hop clones one buffer instead of one per row (a million rows
 *  of past returns would be a million), and the component's glue copies each view from its offset. Copied
 *  value by value: `set` from a plain array takes a slow generic path (measured 2-3x slower on 10 x 10). */
function rowsInOneBuffer(rows: readonly (readonly number[])[]): Float64Array[] {
  let total = 0;
  for (const row of rows) total += row.length;
  // Views made on an ArrayBuffer, not by subarray() of a Float64Array: 1.7 against 2.6 us for 10 x 10.
  const buffer = new ArrayBuffer(total * Float64Array.BYTES_PER_ELEMENT);
  const views: Float64Array[] = [];
  let offset = 0;
  for (const row of rows) {
    const view = new Float64Array(buffer, offset * Float64Array.BYTES_PER_ELEMENT, row.length);
    for (let j = 0; j < row.length; j++) view[j] = row[j]!;
    views.push(view);
    offset += row.length;
  }
  return views;
}
