// Transpiled components on disk, keyed by the component's SHA-256, so a second load skips jco. Only code
// transpiled from admitted bytes may run, so an entry is used only if its manifest carries an HMAC under a
// key kept outside the cache (secret-keys.ts) that binds it to this component's hash, every file matches the
// hash its manifest records, and nothing from the cache directory down is a symbolic link, another user's,
// or writable by others (private-files.ts). Anything else is reported once, transpiled again and
// replaced, never executed; and a cache that cannot be used never fails a load. The files of an entry and
// its manifest are also the form the package's own component ships in (shipped-glue.ts).
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { firstLine } from './component-format.js';
import { constantTimeEqual, sha256Hex } from '../files/content-hash.js';
import { createSecretKey, defaultKeyFile, readSecretKey } from '../files/secret-keys.js';
import { cacheDirectory, pathFromEnvironment } from '../files/user-dirs.js';
import { ComponentLoadError, messageOf, WasmRiskError } from '../errors.js';
import { GLUE_REVISION, patchGlue } from './glue-patches.js';
import { importJco } from './jco.js';
import { assertPrivateDirectory, ensurePrivateDirectory, NotPrivateError, readPrivateFile } from '../files/private-files.js';

/** The transpiled form of one component: JS glue and its core modules, verified against the manifest. */
export interface TranspiledComponent {
  /** ES module source exporting `instantiate(getCoreModule, imports)`. */
  glue: string;
  coreModules: Map<string, Uint8Array>;
  /** TypeScript declarations of the component's interfaces (`wasm-risk-risk-engine.d.ts` -> source): the
   *  types jco lifts and lowers, which the contract check compares. */
  interfaceDeclarations: Map<string, string>;
  /** Names of the component's exports (`wasm-risk:risk/engine@1.0.0`, ...). */
  exports: string[];
  /** Where it came from: shipped with the package, the cache, or jco just now. */
  origin: 'package' | 'cache' | 'jco';
}

export interface CacheOptions {
  /** Where transpiled components are cached (default `$WASM_RISK_CACHE_DIR`, else
   *  `$XDG_CACHE_HOME/wasm-risk` or `~/.cache/wasm-risk`). */
  cacheDir?: string;
  /** The secret key that authenticates cache entries (default `$WASM_RISK_CACHE_KEY_FILE`, else
   *  `$XDG_CONFIG_HOME/wasm-risk/cache.key` or `~/.config/wasm-risk/cache.key`); created on first use. */
  cacheKeyFile?: string;
}

/** What a folder of transpiled files holds, with each file's hash. */
export const transpiledManifestSchema = z.object({
  /** The host's edits to the glue (glue-patches.ts); an entry with other edits is transpiled again. */
  glueRevision: z.number(),
  glue: z.string(),
  /** Core module and declaration file names (declarations under `interfaces/`) -> SHA-256. */
  files: z.record(z.string(), z.string()),
  exports: z.array(z.string()),
});
export type TranspiledManifest = z.infer<typeof transpiledManifestSchema>;

const TRANSPILED = 'transpiled';
const DECLARATIONS = 'interfaces';
const DECLARATIONS_DIR = `${DECLARATIONS}/`;
const GLUE = 'component.js';
export const MANIFEST = 'manifest.json';
/** HMAC-SHA256 (hex) of the component's hash and the manifest's bytes: the manifest records every
 *  other file's hash, so the MAC covers the glue, core modules, declarations and exports. */
const MANIFEST_MAC = 'manifest.mac';
const MAC_CONTEXT = 'wasm-risk transpile cache entry\n';

/** Warning codes (process.emitWarning), each reported once per path per process. */
type CacheWarningCode = 'WASM_RISK_CACHE_TAMPERED' | 'WASM_RISK_CACHE_UNSAFE' | 'WASM_RISK_CACHE_KEY' | 'WASM_RISK_SHIPPED_GLUE_DAMAGED';

/** A folder whose files are not the ones its manifest lists: changed after they were written. */
class TamperedEntryError extends Error {}

/** `$WASM_RISK_CACHE_KEY_FILE`, else `wasm-risk/cache.key` under `$XDG_CONFIG_HOME` or `~/.config`. */
export function defaultCacheKeyFile(): string {
  return defaultKeyFile('cache.key', 'WASM_RISK_CACHE_KEY_FILE');
}

/** `$WASM_RISK_CACHE_DIR` (unless empty), else `wasm-risk` under `$XDG_CACHE_HOME` or `~/.cache`. `make clean` asks
 *  this function where the cache is (the Makefile's `clean` target). */
export function defaultCacheDir(): string {
  return pathFromEnvironment('WASM_RISK_CACHE_DIR', cacheDirectory);
}

