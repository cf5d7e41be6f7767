// Transpiled components on disk, keyed by the component's SHA-256, so a second load skips jco.
// Every cached file's hash is recorded in a manifest and checked on read: a tampered cache entry is
// transpiled again, never executed.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { firstLine } from './component-format.js';
import { sha256Hex } from './content-hash.js';
import { ComponentLoadError, messageOf } from './errors.js';
import { GLUE_REVISION, patchGlue } from './glue-patches.js';

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
  fromCache: boolean;
}

interface Manifest {
  /** The host's edits to the glue (glue-patches.ts); an entry with other edits is transpiled again. */
  glueRevision: number;
  glue: string;
  /** Core module and declaration file names (declarations under `interfaces/`) -> SHA-256. */
  files: Record<string, string>;
  exports: string[];
}

const DECLARATIONS_DIR = 'interfaces/';

const MANIFEST = 'manifest.json';

export function defaultCacheDir(): string {
  return process.env.WASM_RISK_CACHE_DIR ?? join(homedir(), '.cache', 'wasm-risk');
}

export async function transpileCached(component: Uint8Array, sha256: string, cacheDir = defaultCacheDir()): Promise<TranspiledComponent> {
  const entryDir = join(cacheDir, 'transpiled', sha256);
  const cached = await readVerifiedEntry(entryDir);
  if (cached) return cached;
  const fresh = await transpile(component);
  await writeEntry(cacheDir, entryDir, fresh);
  return fresh;
}

async function transpile(component: Uint8Array): Promise<TranspiledComponent> {
  let files: Record<string, Uint8Array>;
  let exports: [string, string][];
  try {
    // Loaded on a cache miss only: jco's bindgen costs ~100 ms to import, which a cached load need not pay.
    const { transpileBytes } = await import('@bytecodealliance/jco-transpile');
    ({ files, exports } = await transpileBytes(component, {
      name: 'component',
      instantiation: 'async',
      noComponentErrorWrapping: true,
    }));
  } catch (cause) {
    throw new ComponentLoadError(`cannot transpile the component: ${firstLine(messageOf(cause))}`, { cause });
  }
  const glue = files['component.js'];
  if (!glue) throw new ComponentLoadError('jco produced no component.js');
  const coreModules = new Map(Object.entries(files).filter(([name]) => name.endsWith('.wasm')));
  const interfaceDeclarations = new Map(
    Object.entries(files)
      .filter(([name]) => name.startsWith(DECLARATIONS_DIR) && name.endsWith('.d.ts'))
      .map(([name, bytes]) => [name.slice(DECLARATIONS_DIR.length), Buffer.from(bytes).toString('utf8')]),
  );
  return { glue: patchGlue(Buffer.from(glue).toString('utf8')), coreModules, interfaceDeclarations, exports: exports.map(([name]) => name), fromCache: false };
}

async function readVerifiedEntry(entryDir: string): Promise<TranspiledComponent | undefined> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(entryDir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  try {
    if (manifest.glueRevision !== GLUE_REVISION) return undefined;
    const glue = await readFile(join(entryDir, 'component.js'));
    if (sha256Hex(glue) !== manifest.glue) return undefined;
    const coreModules = new Map<string, Uint8Array>();
    const interfaceDeclarations = new Map<string, string>();
    for (const [name, hash] of Object.entries(manifest.files)) {
      const declaration = name.startsWith(DECLARATIONS_DIR) ? name.slice(DECLARATIONS_DIR.length) : undefined;
      const file = declaration ?? name;
      if (file.includes('/') || file.includes('\\') || file.startsWith('.')) return undefined;
      const bytes = await readFile(join(entryDir, declaration === undefined ? name : `${DECLARATIONS_DIR}${file}`));
      if (sha256Hex(bytes) !== hash) return undefined;
      if (declaration === undefined) coreModules.set(name, bytes);
      else interfaceDeclarations.set(declaration, bytes.toString('utf8'));
    }
    if (!Array.isArray(manifest.exports)) return undefined;
    return { glue: glue.toString('utf8'), coreModules, interfaceDeclarations, exports: manifest.exports, fromCache: true };
  } catch {
    return undefined;
  }
}

/** Writes into a private temporary directory, then renames: readers never see half an entry. */
async function writeEntry(cacheDir: string, entryDir: string, entry: TranspiledComponent): Promise<void> {
  const staging = join(cacheDir, 'staging', `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  try {
    // Private to this user: whoever can write the cache chooses the code the host runs.
    await mkdir(staging, { recursive: true, mode: 0o700 });
    const glue = Buffer.from(entry.glue, 'utf8');
    await writeFile(join(staging, 'component.js'), glue);
    const files: Record<string, string> = {};
    for (const [name, bytes] of entry.coreModules) {
      await writeFile(join(staging, name), bytes);
      files[name] = sha256Hex(bytes);
    }
    await mkdir(join(staging, DECLARATIONS_DIR));
    for (const [name, source] of entry.interfaceDeclarations) {
      await writeFile(join(staging, DECLARATIONS_DIR, name), source);
      files[`${DECLARATIONS_DIR}${name}`] = sha256Hex(Buffer.from(source, 'utf8'));
    }
    const manifest: Manifest = { glueRevision: GLUE_REVISION, glue: sha256Hex(glue), files, exports: entry.exports };
    await writeFile(join(staging, MANIFEST), JSON.stringify(manifest, null, 2));
    await mkdir(join(cacheDir, 'transpiled'), { recursive: true, mode: 0o700 });
    await rm(entryDir, { recursive: true, force: true });
    await rename(staging, entryDir);
  } catch {
    // The cache is an optimisation: a read-only or full disk must not fail the load.
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}
