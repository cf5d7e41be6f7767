// `wasm-risk serve` as a library: a fastify server over a RiskBackend, with the risk routes, the probes,
// /metrics and /openapi.json, one structured log line per request, and problem documents for every
// failure. The CLI (cli/serve-command.ts) builds the backend from its flags and handles the signals.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ExpectationFailedError, InvalidInputError, RequestTooLargeError } from '../errors.js';
import { PACKAGE_VERSION } from '../files/package-paths.js';
import { z } from 'zod';
import { fieldPath, parseOrThrow } from '../request/validation.js';
import { compileJsonShapeChecks } from '../request/json-schema.js';
import { Evaluator, type RiskBackend, type RiskFallback } from './evaluation.js';
import { NOT_JSON, useStrictJsonBodies } from './json-body.js';
import { logDestination } from './log-destination.js';
import { ServiceMetrics } from './metrics.js';
import { ServiceUnavailableError } from '../errors.js';
import { AllowedMethods } from './allowed-methods.js';
import { boundBodiesOnTheirWay } from './body-budget.js';
import { answerClientError, answerConnect } from './connection-refusals.js';
import { continueAfterChecks } from './continue-after-checks.js';
import { echoed } from '../report/echoed-input.js';
import { isRetryable, PROBLEM_CONTENT_TYPE, problemOf, RETRY_AFTER_SECONDS, type Problem } from './problems.js';
import { RequestQueue } from './queue.js';
import { headerValues } from './raw-headers.js';
import { DEFAULT_TIMEOUT_MS } from '../run/executor.js';
import { registerRiskRoutes, startRecord, type RequestRecord } from './routes.js';

export const DEFAULT_MAX_QUEUE = 64;
export const DEFAULT_MAX_BATCH = 1_000;
/** Largest --max-batch: a batch's answer is built as one string, and 20,000 items of 64 levels each made 108 MiB of
 *  it (805 MiB of RSS, /healthz stalled 2.4 s); from about 90,000 it passes what a V8 string may hold. */
export const MAX_MAX_BATCH = 10_000;
export const DEFAULT_MAX_BODY_MB = 16;
/** Largest --max-body-mb: a body is parsed from one string, and V8 strings stop just short of 512 Mi characters. */
export const MAX_BODY_MB = 511;
/** Requests admitted to the engine at once, per worker: the calls of those waiting for a worker cross to it
 *  together (worker-pool.ts), one thread hop for several small requests. More than that wait in the queue. */
export const REQUESTS_PER_WORKER = 8;
/** A request's headers and body must arrive within this, or it is answered 408 and its connection closed:
 *  without it (fastify's default) a client sending a byte now and then holds a connection for ever. 60 s lets
 *  the default 16 MiB body come at 280 KB/s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Node's own cap on the headers' part of that (a request whose headers are not in after this is dropped). */
const HEADERS_TIMEOUT_MS = 60_000;
/** How often Node looks for requests past those timeouts (its default, 30 s, would let one run 30 s over). */
const TIMEOUT_CHECK_MS = 1_000;
/** Open connections at once; a new one past this is closed at once (and counted): each holds memory and a
 *  file descriptor, idle kept-alive ones included, and a client opening them without end must not take the
 *  server's memory with them. Far above the requests the queue holds, which are answered 429 before this. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** Requests one connection may have waiting for their answers (pipelined: sent before the earlier answers
 *  were read); one more closes the connection. Node stops reading a connection whose answers pile up, but only
 *  between reads: every request of a read (64 KiB, a thousand and more small ones) is handled, so one write of
 *  `GET /metrics` lines held 200 MiB of answers. HTTP clients pipeline rarely, and a few at most. */
export const MAX_PIPELINED_REQUESTS = 16;
/** The server's end of a connection: its requests waiting for their answers (pipelined ones). */
const kWaitingAnswers = Symbol('waitingAnswers');
type ServerSocket = Duplex & { [kWaitingAnswers]?: Map<IncomingMessage, WaitingAnswer> };

/** A request waiting for its answer: whether it is a risk request (counted), and the answer Node's parser
 *  gave it if its body failed to arrive (late, or not HTTP), which no route sends. */
interface WaitingAnswer {
  counted: boolean;
  refused?: Problem;
}

