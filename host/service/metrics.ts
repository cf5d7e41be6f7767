// The service's Prometheus metrics (prom-client, one registry per server, names under `wasm_risk_`),
// plus prom-client's default process metrics (resident memory, event-loop lag, heap, GC).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PROBATION_CAUSES, PROBATION_VERDICTS } from './probation.js';
import { WORKER_RESTART_CAUSES, type WorkerRestartCause, type WorkerRestartCounts } from '../run/worker-restarts.js';

const PREFIX = 'wasm_risk_';

/** Request latency buckets, seconds: from a pre-trade parametric check (~1 ms) to a long simulation. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];

/** Why the fallback answered: the component failed in a way that discarded its instance, or refused input
 *  the reference computes (`refusal`, evaluation.ts). */
export type FallbackCause = Exclude<WorkerRestartCause, 'cancelled'> | 'refusal';
/** The codes of clientErrors: what connection-refusals.ts and the Expect check (server.ts) answer with. */
export const CLIENT_ERROR_CODES = ['ERR_HEADERS_TOO_LARGE', 'ERR_REQUEST_TIMEOUT', 'ERR_INVALID_INPUT', 'ERR_EXPECTATION_FAILED', 'ERR_NOT_FOUND', 'ERR_METHOD_NOT_ALLOWED'] as const;
export type SwapKind = 'swap' | 'rollback' | 'auto-rollback';

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: `${PREFIX}requests_total`,
    help: 'Risk requests, by route method (monte-carlo, historical, parametric, batch), outcome (ok, fallback, error, undelivered), error code and serving version',
    labelNames: ['method', 'outcome', 'code', 'version'] as const,
    registers: [this.registry],
  });
  /** A /v1/batch is one request but many evaluations: its items' failures and fallbacks are counted here,
   *  each under its own method, where requests_total sees one answered batch. */
  readonly evaluations = new Counter({
    name: `${PREFIX}evaluations_total`,
    help: 'Evaluations given to the engine (one per single request, one per item of a batch; one that waited for a worker and never ran ends in an error too), by method (monte-carlo, historical, parametric), outcome (ok, fallback, error) and error code',
    labelNames: ['method', 'outcome', 'code'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: `${PREFIX}request_duration_seconds`,
    help: 'Time from receiving a risk request to answering it, queueing included',
    labelNames: ['method'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly engineCallDuration = new Histogram({
    name: `${PREFIX}engine_call_duration_seconds`,
    help: 'Time one evaluation (method batch: all the evaluations of one /v1/batch) spent in the engine or its fallback, queueing excluded',
    labelNames: ['method'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly pathsSimulated = new Counter({
    name: `${PREFIX}paths_simulated_total`,
    help: 'Monte Carlo paths simulated for answered requests',
    registers: [this.registry],
  });
  readonly connectionsDropped = new Counter({
    name: `${PREFIX}connections_dropped_total`,
    help: 'Connections closed as they were opened because --max-connections were open already',
    registers: [this.registry],
  });
  /** What a client sent that no route saw: with requests_total, everything a client sent is counted. */
  readonly clientErrors = new Counter({
    name: `${PREFIX}client_errors_total`,
    help: "Connections whose request Node's HTTP parser refused, or handed over bare (a CONNECT), before any route saw it (answered with a problem document, then closed), by code: ERR_HEADERS_TOO_LARGE (431), ERR_REQUEST_TIMEOUT (408), ERR_INVALID_INPUT (400, bytes that are not HTTP), ERR_EXPECTATION_FAILED (417, an Expect other than 100-continue), ERR_NOT_FOUND (404) or ERR_METHOD_NOT_ALLOWED (405) for a CONNECT",
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: `${PREFIX}queue_depth`, help: 'Requests waiting for a slot', registers: [this.registry] });
  readonly inFlight = new Gauge({ name: `${PREFIX}in_flight`, help: 'Requests admitted to the engine (running, or their calls waiting there for a worker)', registers: [this.registry] });
  /** Read from the engines at each scrape (`showWorkerRestarts`): they count each instance they replace. */
  readonly workerRestarts = new Counter({
    name: `${PREFIX}worker_restarts_total`,
    help: 'Component instances discarded and replaced, by cause (timeout, trap, oom, or cancelled: stopped while running because its request had ended: the client had gone, or another chunk of the same run failed first)',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly fallbacks = new Counter({
    name: `${PREFIX}fallbacks_total`,
    help: 'Evaluations answered by the TypeScript reference after the component failed, by cause (timeout, trap, oom, or refusal: the component refused as bad input what the reference computes)',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly componentMemory = new Gauge({
    name: `${PREFIX}component_memory_bytes`,
    help: 'Linear memory and tables the version\'s component instances hold, summed over its worker threads (as of their last calls)',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });
  readonly probationFailures = new Counter({
    name: `${PREFIX}probation_failures_total`,
    help: 'Failures of a version on probation after a swap, by cause (trap, contract, timeout, oom, refusal) and verdict (counted towards its automatic rollback; excused: the version swapped out failed on the same request too; unjudged)',
    labelNames: ['cause', 'verdict'] as const,
    registers: [this.registry],
  });
  readonly adminRefusalsUnrecorded = new Counter({
    name: `${PREFIX}admin_refusals_unrecorded_total`,
    help: 'Admin API registrations refused before the registry saw them (a path outside --components-dir, not .wasm, absent) and not written to the audit log: past their actor\'s refusals a minute (refusal-budget.ts; the audit log shows which actors reached it)',
    registers: [this.registry],
  });
  readonly swaps = new Counter({
    name: `${PREFIX}swaps_total`,
    help: 'Changes of the serving version, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every label value a dashboard plots is present from the start, at zero.
    for (const cause of ['timeout', 'trap', 'oom', 'refusal'] satisfies FallbackCause[]) this.fallbacks.inc({ cause }, 0);
    this.showWorkerRestarts([]);
    for (const code of CLIENT_ERROR_CODES) this.clientErrors.inc({ code }, 0);
    for (const kind of ['swap', 'rollback', 'auto-rollback'] satisfies SwapKind[]) this.swaps.inc({ kind }, 0);
    for (const cause of PROBATION_CAUSES) for (const verdict of PROBATION_VERDICTS) this.probationFailures.inc({ cause, verdict }, 0);
  }

  /** Sets worker_restarts_total to the sum of the engines' own counts (each only grows while it is loaded). */
  showWorkerRestarts(engines: Iterable<WorkerRestartCounts>): void {
    const totals = { timeout: 0, trap: 0, oom: 0, cancelled: 0 };
    for (const counts of engines) for (const cause of WORKER_RESTART_CAUSES) totals[cause] += counts[cause];
    this.workerRestarts.reset();
    for (const cause of WORKER_RESTART_CAUSES) this.workerRestarts.inc({ cause }, totals[cause]);
  }
}
