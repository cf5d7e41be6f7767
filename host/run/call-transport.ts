// How an engine call crosses to a worker thread. A structured clone of a portfolio costs tens of µs each way
// (every asset and position is an object with named fields: about 2 KB and 80 µs for 10 assets, more than
// the component takes to answer a parametric request); packed into one Float64Array it is a copy of a
// buffer. Only portfolios and past returns are packed; the rest of a call crosses as it is. Every number
// crosses as the same 64 bits, so results are bit-identical to an in-thread call.
import { isFactorPortfolio, type EnginePortfolio, type OptionKind, type Position } from '../contract/types.js';
import type { EngineCall, EngineMethod } from './engine-calls.js';

/** Rows of equal width in one buffer. */
interface PackedRows {
  flat: Float64Array;
  count: number;
  width: number;
}

/** A call as it crosses: its portfolio (and returns) packed. */
export type TransportedCall = Record<string, unknown> & { method: EngineMethod };

const KIND_CODES: Record<'spot' | OptionKind, number> = { spot: 0, call: 1, put: 2 };
const KINDS: readonly OptionKind[] = ['call', 'put'];
/** Header: asset count, position count, risk-free rate, factor count (0: a correlation portfolio). Then 3
 *  numbers an asset, n² of correlation or n x k of factor loadings, and 5 a position. */
const HEADER = 4;
const POSITION_FIELDS = 5;

/** A task's calls as they cross: each call's portfolio is the offset of its packed form in `portfolios`. */
export interface PackedCalls {
  calls: TransportedCall[];
  /** Every portfolio of the task, packed one after another in one buffer, which is moved to the worker, not
   *  copied: a buffer of its own per call cost its allocation and its clone on both sides of the hop. */
  portfolios: Float64Array;
}

/**
 * Packs the calls of one task. A portfolio (or set of returns) that several of them carry (a batch's shared
 * portfolio, chunks of one run) is packed once and they share it. Remembered for the task only: a WeakMap that
 * outlived the task took an entry per call on both sides of the hop, and V8's collector walks every such entry.
 */
export function packCalls(calls: readonly EngineCall[]): PackedCalls {
  const offsets = new Map<EnginePortfolio, number>();
  let length = 0;
  for (const call of calls) {
    if ('portfolio' in call && !offsets.has(call.portfolio)) {
      offsets.set(call.portfolio, length);
      length += packedLength(call.portfolio);
    }
  }
  const portfolios = new Float64Array(length);
  for (const [portfolio, at] of offsets) packPortfolio(portfolio, portfolios, at);
  const returnSets = new Map<readonly Float64Array[], PackedRows>();
  const packed = calls.map((call): TransportedCall => {
    if (!('portfolio' in call)) return call;
    const crossing: TransportedCall = { ...call, portfolio: offsets.get(call.portfolio)! };
    if (call.method === 'historical') crossing.returns = once(returnSets, call.returns, (returns) => packRows(returns, call.portfolio.assets.length));
    // A few levels: a plain array clones faster than a typed array, which costs a buffer of its own.
    if ('confidence' in call) crossing.confidence = Array.from(call.confidence);
    return crossing;
  });
  return { calls: packed, portfolios };
}

/** Unpacks the calls of one task as they run: a portfolio several of them share is unpacked once. */
export function callUnpacker(portfolios: Float64Array): (call: TransportedCall) => EngineCall {
  const unpacked = new Map<number, EnginePortfolio>();
  return (call) => {
    if (typeof call.portfolio !== 'number') return call as EngineCall;
    const arrived: Record<string, unknown> = { ...call, portfolio: once(unpacked, call.portfolio, (at) => unpackPortfolio(portfolios, at)) };
    if (call.method === 'historical') arrived.returns = unpackRows(call.returns as PackedRows);
    if (Array.isArray(call.confidence)) arrived.confidence = Float64Array.from(call.confidence as number[]);
    return arrived as EngineCall;
  };
}

function once<K, V>(made: Map<K, V>, key: K, make: (key: K) => V): V {
  let value = made.get(key);
  if (value === undefined) made.set(key, (value = make(key)));
  return value;
}

function rowsOf(portfolio: EnginePortfolio): readonly Float64Array[] {
  return isFactorPortfolio(portfolio) ? portfolio.factorLoadings : portfolio.correlation;
}

function packedLength(portfolio: EnginePortfolio): number {
  const n = portfolio.assets.length;
  return HEADER + 3 * n + n * (rowsOf(portfolio)[0]?.length ?? 0) + POSITION_FIELDS * portfolio.positions.length;
}

/** Writes `portfolio` into `packed` from `at`, `packedLength(portfolio)` numbers. */
function packPortfolio(portfolio: EnginePortfolio, packed: Float64Array, start: number): void {
  const { assets, riskFreeRate, positions } = portfolio;
  const rows = rowsOf(portfolio);
  const width = rows[0]?.length ?? 0;
  packed[start] = assets.length;
  packed[start + 1] = positions.length;
  packed[start + 2] = riskFreeRate;
  packed[start + 3] = isFactorPortfolio(portfolio) ? width : 0;
  let at = start + HEADER;
  for (const { spot, drift, vol } of assets) {
    packed[at++] = spot;
    packed[at++] = drift;
    packed[at++] = vol;
  }
  for (const row of rows) {
    packed.set(row, at);
    at += width;
  }
  for (const { assetIndex, quantity, instrument } of positions) {
    packed[at++] = assetIndex;
    packed[at++] = quantity;
    if (instrument.tag === 'spot') {
      packed[at++] = KIND_CODES.spot;
      at += 2;
    } else {
      packed[at++] = KIND_CODES[instrument.val.kind];
      packed[at++] = instrument.val.strike;
      packed[at++] = instrument.val.expiryYears;
    }
  }
}

function unpackPortfolio(packed: Float64Array, start: number): EnginePortfolio {
  const n = packed[start]!;
  const m = packed[start + 1]!;
  const factors = packed[start + 3]!;
  const width = factors > 0 ? factors : n;
  let at = start + HEADER;
  const assets = Array.from({ length: n }, () => ({ spot: packed[at++]!, drift: packed[at++]!, vol: packed[at++]! }));
  const rows = Array.from({ length: n }, () => packed.subarray(at, (at += width)));
  const positions = Array.from({ length: m }, (): Position => {
    const assetIndex = packed[at++]!;
    const quantity = packed[at++]!;
    const code = packed[at++]!;
    const strike = packed[at++]!;
    const expiryYears = packed[at++]!;
    return { assetIndex, quantity, instrument: code === KIND_CODES.spot ? { tag: 'spot' } : { tag: 'european', val: { kind: KINDS[code - 1]!, strike, expiryYears } } };
  });
  const common = { assets, riskFreeRate: packed[start + 2]!, positions };
  return factors > 0 ? { ...common, factorLoadings: rows } : { ...common, correlation: rows };
}

function packRows(rows: readonly Float64Array[], width: number): PackedRows {
  const flat = new Float64Array(rows.length * width);
  rows.forEach((row, i) => flat.set(row, i * width));
  return { flat, count: rows.length, width };
}

function unpackRows({ flat, count, width }: PackedRows): Float64Array[] {
  return Array.from({ length: count }, (_, i) => flat.subarray(i * width, (i + 1) * width));
}
