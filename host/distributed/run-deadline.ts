// The error of a distributed run past its deadline, saying how far its chunks got: how many a worker took and
// how many it finished, read from Redis at the deadline. "No worker took any chunk" (none is listening on the
// queue, or all are busy with other runs) and "the workers were too slow" have different remedies; a bare
// ERR_TIMEOUT told them apart from neither.
import { TimeoutError } from '../errors.js';
import type { QueueClients } from './queue-clients.js';

/** How long the count may take: past it (a Redis that does not answer), the deadline is reported without it. */
const COUNT_WAIT_MS = 1_000;

/** Over the chunk jobs' hashes (KEYS): how many a worker took (BullMQ sets `processedOn` as a worker takes a
 *  job) and how many it finished (`finishedOn`). Integers only, so the reply's size does not depend on what
 *  anyone wrote into those hashes; a key that is no hash fails the script, and the count is left out. */
const COUNT_CHUNKS = `local taken, finished = 0, 0
for _, key in ipairs(KEYS) do
  taken = taken + redis.call('HEXISTS', key, 'processedOn')
  finished = finished + redis.call('HEXISTS', key, 'finishedOn')
end
return {taken, finished}`;

/** The TimeoutError of a run of `chunkJobIds` (its chunk jobs on `clients.queue`) that did not finish within `timeoutMs`. */
export async function runDeadlineError({ link, queue }: QueueClients, chunkJobIds: readonly string[], timeoutMs: number): Promise<TimeoutError> {
  const passed = `the distributed run did not finish within ${timeoutMs} ms`;
  const keys = chunkJobIds.map((id) => queue.toKey(id));
  const counted = link.guard(link.connection.eval(COUNT_CHUNKS, keys.length, ...keys)).then(
    (reply) => reply as [number, number],
    () => undefined,
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, COUNT_WAIT_MS, undefined)));
  const counts = await Promise.race([counted, late]).finally(() => clearTimeout(timer));
  if (!counts) return new TimeoutError(passed, false);
  const [taken, finished] = counts;
  const chunks = `${chunkJobIds.length} chunk${chunkJobIds.length === 1 ? '' : 's'}`;
  if (taken === 0) {
    return new TimeoutError(`${passed}: no chunk worker took any of its ${chunks}; is a \`wasm-risk worker\` running on queue '${queue.name}' of this Redis, and not busy with other runs?`, false);
  }
  return new TimeoutError(`${passed}: chunk workers took ${taken} of its ${chunks} and finished ${finished}; give it a longer deadline or more workers`, false);
}
