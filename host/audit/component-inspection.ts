// What a component is and what it asks for, read from its bytes without running any of it: hash and
// size, the world it implements, every import and export with its functions, who produced it, and the
// name, version and licence it was stamped with.
import { assertComponentBytes } from '../load/component-format.js';
import { importWasmTools } from '../load/jco.js';
import { shippedDescription, type ComponentDescription } from '../load/shipped-glue.js';
import { sha256Hex } from '../files/content-hash.js';
import { ComponentLoadError, messageOf } from '../errors.js';
import { readComponentBoundary, type BoundaryItem, type ExternSort } from './component-binary.js';
import { WasmByteReader, type MalformedInput } from './wasm-byte-reader.js';

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
  /** What the component says it is; null fields when it carries no such section (or only the boundary was read). */
  metadata: ComponentMetadata;
}

/** The component's own name, version and licence: what `wasm-tools metadata add` writes (components/componentize.mjs). */
export interface ComponentMetadata {
  name: string | null;
  version: string | null;
  license: string | null;
}

/** `namespace:package/interface@version`; namespaces and packages may nest (`a:b:c/d`). */
const INTERFACE_NAME = /^([^/@]+:[^/@]+)\/([^@]+)(?:@(.+))?$/;

/**
 * `full` also decodes the WIT and producer metadata with wasm-tools, or takes them from what shipped with
 * the package's own component (for the audit report); `boundary`
 * reads only the imports and exports, which is all admission decides on, and skips wasm-tools' start-up
 * (about 240 ms the first time in a process) on every component load.
 */
export async function inspectComponent(bytes: Uint8Array, path: string, depth: 'full' | 'boundary' = 'full'): Promise<ComponentInspection> {
  assertComponentBytes(bytes, path);
  const boundary = readComponentBoundary(bytes, path);
  const sha256 = sha256Hex(bytes);
  const { wit, producers } = depth === 'full' ? await describe(bytes, sha256, path) : { wit: null, producers: {} };
  const exports = boundary.exports.map(toExtern);
  return {
    path,
    sha256,
    size: bytes.length,
    world: { packages: packagesOf(exports), wit },
    imports: boundary.imports.map(toExtern),
    exports,
    producers,
    metadata: depth === 'full' ? readMetadata(bytes) : { name: null, version: null, license: null },
  };
}

async function describe(bytes: Uint8Array, sha256: string, path: string): Promise<ComponentDescription> {
  const shipped = await shippedDescription(sha256);
  if (shipped) return shipped;
  const { componentWit, metadataShow } = await importWasmTools('to audit other components');
  const [wit, modules] = await Promise.all([wasmTools(() => componentWit(bytes), path), wasmTools(() => metadataShow(bytes), path)]);
  return { wit, producers: mergeProducers(modules.map((module) => module.producers)) };
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

/** Custom sections of the component itself (not of its modules) that say what it is. */
const METADATA_SECTIONS: Record<string, keyof ComponentMetadata> = { 'component-name': 'name', version: 'version', licenses: 'license' };
const COMPONENT_NAME_SUBSECTION = 0;

/**
 * jco's `metadataShow` decodes the name but not the version or licence sections, hence this walk over the
 * top-level sections. It runs after readComponentBoundary has read the same sections, so their headers are
 * well formed; what is inside a custom section is not (nothing validates it), so each is read within its
 * own bounds, and one that is malformed says nothing, as the spec has engines treat a malformed name section.
 */
function readMetadata(bytes: Uint8Array): ComponentMetadata {
  const malformed: MalformedInput = (problem, at) => new MalformedSection(`${problem} at byte ${at}`);
  const sections = new WasmByteReader(bytes, 8, bytes.length, malformed);
  const metadata: ComponentMetadata = { name: null, version: null, license: null };
  while (sections.offset < sections.end) {
    const id = sections.byte();
    const size = sections.u32();
    const section = new WasmByteReader(bytes, sections.offset, sections.offset + size, malformed);
    sections.skip(size);
    if (id !== 0) continue;
    try {
      const field = METADATA_SECTIONS[text(section, section.u32())];
      if (field === 'name') {
        if (section.byte() === COMPONENT_NAME_SUBSECTION) {
          section.u32();
          metadata.name = text(section, section.u32());
        }
      } else if (field) {
        metadata[field] = text(section, section.end - section.offset);
      }
    } catch (error) {
      if (!(error instanceof MalformedSection)) throw error;
    }
  }
  return metadata;
}

class MalformedSection extends Error {}

/** The next `length` bytes of `reader` as UTF-8 text (a malformed section if they run past its end). */
function text(reader: WasmByteReader, length: number): string {
  const start = reader.offset;
  reader.skip(length);
  return new TextDecoder().decode(reader.bytes.subarray(start, reader.offset));
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
