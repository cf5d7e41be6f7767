// Files and folders only the current user can change. The transpile cache and its key decide which code
// the host runs, so a symbolic link, another owner, or a group/world write bit on them means someone
// else could have chosen that code: such a path is refused, not trusted.
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open } from 'node:fs/promises';

/** A path that someone other than the current user could have written or replaced. */
export class NotPrivateError extends Error {
  /** `mode`: the path is the user's own and of the right kind, only its mode lets others in (chmod fixes it). */
  constructor(
    message: string,
    readonly reason: 'mode' | 'owner' | 'kind' = 'kind',
  ) {
    super(message);
  }
}

/** The largest private file the host reads (a transpiled core module, at most the component cap). */
const MAX_PRIVATE_FILE_BYTES = 512 * 2 ** 20;

/** Mode bits that let someone else write a file or a folder's entries. */
export const WRITABLE_BY_OTHERS = 0o022;
/** Mode bits that let someone else read or write a file (for secrets). */
export const ACCESSIBLE_BY_OTHERS = 0o077;

/** Creates `dir` (and missing parents) with mode 0700 if absent, then checks that it is private. */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await assertPrivateDirectory(dir);
}

/** Checks the folder itself (not its parents: a sticky /tmp above a private folder is fine). */
export async function assertPrivateDirectory(dir: string): Promise<void> {
  const stats = await lstat(dir);
  if (stats.isSymbolicLink()) throw new NotPrivateError(`${dir} is a symbolic link`);
  if (!stats.isDirectory()) throw new NotPrivateError(`${dir} is not a directory`);
  assertOwnMode(dir, stats, WRITABLE_BY_OTHERS);
}

/** Reads a regular file of this user's, refusing a symbolic link (O_NOFOLLOW) and checking the opened
 *  file itself, so the file checked is the file read. */
export async function readPrivateFile(file: string, forbiddenModeBits = WRITABLE_BY_OTHERS, maxBytes = MAX_PRIVATE_FILE_BYTES): Promise<Buffer> {
  let handle;
  try {
    // O_NONBLOCK: a FIFO put in a private file's place must be refused, not wait for a writer.
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new NotPrivateError(`${file} is a symbolic link`);
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new NotPrivateError(`${file} is not a regular file`);
    assertOwnMode(file, stats, forbiddenModeBits);
    if (stats.size > maxBytes) throw new Error(`${file} holds ${stats.size} bytes, more than the ${maxBytes} expected`);
    // Read at most one byte past the cap from the descriptor: a file that grows after fstat stays bounded.
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, stats.size + 1));
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) {
        if (length > maxBytes) throw new Error(`${file} grew past the ${maxBytes} bytes expected while it was read`);
        break;
      }
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

function assertOwnMode(path: string, stats: Stats, forbiddenModeBits: number): void {
  const uid = process.getuid?.();
  // Windows has no POSIX owner or mode bits; there the user profile's ACLs keep these paths private.
  if (uid === undefined) return;
  if (stats.uid !== uid) throw new NotPrivateError(`${path} is owned by uid ${stats.uid}, not by this user (uid ${uid})`, 'owner');
  if ((stats.mode & forbiddenModeBits) !== 0) {
    const who = forbiddenModeBits === WRITABLE_BY_OTHERS ? 'writable' : 'readable or writable';
    throw new NotPrivateError(`${path} has mode 0${(stats.mode & 0o777).toString(8)}: ${who} by group or others`, 'mode');
  }
}
