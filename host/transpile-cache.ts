// Transpiled components on disk, keyed by the component's SHA-256, so a second load skips jco.
// Every cached file's hash is recorded in a manifest and checked on read: a tampered cache entry is
// transpiled again, never executed.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { firstLine } from './component-format.js';
import { sha256Hex } from './content-hash.js';
import { ComponentLoadError } from './errors.js';

/** The transpiled form of one component: JS glue and its core modules, verified against the manifest. */
export interface TranspiledComponent {
  /** ES module source exporting `instantiate(getCoreModule, imports)`. */
  glue: string;
  coreModules: Map<string, Uint8Array>;
  fromCache: boolean;
}

interface Manifest {
  glue: string;
  files: Record<string, string>;
}

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
  try {
    ({ files } = await transpileBytes(component, {
      name: 'component',
      instantiation: 'async',
      emitTypescriptDeclarations: false,
      noComponentErrorWrapping: true,
    }));
  } catch (cause) {
    throw new ComponentLoadError(`cannot transpile the component: ${firstLine(messageOf(cause))}`, { cause });
  }
  const glue = files['component.js'];
  if (!glue) throw new ComponentLoadError('jco produced no component.js');
  const coreModules = new Map(Object.entries(files).filter(([name]) => name.endsWith('.wasm')));
  return { glue: Buffer.from(glue).toString('utf8'), coreModules, fromCache: false };
}

async function readVerifiedEntry(entryDir: string): Promise<TranspiledComponent | undefined> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(entryDir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  try {
    const glue = await readFile(join(entryDir, 'component.js'));
    if (sha256Hex(glue) !== manifest.glue) return undefined;
    const coreModules = new Map<string, Uint8Array>();
    for (const [name, hash] of Object.entries(manifest.files)) {
      if (name.includes('/') || name.includes('\\')) return undefined;
      const bytes = await readFile(join(entryDir, name));
      if (sha256Hex(bytes) !== hash) return undefined;
      coreModules.set(name, bytes);
    }
    return { glue: glue.toString('utf8'), coreModules, fromCache: true };
  } catch {
    return undefined;
  }
}

/** Writes into a private temporary directory, then renames: readers never see half an entry. */
async function writeEntry(cacheDir: string, entryDir: string, entry: TranspiledComponent): Promise<void> {
  const staging = join(cacheDir, 'staging', `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  try {
    await mkdir(staging, { recursive: true });
    const glue = Buffer.from(entry.glue, 'utf8');
    await writeFile(join(staging, 'component.js'), glue);
    const files: Record<string, string> = {};
    for (const [name, bytes] of entry.coreModules) {
      await writeFile(join(staging, name), bytes);
      files[name] = sha256Hex(bytes);
    }
    const manifest: Manifest = { glue: sha256Hex(glue), files };
    await writeFile(join(staging, MANIFEST), JSON.stringify(manifest, null, 2));
    await mkdir(join(cacheDir, 'transpiled'), { recursive: true });
    await rm(entryDir, { recursive: true, force: true });
    await rename(staging, entryDir);
  } catch {
    // The cache is an optimisation: a read-only or full disk must not fail the load.
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