export async function transpileCached(component: Uint8Array, sha256: string, options: CacheOptions = {}): Promise<TranspiledComponent> {
  const cache = await TranspileCache.open(options.cacheDir ?? defaultCacheDir(), options.cacheKeyFile ?? defaultCacheKeyFile());
  const cached = await cache?.read(sha256);
  if (cached) return cached;
  const fresh = await transpile(component);
  await cache?.write(sha256, fresh);
  return fresh;
}

/** jco's transpilation of the component, with the host's glue edits; jco (an optional peer dependency)
 *  is imported here only, on a cache miss: its bindgen costs ~100 ms to import, which a cached load need not pay. */
export async function transpile(component: Uint8Array): Promise<TranspiledComponent> {
  let files: Record<string, Uint8Array>;
  let exports: [string, string][];
  try {
    const { transpileBytes } = await importJco('to load other components');
    ({ files, exports } = await transpileBytes(component, {
      name: 'component',
      instantiation: 'async',
      noComponentErrorWrapping: true,
    }));
  } catch (cause) {
    if (cause instanceof WasmRiskError) throw cause;
    throw new ComponentLoadError(`cannot transpile the component: ${firstLine(messageOf(cause))}`, { cause });
  }
  const glue = files[GLUE];
  if (!glue) throw new ComponentLoadError(`jco produced no ${GLUE}`);
  const coreModules = new Map(Object.entries(files).filter(([name]) => name.endsWith('.wasm')));
  const interfaceDeclarations = new Map(
    Object.entries(files)
      .filter(([name]) => name.startsWith(DECLARATIONS_DIR) && name.endsWith('.d.ts'))
      .map(([name, bytes]) => [name.slice(DECLARATIONS_DIR.length), Buffer.from(bytes).toString('utf8')]),
  );
  return { glue: patchGlue(Buffer.from(glue).toString('utf8')), coreModules, interfaceDeclarations, exports: exports.map(([name]) => name), origin: 'jco' };
}

/** Writes the glue, core modules and declarations into `dir` (which exists; each file new) and returns
 *  the manifest that lists them. */
export async function writeTranspiledFiles(dir: string, entry: TranspiledComponent, mode: { file: number; dir: number }): Promise<TranspiledManifest> {
  const writeNew = (name: string, data: string | Uint8Array) => writeFile(join(dir, name), data, { mode: mode.file, flag: 'wx' });
  const glue = Buffer.from(entry.glue, 'utf8');
  await writeNew(GLUE, glue);
  const files: Record<string, string> = {};
  for (const [name, bytes] of entry.coreModules) {
    await writeNew(name, bytes);
    files[name] = sha256Hex(bytes);
  }
  await mkdir(join(dir, DECLARATIONS), { mode: mode.dir });
  for (const [name, source] of entry.interfaceDeclarations) {
    await writeNew(`${DECLARATIONS_DIR}${name}`, source);
    files[`${DECLARATIONS_DIR}${name}`] = sha256Hex(Buffer.from(source, 'utf8'));
  }
  return { glueRevision: GLUE_REVISION, glue: sha256Hex(glue), files, exports: entry.exports };
}

/** Reads the files a manifest lists through `read`, each checked against its hash (TamperedEntryError if
 *  one is missing or differs). */
export async function readTranspiledFiles(
  dir: string,
  manifest: TranspiledManifest,
  read: (file: string) => Promise<Buffer>,
  origin: TranspiledComponent['origin'],
): Promise<TranspiledComponent> {
  const glue = await readListedFile(dir, GLUE, manifest.glue, read);
  const coreModules = new Map<string, Uint8Array>();
  const interfaceDeclarations = new Map<string, string>();
  for (const [name, hash] of Object.entries(manifest.files)) {
    const bytes = await readListedFile(dir, name, hash, read);
    if (name.startsWith(DECLARATIONS_DIR)) interfaceDeclarations.set(name.slice(DECLARATIONS_DIR.length), bytes.toString('utf8'));
    else coreModules.set(name, bytes);
  }
  return { glue: glue.toString('utf8'), coreModules, interfaceDeclarations, exports: manifest.exports, origin };
}

class TranspileCache {
  private constructor(
    private readonly cacheDir: string,
    private readonly key: Buffer,
  ) {}

  /** The cache, or undefined (reported) when its key or its folders are not private to this user. */
  static async open(cacheDir: string, keyFile: string): Promise<TranspileCache | undefined> {
    let key: Buffer;
    try {
      key = (await readSecretKey(keyFile)) ?? (await createSecretKey(keyFile));
    } catch (error) {
      reportOnce('WASM_RISK_CACHE_KEY', keyFile, `transpile cache key unusable, loading without the cache: ${messageOf(error)}`);
      return undefined;
    }
    try {
      await ensurePrivateDirectory(cacheDir);
      await ensurePrivateDirectory(join(cacheDir, TRANSPILED));
    } catch (error) {
      // Any other failure (read-only disk, a file in the way) leaves the cache silently unused, as before.
      if (error instanceof NotPrivateError) reportOnce('WASM_RISK_CACHE_UNSAFE', cacheDir, `transpile cache not used: ${error.message}`);
      return undefined;
    }
    return new TranspileCache(cacheDir, key);
  }

