// Whether a request's client is still there to be answered. A request whose client has gone is not worth
// its engine time: one still waiting for a slot is dropped when its turn comes (queue.ts), and one that has
// run for a while is stopped (`whileClientStays`). Under overload clients give up and send again, and work
// nobody waits for would otherwise keep the workers busy.
import type { FastifyRequest } from 'fastify';

/** How long an evaluation runs before a client that leaves has it stopped. Stopping a running call replaces
 *  its worker (a thread start and the component's instantiation: tens of ms of a core); most evaluations end
 *  sooner than that, and are left to finish. */
export const STOP_ABANDONED_AFTER_MS = 250;

/** Whether the client can still be answered: its connection is open. */
export function clientWaits(request: FastifyRequest): () => boolean {
  return () => !request.raw.socket.destroyed;
}

/**
 * Runs `evaluate` with a signal that aborts once the client has closed its connection and the evaluation has
 * run for `stopAfterMs`; the signal is let go when `evaluate` settles, so nothing after it (a shadow
 * comparison, a keep-alive connection's next request) is touched.
 */
export async function whileClientStays<T>(request: FastifyRequest, evaluate: (signal: AbortSignal) => Promise<T>, stopAfterMs = STOP_ABANDONED_AFTER_MS): Promise<T> {
  const socket = request.raw.socket;
  const stop = new AbortController();
  const startedAt = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const left = () => {
    timer = setTimeout(() => stop.abort(new Error('the client closed its connection')), Math.max(0, startedAt + stopAfterMs - performance.now()));
  };
  if (socket.destroyed) left();
  else socket.once('close', left);
  try {
    return await evaluate(stop.signal);
  } finally {
    socket.off('close', left);
    clearTimeout(timer);
  }
}
