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

/**
 * Packs the calls of one task. A portfolio (or set of returns) that several of them carry (a batch's shared
 * portfolio, chunks of one run) is packed once, and they share that copy, which crosses once (a
 * structured clone keeps shared references). Remembered for the task only: a WeakMap that outlived the task
 * took an entry per call on both sides of the hop, and V8's collector walks every such entry (a batch of 100
 * evaluations each with its own portfolio spent about 10% more CPU per evaluation with them).
 */
export function packCalls(calls: readonly EngineCall[]): TransportedCall[] {
  const portfolios = new Map<EnginePortfolio, Float64Array>();
  const returnSets = new Map<readonly Float64Array[], PackedRows>();
  return calls.map((call) => {
    if (!('portfolio' in call)) return call;
    const packed: TransportedCall = { ...call, portfolio: once(portfolios, call.portfolio, packPortfolio) };
    if (call.method === 'historical') packed.returns = once(returnSets, call.returns, (returns) => packRows(returns, call.portfolio.assets.length));
    // A few levels: a plain array clones faster than a typed array, which costs a buffer of its own.
    if ('confidence' in call) packed.confidence = Array.from(call.confidence);
    return packed;
  });
}

/** Unpacks the calls of one task as they run: a packed portfolio several of them share is unpacked once. */
export function callUnpacker(): (call: TransportedCall) => EngineCall {
  const portfolios = new Map<Float64Array, EnginePortfolio>();
  return (call) => {
    if (!(call.portfolio instanceof Float64Array)) return call as EngineCall;
    const unpacked: Record<string, unknown> = { ...call, portfolio: once(portfolios, call.portfolio, unpackPortfolio) };
    if (call.method === 'historical') unpacked.returns = unpackRows(call.returns as PackedRows);
    if (Array.isArray(call.confidence)) unpacked.confidence = Float64Array.from(call.confidence as number[]);
    return unpacked as EngineCall;
  };
}

function once<K, V>(made: Map<K, V>, key: K, make: (key: K) => V): V {
  let value = made.get(key);
  if (value === undefined) made.set(key, (value = make(key)));
  return value;
}

function packPortfolio(portfolio: EnginePortfolio): Float64Array {
  const { assets, riskFreeRate, positions } = portfolio;
  const n = assets.length;
  const rows = isFactorPortfolio(portfolio) ? portfolio.factorLoadings : portfolio.correlation;
  const width = rows[0]?.length ?? 0;
  const packed = new Float64Array(HEADER + 3 * n + n * width + POSITION_FIELDS * positions.length);
  packed[0] = n;
  packed[1] = positions.length;
  packed[2] = riskFreeRate;
  packed[3] = isFactorPortfolio(portfolio) ? width : 0;
  let at = HEADER;
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
  return packed;
}

function unpackPortfolio(packed: Float64Array): EnginePortfolio {
  const n = packed[0]!;
  const m = packed[1]!;
  const factors = packed[3]!;
  const width = factors > 0 ? factors : n;
  let at = HEADER;
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
  const common = { assets, riskFreeRate: packed[2]!, positions };
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
