// Reads every file the host takes as input (component, portfolio, policy, lock file, signature, keys and
// the project's own contract files) through one gate: only a regular file within its kind's size cap is
// read, so a device, a FIFO, a directory or a huge file is refused in milliseconds instead of hanging the
// process or exhausting its memory.
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { ComponentLoadError, InvalidInputError, type WasmRiskError } from '../errors.js';
import { shownPath } from '../report/echoed-input.js';
import { parseIntegerText } from '../request/integer-text.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The environment variable, and the CLI flag that sets it, that raise (or lower) the adjustable caps. */
export const MAX_INPUT_MB_VARIABLE = 'WASM_RISK_MAX_INPUT_MB';
export const MAX_INPUT_MB_FLAG = '--max-input-mb';
/** V8 cannot hold a string longer than about 512 MiB, so a larger JSON file could never be parsed. */
const MAX_INPUT_MB_LIMIT = 512;

/**
 * The largest file each kind of input may be. Only the component and the portfolio are adjustable: they are
 * the inputs that legitimately grow (a componentize-py component bundles CPython: 35-38 MB for hello world;
 * a 2,000-asset correlation matrix at full precision is 79 MiB of JSON, 100,000 positions 7 MiB, every
 * 100,000 rows of 10 returns 21 MiB). The others have fixed shapes far below their caps.
 */
export const INPUT_FILES = {
  component: { label: 'a component', bytes: 128 * MiB, adjustable: true },
  portfolio: { label: 'a portfolio', bytes: 128 * MiB, adjustable: true },
  policy: { label: 'a policy', bytes: 1 * MiB, adjustable: false },
  lockFile: { label: 'a lock file', bytes: 1 * MiB, adjustable: false },
  /** 64 raw bytes or 88 of base64. */
  signatureFile: { label: 'a signature', bytes: 4 * KiB, adjustable: false },
  /** An Ed25519 PEM is 113 bytes; room for an RSA key, so it is refused as "not Ed25519" rather than as a size. */
  trustedKey: { label: 'a key', bytes: 16 * KiB, adjustable: false },
  goldenVectors: { label: 'golden vectors', bytes: 1 * MiB, adjustable: false },
  /** A TLS certificate chain or private key (PEM). */
  tlsFile: { label: 'a TLS certificate or key', bytes: 1 * MiB, adjustable: false },
  /** `wasm-risk batch --out`: a line of about 1 KiB per book, at most 100,000 books. */
  batchResults: { label: 'a batch results file', bytes: 256 * MiB, adjustable: false },
} as const satisfies Record<string, { label: string; bytes: number; adjustable: boolean }>;

export type InputFileKind = keyof typeof INPUT_FILES;

/** The bytes of `path`, or the kind's typed error (naming `field`, the flag or option it came from). */
export async function readInputFile(path: string, kind: InputFileKind, field: string = kind): Promise<Buffer> {
  const bytes = await readInputFileIfPresent(path, kind, field);
  if (bytes === undefined) throw refusal(kind, field, path, 'ENOENT');
  return bytes;
}

/** As readInputFile, but `undefined` when nothing is at `path` (a missing signature is a verdict, not an input error). */
export async function readInputFileIfPresent(path: string, kind: InputFileKind, field: string = kind): Promise<Buffer | undefined> {
  const cap = inputFileCap(kind);
  const refuse = (problem: string) => refusal(kind, field, path, problem);
  // Node refuses such a path with a TypeError of its own, from the library's options as from a lock file.
  if (path.includes('\0')) throw refuse('a path cannot hold a NUL byte');
  let handle: FileHandle;
  try {
    // Stat before open: opening a FIFO waits for a writer, and opening a device can have side effects.
    checkRegular(await stat(path), cap, kind, refuse);
    // O_NONBLOCK: if the path was swapped for a FIFO since the stat, open returns at once and fstat refuses it.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw isErrno(error) ? refuse(error.code) : error;
  }
  try {
    return await readOpenInputFile(handle, path, kind, field);
  } finally {
    await handle.close();
  }
}

