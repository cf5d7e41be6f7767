// Loads a component file once, in the calling thread: reads it, admits it (audit/admission.ts: policy
// and provenance), transpiles it (through the cache), and compiles its core modules with their memory capped. Instances are made elsewhere
// (component-instance.ts), usually in pool workers, from the payload this produces.
import { admitComponent, sandboxGrant, type AdmissionOptions } from './audit/admission.js';
import { assertComponentBytes, readComponentFile } from './component-format.js';
import type { ComponentPayload } from './component-instance.js';
import { ComponentLoadError, messageOf } from './errors.js';
import { capModuleMemory } from './memory-limit.js';
import { transpileCached } from './transpile-cache.js';

export const DEFAULT_MEMORY_LIMIT_MB = 512;

export interface LoadOptions {
  /** Where transpiled components are cached (default `$WASM_RISK_CACHE_DIR` or `~/.cache/wasm-risk`). */
  cacheDir?: string;
  /** Cap on each instance's linear memory, in MiB (default 512). */
  memoryLimitMb?: number;
  /** What the component must pass before anything of it runs (default: the default policy, no provenance checks). */
  admission?: AdmissionOptions;
}

export class ComponentImage {
  private constructor(
    readonly payload: ComponentPayload,
    /** Whether the transpiled form came from the cache. */
    readonly fromCache: boolean,
    /** What it exports and the types of its interfaces, for the contract check (contract-compatibility.ts). */
    readonly contract: { exports: string[]; interfaceDeclarations: Map<string, string> },
  ) {}

  get path(): string {
    return this.payload.path;
  }

  get sha256(): string {
    return this.payload.sha256;
  }

  static async load(path: string, options: LoadOptions = {}): Promise<ComponentImage> {
    const bytes = await readComponentFile(path);
    assertComponentBytes(bytes, path);
    // Before jco or V8 sees any of it: a denied component is never transpiled, compiled or instantiated.
    const audit = await admitComponent(bytes, path, options.admission);
    const { sha256 } = audit;
    const transpiled = await transpileCached(bytes, sha256, options.cacheDir);
    const memoryLimitBytes = (options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB) * 2 ** 20;
    const modules: [string, WebAssembly.Module][] = [];
    for (const [name, code] of transpiled.coreModules) {
      const capped = capModuleMemory(code, memoryLimitBytes);
      try {
        modules.push([name, await WebAssembly.compile(capped as Uint8Array<ArrayBuffer>)]);
      } catch (cause) {
        throw new ComponentLoadError(`cannot compile the component's core module ${name}: ${messageOf(cause)}`, { cause });
      }
    }
    const payload = { path, sha256, glue: transpiled.glue, modules, memoryLimitBytes, sandbox: sandboxGrant(audit) };
    const contract = { exports: transpiled.exports, interfaceDeclarations: transpiled.interfaceDeclarations };
    return new ComponentImage(payload, transpiled.fromCache, contract);
  }
}
