// Where the admin API's candidates come from: a regular .wasm file inside `--components-dir`, read through
// the descriptor whose place was checked. A path checked and then opened again by name could be a symbolic
// link by then (or lead through one), and a registration waits behind the one before it, so the file checked
// must be the file read. Its refusals do not restate the path: the client sent it, and the audit log names
// it once at the head of the refusal (registry.ts).
import { constants } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { InvalidInputError, messageOf, PathNotAllowedError } from '../errors.js';
import { isErrno, readOpenInputFile } from '../files/input-files.js';
import type { ComponentBytes } from '../load/component-format.js';

/**
 * The real path of a candidate component inside `componentsDir` (a relative path is taken from it), or
 * PathNotAllowedError: a `..` segment, a path or symbolic link leading out of the directory, or a file not
 * named .wasm. A path that does not exist is bad input (400).
 */
export async function componentPathIn(componentsDir: string, path: string): Promise<string> {
  if (path.split(/[\\/]/).includes('..')) throw new PathNotAllowedError("the path has a '..' segment, which is not allowed");
  if (!path.endsWith('.wasm')) throw new PathNotAllowedError('the path does not name a .wasm file: only .wasm files may be registered');
  let root: string;
  let real: string;
  try {
    root = await realpath(componentsDir);
    // Before the file system is asked anything of it: a path outside answered 400 (no such file) or 403 (is
    // one) told a token holder which files exist where the server may read.
    if (!isInside(resolve(componentsDir), resolve(componentsDir, path)) && !isInside(root, resolve(root, path))) {
      throw new PathNotAllowedError('the path is outside --components-dir');
    }
    real = await realpath(resolve(root, path));
  } catch (error) {
    if (error instanceof PathNotAllowedError) throw error;
    throw unreadable(error);
  }
  if (!isInside(root, real)) throw new PathNotAllowedError('the path is outside --components-dir');
  if (!real.endsWith('.wasm')) throw new PathNotAllowedError('the path leads to a file not named .wasm');
  const isFile = await stat(real).then((stats) => stats.isFile(), () => false);
  if (!isFile) throw new PathNotAllowedError('the path is not a regular file');
  return real;
}

/**
 * The bytes of a candidate inside `componentsDir`, and the file they were read from (its `.sig` and lock
 * entry are looked up by it). Opened without following a link, then where the descriptor itself leads is
 * checked again, so a link put in the file's or a directory's place after the check is refused (403).
 */
export async function readCandidate(componentsDir: string, path: string): Promise<ComponentBytes> {
  const real = await componentPathIn(componentsDir, path);
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO put in the file's place since the check must not hold the open.
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (isErrno(error, 'ELOOP')) throw new PathNotAllowedError('the path became a symbolic link while it was checked');
    throw unreadable(error);
  }
  try {
    if (!(await handle.stat()).isFile()) throw new PathNotAllowedError('the path is not a regular file');
    if (!(await leadsTo(handle, real))) throw new PathNotAllowedError('the path changed while it was checked: what was opened is not what was checked');
    return { bytes: await readOpenInputFile(handle, undefined, 'component'), file: real, name: real };
  } finally {
    await handle.close();
  }
}

/** Whether an open descriptor is the file at `checked`: Linux names the file it leads to in /proc; elsewhere
 *  `checked` must still be that very file (same device and inode). */
async function leadsTo(handle: FileHandle, checked: string): Promise<boolean> {
  const named = await realpath(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
  if (named !== undefined) return named === checked;
  const [opened, there] = await Promise.all([handle.stat(), stat(checked).catch(() => undefined)]);
  return there !== undefined && there.dev === opened.dev && there.ino === opened.ino;
}

/** A candidate the file system cannot give: its error code only, as Node's message names the file by its
 *  absolute path, which told a token holder where the server's directory is. */
function unreadable(error: unknown): InvalidInputError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return new InvalidInputError('path', code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? messageOf(error)})`);
}

function isInside(root: string, path: string): boolean {
  const inside = relative(root, path);
  return inside !== '' && inside !== '..' && !inside.startsWith(`..${sep}`) && !isAbsolute(inside);
}
