// The one gate every input file passes: only a regular file within its kind's cap is read, and the read
// itself stays bounded and never blocks, whatever the path turns into after it was checked.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ComponentLoadError, InvalidInputError } from '../../host/errors.js';
import { inputFileCap, INPUT_FILES, MAX_INPUT_MB_VARIABLE, readInputFile, readInputFileIfPresent } from '../../host/files/input-files.js';
import { RiskEngine } from '../../host/risk-engine.js';

/** When set, `stat` of `path` reports `standIn` (a small regular file): the path swapped between stat and open. */
const swapped = vi.hoisted(() => ({ path: undefined as string | undefined, standIn: '' }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof fsPromises>();
  const stat = async (path: string) => actual.stat(path === swapped.path ? swapped.standIn : path);
  return { ...actual, stat };
});

const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-input-file-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => {
  swapped.path = undefined;
  delete process.env[MAX_INPUT_MB_VARIABLE];
});

function file(name: string, content: string | Uint8Array): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

function sparse(name: string, size: number): string {
  const path = file(name, '');
  truncateSync(path, size);
  return path;
}

function fifo(name: string): string {
  const path = join(scratch, name);
  execFileSync('mkfifo', [path]);
  return path;
}

/** Resolves to the error the promise rejects with, and how long that took. */
async function refusal(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

describe('readInputFile', () => {
  it('returns the bytes of a regular file, also through a symlink', async () => {
    const path = file('bytes.bin', Uint8Array.from([0, 1, 2, 255]));
    symlinkSync(path, join(scratch, 'link.bin'));
    expect([...(await readInputFile(path, 'portfolio'))]).toEqual([0, 1, 2, 255]);
    expect([...(await readInputFile(join(scratch, 'link.bin'), 'portfolio'))]).toEqual([0, 1, 2, 255]);
    expect((await readInputFile(file('empty.json', ''), 'policy')).length).toBe(0);
  });

  it.each([
    ['a character device', '/dev/zero', /^portfolio: cannot read \/dev\/zero: a character device, not a regular file$/],
    ['a symlink to a character device', 'zero-link', /^portfolio: cannot read .*zero-link: a character device, not a regular file$/],
    ['a directory', 'a-directory', /^portfolio: cannot read .*a-directory: a directory, not a regular file$/],
    ['a FIFO', 'a-fifo', /^portfolio: cannot read .*a-fifo: a FIFO \(named pipe\), not a regular file$/],
  ])('refuses %s in milliseconds, as invalid input', async (_name, target, message) => {
    const path = target.startsWith('/') ? target : join(scratch, target);
    if (target === 'zero-link') symlinkSync('/dev/zero', path);
    if (target === 'a-directory') mkdirSync(path);
    if (target === 'a-fifo') fifo(target);
    const { error, ms } = await refusal(readInputFile(path, 'portfolio'));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'portfolio', exitCode: 2, message: expect.stringMatching(message) });
    expect(ms).toBeLessThan(1_000);
  });

  it('refuses a component that is not a regular file as a ComponentLoadError', async () => {
    const { error } = await refusal(readInputFile('/dev/urandom', 'component'));
    expect(error).toBeInstanceOf(ComponentLoadError);
    expect(error).toMatchObject({ exitCode: 2, message: 'cannot read component /dev/urandom: a character device, not a regular file' });
  });

  it('guards the library too: RiskEngine.load of a device fails at once', async () => {
    await expect(RiskEngine.load('/dev/zero')).rejects.toThrow(new ComponentLoadError('cannot read component /dev/zero: a character device, not a regular file'));
  });

  it('refuses a file over its cap from its size alone, before reading it', async () => {
    const path = sparse('huge.sig', 2 ** 30);
    const { error, ms } = await refusal(readInputFile(path, 'signatureFile'));
    expect(error).toMatchObject({ field: 'signatureFile', message: expect.stringMatching(/: 1024 MiB, over the 4 KiB cap for a signature$/) });
    expect(ms).toBeLessThan(1_000);
  });

  it('names a path the caller made long bounded: its start, and its length', async () => {
    const path = join(scratch, `${'deep/'.repeat(20_000)}none.json`);
    const error = (await readInputFile(path, 'portfolio').catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(/^portfolio: cannot read \/.{200,256}… \(\d{6} characters\): ENAMETOOLONG$/);
    expect(error.message).toContain(`(${path.length} characters)`);
  });

  it('refuses a path with a NUL byte as the kind\'s typed error (it was Node\'s TypeError, from the library and lock files too)', async () => {
    await expect(readInputFile(`${scratch}/a\0b.json`, 'portfolio')).rejects.toThrow(/^portfolio: cannot read .*: a path cannot hold a NUL byte$/);
    await expect(RiskEngine.load('/tmp/a\0b.wasm')).rejects.toThrow(new ComponentLoadError('cannot read component /tmp/a\0b.wasm: a path cannot hold a NUL byte'));
    await expect(RiskEngine.load(undefined, { admission: { strict: true, lockFile: '/tmp/a\0b.json' } })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('names the flag the input came from', async () => {
    await expect(readInputFile(join(scratch, 'none.pem'), 'trustedKey', '--trusted-key')).rejects.toThrow(/^--trusted-key: cannot read .*none\.pem: ENOENT$/);
  });

  it.runIf(existsSync('/proc/self/maps'))('stops reading at the cap a file whose size on record is too small (it grew, or it is in /proc)', async () => {
    // /proc/self/maps is a regular file of size 0 whose content is several KiB.
    await expect(readInputFile('/proc/self/maps', 'signatureFile')).rejects.toThrow(/^signatureFile: cannot read \/proc\/self\/maps: larger than the 4 KiB cap for a signature$/);
  });

  it('refuses a path that became a FIFO between the check and the open, without blocking', async () => {
    const path = fifo('swapped-fifo');
    Object.assign(swapped, { path, standIn: file('small-1.json', '{}') });
    const { error, ms } = await refusal(readInputFile(path, 'lockFile'));
    expect(error).toMatchObject({ field: 'lockFile', message: expect.stringMatching(/a FIFO \(named pipe\), not a regular file$/) });
    expect(ms).toBeLessThan(1_000);
  }, 5_000);

  it('refuses a path that became a large file between the check and the open', async () => {
    const path = sparse('swapped-huge.json', 2 ** 30);
    Object.assign(swapped, { path, standIn: file('small-2.json', '{}') });
    await expect(readInputFile(path, 'policy')).rejects.toThrow(/: 1024 MiB, over the 1 MiB cap for a policy$/);
  });
});

describe('readInputFileIfPresent', () => {
  it('is undefined for a missing file, and refuses the rest like readInputFile', async () => {
    await expect(readInputFileIfPresent(join(scratch, 'none.sig'), 'signatureFile')).resolves.toBeUndefined();
    await expect(readInputFileIfPresent('/dev/zero', 'signatureFile')).rejects.toThrow(/character device/);
  });
});

describe('the caps', () => {
  it('are 128 MiB for the component and the portfolio, fixed for the rest, and small but for a batch results file', () => {
    expect(inputFileCap('component')).toBe(128 * 2 ** 20);
    expect(inputFileCap('portfolio')).toBe(128 * 2 ** 20);
    // A batch reads back its own --out to resume: a line of about 1 KiB for each of up to 100,000 books.
    expect(inputFileCap('batchResults')).toBe(256 * 2 ** 20);
    const fixed = Object.entries(INPUT_FILES).filter(([kind, input]) => !input.adjustable && kind !== 'batchResults');
    expect(fixed.every(([, input]) => input.bytes <= 2 ** 20)).toBe(true);
    // The caps docs/security.md gives ("Keys and files").
    expect(Object.fromEntries(fixed.map(([kind, input]) => [kind, input.bytes]))).toEqual({
      policy: 2 ** 20,
      lockFile: 2 ** 20,
      goldenVectors: 2 ** 20,
      tlsFile: 2 ** 20,
      trustedKey: 16 * 2 ** 10,
      signatureFile: 4 * 2 ** 10,
    });
  });

  it(`${MAX_INPUT_MB_VARIABLE} replaces the adjustable caps only`, async () => {
    process.env[MAX_INPUT_MB_VARIABLE] = '1';
    expect(inputFileCap('portfolio')).toBe(2 ** 20);
    expect(inputFileCap('component')).toBe(2 ** 20);
    expect(inputFileCap('lockFile')).toBe(INPUT_FILES.lockFile.bytes);
    await expect(readInputFile(sparse('two-mib.wasm', 2 * 2 ** 20), 'component')).rejects.toThrow(
      /^cannot read component .*two-mib\.wasm: 2 MiB, over the 1 MiB cap for a component; raise it with --max-input-mb or WASM_RISK_MAX_INPUT_MB$/,
    );
  });

  it.each(['0', '513', '-1', '1e2', 'big'])(`refuses ${MAX_INPUT_MB_VARIABLE}=%s, naming the variable`, (value) => {
    process.env[MAX_INPUT_MB_VARIABLE] = value;
    expect(() => inputFileCap('portfolio')).toThrow(new RegExp(`^${MAX_INPUT_MB_VARIABLE}: ".*" is not an integer from 1 to 512 \\(MiB\\)$`));
  });
});
