// Loads a component once, in the calling thread: reads it (a file, a file: URL, or bytes), admits it
// (audit/admission.ts: policy and provenance), takes its transpiled form (the one shipped with the package
// for the package's own component, else from the cache or jco), splits the memory limit among its core modules'
// memories and tables (memory-limit.ts), and compiles the modules with their shares written in. Instances
// are made elsewhere (component-instance.ts), usually in pool workers, from the payload this produces.
import { admitComponent, sandboxGrant, type AdmissionOptions } from '../audit/admission.js';
import { assertComponentBytes, readComponentSource, type ComponentBytes, type ComponentSource } from './component-format.js';
import type { CompiledCoreModule, ComponentPayload } from '../run/component-instance.js';
import { ComponentLoadError, messageOf } from '../errors.js';
import { missingFeatureError } from './engine-features.js';
import { capModuleLimits, readModuleLimits, splitMemoryLimit } from './memory-limit.js';
import { readShippedGlue } from './shipped-glue.js';
import { transpileCached, type TranspiledComponent } from './transpile-cache.js';

export const DEFAULT_MEMORY_LIMIT_MB = 512;

export interface LoadOptions {
  /** Where transpiled components are cached (default `$WASM_RISK_CACHE_DIR` or `~/.cache/wasm-risk`). */
  cacheDir?: string;
  /** The key that authenticates cache entries (default `$WASM_RISK_CACHE_KEY_FILE` or `~/.config/wasm-risk/cache.key`). */
  cacheKeyFile?: string;
  /** Cap on each instance's linear memories and tables together, in MiB (default 512). */
  memoryLimitMb?: number;
  /** What the component must pass before anything of it runs (default: the default policy, no provenance checks). */
  admission?: AdmissionOptions;
}

export class ComponentImage {
  private constructor(
    readonly payload: ComponentPayload,
    /** Where its transpiled form came from: shipped with the package, the cache, or jco just now. */
    readonly origin: TranspiledComponent['origin'],
    /** What it exports and the types of its interfaces, for the contract check (contract/compatibility.ts). */
    readonly contract: { exports: string[]; interfaceDeclarations: Map<string, string> },
  ) {}

  /** The file it was read from, or `<bytes sha256:…>` for one given as bytes. */
  get path(): string {
    return this.payload.path;
  }

  get sha256(): string {
    return this.payload.sha256;
  }

  static async load(source: ComponentSource | ComponentBytes, options: LoadOptions = {}): Promise<ComponentImage> {
    const { bytes, file, name: path } = await readComponentSource(source);
    assertComponentBytes(bytes, path);
    // Before jco or V8 sees any of it: a denied component is never transpiled, compiled or instantiated.
    const audit = await admitComponent(bytes, file, options.admission);
    const { sha256 } = audit;
    const transpiled = (await readShippedGlue(sha256)) ?? (await transpileCached(bytes, sha256, options));
    const memoryLimitBytes = (options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB) * 2 ** 20;
    const coreModules = [...transpiled.coreModules].map(([name, code]) => ({ name, code, limits: readModuleLimits(code) }));
    const shares = splitMemoryLimit(coreModules.map(({ limits }) => limits), memoryLimitBytes);
    const modules: CompiledCoreModule[] = [];
    for (const [i, { name, code, limits }] of coreModules.entries()) {
      const share = shares[i]!;
      const capped = capModuleLimits(code, limits, share);
      try {
        modules.push({ name, module: await WebAssembly.compile(capped as Uint8Array<ArrayBuffer>), share });
      } catch (cause) {
        throw missingFeatureError(path, cause) ?? new ComponentLoadError(`cannot compile the component's core module ${name}: ${messageOf(cause)}`, { cause });
      }
    }
    const imports = audit.imports.map((item) => ({ name: item.name, interface: item.interface, functions: item.functions }));
    const payload = { path, sha256, glue: transpiled.glue, modules, memoryLimitBytes, sandbox: sandboxGrant(audit), imports };
    const contract = { exports: transpiled.exports, interfaceDeclarations: transpiled.interfaceDeclarations };
    return new ComponentImage(payload, transpiled.origin, contract);
  }
}
