// Private files (the cache and audit keys, the results key, cache entries, the admin token file) are read only
// as regular files of this user's: never through a symbolic link, never waiting on a FIFO, and never past
// their own bound (docs/security.md, "Keys and files").
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotPrivateError, readPrivateFile } from '../../host/files/private-files.js';
import { readSecretKey, SECRET_KEY_BYTES } from '../../host/files/secret-keys.js';

const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-private-files-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let made = 0;
/** A fresh private folder holding `key` as a 0600 file of `bytes` bytes. */
function keyFolder(bytes: number): { dir: string; key: string } {
  const dir = join(scratch, `keys-${made++}`);
  mkdirSync(dir, { mode: 0o700 });
  const key = join(dir, 'key');
  writeFileSync(key, Buffer.alloc(bytes, 7), { mode: 0o600 });
  return { dir, key };
}

describe('readPrivateFile', () => {
  it('reads a regular file of this user within its bound', async () => {
    const { key } = keyFolder(SECRET_KEY_BYTES);
    expect(await readPrivateFile(key, 0o077, SECRET_KEY_BYTES)).toEqual(Buffer.alloc(SECRET_KEY_BYTES, 7));
  });

  it('does not follow a symbolic link, even to a private file', async () => {
    const { dir, key } = keyFolder(SECRET_KEY_BYTES);
    symlinkSync(key, join(dir, 'link'));
    await expect(readPrivateFile(join(dir, 'link'), 0o077, SECRET_KEY_BYTES)).rejects.toThrow(NotPrivateError);
    await expect(readPrivateFile(join(dir, 'link'), 0o077, SECRET_KEY_BYTES)).rejects.toThrow(/is a symbolic link/);
  });

  it('refuses a FIFO at once, instead of waiting for a writer', { timeout: 5_000 }, async () => {
    const { dir } = keyFolder(0);
    execFileSync('mkfifo', ['-m', '600', join(dir, 'fifo')]);
    await expect(readPrivateFile(join(dir, 'fifo'), 0o077, SECRET_KEY_BYTES)).rejects.toThrow(/is not a regular file/);
  });

  it('refuses a file past its bound by its size, before reading it', async () => {
    const { key } = keyFolder(64 * 1024 + 1);
    await expect(readPrivateFile(key, 0o077, 64 * 1024)).rejects.toThrow(/holds 65537 bytes, more than the 65536 expected/);
  });
});

describe('readSecretKey', () => {
  it('reads a key of 32 bytes only: a longer file is refused, not cut to a key', async () => {
    expect(await readSecretKey(keyFolder(SECRET_KEY_BYTES).key)).toHaveLength(SECRET_KEY_BYTES);
    await expect(readSecretKey(keyFolder(SECRET_KEY_BYTES + 1).key)).rejects.toThrow(/holds 33 bytes, more than the 32 expected/);
    await expect(readSecretKey(keyFolder(SECRET_KEY_BYTES - 1).key)).rejects.toThrow(/holds 31 bytes, not a 32-byte key/);
  });

  it('refuses a key that is a symbolic link to a key', async () => {
    const { dir, key } = keyFolder(SECRET_KEY_BYTES);
    symlinkSync(key, join(dir, 'link'));
    await expect(readSecretKey(join(dir, 'link'))).rejects.toThrow(/is a symbolic link/);
  });
});
