// One live instance of a loaded component, in whichever thread runs it (normally a pool worker).
// Each core instantiation reserves its module's share of the memory limit, so the instance as a whole
// stays under it; the instance records its linear memories so a trap can be told apart from running
// out of memory.
import { CONTRACT_MAJOR, engineExportName, engineExportVersion, engineFunctionsAt, versionMajor, type EngineExports } from '../contract/types.js';
import { ComponentContractError, ComponentLoadError, messageOf } from '../errors.js';
import { shareBytes, WASM_PAGE_BYTES, type CoreModuleShare } from '../load/memory-limit.js';
import { checkImportsLinked, type ImportedInterface } from './import-links.js';
import type { SandboxOptions } from './sandbox-grant.js';
import type { SandboxedWasi } from './sandbox.js';

/**
 * `WebAssembly.Module`, named so in the package's declarations without the global `WebAssembly`: TypeScript
 * declares that namespace in its DOM library only, which a Node project's `lib` may leave out, and its `tsc`
 * then failed on this package's files (TS2503). With the DOM library it is `WebAssembly.Module`, without it
 * an opaque object.
 */
export type CompiledModule = typeof globalThis extends { WebAssembly: { Module: abstract new (...args: never[]) => infer M } } ? M : object;

/** A core module of the component, compiled with the maxima of its share of the memory limit written in. */
export interface CompiledCoreModule {
  name: string;
  module: CompiledModule;
  share: CoreModuleShare;
}

/** What a worker needs to instantiate a component: plain data that crosses threads by structured clone. */
export interface ComponentPayload {
  path: string;
  sha256: string;
  /** ES module source exporting `instantiate(getCoreModule, imports, instantiateCore)`. */
  glue: string;
  /** Core modules, compiled once in the loading thread with their memories and tables capped. */
  modules: CompiledCoreModule[];
  /** What all of one instance's memories and tables may hold together. */
  memoryLimitBytes: number;
  /** What the sandbox grants: the interfaces the component's audit allowed. */
  sandbox: SandboxOptions;
  /** What the component imports, each function of which the host must link (checked before the glue runs). */
  imports: readonly ImportedInterface[];
}

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => Promise<WebAssembly.Instance>,
) => Promise<Record<string, unknown>>;

/** A linear memory of the instance, with what it started at and what its share lets it reach. */
interface TrackedMemory {
  initialBytes: number;
  maximumBytes: number;
}

export class ComponentInstance {
  private constructor(
    readonly engine: EngineExports,
    private readonly memories: Map<WebAssembly.Memory, TrackedMemory>,
    /** Called before each call into `engine`: the sandbox's deterministic answers start again. */
    readonly beginCall: () => void,
  ) {}

  static async create(payload: ComponentPayload): Promise<ComponentInstance> {
    const byName = new Map(payload.modules.map((compiled) => [compiled.name, compiled]));
    const byModule = new Map(payload.modules.map((compiled) => [compiled.module, compiled]));
    const memories = new Map<WebAssembly.Memory, TrackedMemory>();
    let reservedBytes = 0;
    let root: Record<string, unknown>;
    let wasi: SandboxedWasi;
    try {
      wasi = await sandboxFor(payload.sandbox);
    } catch (cause) {
      throw new ComponentLoadError(`cannot instantiate ${payload.path}: ${messageOf(cause)}`, { cause });
    }
    // Outside the try below: a function the host does not link is the component's incompatibility, not a load failure.
    checkImportsLinked(payload.path, payload.imports, wasi.imports);
    try {
      const glue = (await import(`data:text/javascript;base64,${Buffer.from(payload.glue).toString('base64')}`)) as { instantiate: Instantiate };
      root = await glue.instantiate(
        (name) => {
          const compiled = byName.get(name);
          if (!compiled) throw new ComponentLoadError(`transpiled component lacks core module ${name}`);
          return compiled.module;
        },
        wasi.imports,
        async (module, imports) => {
          const compiled = byModule.get(module);
          if (!compiled) throw new ComponentLoadError('the glue instantiated a core module the loader did not compile');
          // The shares add up to the limit for one instance of each module: only a second instance of
          // one can take the reservations past it.
          reservedBytes += shareBytes(compiled.share);
          if (reservedBytes > payload.memoryLimitBytes) {
            throw new ComponentLoadError(
              `core module ${compiled.name} is instantiated more than once: its memories and tables would exceed the ${payload.memoryLimitBytes / 2 ** 20} MiB limit`,
            );
          }
          const instance = await WebAssembly.instantiate(module, imports);
          // A memory seen before was imported and re-exported; a new one is this module's own. V8 (Node
          // 20) runs one memory per module; were there several, each is judged by the largest maximum.
          const maximumBytes = Math.max(0, ...compiled.share.memoryMaxPages) * WASM_PAGE_BYTES;
          for (const value of Object.values(instance.exports)) {
            if (value instanceof WebAssembly.Memory && !memories.has(value)) memories.set(value, { initialBytes: value.buffer.byteLength, maximumBytes });
          }
          return instance;
        },
      );
    } catch (cause) {
      throw new ComponentLoadError(`cannot instantiate ${payload.path}: ${messageOf(cause)}`, { cause });
    }
    // The host speaks the contract's major version; within it, the functions the component's own version had.
    const version = Object.keys(root).map(engineExportVersion).find((v) => v !== null && versionMajor(v) === CONTRACT_MAJOR);
    const engine = version ? (root[engineExportName(version)] as Record<string, unknown>) : undefined;
    if (!version || !engine) {
      throw new ComponentContractError(`${payload.path} does not export ${engineExportName(`${CONTRACT_MAJOR}.x`)} (exports: ${Object.keys(root).join(', ') || 'none'})`);
    }
    const functions = engineFunctionsAt(version);
    const missing = functions.filter((name) => typeof engine[name] !== 'function');
    if (missing.length > 0) throw new ComponentContractError(`${payload.path}: engine lacks ${missing.join(', ')}`);
    // Only its version's functions: one of a later version's names, exported under an earlier version, is
    // not that version's function (the host calls `sortedLosses` only of an engine at 1.1 or later).
    const own = Object.fromEntries(functions.map((name) => [name, engine[name]]));
    return new ComponentInstance(own as unknown as EngineExports, memories, wasi.beginCall);
  }

  /** Bytes of linear memory the instance holds now. */
  memoryBytes(): number {
    let sum = 0;
    for (const memory of this.memories.keys()) sum += memory.buffer.byteLength;
    return sum;
  }

  /** The largest fraction of the room it could grow into (0 to 1) that any of its memories has used. */
  memoryPressure(): number {
    let pressure = 0;
    for (const [memory, { initialBytes, maximumBytes }] of this.memories) {
      if (maximumBytes > initialBytes) pressure = Math.max(pressure, (memory.buffer.byteLength - initialBytes) / (maximumBytes - initialBytes));
    }
    return pressure;
  }
}

/** A component that imports no WASI interface links without any: the WASI implementation (sandbox.ts and
 *  preview2-shim, which starts a helper thread) is loaded only for one that does. */
async function sandboxFor(options: SandboxOptions): Promise<SandboxedWasi> {
  if (options.importsWasi === false) return { imports: {}, beginCall: () => undefined };
  const { sandboxedWasi } = await import('./sandbox.js');
  return sandboxedWasi(options);
}
