// The portfolio contract (the CLI's JSON file and the library's input): schema, cross-field checks, and
// conversion to the engine's index-based form.
import { z } from 'zod';
import type { Portfolio, Position } from '../contract/types.js';
import { jsonShapeCheck } from './json-schema.js';
import { parseOrThrow } from './validation.js';
import { CORRELATION_TOLERANCE, MAX_ASSETS, MAX_HISTORY_ROWS, MAX_POSITIONS } from './limits.js';

const finite = z.number({ error: 'must be a finite number' });
const positive = finite.gt(0, { error: 'must be a finite number > 0' });

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
    .max(MAX_ASSETS, { error: `must list at most ${MAX_ASSETS} assets` }),
  correlation: z.array(z.array(finite.min(-1, { error: 'must lie in [-1, 1]' }).max(1, { error: 'must lie in [-1, 1]' }))),
  riskFreeRate: finite.default(DEFAULT_RISK_FREE_RATE),
  positions: z
    .array(positionSchema)
    .min(1, { error: 'must list at least one position' })
    .max(MAX_POSITIONS, { error: `must list at most ${MAX_POSITIONS} positions` }),
  returns: z.array(z.array(finite)).max(MAX_HISTORY_ROWS, { error: `must have at most ${MAX_HISTORY_ROWS} rows` }).optional(),
});

/** A portfolio whose fields have their types and bounds, as written (the rate may be left out). */
type PortfolioFields = z.input<typeof portfolioFields>;

type IssueReporter = (path: PropertyKey[], message: string) => void;

/** The rules across fields, in the order their problems are reported: unique asset ids, positions on known
 *  assets, an n x n correlation with a unit diagonal that is symmetric, n returns a row. */
function checkCrossFieldRules(p: PortfolioFields, issue: IssueReporter): void {
  const n = p.assets.length;
  const seen = new Set<string>();
  p.assets.forEach((asset, i) => {
    if (seen.has(asset.id)) issue(['assets', i, 'id'], `duplicate asset id '${asset.id}'`);
    seen.add(asset.id);
  });
  p.positions.forEach((position, i) => {
    if (!seen.has(position.asset)) issue(['positions', i, 'asset'], `unknown asset '${position.asset}'`);
  });
  if (p.correlation.length !== n) {
    issue(['correlation'], `must have ${n} rows (one per asset), has ${p.correlation.length}`);
    return;
  }
  p.correlation.forEach((row, i) => {
    if (row.length !== n) issue(['correlation', i], `must have ${n} entries, has ${row.length}`);
  });
  for (let i = 0; i < n; i++) {
    const row = p.correlation[i]!;
    if (row.length !== n) return;
    if (Math.abs(row[i]! - 1) > CORRELATION_TOLERANCE) issue(['correlation', i, i], 'diagonal must be 1');
    for (let j = 0; j < i; j++) {
      if (Math.abs(row[j]! - p.correlation[j]![i]!) > CORRELATION_TOLERANCE) {
        issue(['correlation', i, j], `must equal correlation[${j}][${i}] (symmetric)`);
      }
    }
  }
  p.returns?.forEach((row, t) => {
    if (row.length !== n) issue(['returns', t], `must have ${n} entries (one per asset), has ${row.length}`);
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
  portfolio: Portfolio;
  returns: Float64Array[] | undefined;
}

/** Where a value to validate came from. `json`: parsed from JSON text as it is (plain data, every value read
 *  once), which a compiled check can take on its own; anything else goes through zod. */
export type InputSource = 'json' | 'any';

/** `field`: where the portfolio sits in the caller's input, prefixed to error paths (`portfolio.assets[0].vol`).
 *  A portfolio from JSON that passes the compiled checks is taken as it is; anything else, and every error's
 *  wording, comes from zod, so both routes accept the same portfolios and report the same first problem. */
export function validatePortfolio(spec: unknown, field = '', source: InputSource = 'any'): ValidatedPortfolio {
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
  const index = new Map(p.assets.map((asset, i) => [asset.id, i]));
  const positions: Position[] = p.positions.map((position) => ({
    assetIndex: index.get(position.asset)!,
    quantity: position.quantity,
    instrument:
      position.type === 'spot'
        ? { tag: 'spot' }
        : { tag: 'european', val: { kind: position.type, strike: position.strike, expiryYears: position.expiryYears } },
  }));
  return {
    assetIds: p.assets.map((asset) => asset.id),
    portfolio: {
      assets: p.assets.map(({ spot, drift, vol }) => ({ spot, drift, vol })),
      correlation: rowsInOneBuffer(p.correlation),
      riskFreeRate: p.riskFreeRate ?? DEFAULT_RISK_FREE_RATE,
      positions,
    },
    returns: p.returns && rowsInOneBuffer(p.returns),
  };
}

/** `rows` as views into one buffer: a worker hop clones one buffer instead of one per row (a million rows
 *  of past returns would be a million), and the component's glue copies each view from its offset. Copied
 *  value by value: `set` from a plain array takes a slow generic path (measured 2-3x slower on 10 x 10). */
function rowsInOneBuffer(rows: readonly (readonly number[])[]): Float64Array[] {
  let total = 0;
  for (const row of rows) total += row.length;
  const flat = new Float64Array(total);
  const views: Float64Array[] = [];
  let offset = 0;
  for (const row of rows) {
    for (let j = 0; j < row.length; j++) flat[offset + j] = row[j]!;
    views.push(flat.subarray(offset, offset + row.length));
    offset += row.length;
  }
  return views;
}
