// Loads a component file: reads and hashes it, transpiles it (through the cache), compiles its core
// modules once, and instantiates it in the sandbox as often as needed (a trapped instance is replaced).
import { readFile } from 'node:fs/promises';
import { assertComponentBytes } from './component-format.js';
import { sha256Hex } from './content-hash.js';
import type { EngineExports } from './engine-types.js';
import { ComponentContractError, ComponentLoadError } from './errors.js';
import { sandboxedWasiImports } from './sandbox.js';
import { messageOf, transpileCached } from './transpile-cache.js';

export interface LoadOptions {
  /** Where transpiled components are cached (default `$WASM_RISK_CACHE_DIR` or `~/.cache/wasm-risk`). */
  cacheDir?: string;
}

/** The host supports `wasm-risk:risk/engine` at major version 1. */
const ENGINE_EXPORT = /^wasm-risk:risk\/engine@1\.\d+\.\d+$/;
const ENGINE_FUNCTIONS = ['info', 'monteCarlo', 'simulatePnl', 'historical', 'parametric'] as const;

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
) => Promise<Record<string, unknown>>;

export class ComponentImage {
  private constructor(
    readonly path: string,
    readonly sha256: string,
    readonly size: number,
    /** Whether the transpiled form came from the cache. */
    readonly fromCache: boolean,
    private readonly instantiateGlue: Instantiate,
    private readonly coreModules: Map<string, WebAssembly.Module>,
  ) {}

  static async load(path: string, options: LoadOptions = {}): Promise<ComponentImage> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (cause) {
      throw new ComponentLoadError(`cannot read component ${path}: ${messageOf(cause)}`, { cause });
    }
    assertComponentBytes(bytes, path);
    const sha256 = sha256Hex(bytes);
    const transpiled = await transpileCached(bytes, sha256, options.cacheDir);
    const coreModules = new Map<string, WebAssembly.Module>();
    try {
      for (const [name, code] of transpiled.coreModules) coreModules.set(name, await WebAssembly.compile(code as Uint8Array<ArrayBuffer>));
    } catch (cause) {
      throw new ComponentLoadError(`cannot compile the component's core modules: ${messageOf(cause)}`, { cause });
    }
    const glue = (await import(`data:text/javascript;base64,${Buffer.from(transpiled.glue).toString('base64')}`)) as {
      instantiate: Instantiate;
    };
    return new ComponentImage(path, sha256, bytes.length, transpiled.fromCache, glue.instantiate, coreModules);
  }

  /** A fresh instance in the sandbox, checked to export the engine interface. */
  async instantiate(): Promise<EngineExports> {
    let root: Record<string, unknown>;
    try {
      root = await this.instantiateGlue((name) => {
        const module = this.coreModules.get(name);
        if (!module) throw new ComponentLoadError(`transpiled component lacks core module ${name}`);
        return module;
      }, sandboxedWasiImports());
    } catch (cause) {
      throw new ComponentLoadError(`cannot instantiate ${this.path}: ${messageOf(cause)}`, { cause });
    }
    const key = Object.keys(root).find((name) => ENGINE_EXPORT.test(name));
    const engine = key ? (root[key] as Record<string, unknown>) : undefined;
    if (!engine) {
      throw new ComponentContractError(`${this.path} does not export wasm-risk:risk/engine@1.x (exports: ${Object.keys(root).join(', ') || 'none'})`);
    }
    const missing = ENGINE_FUNCTIONS.filter((name) => typeof engine[name] !== 'function');
    if (missing.length > 0) throw new ComponentContractError(`${this.path}: engine lacks ${missing.join(', ')}`);
    return engine as unknown as EngineExports;
  }
}
