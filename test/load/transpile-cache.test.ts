// The transpile cache: a second load skips jco, and only code transpiled from admitted bytes ever runs:
// an entry that was edited, moved, or sits where someone else could have written it is reported and
// transpiled again, never executed.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ComponentInstance } from '../../host/run/component-instance.js';
import { ComponentImage } from '../../host/load/component-image.js';
import { sha256Hex } from '../../host/files/content-hash.js';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';
import { runCli } from '../support/run-cli.js';
import { EXAMPLE_PORTFOLIO, fixture } from '../support/fixtures.js';

const OTHER_COMPONENT = fixture('panicker');
const NOBODY = 65_534;

const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

/** The engine with one more custom section: other bytes, so not the package's own component, whose shipped
 *  glue (load/shipped-glue.ts) would spare it the cache. */
const ENGINE = (() => {
  const name = Buffer.from('wasm-risk-test');
  const section = Buffer.concat([Buffer.from([0, name.length + 1, name.length]), name]);
  const dir = mkdtempSync(join(tmpdir(), 'wasm-risk-cache-engine-'));
  scratchDirs.push(dir);
  const file = join(dir, 'risk-engine.wasm');
  writeFileSync(file, Buffer.concat([readFileSync(DEFAULT_COMPONENT), section]));
  return file;
})();

/** A cache directory and a cache key of its own, both inside one temporary directory. */
function scratchCache(): { cacheDir: string; cacheKeyFile: string; scratch: string } {
  const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-cache-'));
  scratchDirs.push(scratch);
  return { scratch, cacheDir: join(scratch, 'cache'), cacheKeyFile: join(scratch, 'config', 'cache.key') };
}

const entryOf = (cacheDir: string, sha256: string) => join(cacheDir, 'transpiled', sha256);

/** Glue that, if it ever runs, leaves a file behind: what an attacker's code with Node's full power could do. */
const markerGlue = (marker: string) => `import { writeFileSync as leaveMark } from 'node:fs';\nleaveMark(${JSON.stringify(marker)}, 'tampered glue ran');\n`;

