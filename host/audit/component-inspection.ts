// What a component is and what it asks for, read from its bytes without running any of it: hash and
// size, the world it implements, every import and export with its functions, and who produced it.
import { assertComponentBytes } from '../load/component-format.js';
import { sha256Hex } from '../files/content-hash.js';
import { ComponentLoadError, messageOf } from '../errors.js';
import { readComponentBoundary, type BoundaryItem, type ExternSort } from './component-binary.js';

/** One import or export. */
export interface ComponentExtern {
  /** As the component spells it: `wasi:filesystem/types@0.2.12`, or a plain name for a world-level item. */
  name: string;
  /** The interface without its version (`wasi:filesystem/types`); null for a plain name. */
  interface: string | null;
  version: string | null;
  sort: ExternSort;
  /** The functions it holds (an interface) or nothing (a function, a type). */
  functions: string[];
}

export interface ComponentPackage {
  name: string;
  version: string | null;
}

export interface ComponentInspection {
  path: string;
  sha256: string;
  size: number;
  world: {
    /** The packages of its exports: the contract it implements (`wasm-risk:risk@1.0.0`). */
    packages: ComponentPackage[];
    /** Its world as WIT, the way wasm-tools decodes it; null when only the boundary was read. */
    wit: string | null;
  };
  imports: ComponentExtern[];
  exports: ComponentExtern[];
  /** Producer metadata of the component and its modules: field (`language`, `processed-by`, `sdk`) to `name version` entries. */
  producers: Record<string, string[]>;
}

/** `namespace:package/interface@version`; namespaces and packages may nest (`a:b:c/d`). */
const INTERFACE_NAME = /^([^/@]+:[^/@]+)\/([^@]+)(?:@(.+))?$/;

/**
 * `full` also decodes the WIT and producer metadata with wasm-tools (for the audit report); `boundary`
 * reads only the imports and exports, which is all admission decides on, and skips wasm-tools' start-up
 * (about 240 ms the first time in a process) on every component load.
 */
export async function inspectComponent(bytes: Uint8Array, path: string, depth: 'full' | 'boundary' = 'full'): Promise<ComponentInspection> {
  assertComponentBytes(bytes, path);
  const boundary = readComponentBoundary(bytes, path);
  const [wit, modules] = depth === 'full' ? await describe(bytes, path) : [null, []];
  const exports = boundary.exports.map(toExtern);
  return {
    path,
    sha256: sha256Hex(bytes),
    size: bytes.length,
    world: { packages: packagesOf(exports), wit },
    imports: boundary.imports.map(toExtern),
    exports,
    producers: mergeProducers(modules.map((module) => module.producers)),
  };
}

async function describe(bytes: Uint8Array, path: string) {
  const { componentWit, metadataShow } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  return Promise.all([wasmTools(() => componentWit(bytes), path), wasmTools(() => metadataShow(bytes), path)]);
}

async function wasmTools<T>(run: () => Promise<T>, path: string): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    // wasm-tools' messages are a headline and its cause on separate lines.
    throw new ComponentLoadError(`${path} is not a valid component: ${messageOf(cause).split('\n').map((line) => line.trim()).filter(Boolean).join(': ')}`, { cause });
  }
}

function toExtern({ name, sort, functions }: BoundaryItem): ComponentExtern {
  const match = INTERFACE_NAME.exec(name);
  return { name, interface: match ? `${match[1]}/${match[2]}` : null, version: match?.[3] ?? null, sort, functions };
}

function packagesOf(exports: ComponentExtern[]): ComponentPackage[] {
  const packages = new Map<string, ComponentPackage>();
  for (const { interface: iface, version } of exports) {
    if (iface === null) continue;
    const name = iface.slice(0, iface.lastIndexOf('/'));
    packages.set(`${name}@${version}`, { name, version });
  }
  return [...packages.values()];
}

function mergeProducers(fieldLists: [string, [string, string][]][][]): Record<string, string[]> {
  const merged: Record<string, string[]> = {};
  for (const [field, entries] of fieldLists.flat()) {
    const list = (merged[field] ??= []);
    for (const [name, version] of entries) {
      const entry = version ? `${name} ${version}` : name;
      if (!list.includes(entry)) list.push(entry);
    }
  }
  return merged;
}
