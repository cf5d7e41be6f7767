// `Expect: 100-continue` answered only once a request has passed the checks made before its body is read
// (its Host header, the pipelining cap, the admin API's bearer token: the onRequest hooks). Node answers
// 100 Continue as soon as the headers are in, so an admin request without a token was invited to send its
// body (up to --max-body-mb) before it was refused. A refused client gets its answer and no invitation.
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Requests whose client waits for 100 Continue before it sends its body. */
const awaitingContinue = new WeakSet<IncomingMessage>();

export function continueAfterChecks(app: FastifyInstance): void {
  // With a 'checkContinue' listener Node no longer answers 100 Continue itself: the request is handed on,
  // marked, and invited when fastify is about to read its body (preParsing runs after every onRequest hook).
  const server = app.server as Server;
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    awaitingContinue.add(request);
    server.emit('request', request, response);
  });
  // A callback hook, as the other hooks every request runs (server.ts): no promise per request.
  app.addHook('preParsing', (request, reply, payload, done) => {
    if (awaitingContinue.delete(request.raw) && !reply.raw.headersSent) reply.raw.writeContinue();
    done(null, payload);
  });
}
