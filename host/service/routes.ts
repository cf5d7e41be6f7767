// The risk routes: `POST /v1/<method>` (one evaluation) and `POST /v1/batch` (many, answered in order),
// each admitted through the bounded queue and answered with the CLI's `--json` object or a problem.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../errors.js';
import { terminalJson } from '../report/terminal-text.js';
import { located } from '../request/field-location.js';
import { validatePortfolio } from '../request/portfolio.js';
import { RISK_METHODS, type RiskMethod, type ValidRiskRequest } from '../request/risk-request.js';
import type { RiskResult } from '../risk-engine.js';
import { clientWaits, whileClientStays } from './client-presence.js';
import type { Evaluated, Evaluator } from './evaluation.js';
import { problemOf } from './problems.js';
import type { RequestQueue } from './queue.js';
import { batchResponses, methodResponses } from './response-schemas.js';
import { BODY, batchBodySchema, batchRequestsOf, checkBatchPaths, methodBodySchema, serviceRequestOf } from './schemas.js';

export interface RiskRouteOptions {
  evaluator: Evaluator;
  queue: RequestQueue;
  maxBatch: number;
  timeoutMs: number | undefined;
}

/** What the request log and the metrics record of a risk request. */
export interface RequestRecord {
  method: RiskMethod | 'batch';
  /** `undelivered`: the connection closed before the whole answer was sent (server.ts). */
  outcome: 'ok' | 'fallback' | 'error' | 'undelivered';
  code: string;
  version: string | undefined;
  /** A batch's items: how many, how many failed (refused as bad input, or failed in the engine and its
   *  fallback) and how many the fallback answered. The batch itself is answered 200 either way. */
  items?: { evaluations: number; failed: number; fallbacks: number };
}

declare module 'fastify' {
  interface FastifyRequest {
    risk: RequestRecord | null;
  }
  interface FastifyContextConfig {
    /** A risk route's method: its requests are counted and logged under it. */
    risk?: RequestRecord['method'];
  }
}

export function registerRiskRoutes(app: FastifyInstance, options: RiskRouteOptions): void {
  const { evaluator, queue, maxBatch, timeoutMs } = options;

  for (const method of RISK_METHODS) {
    app.post(
      `/v1/${method}`,
      { schema: { summary: `${method} VaR/ES of a portfolio`, body: methodBodySchema(method), response: methodResponses() }, config: { risk: method }, attachValidation: true },
      async (request, reply) => {
        if (request.validationError) throw bodyProblem(request.validationError, request.body, (body) => serviceRequestOf(method, body));
        const valid = serviceRequestOf(method, request.body as Record<string, unknown>);
        const evaluated = await queue
          .run(() => whileClientStays(request, (signal) => evaluator.evaluate(valid, { timeoutMs, signal })), clientWaits(request))
          // What the engine or the fallback finds wrong is named in the body, as what the validation finds is.
          .catch((error: unknown) => Promise.reject(located(error, BODY)));
        settle(request, evaluated.fallback ? 'fallback' : 'ok', evaluated.fallback ? undefined : evaluated.result);
        return sendJson(reply, answer(evaluated, request.id));
      },
    );
  }

  app.post(
    '/v1/batch',
    { schema: { summary: 'many evaluations in one round trip, answered in order', body: batchBodySchema(maxBatch), response: batchResponses() }, config: { risk: 'batch' }, attachValidation: true },
    async (request, reply) => {
      if (request.validationError) {
        // The shared portfolio is worded as a single request's is; the batch's own fields as the schema says.
        const inPortfolio = /^\/portfolio(\/|$)/.test(firstInstancePath(request.validationError));
        throw inPortfolio ? bodyProblem(request.validationError, request.body, (body) => validatePortfolio(body.portfolio, BODY.portfolio, 'json')) : request.validationError;
      }
      const requests = batchRequestsOf(request.body as { requests: Record<string, unknown>[]; portfolio?: unknown });
      const results = new Array<unknown>(requests.length);
      // Each item is checked on its own: a bad one is answered with its error, the others still run.
      const valid: { index: number; request: ValidRiskRequest }[] = [];
      requests.forEach((item, index) => {
        if (item.request instanceof Error) results[index] = problemOf(item.request);
        else valid.push({ index, request: item.request });
      });
      checkBatchPaths(valid.map((item) => item.request));
      const items = { evaluations: requests.length, failed: requests.length - valid.length, fallbacks: 0 };
      if (valid.length > 0) {
        const outcomes = await queue.run(
          () => whileClientStays(request, (signal) => evaluator.evaluateBatch(valid.map((item) => item.request), { timeoutMs, signal })),
          clientWaits(request),
        );
        outcomes.forEach((outcome, i) => {
          const { index } = valid[i]!;
          results[index] = outcome.ok ? answer(outcome.evaluated) : problemOf(located(outcome.error, requests[index]!.at));
          if (!outcome.ok) items.failed += 1;
          else if (outcome.evaluated.fallback) items.fallbacks += 1;
        });
      }
      settle(request, 'ok');
      if (request.risk) request.risk.items = items;
      return sendJson(reply, { requestId: request.id, results });
    },
  );
}

type ValidationFailure = Error & { validation: { instancePath?: string }[] };

function firstInstancePath(error: ValidationFailure): string {
  return error.validation[0]?.instancePath ?? '';
}

/**
 * The problem of a body the JSON Schema refused, as the host's own validation words it (the CLI's, a batch
 * item's): JSON Schema reports a union (a position's `type`, the seed's string or integer) by the first
 * alternative that failed, so `"type": "Call"` read as `strike: is not a known field` of a spot position. The
 * schema's error stands when the body is not an object, or when the host's check finds nothing (it is never
 * let through: the schema refused it).
 */
function bodyProblem(schemaError: ValidationFailure, body: unknown, check: (body: Record<string, unknown>) => unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return schemaError;
  try {
    check(body as Record<string, unknown>);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
  }
  return schemaError;
}

/** The record a risk request starts with, before anything is checked (server.ts's first hook): whatever
 *  refuses it, a missing Host header included, is counted under its route's method. */
export function startRecord(method: RequestRecord['method']): RequestRecord {
  return { method, outcome: 'error', code: 'ERR_INTERNAL', version: undefined };
}

/** Records the answer; `result` names the version that computed it (a fallback's is the serving one's). */
function settle(request: FastifyRequest, outcome: RequestRecord['outcome'], result?: RiskResult): void {
  if (!request.risk) return;
  request.risk.outcome = outcome;
  request.risk.code = 'OK';
  if (result) request.risk.version = result.component.version;
}

/** The CLI's `--json` object, with the request's id and whether the fallback answered it. */
function answer({ result, fallback }: Evaluated, requestId?: string): RiskResult & { requestId?: string; fallback: boolean } {
  return requestId === undefined ? { ...result, fallback } : { ...result, requestId, fallback };
}

/** The same serialisation as `wasm-risk var --json` (terminalJson: unsafe characters in component text escaped). */
function sendJson(reply: FastifyReply, value: unknown): FastifyReply {
  return reply.type('application/json').send(terminalJson(value));
}
