// Requests Node refuses, or hands over as a bare connection, before fastify sees them: answered with the
// service's problem document written on the connection itself, then the connection closed (nothing after
// them can be read as HTTP), and counted in client_errors_total, as no route logs or counts them.
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { HeadersTooLargeError, InvalidInputError, RequestTimeoutError } from '../errors.js';
import type { AllowedMethods } from './allowed-methods.js';
import type { ServiceMetrics } from './metrics.js';
import { PROBLEM_CONTENT_TYPE, problemOf, type Problem } from './problems.js';

/**
 * What Node's parser refuses (a request not in within --request-timeout-ms, headers past Node's 16 KiB, bytes
 * that are not HTTP), as Node's and fastify's own handlers would, but as a problem document; while an earlier
 * request's answer is owed (`answersOwed`), counted and the connection closed without a word, as for a CONNECT.
 * `routed`: the refusal is of the body of a request a route has, which takes the answer to count it.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex, metrics: ServiceMetrics, answersOwed: boolean, routed?: (answer: Problem) => void): void {
  // A connection reset by the client: nothing to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // A client that ended its side in the middle of a request has left too: a request of it a route had is
  // counted there, as undelivered (it was counted twice, once as bytes that are not HTTP).
  if (error.code === 'HPE_INVALID_EOF_STATE') {
    socket.destroy();
    return;
  }
  const refused =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new RequestTimeoutError('the request was not received in time (--request-timeout-ms)')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new HeadersTooLargeError("the request headers are over Node's 16 KiB")
        : new InvalidInputError('', 'not a well-formed HTTP request');
  answerAndClose(socket, refused, metrics, '', !answersOwed, routed);
}

/**
 * A CONNECT (as to a proxy): Node hands its connection to 'connect' listeners, and without one closed it
 * without a word. No route answers CONNECT: 404 for a target no route has (`example.com:443`), else 405 with
 * the route's `Allow`, as any other method a route does not answer. Node hands the connection over as soon as
 * it has read the CONNECT, answers to requests sent before it on the same connection or not: while one is
 * owed (`answersOwed`), the refusal is counted and the connection closed without a word, as Node did, since
 * written now it would be read as the answer to the earlier request.
 */
export function answerConnect(request: IncomingMessage, socket: Duplex, allowed: AllowedMethods, metrics: ServiceMetrics, answersOwed: boolean): void {
  const { allow, error } = allowed.noRoute('CONNECT', (request.url ?? '').split('?')[0]!);
  answerAndClose(socket, error, metrics, allow === undefined ? '' : `Allow: ${allow}\r\n`, !answersOwed);
}

function answerAndClose(socket: Duplex, refused: Error, metrics: ServiceMetrics, headers = '', answer = true, routed?: (answer: Problem) => void): void {
  const problem = problemOf(refused);
  const answered = answer && socket.writable;
  if (answered) {
    const body = JSON.stringify(problem);
    const head = `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\nContent-Length: ${Buffer.byteLength(body)}`;
    socket.write(`${head}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n${headers}Connection: close\r\n\r\n${body}`);
  }
  // A routed request left unanswered is counted by its route, as undelivered.
  if (!routed) metrics.clientErrors.inc({ code: problem.code });
  else if (answered) routed(problem);
  socket.destroy();
}