/** The bytes of a file the caller opened (and checked where it leads), under the same rules: a regular file
 *  within its kind's cap, read from this descriptor only. The caller closes it. `path` is how a refusal names
 *  the file; undefined when the caller names it (the admin API: its client sent the path, and the server's
 *  own absolute one is not the client's to see). */
export async function readOpenInputFile(handle: FileHandle, path: string | undefined, kind: InputFileKind, field: string = kind): Promise<Buffer> {
  const cap = inputFileCap(kind);
  const refuse = (problem: string) => refusal(kind, field, path, problem);
  try {
    const { size } = checkRegular(await handle.stat(), cap, kind, refuse);
    const bytes = await readAtMost(handle, size, cap + 1);
    if (bytes.length > cap) throw refuse(`larger than the ${formatBytes(cap)} cap for ${INPUT_FILES[kind].label}${raiseHint(kind)}`);
    return bytes;
  } catch (error) {
    throw isErrno(error) ? refuse(error.code) : error;
  }
}

/** The cap in force for `kind`: WASM_RISK_MAX_INPUT_MB (set by the CLI's --max-input-mb) replaces the adjustable ones. */
export function inputFileCap(kind: InputFileKind): number {
  const { bytes, adjustable } = INPUT_FILES[kind];
  const override = process.env[MAX_INPUT_MB_VARIABLE];
  return adjustable && override !== undefined && override !== '' ? parseMaxInputMb(override, MAX_INPUT_MB_VARIABLE) * MiB : bytes;
}

/** A cap in MiB, from the CLI flag or the environment: an integer from 1 to 512. */
export function parseMaxInputMb(value: string, field: string): number {
  return parseIntegerText(value, field, { min: 1, max: MAX_INPUT_MB_LIMIT, unit: 'MiB' });
}

function checkRegular(stats: Stats, cap: number, kind: InputFileKind, refuse: (problem: string) => WasmRiskError): Stats {
  if (!stats.isFile()) throw refuse(`${fileType(stats)}, not a regular file`);
  if (stats.size > cap) throw refuse(`${formatBytes(stats.size)}, over the ${formatBytes(cap)} cap for ${INPUT_FILES[kind].label}${raiseHint(kind)}`);
  return stats;
}

/** Reads until end of file or `limit` bytes, whichever comes first: a file that grows after the stat stays bounded. */
async function readAtMost(handle: FileHandle, size: number, limit: number): Promise<Buffer> {
  let buffer = Buffer.allocUnsafe(Math.min(size + 1, limit));
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length === limit) break;
      const grown = Buffer.allocUnsafe(Math.min(Math.max(2 * length, 64 * KiB), limit));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return buffer.subarray(0, length);
}

/** A component that cannot be read is a load failure; every other input is invalid input. */
function refusal(kind: InputFileKind, field: string, path: string | undefined, problem: string): WasmRiskError {
  const what = path === undefined ? 'cannot be read' : `cannot read ${kind === 'component' ? 'component ' : ''}${shownPath(path)}`;
  return kind === 'component' ? new ComponentLoadError(`${what}: ${problem}`) : new InvalidInputError(field, `${what}: ${problem}`);
}

/** What a file that is not a regular one is, for a message: 'a directory', 'a FIFO (named pipe)', ... */
export function fileType(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function raiseHint(kind: InputFileKind): string {
  return INPUT_FILES[kind].adjustable ? `; raise it with ${MAX_INPUT_MB_FLAG} or ${MAX_INPUT_MB_VARIABLE}` : '';
}

function formatBytes(bytes: number): string {
  const [unit, size] = bytes >= MiB ? ['MiB', bytes / MiB] : bytes >= KiB ? ['KiB', bytes / KiB] : ['bytes', bytes];
  return `${Number.isInteger(size) ? size : size.toFixed(1)} ${unit}`;
}

/** A failed system call (ENOENT, EACCES, ...); our own errors have a `code` too, but no `errno`. */
/** Whether `error` is a system error (`code` set by the OS), and the one named if `code` is given. */
export function isErrno(error: unknown, code?: string): error is NodeJS.ErrnoException & { code: string } {
  const { errno, code: actual } = (error ?? {}) as NodeJS.ErrnoException;
  return typeof errno === 'number' && typeof actual === 'string' && (code === undefined || actual === code);
}
