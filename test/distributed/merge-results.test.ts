// The requester's merge of a finished run, on a real Redis and a results hash written here as BullMQ writes
// it (a field per chunk job's key): the same tail and moments as one merge of every chunk, the planned
// chunks' fields read one at a time and nothing else of the hash, and a missing, non-JSON or foreign result
// the worker's broken contract; a Redis lost meanwhile is ERR_REDIS_UNAVAILABLE.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkResultData } from '../../host/distributed/chunk-result.js';
import { ResultsKey } from '../../host/distributed/results-key.js';
import { mergeChunkResults, type ChunkResultField } from '../../host/distributed/merge-results.js';
import { RedisLink } from '../../host/distributed/redis-connection.js';
import { ChunkForgedError, ComponentContractError, RedisUnavailableError } from '../../host/errors.js';
import { addMoments, lossMoments, mergeSortedRuns, sortedLosses, type LossMoments } from '../../host/report/risk-statistics.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const COMPONENT = { name: 'risk-engine', version: '1.2.0', sha256: 'ab'.repeat(32) };
const HASH = 'bull:merge:run:processed';

/** Chunks of `sizes` paths of pseudo-random losses (ties and both zeros among them), each sent as a worker
 *  sends it: its largest `keep`, ascending, and the moments of all its losses. */
function chunksOf(sizes: number[], keep: number) {
  let state = 7;
  const next = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31), state);
  let firstPath = 0;
  return sizes.map((pathCount, i) => {
    const losses = sortedLosses(Float64Array.from({ length: pathCount }, () => (next() % 5 === 0 ? (next() % 2 ? 0 : -0) : (next() % 2_001) - 1_000)));
    const chunk = { field: `bull:merge:chunk-${i}`, firstPath, pathCount, job: {}, losses, moments: lossMoments(losses) };
    firstPath += pathCount;
    const tail = losses.slice(Math.max(0, pathCount - keep));
    return { ...chunk, value: JSON.stringify(chunkResultData({ component: COMPONENT, firstPath: chunk.firstPath, pathCount, tail, moments: chunk.moments })) };
  });
}

let redis: TestRedis;
let link: RedisLink;

beforeAll(async () => {
  redis = await startRedis();
  link = await new RedisLink(redis.url).open();
});

afterAll(async () => {
  await link?.close();
  await redis?.stop();
});

async function resultsHash(entries: Record<string, string>): Promise<void> {
  await link.connection.del(HASH);
  await link.connection.hset(HASH, entries);
}

async function contractFailure(fields: ChunkResultField[], keep: number): Promise<string> {
  const error = await mergeChunkResults(link, HASH, fields, COMPONENT, keep).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ComponentContractError);
  return (error as Error).message;
}