/** Whether a request on `socket` has arrived whole and is owed its answer: anything written on the connection
 *  now would be read as that answer. (One still arriving is not owed one yet: a 408 for its body is its own.) */
function answersOwed(socket: ServerSocket): boolean {
  for (const request of socket[kWaitingAnswers]?.keys() ?? []) if (request.complete) return true;
  return false;
}

/** The risk request on `socket` whose body is arriving, if any: what Node's parser refuses now is its. */
function riskRequestArriving(socket: ServerSocket): WaitingAnswer | undefined {
  for (const [request, waiting] of socket[kWaitingAnswers] ?? []) if (!request.complete && waiting.counted) return waiting;
  return undefined;
}

export interface RiskServerOptions {
  backend: RiskBackend;
  /** Answers what the component could not (`--fallback reference`). */
  fallback?: RiskFallback;
  /** Requests that may wait for a slot; one more is refused with 429 (default 64). */
  maxQueue?: number;
  /** Evaluations in one `/v1/batch` (default 1,000). */
  maxBatch?: number;
  /** Largest body accepted, in MiB; a larger one is refused with 413 (default 16). */
  maxBodyMb?: number;
  /** Deadline of each evaluation (default: the engine's). */
  timeoutMs?: number;
  /** fastify's logger option: pino options, with a `stream` to log elsewhere than stdout; false for none.
   *  Default: stdout, written asynchronously (below). */
  logger?: FastifyServerOptions['logger'];
  https?: { cert: Buffer; key: Buffer };
  /** Time to receive a request's headers and body, in ms (default 60,000); past it: 408, connection closed. */
  requestTimeoutMs?: number;
  /** Open connections at once (default 10,000); more are closed as they come. */
  maxConnections?: number;
  /** Called after the routes are in place, before the server is ready (the admin API). */
  extend?: (app: FastifyInstance, context: ServerContext) => void;
  /** The server's metrics, when the backend counts in them too (a RegistryBackend's swaps); default: new ones. */
  metrics?: ServiceMetrics;
}

export interface ServerContext {
  metrics: ServiceMetrics;
  queue: RequestQueue;
}

export interface RiskServer extends ServerContext {
  app: FastifyInstance;
  /** Stops accepting, lets admitted requests finish, then closes the backend and the fallback. */
  close(): Promise<void>;
}

/** The server's own limits: whole numbers, a batch of at least one evaluation, a body of at least 1 MiB. A
 *  limit of 0 would refuse every batch or body while the server looks healthy. */
const serverLimitsSchema = z.object({
  maxQueue: z.number().int({ error: 'must be an integer' }).min(0, { error: 'must be at least 0' }).optional(),
  maxBatch: z
    .number()
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be at least 1' })
    .max(MAX_MAX_BATCH, { error: `must be at most ${MAX_MAX_BATCH} (a batch's answer is built as one string)` })
    .optional(),
  maxBodyMb: z
    .number()
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be at least 1' })
    .max(MAX_BODY_MB, { error: `must be at most ${MAX_BODY_MB} (a body is read into one string)` })
    .optional(),
  requestTimeoutMs: z.number().int({ error: 'must be an integer' }).min(1_000, { error: 'must be at least 1000' }).max(3_600_000, { error: 'must be at most 3600000 (an hour)' }).optional(),
  maxConnections: z.number().int({ error: 'must be an integer' }).min(1, { error: 'must be at least 1' }).max(1_000_000, { error: 'must be at most 1000000' }).optional(),
});

