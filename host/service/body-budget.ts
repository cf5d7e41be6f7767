// The bytes of request bodies the server holds while they arrive, bounded. fastify buffers a body whole before
// any route, and so the queue, sees it: a client opening connections and sending bodies of up to
// --max-body-mb without their last byte held that much of the server each, up to --max-connections of them
// (10,000 x 16 MiB), and the server ran out of memory. A body whose bytes would take the total past the budget
// is refused with 429 (ERR_QUEUE_FULL, Retry-After), its connection closed; a body's bytes are let go once it
// has arrived (it is parsed then) or its request has ended.
import { Transform } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { QueueFullError } from '../errors.js';

const MiB = 2 ** 20;

/** Counts the bytes of the bodies arriving at once against `budgetBytes` (preParsing: only requests with a body). */
export function boundBodiesOnTheirWay(app: FastifyInstance, budgetBytes: number): void {
  let held = 0;
  app.addHook('preParsing', (_request, reply, payload, done) => {
    let mine = 0;
    const release = () => {
      held -= mine;
      mine = 0;
    };
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        if (held + chunk.length > budgetBytes) {
          release();
          next(new QueueFullError(`the bodies on their way to the server hold ${Math.ceil(held / MiB)} MiB, the most it takes at once (${budgetBytes / MiB} MiB: the bodies of as many requests as its queue takes); send it again later`));
          return;
        }
        held += chunk.length;
        mine += chunk.length;
        next(null, chunk);
      },
      flush(next) {
        release();
        next();
      },
    });
    reply.raw.once('close', release);
    done(null, payload.pipe(counted));
  });
}
