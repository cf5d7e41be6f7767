// One live instance of a loaded component, in whichever thread runs it (normally a pool worker).
// It records the instance's linear memories so a trap can be told apart from running out of memory.
import type { EngineExports } from './engine-types.js';
import { ComponentContractError, ComponentLoadError, messageOf } from './errors.js';
import { sandboxedWasiImports, type SandboxOptions } from './sandbox.js';

/** What a worker needs to instantiate a component: plain data that crosses threads by structured clone. */
export interface ComponentPayload {
  path: string;
  sha256: string;
  /** ES module source exporting `instantiate(getCoreModule, imports, instantiateCore)`. */
  glue: string;
  /** Core modules, compiled once in the loading thread with their memories capped. */
  modules: [string, WebAssembly.Module][];
  memoryLimitBytes: number;
  /** What the sandbox grants: the interfaces the component's audit allowed. */
  sandbox: SandboxOptions;
}

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => Promise<WebAssembly.Instance>,
) => Promise<Record<string, unknown>>;

/** The host supports `wasm-risk:risk/engine` at major version 1. */
const ENGINE_EXPORT = /^wasm-risk:risk\/engine@1\.\d+\.\d+$/;
const ENGINE_FUNCTIONS = ['info', 'monteCarlo', 'simulatePnl', 'historical', 'parametric'] as const;

export class ComponentInstance {
  private constructor(
    readonly engine: EngineExports,
    private readonly memories: WebAssembly.Memory[],
  ) {}

  static async create(payload: ComponentPayload): Promise<ComponentInstance> {
    const modules = new Map(payload.modules);
    const memories: WebAssembly.Memory[] = [];
    let root: Record<string, unknown>;
    try {
      const glue = (await import(`data:text/javascript;base64,${Buffer.from(payload.glue).toString('base64')}`)) as { instantiate: Instantiate };
      root = await glue.instantiate(
        (name) => {
          const module = modules.get(name);
          if (!module) throw new ComponentLoadError(`transpiled component lacks core module ${name}`);
          return module;
        },
        sandboxedWasiImports(payload.sandbox),
        async (module, imports) => {
          const instance = await WebAssembly.instantiate(module, imports);
          for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) memories.push(value);
          return instance;
        },
      );
    } catch (cause) {
      throw new ComponentLoadError(`cannot instantiate ${payload.path}: ${messageOf(cause)}`, { cause });
    }
    const key = Object.keys(root).find((name) => ENGINE_EXPORT.test(name));
    const engine = key ? (root[key] as Record<string, unknown>) : undefined;
    if (!engine) {
      throw new ComponentContractError(`${payload.path} does not export wasm-risk:risk/engine@1.x (exports: ${Object.keys(root).join(', ') || 'none'})`);
    }
    const missing = ENGINE_FUNCTIONS.filter((name) => typeof engine[name] !== 'function');
    if (missing.length > 0) throw new ComponentContractError(`${payload.path}: engine lacks ${missing.join(', ')}`);
    return new ComponentInstance(engine as unknown as EngineExports, memories);
  }

  /** Bytes of linear memory the instance holds now. */
  memoryBytes(): number {
    return this.memories.reduce((sum, memory) => sum + memory.buffer.byteLength, 0);
  }
}
