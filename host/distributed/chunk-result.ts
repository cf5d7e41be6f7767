// What a worker sends back for one chunk, and what the requester accepts: the component that ran it, the
// chunk's largest losses (ascending, as raw little-endian float64 in base64, so -0 and every bit survive
// JSON) and the exact sums of its losses and their squares (integers in hex). Bounded by the run's tail,
// not by the chunk's paths; checked field by field by the requester, since Redis is a trust boundary.
import { endianness } from 'node:os';
import { z } from 'zod';
import { MAX_ESCAPED_INFO_LENGTH } from '../contract/checked-results.js';
import { ComponentContractError, InvalidInputError } from '../errors.js';
import type { JsonBudget } from '../files/json-budget.js';
import { lossMoments, precedes, type LossMoments } from '../report/risk-statistics.js';
import { SCALE_BITS } from '../report/exact-sum.js';
import { parseOrThrow } from '../request/validation.js';

/** Longest exact sums: |sum| < paths * 2^1024 and squares < paths * 2^2048, times 2^SCALE_BITS, in hex (4 bits
 *  a digit), with room. Squares were held to the sum's length: an honest chunk of losses past about 1e160
 *  was refused as a broken contract, where a local run says its portfolio is too extreme. */
const MAX_SUM_DIGITS = Math.ceil((SCALE_BITS + 1024 + 64) / 4) + 8;
const MAX_SQUARES_DIGITS = Math.ceil((SCALE_BITS + 2048 + 64) / 4) + 8;
const hexPattern = (digits: number) => new RegExp(`^-?[0-9a-f]{1,${digits}}$`);
const NAME = z.string().min(1).max(MAX_ESCAPED_INFO_LENGTH);

const chunkResultSchema = z.strictObject({
  component: z.strictObject({ name: NAME, version: NAME, sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  firstPath: z.number().int().min(0),
  pathCount: z.number().int().min(1),
  tail: z.base64(),
  sum: z.string().regex(hexPattern(MAX_SUM_DIGITS)),
  squares: z.string().regex(hexPattern(MAX_SQUARES_DIGITS)),
  // Checked (results-key.ts) by a requester that holds the results key, before this schema; ignored by one that does not.
  mac: z.string().max(64).optional(),
});

export type ChunkResultData = z.output<typeof chunkResultSchema>;

/** The most bytes a valid result of a chunk of `tailLength` losses takes as JSON: its losses in base64, its two
 *  sums, the component's name and version (a character at most 6 bytes: a `\u0001` escape), and 1 KiB for the
 *  field names, paths, hash and MAC. A reader checks the length before it reads the text. */
export function maxChunkResultBytes(tailLength: number): number {
  return 4 * Math.ceil((tailLength * 8) / 3) + MAX_SUM_DIGITS + MAX_SQUARES_DIGITS + 2 + 2 * 6 * MAX_ESCAPED_INFO_LENGTH + 1_024;
}

/** What JSON.parse of a valid result builds: the result and its component (objects), and its keys and string
 *  values (name, version, sha256, tail, sum, squares, mac). A reader refuses a text that holds more unparsed. */
export const CHUNK_RESULT_JSON_BUDGET: JsonBudget = {
  containers: 2,
  strings: Object.keys(chunkResultSchema.shape).length + Object.keys(chunkResultSchema.shape.component.shape).length + 7,
};

export interface ChunkResult {
  component: { name: string; version: string; sha256: string };
  firstPath: number;
  pathCount: number;
  /** The chunk's largest losses, ascending. */
  tail: Float64Array;
  moments: LossMoments;
}

export function chunkResultData({ component, firstPath, pathCount, tail, moments }: ChunkResult): ChunkResultData {
  // The vector's own bytes (a copy), swapped on a big-endian machine: a loss at a time took a worker's main
  // thread, which renews its locks, 50 ns a loss (0.1 s for a tail of 2,000,000).
  const bytes = Buffer.from(new Uint8Array(tail.buffer, tail.byteOffset, tail.byteLength));
  if (endianness() === 'BE') bytes.swap64();
  return { component, firstPath, pathCount, tail: bytes.toString('base64'), sum: moments.sum.toString(16), squares: moments.squares.toString(16) };
}

/** Validates a returned chunk against the chunk that was asked for: its paths, at most `tailLength` losses,
 *  finite, ascending. A worker that answers otherwise broke the contract. */
export function parseChunkResult(data: unknown, expected: { firstPath: number; pathCount: number; tailLength: number }): ChunkResult {
  const refuse = (problem: string) => new ComponentContractError(`chunk at path ${expected.firstPath}: ${problem}`);
  let parsed: ChunkResultData;
  try {
    parsed = parseOrThrow(chunkResultSchema, data, 'chunk result');
  } catch (error) {
    // A malformed answer is the worker's (or a forger's) fault, not bad input from the one who asked.
    throw error instanceof InvalidInputError ? refuse(error.message) : error;
  }
  if (parsed.firstPath !== expected.firstPath || parsed.pathCount !== expected.pathCount) throw refuse('answers for other paths');
  const bytes = Buffer.from(parsed.tail, 'base64');
  const length = Math.min(expected.pathCount, expected.tailLength);
  if (bytes.length !== length * 8) throw refuse(`sends ${bytes.length} bytes of losses, not ${length * 8}`);
  const tail = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    tail[i] = bytes.readDoubleLE(i * 8);
    if (!Number.isFinite(tail[i])) throw refuse('sends a loss that is not finite');
    if (i > 0 && precedes(tail[i]!, tail[i - 1]!)) throw refuse('sends losses out of order');
  }
  const moments = { count: parsed.pathCount, sum: hexInteger(parsed.sum), squares: hexInteger(parsed.squares) };
  const impossible = impossibleMoments(moments, tail, length === parsed.pathCount);
  if (impossible) throw refuse(`sends sums that its losses cannot have: ${impossible}`);
  return { component: parsed.component, firstPath: parsed.firstPath, pathCount: parsed.pathCount, tail, moments };
}

/** What is impossible in `moments` of losses whose largest are `tail` (all of them when `whole`): a mean loss
 *  above the largest (or below the smallest), a negative variance, or, of the whole, a mean square above the
 *  largest square. Sums that no losses have made the run's mean a number outside its losses, or its standard
 *  deviation NaN, which was then blamed on the caller's portfolio (ERR_INVALID_INPUT). */
function impossibleMoments({ count, sum, squares }: LossMoments, tail: Float64Array, whole: boolean): string | undefined {
  const n = BigInt(count);
  const [smallest, largest] = [lossMoments(tail.subarray(0, 1)), lossMoments(tail.subarray(-1))];
  if (sum > n * largest.sum) return 'a mean loss above its largest loss';
  if (whole && sum < n * smallest.sum) return 'a mean loss below its smallest loss';
  if ((n * squares) << BigInt(SCALE_BITS) < sum * sum) return 'a negative variance';
  if (whole && squares > n * (smallest.squares > largest.squares ? smallest.squares : largest.squares)) return 'a mean square above its largest square';
  return undefined;
}

function hexInteger(text: string): bigint {
  return text.startsWith('-') ? -BigInt(`0x${text.slice(1)}`) : BigInt(`0x${text}`);
}
