// `wasm-risk batch`: the Monte Carlo VaR/ES of many portfolio files ("books"), several in flight at once,
// each one run (with --redis, one distributed run across `wasm-risk worker`s), one JSON line per book
// appended to the results file as it is answered. The file is the batch's memory: run again after an
// interruption, the batch skips the books it answers and runs the rest.
import { CancelledError, ComponentContractError, ComponentTrapError, InvalidInputError, NotPositiveSemidefiniteError, OutOfMemoryError, QueueTimeoutError, RequestTooLargeError, TimeoutError, WasmRiskError } from '../errors.js';
import { DEFAULT_COMPONENT } from '../files/package-paths.js';
import { monteCarloOptionsSchema, type MonteCarloRequest } from '../request/risk-request.js';
import { parseOrThrow } from '../request/validation.js';
import { RiskEngine } from '../risk-engine.js';
import { toTransported } from '../run/error-transport.js';
import { distributedFrom } from './redis-flags.js';
import { admissionOptionsFrom } from './admission-flags.js';
import type { EngineRunFlags } from './var-command.js';
import { bookFiles } from './batch-books.js';
import { BatchProgress } from './batch-progress.js';
import { batchSettings, BatchResultsFile, type BookAnswer } from './batch-results.js';
import { readPortfolioFile } from './portfolio-file.js';

export interface BatchCommandOptions extends EngineRunFlags {
  out: string;
  concurrency?: number;
}

export const DEFAULT_BATCH_OUT = 'results.jsonl';
/** Books in flight at once by default: enough to keep the workers fed between one book's end and the next's start. */
const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 64;

/** Failures that are the book's own (its file, its numbers, what the component made of it): written as the
 *  book's answer. Any other (Redis lost, a deadline, a refused component, a cancellation) stops the batch
 *  without writing a line, so the book runs again on resume; except a deadline passed by a book that ran alone
 *  on the local workers (`--concurrency 1`, no `--redis`): that is the book's own too (`ownDeadline`). */
const BOOK_FAILURES = [InvalidInputError, NotPositiveSemidefiniteError, RequestTooLargeError, ComponentTrapError, ComponentContractError, OutOfMemoryError];

/** Whether `error` is a deadline the book passed by itself: it ran alone, so no other book held the workers,
 *  and stopping the batch there would stop every rerun at the same book. */
function ownDeadline(error: unknown, alone: boolean): boolean {
  return alone && error instanceof TimeoutError && error.workerStopped;
}

export async function batchCommand(books: string[], options: BatchCommandOptions): Promise<void> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (concurrency < 1 || concurrency > MAX_CONCURRENCY) throw new InvalidInputError('--concurrency', `must be in [1, ${MAX_CONCURRENCY}]`);
  const distributed = distributedFrom(options);
  const { paths, seed, horizonDays, confidence, antithetic } = options;
  const request = parseOrThrow(monteCarloOptionsSchema, { paths, seed, horizonDays, confidence, antithetic });
  const files = await bookFiles(books, options.out);

  // SIGINT/SIGTERM cancel the books in flight; the answered ones are in the file already.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => interrupt.abort(new Error(signal));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const engine = await RiskEngine.load(options.component ?? DEFAULT_COMPONENT, {
      // With --redis the local pool only answers the component's `info`.
      workers: options.workers ?? (distributed === undefined ? undefined : 1),
      timeoutMs: options.timeoutMs,
      memoryLimitMb: options.memoryLimitMb,
      admission: await admissionOptionsFrom(options),
      distributed,
    });
    try {
      const results = await BatchResultsFile.open(options.out, batchSettings(engine.component.sha256, request));
      try {
        // Books whose earlier answer is an error still count: a rerun must not report them as if answered well.
        const failedBefore = files.filter((book) => results.answered.get(book) === 'error').length;
        const alone = concurrency === 1 && distributed === undefined;
        const summary = await runBooks(engine, files, request, results, { concurrency, alone }, interrupt.signal, failedBefore);
        process.stderr.write(
          `wasm-risk: batch: ${files.length} books: ${summary.run} run now (${summary.failed} failed), ${files.length - summary.run} answered before (${failedBefore} failed), in ${options.out}\n`,
        );
      } finally {
        await results.close();
      }
    } finally {
      await engine.close();
    }
  } catch (error) {
    if (error instanceof CancelledError && interrupt.signal.aborted) {
      throw new CancelledError(`interrupted by ${(interrupt.signal.reason as Error).message}; run the same command again to resume`, { cause: error });
    }
    // Books that each fit the deadline alone can pass it together: the engine counts a wait for a worker
    // busy with another book (a Monte Carlo run splits across all of them), and the batch chose to run them at once.
    if (concurrency > 1 && (error instanceof TimeoutError || error instanceof QueueTimeoutError)) {
      const hint = `the batch's --timeout-ms counts each book's wait for the workers, which its ${concurrency} books in flight share: lower --concurrency (at 1, a book past its deadline is answered with ERR_TIMEOUT) or raise --timeout-ms, then run the same command again to resume`;
      throw error instanceof TimeoutError
        ? new TimeoutError(`${error.message}; ${hint}`, error.workerStopped, { cause: error })
        : new QueueTimeoutError(`${error.message}; ${hint}`, { cause: error });
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** Runs the books the file does not answer, `concurrency` at a time (`alone`: one at a time on local
 *  workers), appending each answer; the first failure that is not a book's own stops the others and is thrown. */
async function runBooks(
  engine: RiskEngine,
  files: readonly string[],
  request: MonteCarloRequest,
  results: BatchResultsFile,
  { concurrency, alone }: { concurrency: number; alone: boolean },
  interrupt: AbortSignal,
  failedBefore: number,
): Promise<{ run: number; failed: number }> {
  const pending = files.filter((book) => !results.answered.has(book));
  const progress = process.stderr.isTTY ? new BatchProgress(files.length, files.length - pending.length, failedBefore, process.stderr) : undefined;
  const stop = new AbortController();
  const signal = AbortSignal.any([interrupt, stop.signal]);
  let stoppedBy: unknown;
  let next = 0;
  let failed = 0;
  const answer = async (book: string): Promise<BookAnswer> => {
    try {
      const portfolio = await readPortfolioFile(book);
      return { book, result: await engine.run({ method: 'monte-carlo', portfolio, ...request }, { signal }) };
    } catch (error) {
      if (!BOOK_FAILURES.some((kind) => error instanceof kind) && !ownDeadline(error, alone)) throw error;
      return { book, error: toTransported(error as WasmRiskError) };
    }
  };
  const runner = async () => {
    while (!signal.aborted && next < pending.length) {
      const book = pending[next++]!;
      const line = await answer(book);
      await results.append(line);
      if ('error' in line) failed += 1;
      progress?.answered('error' in line);
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, pending.length) }, () =>
        runner().catch((error: unknown) => {
          // The first failure stops the batch; the cancellations it causes in the other runners are not news.
          if (stoppedBy === undefined) stoppedBy = error;
          stop.abort(error);
        }),
      ),
    );
  } finally {
    progress?.stop();
  }
  if (stoppedBy !== undefined) throw stoppedBy;
  if (interrupt.aborted) throw new CancelledError('the batch was cancelled', { cause: interrupt.reason });
  return { run: pending.length, failed };
}