export async function createRiskServer(options: RiskServerOptions): Promise<RiskServer> {
  const { backend, fallback } = options;
  parseOrThrow(serverLimitsSchema, {
    maxQueue: options.maxQueue,
    maxBatch: options.maxBatch,
    maxBodyMb: options.maxBodyMb,
    requestTimeoutMs: options.requestTimeoutMs,
    maxConnections: options.maxConnections,
  });
  // Every body is JSON: its compiled checks are ready before the first request, not made by it.
  compileJsonShapeChecks();
  const metrics = options.metrics ?? new ServiceMetrics();
  const queue = new RequestQueue({
    concurrency: backend.concurrency * REQUESTS_PER_WORKER,
    maxQueue: options.maxQueue ?? DEFAULT_MAX_QUEUE,
    maxWaitMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    onChange: (running, waiting) => {
      metrics.inFlight.set(running);
      metrics.queueDepth.set(waiting);
    },
  });
  const maxBodyMb = options.maxBodyMb ?? DEFAULT_MAX_BODY_MB;
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  const evaluator = new Evaluator(backend, metrics, fallback);
  // A line per request written synchronously cost the event loop a system call each (about 4% of its time
  // under load), and one asynchronous write a line still cost it about 7% (each write is handed to libuv's
  // thread pool). Lines are gathered (about 4 KiB, for at most a second) and written together, and flushed
  // when the process exits, even on a crash; only a SIGKILL can lose the last ones (log-destination.ts).
  const logStream = options.logger === undefined ? logDestination(1) : undefined;
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  // Node's http(s).createServer options (fastify passes `http` or `https` through).
  // requireHostHeader: a request without one is refused below, as a problem document (Node's own 400 has no body).
  const timeouts = {
    requestTimeout,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    requireHostHeader: false,
  };
  const app = Fastify({
    // Over HTTPS the HTTP timeouts start once the TLS handshake is done; a handshake gets the same time (TLS's
    // own default is 120 s, so a connection sending a ClientHello cut short was held twice as long).
    ...(options.https ? { https: { ...options.https, ...timeouts, handshakeTimeout: requestTimeout } } : { http: timeouts }),
    requestTimeout,
    logger: logStream ? { stream: logStream } : options.logger,
    // One line per request, written when it is answered (below), instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    clientErrorHandler: (error, socket: ServerSocket) => {
      // A risk request's body that did not arrive (late, or not HTTP) is answered by the parser's refusal, and
      // counted and logged with it under its route (client_errors_total is for what no route saw).
      const arriving = riskRequestArriving(socket);
      answerClientError(error, socket, metrics, answersOwed(socket), arriving && ((problem) => (arriving.refused = problem)));
    },
    // A path fastify's router cannot decode (`/%zz`): it answered it itself, in its own JSON, without this.
    frameworkErrors: (error, request, reply) => answerProblem(error.code === 'FST_ERR_BAD_URL' ? undecodablePath(request.url) : serviceError(error, maxBodyMb), request, reply),
    // Requests that arrive while the server stops are refused by the onRequest hook below, as a problem
    // document with Retry-After; fastify's own refusal is plain JSON without it.
    return503OnClosing: false,
    bodyLimit: maxBodyMb * 2 ** 20,
    // The body is validated as sent: nothing coerced, removed or defaulted behind the client's back.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false } },
  });
  app.server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  app.server.on('drop', () => metrics.connectionsDropped.inc());
  // An Expect other than 100-continue: Node's own answer is a 417 with no body, on a connection kept alive.
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const problem = problemOf(new ExpectationFailedError(`Expect: ${request.headers.expect ?? ''} cannot be met (only 100-continue is)`));
    metrics.clientErrors.inc({ code: problem.code });
    const body = JSON.stringify(problem);
    response.writeHead(problem.status, { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
  });
  app.decorateRequest('risk', null);
  continueAfterChecks(app);
  useStrictJsonBodies(app, maxBatch);
  // No more bodies arrive at once than the queue would take: those it admits, and those it lets wait.
  boundBodiesOnTheirWay(app, (backend.concurrency * REQUESTS_PER_WORKER + (options.maxQueue ?? DEFAULT_MAX_QUEUE)) * maxBodyMb * 2 ** 20);
  await app.register(swagger, {
    openapi: {
      // 3.1: its schemas are JSON Schema 2020-12, as the bodies' are (a numeric exclusiveMinimum; OpenAPI 3.0,
      // fastify-swagger's default, wants a boolean there, and validators and code generators refused the document).
      openapi: '3.1.0',
      info: { title: 'wasm-risk', version: PACKAGE_VERSION, description: 'Sandboxed WebAssembly risk engines as a service' },
      // The admin API's (admin.ts), when it is on.
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  let closing = false;
  app.setErrorHandler((error: FastifyError, request, reply) => answerProblem(serviceError(error, maxBodyMb), request, reply));
  const allowed = new AllowedMethods(app);
  app.setNotFoundHandler(async (request, reply) => {
    const { allow, error } = allowed.noRoute(request.method, request.url.split('?')[0]!);
    if (allow !== undefined) {
      void reply.header('allow', allow);
      if (request.method === 'OPTIONS') return reply.code(204).send();
    }
    throw error;
  });
  app.server.on('connect', (request: IncomingMessage, socket: ServerSocket) => answerConnect(request, socket, allowed, metrics, answersOwed(socket)));
  // Pipelined requests past MAX_PIPELINED_REQUESTS close their connection, before anything is done for them.
  // The hooks every request runs are written with callbacks, not async: an async hook costs a promise and a
  // turn of the microtask queue each, on the event loop that is the service's bottleneck under load.
  app.addHook('onRequest', (request, reply, done) => {
    // A risk request's record starts before any check here can refuse it: a route's own onRequest hook runs
    // after this one, and a request refused here was answered and counted nowhere.
    const method = request.routeOptions.config.risk;
    if (method !== undefined) request.risk = startRecord(method);
    // Stopping: what is running is answered, nothing new is started (the answer closes its connection, onSend).
    if (closing) {
      done(new ServiceUnavailableError('the server is shutting down'));
      return;
    }
    // RFC 9112 3.2: an HTTP/1.1 request without a Host header is answered 400, and so is any request with two
    // (Node keeps the first; a proxy in front may have routed on the last).
    const hosts = headerValues(request.raw.rawHeaders, 'host').length;
    if ((request.raw.httpVersion === '1.1' && hosts === 0) || hosts > 1) {
      void reply.header('connection', 'close');
      done(new InvalidInputError('host', hosts === 0 ? 'an HTTP/1.1 request must have a Host header' : `a request has one Host header, not ${hosts}`));
      return;
    }
    const socket = request.raw.socket as Socket & ServerSocket;
    const waiting = (socket[kWaitingAnswers] ??= new Map());
    const answer: WaitingAnswer = { counted: method !== undefined };
    waiting.set(request.raw, answer);
    reply.raw.once('close', () => {
      waiting.delete(request.raw);
      // Closed before the whole answer was sent: the client left (or read too slowly, stallTimeout), or Node's
      // parser answered its body. Counted and logged here, as the response hook never runs for it.
      if (!reply.raw.writableFinished) {
        const { refused } = answer;
        record(request, refused ? refusedRecord(request.risk, refused.code) : undelivered(request.risk, reply.raw.headersSent), reply.elapsedTime, refused?.status);
      }
    });
    if (waiting.size > MAX_PIPELINED_REQUESTS) {
      if (!socket.destroyed) request.log.warn({ requestId: request.id }, `connection closed: more than ${MAX_PIPELINED_REQUESTS} requests sent without reading their answers`);
      socket.destroy();
      reply.hijack();
    }
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    // Answers finished while stopping end their connection: a kept-alive one would hold the close open.
    if (closing) void reply.header('connection', 'close');
    // An answer must be taken as it is sent: a client that reads none of it for --request-timeout-ms has its
    // connection closed (Node's socket timeout: any progress of the write restarts it). Without it, an answer
    // larger than the socket buffers (a batch's) held its memory and the connection for ever: no request was
    // arriving, and Node starts the keep-alive timeout only once an answer is finished.
    stallTimeout(request.raw.socket, reply.raw, requestTimeout);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    record(request, request.risk, reply.elapsedTime, reply.statusCode);
    done();
  });
  /** Counts and logs a risk request once: answered (`status`), or closed before its answer was sent. */
  const record = (request: FastifyRequest, risk: RequestRecord | null, durationMs: number, status: number | undefined) => {
    if (!risk || request.risk === null) return;
    request.risk = null;
    const version = risk.version ?? backend.version ?? 'none';
    metrics.requests.inc({ method: risk.method, outcome: risk.outcome, code: risk.code, version });
    metrics.requestDuration.observe({ method: risk.method }, durationMs / 1000);
    const line = { requestId: request.id, method: risk.method, outcome: risk.outcome, code: risk.code, status, durationMs, version, ...risk.items };
    request.log.info(line, status === undefined ? 'request not answered: its connection closed first' : 'request answered');
  };

  registerRiskRoutes(app, {
    evaluator,
    queue,
    maxBatch,
    timeoutMs: options.timeoutMs,
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'alive' }));
  app.get('/readyz', { schema: { hide: true } }, async () => {
    const version = backend.version;
    if (version === undefined) throw new ServiceUnavailableError('no version is serving');
    return { status: 'ready', version };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    metrics.componentMemory.reset();
    for (const [version, bytes] of backend.memoryBytes()) metrics.componentMemory.set({ version }, bytes);
    metrics.showWorkerRestarts(backend.workerRestarts().values());
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  options.extend?.(app, { metrics, queue });
  await app.ready();

  return {
    app,
    metrics,
    queue,
    async close() {
      closing = true;
      // fastify stops accepting and waits for the requests it is answering; the queue is empty after.
      await app.close();
      await queue.drain();
      await Promise.all([backend.close(), fallback?.close()]);
      // The last lines out before the server says it has stopped.
      if (logStream) await logStream.flush();
    },
  };
}

/**
 * Closes `response`'s connection if nothing of it is written for `ms` (Node's socket timeout, with no
 * 'timeout' listener: the socket is destroyed). Once it is finished, Node sets the keep-alive timeout on the
 * idle connection, or hands it to the next pipelined answer; if that one is not ready yet (still computed),
 * the timeout is lifted until it is sent, or a long evaluation would cut it.
 */
function stallTimeout(socket: Socket & { _httpMessage?: ServerResponse | null }, response: ServerResponse, ms: number): void {
  response.setTimeout(ms);
  response.once('finish', () => {
    const next = socket._httpMessage;
    if (next && next !== response && !next.headersSent) socket.setTimeout(0);
  });
}

/** `error`'s problem document as the answer, with Retry-After where a retry may succeed, and the request's
 *  record and log (a failure of the server's own, 5xx, is logged as a warning). */
function answerProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = problemOf(error, request.id);
  if (request.risk) request.risk.code = problem.code;
  // A request dropped or stopped because its client left is logged once, as undelivered (`record`).
  const clientLeft = problem.code === 'ERR_CANCELLED' && request.raw.socket.destroyed;
  if (problem.status >= 500 && !clientLeft) request.log.warn({ requestId: request.id, code: problem.code }, problem.detail);
  if (isRetryable(problem.status)) void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** A request whose path is not valid percent-encoding: no route can be looked up for it. */
function undecodablePath(url: string): InvalidInputError {
  return new InvalidInputError('', `the path ${echoed(url.split('?')[0]!)} is not valid percent-encoding`);
}

/** The record of a request whose connection closed before its answer was sent: what it came to if the answer
 *  had started (its code), else ERR_CANCELLED (it was still waiting or running, and is dropped or discarded). */
function undelivered(risk: RequestRecord | null, answerStarted: boolean): RequestRecord | null {
  if (!risk) return null;
  return { ...risk, outcome: 'undelivered', code: answerStarted ? risk.code : 'ERR_CANCELLED' };
}

/** The record of a request whose body Node's parser refused (answered with `code`, on the connection itself). */
function refusedRecord(risk: RequestRecord | null, code: string): RequestRecord | null {
  return risk && { ...risk, outcome: 'error', code };
}

/** fastify's own failures as the host's typed errors: schema validation (400, naming the field), a body
 *  over the limit (413), a body that is not JSON or not of a JSON type (400). */
function serviceError(error: FastifyError, maxBodyMb: number): unknown {
  if (error.validation) {
    const [first] = error.validation;
    const path = (first?.instancePath ?? '').split('/').filter(Boolean).map((key) => (/^\d+$/.test(key) ? Number(key) : key));
    const params = (first?.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
    const extra = params.missingProperty ?? params.additionalProperty;
    if (extra !== undefined) path.push(extra);
    const problem = params.additionalProperty !== undefined ? 'is not a known field' : (first?.message ?? 'is invalid');
    // A body that is wrong as a whole (`[]`, `null`) is named `body`, as one that is not JSON is.
    return new InvalidInputError(path.length > 0 ? fieldPath(path) : 'body', problem);
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new RequestTooLargeError(`the body is over the ${maxBodyMb} MiB limit (--max-body-mb)`);
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new InvalidInputError('body', NOT_JSON);
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 && !('exitCode' in error)) {
    return new InvalidInputError('body', error.message);
  }
  return error;
}