/** What someone who can write the cache does: prepends code to the glue and records the new glue's hash. */
function tamperGlue(entry: string, code: string): void {
  const glueFile = join(entry, 'component.js');
  const glue = `${code}${readFileSync(glueFile, 'utf8')}`;
  writeFileSync(glueFile, glue);
  const manifestFile = join(entry, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { glue: string };
  writeFileSync(manifestFile, JSON.stringify({ ...manifest, glue: sha256Hex(Buffer.from(glue, 'utf8')) }));
}

/** The cache's warnings (process.emitWarning codes), captured instead of printed. */
function captureCacheWarnings(): () => string[] {
  const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  return () =>
    emitWarning.mock.calls
      .map(([, options]) => (typeof options === 'object' ? options.code : undefined))
      .filter((code): code is string => code?.startsWith('WASM_RISK_CACHE') ?? false);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('transpile cache', () => {
  it('serves the second load from the cache, keyed by the component hash', async () => {
    const { cacheDir, cacheKeyFile } = scratchCache();
    const first = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    const second = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    expect(first.origin).toBe('jco');
    expect(second.origin).toBe('cache');
    expect(readdirSync(join(cacheDir, 'transpiled'))).toEqual([first.sha256]);
    expect((await ComponentInstance.create(second.payload)).engine.info().name).toBe('risk-engine');
  });

  it('keeps its key in a private file (0600 in a 0700 folder) and its entries private to the user', async () => {
    const { cacheDir, cacheKeyFile } = scratchCache();
    const { sha256 } = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(statSync(cacheKeyFile).size).toBe(32);
    expect(mode(cacheKeyFile)).toBe(0o600);
    expect(mode(join(cacheKeyFile, '..'))).toBe(0o700);
    const entry = entryOf(cacheDir, sha256);
    for (const dir of [cacheDir, join(cacheDir, 'transpiled'), entry, join(entry, 'interfaces')]) expect(mode(dir)).toBe(0o700);
    for (const file of ['component.js', 'manifest.json']) expect(mode(join(entry, file))).toBe(0o600);
  });

  it('transpiles again instead of running a tampered cache entry', async () => {
    const { cacheDir, cacheKeyFile } = scratchCache();
    const { sha256 } = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    const glue = join(entryOf(cacheDir, sha256), 'component.js');
    writeFileSync(glue, `${readFileSync(glue, 'utf8')}\nglobalThis.__tampered = true;\n`);
    const warnings = captureCacheWarnings();
    const reloaded = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    expect(reloaded.origin).toBe('jco');
    expect((globalThis as { __tampered?: boolean }).__tampered).toBeUndefined();
    expect(readFileSync(glue, 'utf8')).not.toMatch(/__tampered/);
    expect(warnings()).toEqual(['WASM_RISK_CACHE_TAMPERED']);
  });

  it('never runs tampered glue whose manifest hash was recomputed, and reports it once', async () => {
    const { cacheDir, cacheKeyFile, scratch } = scratchCache();
    const marker = join(scratch, 'tampered-glue-ran');
    const { sha256 } = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    const warnings = captureCacheWarnings();
    for (let attempt = 0; attempt < 2; attempt++) {
      tamperGlue(entryOf(cacheDir, sha256), markerGlue(marker));
      const image = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
      expect(image.origin).toBe('jco');
      expect((await ComponentInstance.create(image.payload)).engine.info().name).toBe('risk-engine');
    }
    expect(existsSync(marker)).toBe(false);
    expect(warnings()).toEqual(['WASM_RISK_CACHE_TAMPERED']);
  });

  it('instantiates the glue it verified, not the file: glue written into the entry after the load never runs', async () => {
    const { cacheDir, cacheKeyFile, scratch } = scratchCache();
    const marker = join(scratch, 'tampered-glue-ran');
    await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    const image = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    expect(image.origin).toBe('cache');
    tamperGlue(entryOf(cacheDir, image.sha256), markerGlue(marker));
    // Every instance made afterwards (a first call's, a replaced worker's) comes from the verified bytes.
    for (let instance = 0; instance < 2; instance++) {
      expect((await ComponentInstance.create(image.payload)).engine.info().name).toBe('risk-engine');
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('regenerates a tampered entry, so the next load is a cache hit again', async () => {
    const { cacheDir, cacheKeyFile, scratch } = scratchCache();
    const { sha256 } = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    tamperGlue(entryOf(cacheDir, sha256), markerGlue(join(scratch, 'tampered-glue-ran')));
    captureCacheWarnings();
    expect((await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile })).origin).toBe('jco');
    expect((await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile })).origin).toBe('cache');
    expect(readFileSync(join(entryOf(cacheDir, sha256), 'component.js'), 'utf8')).not.toMatch(/tampered glue ran/);
  });

  it("rejects an entry copied into another component's hash folder", async () => {
    const { cacheDir, cacheKeyFile } = scratchCache();
    const engine = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    const other = await ComponentImage.load(OTHER_COMPONENT, { cacheDir, cacheKeyFile });
    rmSync(entryOf(cacheDir, other.sha256), { recursive: true });
    cpSync(entryOf(cacheDir, engine.sha256), entryOf(cacheDir, other.sha256), { recursive: true });
    const warnings = captureCacheWarnings();
    const reloaded = await ComponentImage.load(OTHER_COMPONENT, { cacheDir, cacheKeyFile });
    expect(reloaded.origin).toBe('jco');
    expect(reloaded.payload.glue).toBe(other.payload.glue);
    expect(warnings()).toEqual(['WASM_RISK_CACHE_TAMPERED']);
  });

  it('does not use a cache directory that others can write (mode 0777)', async () => {
    const { cacheDir, cacheKeyFile } = scratchCache();
    const { sha256 } = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    rmSync(join(cacheDir, 'transpiled', sha256), { recursive: true });
    chmodSync(cacheDir, 0o777);
    const warnings = captureCacheWarnings();
    for (let attempt = 0; attempt < 2; attempt++) {
      expect((await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile })).origin).toBe('jco');
    }
    expect(readdirSync(join(cacheDir, 'transpiled'))).toEqual([]);
    expect(warnings()).toEqual(['WASM_RISK_CACHE_UNSAFE']);
  });

  it('does not read an entry owned by another user', async () => {
    const { cacheDir, cacheKeyFile } = scratchCache();
    const { sha256 } = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, entryOf(cacheDir, sha256)]);
    const warnings = captureCacheWarnings();
    expect((await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile })).origin).toBe('jco');
    expect(warnings()).toEqual(['WASM_RISK_CACHE_UNSAFE']);
    expect(statSync(entryOf(cacheDir, sha256)).uid).toBe(process.getuid?.());
  });

  it('does not follow a symlink in an entry', async () => {
    const { cacheDir, cacheKeyFile, scratch } = scratchCache();
    const { sha256 } = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    const glue = join(entryOf(cacheDir, sha256), 'component.js');
    const elsewhere = join(scratch, 'glue-elsewhere.js');
    copyFileSync(glue, elsewhere);
    rmSync(glue);
    symlinkSync(elsewhere, glue);
    const warnings = captureCacheWarnings();
    expect((await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile })).origin).toBe('jco');
    expect(warnings()).toEqual(['WASM_RISK_CACHE_UNSAFE']);
  });

  it('refuses a key file that others can read (mode 0644): loads without the cache', async () => {
    const { cacheDir, cacheKeyFile } = scratchCache();
    mkdirSync(join(cacheKeyFile, '..'), { mode: 0o700 });
    writeFileSync(cacheKeyFile, Buffer.alloc(32, 7), { mode: 0o644 });
    const warnings = captureCacheWarnings();
    for (let attempt = 0; attempt < 2; attempt++) {
      expect((await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile })).origin).toBe('jco');
    }
    expect(existsSync(join(cacheDir, 'transpiled'))).toBe(false);
    expect(warnings()).toEqual(['WASM_RISK_CACHE_KEY']);
  });

  it('transpiles again an entry whose glue carries other host edits (an older glue revision), silently', async () => {
    const { cacheDir, cacheKeyFile } = scratchCache();
    const { sha256 } = await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile });
    const manifestFile = join(entryOf(cacheDir, sha256), 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { glueRevision: number };
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, glueRevision: manifest.glueRevision - 1 }));
    expect((await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile })).origin).toBe('jco');
    expect((await ComponentImage.load(ENGINE, { cacheDir, cacheKeyFile })).origin).toBe('cache');
  });

  it('still loads when the cache directory cannot be written', async () => {
    const { scratch, cacheKeyFile } = scratchCache();
    const blocker = join(scratch, 'file');
    writeFileSync(blocker, 'not a directory');
    const image = await ComponentImage.load(ENGINE, { cacheDir: blocker, cacheKeyFile });
    expect(image.origin).toBe('jco');
  });
});

