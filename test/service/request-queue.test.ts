// The service's queue in front of the engine, alone: bounded in count (429) and in wait (503, QueueTimeoutError),
// and a request whose client has gone is dropped at its turn, not run.
import { describe, expect, it } from 'vitest';
import { CancelledError, QueueFullError, QueueTimeoutError } from '../../host/errors.js';
import { RequestQueue } from '../../host/service/queue.js';

/** A task that holds its slot until `finish` is called. */
function held(): { task: () => Promise<string>; finish: () => void } {
  let finish!: () => void;
  const done = new Promise<string>((resolve) => (finish = () => resolve('held')));
  return { task: () => done, finish };
}

describe('the request queue', () => {
  it('drops a waiting request whose client has gone when its turn comes, and runs the next', async () => {
    const queue = new RequestQueue({ concurrency: 1, maxQueue: 4, maxWaitMs: 60_000 });
    const first = held();
    const running = queue.run(first.task);
    const ran: string[] = [];
    const gone = queue.run(async () => ran.push('gone'), () => false);
    const next = queue.run(async () => ran.push('next'));
    expect(queue.depth).toBe(2);
    first.finish();
    await expect(running).resolves.toBe('held');
    await expect(gone).rejects.toBeInstanceOf(CancelledError);
    await next;
    expect(ran).toEqual(['next']);
    expect([queue.inFlight, queue.depth]).toEqual([0, 0]);
  });

  it('refuses a request past its count at once, and one that waited past maxWaitMs, without running it', async () => {
    const queue = new RequestQueue({ concurrency: 1, maxQueue: 1, maxWaitMs: 50 });
    const first = held();
    const running = queue.run(first.task);
    const ran: string[] = [];
    const waiting = queue.run(async () => ran.push('waited too long'));
    await expect(queue.run(async () => ran.push('over the count'))).rejects.toBeInstanceOf(QueueFullError);
    // Before, a request waited for as long as the ones before it took: 64 long runs ahead of it, many minutes.
    await expect(waiting).rejects.toBeInstanceOf(QueueTimeoutError);
    expect(queue.depth).toBe(0);
    // Its place is free again, and the slot still held.
    const after = queue.run(async () => ran.push('after'));
    first.finish();
    await running;
    await after;
    expect(ran).toEqual(['after']);
    expect([queue.inFlight, queue.depth]).toEqual([0, 0]);
  });
});