describe('mergeChunkResults', () => {
  it('gives the largest losses of one merge of every chunk, bit for bit, and the sum of their moments', async () => {
    const keep = 700;
    // Chunks smaller, as large and larger than the tail, as a run's chunks can be.
    const chunks = chunksOf([300, 700, 2_000, 1, 450, 1_500, 999], keep);
    await resultsHash(Object.fromEntries(chunks.map((chunk) => [chunk.field, chunk.value])));
    const { tail, moments } = await mergeChunkResults(link, HASH, chunks, COMPONENT, keep);
    const all = mergeSortedRuns(chunks.map((chunk) => chunk.losses));
    // toEqual tells -0 from +0 (Object.is).
    expect(Array.from(tail)).toEqual(Array.from(all.subarray(all.length - keep)));
    expect(moments).toEqual(chunks.reduce<LossMoments>((sum, chunk) => addMoments(sum, chunk.moments), { count: 0, sum: 0n, squares: 0n }));
    expect(moments).toEqual(lossMoments(all));
  });

  it('reads the planned chunks one at a time, and never the rest of the hash: a forged 32 MB value is not parsed', async () => {
    const keep = 100;
    const chunks = chunksOf([400, 400, 400], keep);
    // The old merge read the whole hash (getChildrenValues: HGETALL, then JSON.parse of every value) and
    // failed on this one; a key ending in a chunk's job id, as the old match by id did, is no chunk's either.
    const forged = { 'bull:merge:forged': `{not json${' '.repeat(32 * 2 ** 20)}`, 'bull:merge:x:chunk-1': '"forged"' };
    await resultsHash({ ...forged, ...Object.fromEntries(chunks.map((chunk) => [chunk.field, chunk.value])) });
    const read: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const { connection } = link;
    const sendCommand = connection.sendCommand.bind(connection);
    connection.sendCommand = (command, stream) => {
      read.push(`${command.name} ${String(command.args[command.name === 'eval' ? 3 : 1])}`);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      void command.promise.finally(() => inFlight--).catch(() => undefined);
      return sendCommand(command, stream);
    };
    try {
      const { moments } = await mergeChunkResults(link, HASH, chunks, COMPONENT, keep);
      expect(moments.count).toBe(1_200);
    } finally {
      connection.sendCommand = sendCommand;
    }
    expect(read).toEqual(chunks.map((chunk) => `eval ${chunk.field}`));
    expect(mostInFlight).toBe(1);
  });

  it('refuses a planned chunk with no result, a result that is not JSON or one run by another component', async () => {
    const keep = 50;
    const [first, second] = chunksOf([100, 100], keep);
    await resultsHash({ [first!.field]: first!.value });
    expect(await contractFailure([first!, second!], keep)).toBe('chunk at path 100: no result');
    await resultsHash({ [first!.field]: first!.value, [second!.field]: '{"tail":' });
    expect(await contractFailure([first!, second!], keep)).toMatch(/^chunk at path 100: its result is not JSON: /);
    const other = { ...JSON.parse(second!.value), component: { ...COMPONENT, version: '1.3.0' } };
    await resultsHash({ [first!.field]: first!.value, [second!.field]: JSON.stringify(other) });
    expect(await contractFailure([first!, second!], keep)).toMatch(/^chunk at path 100: run by risk-engine 1\.3\.0 \((ab){32}\), not the component asked for$/);
  });

  it("refuses, without loading it, a chunk's result longer than its losses can take, and results that are not a hash", async () => {
    const keep = 50;
    const [first, second] = chunksOf([100, 100], keep);
    // 32 MB in a planned chunk's place: HGET loaded it whole, for JSON.parse to refuse.
    await resultsHash({ [first!.field]: first!.value, [second!.field]: `${second!.value}${' '.repeat(32 * 2 ** 20)}` });
    expect(await contractFailure([first!, second!], keep)).toMatch(/^chunk at path 100: its result is 335\d{5} bytes long, more than \d+, the most 50 losses take$/);
    // A key of another type in the results' place: Redis's WRONGTYPE came out as an internal error.
    await link.connection.del(HASH);
    await link.connection.set(HASH, 'not a hash');
    expect(await contractFailure([first!, second!], keep)).toMatch(/^the run's results cannot be read: WRONGTYPE/);
  });

  it("refuses, unparsed, a chunk's result within its byte cap that holds more arrays, objects or strings than any result", async () => {
    const keep = 50_000;
    const [first] = chunksOf([50_000], keep);
    // Half a MB of `[],` within the cap of 50,000 losses: JSON.parse builds about 13 bytes of heap a byte of it.
    const arrays = `[${'[],'.repeat(170_000)}[]]`;
    const strings = `[${'"",'.repeat(170_000)}""]`;
    for (const value of [arrays, strings]) {
      await resultsHash({ [first!.field]: value });
      expect(await contractFailure([first!], keep)).toMatch(/^chunk at path 0: its result holds more than (2 arrays and objects|17 strings \(keys and values\)), more than any result; not parsed$/);
    }
  });

  it('with a results key, refuses a result written straight into the hash, or replayed from another chunk or run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'merge-key-'));
    try {
      await writeFile(join(dir, 'key'), randomBytes(32), { mode: 0o600 });
      const key = await ResultsKey.read(join(dir, 'key'), 'resultsKey');
      const keep = 50;
      const job = (run: string, firstPath: number) => ({ runId: run, firstPath, pathCount: 100, component: COMPONENT.sha256 });
      const chunks = chunksOf([100, 100], keep).map((chunk) => ({ ...chunk, job: job('run-a', chunk.firstPath) }));
      const signed = chunks.map((chunk) => JSON.stringify(key.signResult(chunk.job, JSON.parse(chunk.value) as object)));
      const forged = async (values: string[], asked = chunks) => {
        await resultsHash(Object.fromEntries(asked.map((chunk, i) => [chunk.field, values[i]!])));
        const error = await mergeChunkResults(link, HASH, asked, COMPONENT, keep, key).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(ChunkForgedError);
        return (error as Error).message;
      };
      // Signed for their own chunks, they are merged.
      await resultsHash(Object.fromEntries(chunks.map((chunk, i) => [chunk.field, signed[i]!])));
      expect((await mergeChunkResults(link, HASH, chunks, COMPONENT, keep, key)).moments.count).toBe(200);
      // Well-formed, and unsigned: the worker's answer as any process that can write Redis would forge it.
      expect(await forged([signed[0]!, chunks[1]!.value])).toBe('chunk at path 100: its result carries no MAC: the worker holds no results key, or someone else wrote it');
      // The other chunk's signed result in this one's place, with its paths rewritten to pass as this chunk's.
      const moved = JSON.stringify({ ...(JSON.parse(signed[0]!) as object), firstPath: 100 });
      expect(await forged([signed[0]!, moved])).toMatch(/^chunk at path 100: its result is not authenticated by the results key/);
      // The same chunk of another run of the same request.
      const otherRun = chunks.map((chunk) => ({ ...chunk, job: job('run-b', chunk.firstPath) }));
      expect(await forged(signed, otherRun)).toMatch(/^chunk at path 0: its result is not authenticated by the results key/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails with ERR_REDIS_UNAVAILABLE when its Redis goes away, not a hang', async () => {
    const lost = await startRedis();
    const lostLink = await new RedisLink(lost.url).open();
    try {
      const chunks = chunksOf([10], 10);
      await lostLink.connection.hset(HASH, chunks[0]!.field, chunks[0]!.value);
      await lost.stop('SIGKILL');
      const error = await mergeChunkResults(lostLink, HASH, chunks, COMPONENT, 10).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(RedisUnavailableError);
    } finally {
      await lostLink.close();
    }
  }, 30_000);
});
