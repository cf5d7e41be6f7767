// The portfolio contract (the CLI's JSON file and the library's input): schema, cross-field checks, and
// conversion to the engine's index-based form.
import { z } from 'zod';
import type { Portfolio, Position } from '../contract/types.js';
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

export const portfolioSchema = z
  .strictObject({
    assets: z
      .array(assetSchema)
      .min(1, { error: 'must list at least one asset' })
      .max(MAX_ASSETS, { error: `must list at most ${MAX_ASSETS} assets` }),
    correlation: z.array(z.array(finite.min(-1, { error: 'must lie in [-1, 1]' }).max(1, { error: 'must lie in [-1, 1]' }))),
    riskFreeRate: finite.default(0),
    positions: z
      .array(positionSchema)
      .min(1, { error: 'must list at least one position' })
      .max(MAX_POSITIONS, { error: `must list at most ${MAX_POSITIONS} positions` }),
    returns: z.array(z.array(finite)).max(MAX_HISTORY_ROWS, { error: `must have at most ${MAX_HISTORY_ROWS} rows` }).optional(),
  })
  .superRefine((p, ctx) => {
    const n = p.assets.length;
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
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
  });

/** A portfolio as users write it: assets by id, positions referring to them. */
export type PortfolioSpec = z.input<typeof portfolioSchema>;

/** A validated portfolio in the engine's form, with the past returns kept beside it. */
export interface ValidatedPortfolio {
  assetIds: string[];
  portfolio: Portfolio;
  returns: Float64Array[] | undefined;
}

/** `field`: where the portfolio sits in the caller's input, prefixed to error paths (`portfolio.assets[0].vol`). */
export function validatePortfolio(spec: unknown, field = ''): ValidatedPortfolio {
  const p = parseOrThrow(portfolioSchema, spec, field);
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
      riskFreeRate: p.riskFreeRate,
      positions,
    },
    returns: p.returns && rowsInOneBuffer(p.returns),
  };
}

/** `rows` as views into one buffer: a worker hop clones one buffer instead of one per row (a million rows
 *  of past returns would be a million), and the component's glue copies each view from its offset. */
function rowsInOneBuffer(rows: readonly (readonly number[])[]): Float64Array[] {
  const flat = new Float64Array(rows.reduce((total, row) => total + row.length, 0));
  let offset = 0;
  return rows.map((row) => {
    const view = flat.subarray(offset, offset + row.length);
    view.set(row);
    offset += row.length;
    return view;
  });
}