  async read(sha256: string): Promise<TranspiledComponent | undefined> {
    const entryDir = this.entryDir(sha256);
    try {
      return await this.readEntry(entryDir, sha256);
    } catch (error) {
      if (error instanceof TamperedEntryError) {
        reportOnce('WASM_RISK_CACHE_TAMPERED', entryDir, `transpile cache entry ${entryDir} was tampered with (${error.message}): not run, transpiling again`);
      } else if (error instanceof NotPrivateError) {
        reportOnce('WASM_RISK_CACHE_UNSAFE', entryDir, `transpile cache entry not used, transpiling again: ${error.message}`);
      }
      return undefined;
    }
  }

  /** Writes into a private temporary directory, then renames: readers never see half an entry. */
  async write(sha256: string, entry: TranspiledComponent): Promise<void> {
    let staging: string | undefined;
    try {
      const stagingRoot = join(this.cacheDir, 'staging');
      await ensurePrivateDirectory(stagingRoot);
      const dir = await mkdtemp(join(stagingRoot, `${sha256}-`));
      staging = dir;
      const manifest = await writeTranspiledFiles(dir, entry, { file: 0o600, dir: 0o700 });
      const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2), 'utf8');
      const writeNew = (name: string, data: string | Uint8Array) => writeFile(join(dir, name), data, { mode: 0o600, flag: 'wx' });
      await writeNew(MANIFEST, manifestBytes);
      await writeNew(MANIFEST_MAC, this.mac(sha256, manifestBytes).toString('hex'));
      // Replaces whatever was there, tampered or not: the transpiled/ folder above is private, so this is ours to do.
      const entryDir = this.entryDir(sha256);
      await rm(entryDir, { recursive: true, force: true });
      await rename(dir, entryDir);
    } catch {
      // The cache is an optimisation: a read-only or full disk must not fail the load.
      if (staging) await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private entryDir(sha256: string): string {
    return join(this.cacheDir, TRANSPILED, sha256);
  }

  /** Keyed by the component's hash as well: an entry moved to another component's folder fails. */
  private mac(sha256: string, manifest: Buffer): Buffer {
    return createHmac('sha256', this.key).update(MAC_CONTEXT).update(`${sha256}\n`).update(manifest).digest();
  }

  /** The entry, or undefined if there is none or another version of the host wrote it; throws
   *  TamperedEntryError or NotPrivateError for one that must not be trusted. */
  private async readEntry(entryDir: string, sha256: string): Promise<TranspiledComponent | undefined> {
    await assertPrivateDirectory(entryDir);
    const manifestBytes = await readPrivateFile(join(entryDir, MANIFEST));
    const mac = Buffer.from((await readPrivateFile(join(entryDir, MANIFEST_MAC))).toString('utf8'), 'hex');
    const expected = this.mac(sha256, manifestBytes);
    if (!constantTimeEqual(mac, expected)) {
      throw new TamperedEntryError(`its manifest does not carry this host's MAC for component ${sha256}`);
    }
    const manifest = parseManifest(manifestBytes);
    if (manifest?.glueRevision !== GLUE_REVISION) return undefined;
    await assertPrivateDirectory(join(entryDir, DECLARATIONS));
    return readTranspiledFiles(entryDir, manifest, (file) => readPrivateFile(file), 'cache');
  }
}

/** A manifest authenticated by the MAC was written by this host's cache; one of another shape was
 *  written by another version of it, and is transpiled again without a warning. */
function parseManifest(bytes: Buffer): TranspiledManifest | undefined {
  try {
    return transpiledManifestSchema.parse(JSON.parse(bytes.toString('utf8')));
  } catch {
    return undefined;
  }
}

async function readListedFile(dir: string, name: string, sha256: string, read: (file: string) => Promise<Buffer>): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await read(join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new TamperedEntryError(`${name} is missing`);
    throw error;
  }
  if (sha256Hex(bytes) !== sha256) throw new TamperedEntryError(`${name} does not match its hash in the manifest`);
  return bytes;
}

const reported = new Set<string>();

/** On stderr through Node's warnings (silenced by --no-warnings, observable with process.on('warning')). */
export function reportOnce(code: CacheWarningCode, path: string, message: string): void {
  const key = `${code} ${path}`;
  if (reported.has(key)) return;
  reported.add(key);
  process.emitWarning(message, { code, type: 'WasmRiskCacheWarning' });
}
