// The requester's merge of a finished run: its chunks' results read from Redis one at a time, each checked
// and folded into the run's largest losses and exact moments, so the requester holds the run's tail and one
// chunk, not every chunk's result at once (BullMQ's getChildrenValues loads and parses the whole results
// hash). Only the fields of the planned chunks are read, and only up to the size (and the arrays, objects and
// strings) a valid result can have:
// whatever else anyone who can write Redis put in the hash, or in a chunk's place, is never loaded. With a
// results key, a result whose MAC does not bind it to its chunk's job is refused before it is looked at.
import { ReplyError } from 'ioredis';
import { ComponentContractError, messageOf } from '../errors.js';
import { addMoments, LargestLosses, type LossMoments } from '../report/risk-statistics.js';
import { jsonBudgetExcess } from '../files/json-budget.js';
import { readFieldAtMost } from './bounded-field.js';
import { CHUNK_RESULT_JSON_BUDGET, maxChunkResultBytes, parseChunkResult } from './chunk-result.js';
import type { RedisLink } from './redis-connection.js';
import type { ResultsKey } from './results-key.js';

/** A chunk of the run, and its field in the run's results hash. */
export interface ChunkResultField {
  /** The chunk job's key: BullMQ names each child's field in its parent's `<parent key>:processed` hash so. */
  field: string;
  firstPath: number;
  pathCount: number;
  /** The chunk's job data as the requester wrote it, without its MAC. */
  job: object;
}

/** The run's largest `keep` losses, ascending, and the exact moments of all its losses. */
export interface MergedRun {
  tail: Float64Array;
  moments: LossMoments;
}

/** Every planned chunk must have answered once, for `component`; a missing, malformed or foreign result is
 *  ComponentContractError, one not authenticated by `resultsKey` (when given) ChunkForgedError, a lost Redis
 *  RedisUnavailableError (through `link.guard`). */
export async function mergeChunkResults(
  link: RedisLink,
  resultsHash: string,
  chunks: Iterable<ChunkResultField>,
  component: { name: string; version: string; sha256: string },
  keep: number,
  resultsKey?: ResultsKey,
): Promise<MergedRun> {
  const tail = new LargestLosses(keep);
  let moments: LossMoments = { count: 0, sum: 0n, squares: 0n };
  for (const { field, firstPath, pathCount, job } of chunks) {
    const refuse = (problem: string) => new ComponentContractError(`chunk at path ${firstPath}: ${problem}`);
    const limit = maxChunkResultBytes(Math.min(pathCount, keep));
    const text = await readFieldAtMost(link, resultsHash, field, limit).catch((error: unknown) => {
      // WRONGTYPE: what is there is not a hash, so not BullMQ's.
      throw error instanceof ReplyError ? new ComponentContractError(`the run's results cannot be read: ${messageOf(error)}`) : error;
    });
    if (text === null) throw refuse('no result');
    if (typeof text === 'number') throw refuse(`its result is ${text} bytes long, more than ${limit}, the most ${Math.min(pathCount, keep)} losses take`);
    // Within the byte cap, 10 MB of `[],` cost JSON.parse 144 MB: a result holds two objects and a few strings.
    const excess = jsonBudgetExcess(text, CHUNK_RESULT_JSON_BUDGET);
    if (excess !== undefined) throw refuse(`its result holds ${excess}, more than any result; not parsed`);
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw refuse(`its result is not JSON: ${messageOf(error)}`);
    }
    if (resultsKey) data = resultsKey.checkResult(job, data, `chunk at path ${firstPath}`);
    const result = parseChunkResult(data, { firstPath, pathCount, tailLength: keep });
    const { name, version, sha256 } = result.component;
    if (sha256 !== component.sha256 || name !== component.name || version !== component.version) {
      throw refuse(`run by ${name} ${version} (${sha256}), not the component asked for`);
    }
    moments = addMoments(moments, result.moments);
    tail.add(result.tail);
  }
  return { tail: tail.largest(), moments };
}
