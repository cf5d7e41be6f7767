// The results file of `wasm-risk batch` (--out), which is also what lets a batch resume: one JSON line per
// answered book, only ever appended. Opening it locks it (one batch per file), reads which books it
// answers, refuses lines of other settings, and cuts off a last line a crash left without its newline
// (never a complete line), so the book of that line runs again.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { lock } from 'proper-lockfile';
import { z } from 'zod';
import { InvalidInputError, messageOf } from '../errors.js';
import { readInputFileIfPresent } from '../files/input-files.js';
import type { RiskResult } from '../risk-engine.js';
import type { TransportedError } from '../run/error-transport.js';
import type { MonteCarloRequest } from '../request/risk-request.js';
import { terminalJson } from '../report/terminal-text.js';

/** A book's answer: its result or its typed error. Its line adds the settings it ran with. */
export type BookAnswer = { book: string } & ({ result: RiskResult } | { error: TransportedError });

const SETTINGS = /^[0-9a-f]{16}$/;
/** Bounded: the file is read back on resume, and anyone could have written it. */
const lineSchema = z
  .strictObject({
    book: z.string().min(1).max(4096),
    settings: z.string().regex(SETTINGS),
    result: z.record(z.string(), z.unknown()).optional(),
    error: z.strictObject({ code: z.string().regex(/^ERR_[A-Z_]{1,60}$/), message: z.string().max(65_536), field: z.string().max(4096).optional() }).optional(),
  })
  .refine((line) => (line.result === undefined) !== (line.error === undefined), { error: 'must hold a result or an error' });

/** What a line's numbers depend on besides its book: the component and the Monte Carlo options. A batch
 *  resumed with others would mix two batches in one file, so it is refused. */
export function batchSettings(componentSha256: string, { paths, seed, horizonDays, confidence, antithetic }: MonteCarloRequest): string {
  const text = JSON.stringify({ component: componentSha256, paths, seed: seed.toString(), horizonDays, confidence, antithetic });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** How every line starts (`terminalJson` of `{ book, ... }`). */
const LINE_START = '{"book":"';

/** Whether the text after a file's last newline is what a write cut short leaves: the start of a line. Anything
 *  else (a one-line JSON file given as --out, say) is not the batch's to cut off. */
function isTornLine(tail: string): boolean {
  return tail.startsWith(LINE_START) || LINE_START.startsWith(tail);
}

/** proper-lockfile refreshes its lock every STALE_MS / 2; a lock left by a killed batch is taken over
 *  after STALE_MS, which the retries outlast. */
const STALE_MS = 5_000;

export class BatchResultsFile {
  private writes: Promise<void> = Promise.resolve();
  private compromised: Error | undefined;

  private constructor(
    private readonly path: string,
    private readonly handle: FileHandle,
    private readonly release: () => Promise<void>,
    private readonly settings: string,
    /** The books the file answers already, and whether each answer is a result or an error. */
    readonly answered: ReadonlyMap<string, 'result' | 'error'>,
  ) {}

  static async open(path: string, settings: string): Promise<BatchResultsFile> {
    let file: BatchResultsFile | undefined;
    // The lock retries whatever fails (for seconds): a folder that is missing or not writable must say so at once.
    await assertWritableFolder(path);
    const release = await lock(path, {
      realpath: false,
      stale: STALE_MS,
      retries: { retries: 20, minTimeout: 100, maxTimeout: 500 },
      onCompromised: (error) => file && (file.compromised = error),
    }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw unwritable(path, error);
      throw new InvalidInputError('--out', `${path} is being written by another batch (${path}.lock): ${messageOf(error)}`);
    });
    try {
      const bytes = (await readInputFileIfPresent(path, 'batchResults', '--out')) ?? Buffer.alloc(0);
      const complete = bytes.lastIndexOf(0x0a) + 1;
      const answered = answeredBooks(path, bytes.subarray(0, complete).toString('utf8'), settings);
      if (!isTornLine(bytes.subarray(complete).toString('utf8'))) {
        throw new InvalidInputError('--out', `${path} ends with text that is no batch result, without a newline: not a results file of wasm-risk batch (left as it is)`);
      }
      let handle: FileHandle | undefined;
      try {
        handle = await open(path, 'a');
        // A crash mid-line left its start: cut, so the next line starts at a line's start.
        if (complete < bytes.length) await handle.truncate(complete);
      } catch (error) {
        await handle?.close();
        throw unwritable(path, error);
      }
      file = new BatchResultsFile(path, handle, release, settings, answered);
      return file;
    } catch (error) {
      await release();
      throw error;
    }
  }

  /** Appends one line (whole, in one write); lines are written in the order they are given. */
  append({ book, ...answer }: BookAnswer): Promise<void> {
    if (this.compromised) return Promise.reject(new InvalidInputError('--out', `lost the lock on ${this.path}: ${this.compromised.message}`));
    const text = `${terminalJson({ book, settings: this.settings, ...answer })}\n`;
    this.writes = this.writes.then(() =>
      this.handle.appendFile(text).catch((error: unknown) => {
        throw unwritable(this.path, error);
      }),
    );
    return this.writes;
  }

  async close(): Promise<void> {
    await this.writes.catch(() => undefined);
    await this.handle.close();
    await this.release().catch(() => undefined);
  }
}

async function assertWritableFolder(path: string): Promise<void> {
  const folder = dirname(path);
  try {
    if (!(await stat(folder)).isDirectory()) throw new Error(`${folder} is not a directory`);
    await access(folder, constants.W_OK);
  } catch (error) {
    throw unwritable(path, error);
  }
}

/** A results file that cannot be created, locked or written (a missing or read-only folder, a full disk). */
function unwritable(path: string, error: unknown): InvalidInputError {
  return new InvalidInputError('--out', `cannot write ${path}: ${messageOf(error)}`);
}

function answeredBooks(path: string, text: string, settings: string): Map<string, 'result' | 'error'> {
  const answered = new Map<string, 'result' | 'error'>();
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((text, index) => {
    const where = `${path} line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new InvalidInputError('--out', `${where} is not JSON: not a results file of wasm-risk batch`);
    }
    const line = lineSchema.safeParse(value);
    if (!line.success) throw new InvalidInputError('--out', `${where} is not a batch result (${line.error.issues[0]!.message}): not a results file of wasm-risk batch`);
    if (line.data.settings !== settings) {
      throw new InvalidInputError('--out', `${where} was run with other settings (component or Monte Carlo options): resume with the same ones, or write to another --out`);
    }
    answered.set(line.data.book, line.data.error === undefined ? 'result' : 'error');
  });
  return answered;
}