describe('transpile cache, through the CLI', () => {
  it('`var --strict` with a lock file never runs a tampered cache entry and warns on stderr', () => {
    const { cacheDir, cacheKeyFile, scratch } = scratchCache();
    const sha256 = sha256Hex(readFileSync(ENGINE));
    const lockFile = join(scratch, 'components.lock.json');
    writeFileSync(lockFile, JSON.stringify({ version: 1, components: [{ name: 'risk-engine', version: '1.0.0', sha256, path: ENGINE }] }));
    const marker = join(scratch, 'tampered-glue-ran');
    const env = { WASM_RISK_CACHE_DIR: cacheDir, WASM_RISK_CACHE_KEY_FILE: cacheKeyFile };
    const runVar = () =>
      runCli(['var', EXAMPLE_PORTFOLIO, '--component', ENGINE, '--paths', '1000', '--json', '--strict', '--lock-file', lockFile], { env });
    const clean = runVar();
    expect(clean.status).toBe(0);
    tamperGlue(entryOf(cacheDir, sha256), markerGlue(marker));
    const tampered = runVar();
    expect(tampered.status).toBe(0);
    const levels = (run: { stdout: string }) => (JSON.parse(run.stdout) as { levels: unknown }).levels;
    expect(levels(tampered)).toEqual(levels(clean));
    expect(existsSync(marker)).toBe(false);
    expect(tampered.stderr).toMatch(/^wasm-risk: warning: WASM_RISK_CACHE_TAMPERED: .+\n$/);
  });
});
