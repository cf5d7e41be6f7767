// Secret keys the host keeps apart from what they authenticate (transpile-cache entries, swap audit-log
// lines): 32 random bytes in a file only this user can read, in a folder only this user can write, under
// the user's config directory unless an environment variable names the file.
import { randomBytes } from 'node:crypto';
import { link, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { configDirectory, pathFromEnvironment } from './user-dirs.js';
import { ACCESSIBLE_BY_OTHERS, assertPrivateDirectory, ensurePrivateDirectory, readPrivateFile } from './private-files.js';

export const SECRET_KEY_BYTES = 32;

/** `$<envVariable>` (unless empty), else `wasm-risk/<name>` under `$XDG_CONFIG_HOME` or `~/.config`. */
export function defaultKeyFile(name: string, envVariable: string): string {
  return pathFromEnvironment(envVariable, () => join(configDirectory(), name));
}

/** The key in `file`, or undefined when there is none. Throws if the file or its folder is not private to
 *  this user (a regular file, this user's, no group/other bits, in a folder others cannot write) or is not a key. */
export async function readSecretKey(file: string): Promise<Buffer | undefined> {
  let key: Buffer;
  try {
    await assertPrivateDirectory(dirname(file));
    key = await readPrivateFile(file, ACCESSIBLE_BY_OTHERS, SECRET_KEY_BYTES);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (key.length !== SECRET_KEY_BYTES) throw new Error(`${file} holds ${key.length} bytes, not a ${SECRET_KEY_BYTES}-byte key`);
  return key;
}

/** Creates the key (and its 0700 folder) unless another process just did, and returns the key in place.
 *  Written whole under a temporary name, then linked into place: link() fails if the key exists, so two
 *  processes creating it at once agree on one key, and no reader ever sees a half-written one. */
export async function createSecretKey(file: string): Promise<Buffer> {
  await ensurePrivateDirectory(dirname(file));
  const staging = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(staging, randomBytes(SECRET_KEY_BYTES), { mode: 0o600, flag: 'wx' });
  try {
    await link(staging, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(staging, { force: true });
  }
  const key = await readSecretKey(file);
  if (!key) throw new Error(`${file} vanished as it was created`);
  return key;
}
