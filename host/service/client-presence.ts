// Whether a request's client is still there to be answered. A request whose client has gone is not worth
// its engine time: one still waiting for a slot is dropped when its turn comes (queue.ts), and one that has
// run for a while is stopped (`whileClientStays`). Under overload clients give up and send again, and work
// nobody waits for would otherwise keep the workers busy.
import type { FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';

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
 * run for STOP_ABANDONED_AFTER_MS; the signal is let go when `evaluate` settles, so nothing after it (a shadow
 * comparison, a keep-alive connection's next request) is touched.
 */
export async function whileClientStays<T>(request: FastifyRequest, evaluate: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const startedAt = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const forget = whenClosed(request.raw.socket, () => {
    timer = setTimeout(() => stop.abort(new Error('the client closed its connection')), Math.max(0, startedAt + STOP_ABANDONED_AFTER_MS - performance.now()));
  });
  try {
    return await evaluate(stop.signal);
  } finally {
    forget();
    clearTimeout(timer);
  }
}

/** What to do when each connection closes, for its requests still being evaluated. */
const onClose = new WeakMap<Socket, Set<() => void>>();

/** Calls `left` when `socket` closes (at once if it has); returns what stops that. A connection gets one
 *  listener however many of its requests run at once (pipelined ones: up to 16), not one each, which Node
 *  warns of past 10 as a leak. */
function whenClosed(socket: Socket, left: () => void): () => void {
  if (socket.destroyed) {
    left();
    return () => undefined;
  }
  let waiting = onClose.get(socket);
  if (!waiting) {
    const callbacks = new Set<() => void>();
    socket.once('close', () => {
      for (const callback of callbacks) callback();
      callbacks.clear();
    });
    onClose.set(socket, (waiting = callbacks));
  }
  waiting.add(left);
  return () => waiting.delete(left);
}
