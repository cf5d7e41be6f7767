// `wasm-risk swap <from.wasm> <to.wasm>`: the live switch, demonstrated. Serves a stream of requests from
// `from`, swaps to `to` a third of the way in, rolls back at two thirds, and reports who served what.
import { terminalJson, terminalText } from '../report/terminal-text.js';
import { ComponentRegistry } from '../versions/registry.js';
import { InvalidInputError, messageOf } from '../errors.js';
import { EXAMPLE_PORTFOLIO } from '../files/package-paths.js';
import { monteCarloOptionsSchema } from '../request/risk-request.js';
import { parseOrThrow } from '../request/validation.js';
import { verifySwapAuditLog, type SwapEvent } from '../versions/swap-audit-log.js';
import { admissionOptionsFrom, type AdmissionFlags } from './admission-flags.js';
import { readPortfolioFile } from './portfolio-file.js';

/** Requests in flight at most, as `batch`'s books: each is a client loop, and `--concurrency 9007199254740991`
 *  made that many (a RangeError, exit 70; a hundred million ran the heap out). */
const MAX_CONCURRENCY = 64;
/** Requests of one demonstration at most: `--requests 1e15` was a run that never ended (and held a promise and
 *  a result per request in flight for ever). A million takes minutes at the default 5,000 paths. */
const MAX_REQUESTS = 1_000_000;

export interface SwapCommandOptions extends AdmissionFlags {
  /** Default: the example portfolio the package ships, wherever it is installed. */
  portfolio?: string;
  requests: number;
  concurrency: number;
  paths: number;
  auditLog: string;
  /** The audit log's key (default: the library's, under $XDG_CONFIG_HOME). */
  auditKey?: string;
  json?: boolean;
}

interface SwapSummary {
  requests: number;
  failed: number;
  servedBy: Record<string, number>;
  elapsedMs: number;
  auditLog: { path: string; chainIntact: boolean; problem: string | null; events: SwapEvent[] };
}

export async function swapCommand(fromPath: string, toPath: string, options: SwapCommandOptions): Promise<void> {
  if (options.requests < 3) throw new InvalidInputError('--requests', 'must be at least 3 (before, during and after the swap)');
  if (options.requests > MAX_REQUESTS) throw new InvalidInputError('--requests', `must be at most ${MAX_REQUESTS}`);
  if (options.concurrency < 1 || options.concurrency > MAX_CONCURRENCY) throw new InvalidInputError('--concurrency', `must be in [1, ${MAX_CONCURRENCY}]`);
  // Checked once here: refused in each request instead, every one of them failed and the command exited 0.
  parseOrThrow(monteCarloOptionsSchema, { paths: options.paths });
  const portfolio = await readPortfolioFile(options.portfolio ?? EXAMPLE_PORTFOLIO);
  const registry = new ComponentRegistry({
    auditLogPath: options.auditLog,
    auditKeyPath: options.auditKey,
    engine: { admission: await admissionOptionsFrom(options) },
  });
  try {
    const from = await registry.register(fromPath);
    const to = await registry.register(toPath);
    if (from.version === to.version) throw new InvalidInputError('to', `both components are version ${from.version}: nothing to swap`);
    const servedBy = new Map<string, number>();
    const failures: string[] = [];
    let next = 0;
    const client = async () => {
      while (next < options.requests) {
        const i = next++;
        if (i === Math.floor(options.requests / 3)) await registry.swap(to.version);
        if (i === Math.floor((2 * options.requests) / 3)) await registry.rollback();
        try {
          const { component } = await registry.monteCarlo(portfolio, { paths: options.paths, seed: BigInt(i) });
          servedBy.set(component.version, (servedBy.get(component.version) ?? 0) + 1);
        } catch (error) {
          failures.push(messageOf(error));
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.requests) }, client));
    const elapsedMs = Math.round(performance.now() - started);
    const { events, brokenAt, problem } = await verifySwapAuditLog(options.auditLog, { keyPath: options.auditKey });
    const summary: SwapSummary = {
      requests: options.requests,
      failed: failures.length,
      servedBy: Object.fromEntries(servedBy),
      elapsedMs,
      auditLog: { path: options.auditLog, chainIntact: brokenAt === null, problem, events: events.slice(-4) },
    };
    process.stdout.write(options.json ? `${terminalJson(summary)}\n` : `${formatSummary(summary, from.version, to.version)}\n`);
  } finally {
    await registry.close();
  }
}

/** One event on one line, as `swap` and `verify-log` print it. */
export function formatSwapEvent(e: SwapEvent): string {
  const side = (ref: SwapEvent['from']) => (ref ? `${ref.version} (${ref.sha256.slice(0, 12)}…)` : '-');
  // Actors, paths and reasons (a refused component's own error text) are not the host's words.
  return terminalText(`  ${e.at}  ${e.event.padEnd(12)} ${e.actor}  ${side(e.from)} -> ${side(e.to)}${e.reason === undefined ? '' : `  ${e.reason}`}`);
}

function formatSummary(s: SwapSummary, from: string, to: string): string {
  return [
    `${s.requests} requests in ${s.elapsedMs} ms: swap ${from} -> ${to} after a third, rollback after two thirds`,
    `failed: ${s.failed}   served by ${Object.entries(s.servedBy).map(([v, n]) => `${v}: ${n}`).join(', ')}`,
    `audit log ${terminalText(s.auditLog.path)} (MAC chain and anchor ${s.auditLog.chainIntact ? 'intact' : `BROKEN: ${s.auditLog.problem}`}):`,
    ...s.auditLog.events.map(formatSwapEvent),
  ].join('\n');
}
