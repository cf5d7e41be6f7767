// The risk routes: `POST /v1/<method>` (one evaluation) and `POST /v1/batch` (many, answered in order),
// each admitted through the bounded queue and answered with the CLI's `--json` object or a problem.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { terminalJson } from '../report/terminal-text.js';
import { RISK_METHODS, type RiskMethod } from '../request/risk-request.js';
import type { RiskResult } from '../risk-engine.js';
import type { Evaluated, Evaluator } from './evaluation.js';
import { problemOf } from './problems.js';
import type { RequestQueue } from './queue.js';
import { batchBodySchema, methodBodySchema, serviceRequestOf } from './schemas.js';

export interface RiskRouteOptions {
  evaluator: Evaluator;
  queue: RequestQueue;
  maxBatch: number;
  /** Evaluations of one batch run at once (the engine's concurrency). */
  batchConcurrency: number;
  timeoutMs: number | undefined;
}

/** What the request log and the metrics record of a risk request. */
export interface RequestRecord {
  method: RiskMethod | 'batch';
  outcome: 'ok' | 'fallback' | 'error';
  code: string;
  version: string | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    risk: RequestRecord | null;
  }
}

export function registerRiskRoutes(app: FastifyInstance, options: RiskRouteOptions): void {
  const { evaluator, queue, maxBatch, batchConcurrency, timeoutMs } = options;
  const call = { timeoutMs };

  for (const method of RISK_METHODS) {
    app.post(
      `/v1/${method}`,
      { schema: { summary: `${method} VaR/ES of a portfolio`, body: methodBodySchema(method) }, onRequest: track(method) },
      async (request, reply) => {
        const serviceRequest = serviceRequestOf(method, request.body as Record<string, unknown>);
        const evaluated = await queue.run(() => evaluator.evaluate(serviceRequest, call));
        settle(request, evaluated.fallback ? 'fallback' : 'ok', evaluated.fallback ? undefined : evaluated.result);
        return sendJson(reply, answer(evaluated, request.id));
      },
    );
  }

  app.post(
    '/v1/batch',
    { schema: { summary: 'many evaluations in one round trip, answered in order', body: batchBodySchema(maxBatch) }, onRequest: track('batch') },
    async (request, reply) => {
      const items = (request.body as { requests: Record<string, unknown>[] }).requests;
      const results = await queue.run(() =>
        mapLimited(items, batchConcurrency, async (item) => {
          try {
            const evaluated = await evaluator.evaluate(serviceRequestOf(item.method as RiskMethod, item), call);
            return answer(evaluated);
          } catch (error) {
            return problemOf(error);
          }
        }),
      );
      settle(request, 'ok');
      return sendJson(reply, { requestId: request.id, results });
    },
  );
}

/** Starts the request's record; the response hook logs and counts it. */
function track(method: RequestRecord['method']) {
  return async (request: FastifyRequest) => {
    request.risk = { method, outcome: 'error', code: 'ERR_INTERNAL', version: undefined };
  };
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

/** `work` over `items` with at most `limit` running at once; results in the items' order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runner = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  return results;
}
