// `var --pnl-out`: every path's P&L written to a file, in path order, as CSV or as raw float64. The file
// appears whole or not at all: it is written beside its destination under a temporary name, then moved.
import { randomBytes } from 'node:crypto';
import { accessSync, constants, fstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { link, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { InvalidInputError, messageOf } from '../errors.js';
import { fileType } from '../files/input-files.js';

export const PNL_FORMATS = ['csv', 'f64'] as const;
export type PnlFormat = (typeof PNL_FORMATS)[number];

/** Where and how the P&L goes, decided before the run so that a refusal costs nothing. */
export interface PnlOutput {
  /** As the user named it, for messages. */
  path: string;
  /** Where the bytes go: `path`, or the file a symbolic link at `path` leads to (the rename would replace the link). */
  file: string;
  format: PnlFormat;
  overwrite: boolean;
}

/** Paths per write: a few MB of text or bytes at a time, whatever the run's size. */
const BATCH_PATHS = 65_536;

/** A file the run reads (the portfolio, the component, the files of its admission flags), which `--pnl-out` must
 *  not replace, even with `--force`. */
export interface RunInput {
  label: string;
  path: string;
}

/** A file the run prints to (its standard output or error, given by descriptor), which `--pnl-out` must not
 *  replace either: redirected to a file, `/dev/stdout` leads to it, and the rename replaced it with the P&L,
 *  so the table printed afterwards went to a file no longer there, with exit 0. */
export interface RunOutput {
  label: string;
  fd: number;
}

/** The output `--pnl-out path [--pnl-format f] [--force]` asks for: the format defaults to f64 for a
 *  `.f64` file and to CSV otherwise; an existing file is refused without `--force`, and at once, whatever
 *  the flags, something that is no regular file (a directory, a device such as /dev/null, which the rename
 *  would replace), one of the run's inputs or outputs, and a folder that cannot be written to. */
export function pnlOutputFrom(
  path: string,
  format: PnlFormat | undefined,
  force: boolean,
  inputs: readonly RunInput[] = [],
  outputs: readonly RunOutput[] = [],
): PnlOutput {
  const existing = statIfPresent(path);
  if (existing !== undefined) {
    if (!existing.isFile()) throw new InvalidInputError('--pnl-out', `${path} is ${fileType(existing)}, not a regular file; name a file to write the P&L to`);
    const input = inputs.find(({ path: inputPath }) => isSameFile(existing, statIfPresent(inputPath)));
    if (input !== undefined) throw new InvalidInputError('--pnl-out', `${path} is the ${input.label} this run reads; write the P&L to another file`);
    const output = outputs.find(({ fd }) => isSameFile(existing, fstatIfOpen(fd)));
    if (output !== undefined) throw new InvalidInputError('--pnl-out', `${path} is the ${output.label} this run prints to; write the P&L to another file`);
    if (!force) throw alreadyExists(path);
  }
  let file = path;
  try {
    if (existing !== undefined) file = realpathSync(path);
  } catch (error) {
    throw cannotWrite(path, error);
  }
  const folder = dirname(file);
  try {
    accessSync(folder, constants.W_OK);
    // A writable file passes access(2) too; the run would end with nowhere to put the temporary file.
    if (!statSync(folder).isDirectory()) throw Object.assign(new Error(`${folder} is not a directory`), { code: 'ENOTDIR' });
  } catch (error) {
    throw cannotWrite(path, error);
  }
  return { path, file, format: format ?? (extname(path).toLowerCase() === '.f64' ? 'f64' : 'csv'), overwrite: force };
}

/** What is at `path` (through symbolic links), or undefined when nothing is there or it cannot be looked at
 *  (a folder that cannot be written to is refused next, by its own check). */
function statIfPresent(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** What descriptor `fd` is open on, or undefined when it is not open. */
function fstatIfOpen(fd: number): Stats | undefined {
  try {
    return fstatSync(fd);
  } catch {
    return undefined;
  }
}

function isSameFile(a: Stats, b: Stats | undefined): boolean {
  return b !== undefined && a.dev === b.dev && a.ino === b.ino;
}

function alreadyExists(path: string): InvalidInputError {
  return new InvalidInputError('--pnl-out', `${path} exists; pass --force to overwrite it`);
}

function cannotWrite(path: string, error: unknown): InvalidInputError {
  // The code alone: the system's message would name the folder or the temporary file, not the file asked for.
  return new InvalidInputError('--pnl-out', `cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? messageOf(error)}`);
}

/** A P&L as CSV text: `String` gives the shortest decimal that reads back as the same double; -0 is
 *  spelled out, which `String` would not. */
function csvValue(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

function* batches(pnl: Float64Array, format: PnlFormat): Generator<string | Buffer> {
  if (format === 'csv') yield 'path,pnl\n';
  for (let first = 0; first < pnl.length; first += BATCH_PATHS) {
    const end = Math.min(pnl.length, first + BATCH_PATHS);
    if (format === 'csv') {
      let text = '';
      for (let i = first; i < end; i++) text += `${i},${csvValue(pnl[i]!)}\n`;
      yield text;
    } else {
      // Little-endian whatever the machine, so a file reads the same everywhere.
      const bytes = Buffer.allocUnsafe((end - first) * 8);
      for (let i = first; i < end; i++) bytes.writeDoubleLE(pnl[i]!, (i - first) * 8);
      yield bytes;
    }
  }
}

/** Writes the file; on any failure nothing is left at `path` (or what was there before is kept). */
export async function writePnl({ path, file, format, overwrite }: PnlOutput, pnl: Float64Array): Promise<void> {
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, batches(pnl, format), { flag: 'wx' });
    if (overwrite) {
      await rename(temporary, file);
    } else {
      // A hard link, unlike a rename, fails if the file appeared during the run instead of replacing it.
      await link(temporary, file);
      await rm(temporary);
    }
  } catch (error) {
    // The write's failure is the one to report, not a second one from cleaning up after it.
    await rm(temporary, { force: true }).catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' && !overwrite) throw alreadyExists(path);
    throw cannotWrite(path, error);
  }
}
