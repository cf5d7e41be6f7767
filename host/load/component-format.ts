// Takes a component from where the caller has it (a path, a file: URL, or bytes) and recognises it by its
// preamble before any parser sees the bytes, so garbage, truncated files and plain core modules get a
// precise one-line reason.
import { fileURLToPath } from 'node:url';
import { ComponentLoadError, InvalidInputError } from '../errors.js';
import { sha256Hex } from '../files/content-hash.js';
import { readInputFile } from '../files/input-files.js';

/** Where a component comes from: a file path, a `file:` URL, or its bytes. */
export type ComponentSource = string | URL | Uint8Array;

/** A component's bytes and what names them: `file` is the file they were read from (none for bytes, so
 *  no `<file>.sig` beside it and no lock file path to match), `name` what messages and reports show. */
export interface ComponentBytes {
  bytes: Uint8Array;
  file: string | undefined;
  name: string;
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
/** Version 0x0d, layer 1 (component); a core module has version 1, layer 0. */
const COMPONENT_VERSION = [0x0d, 0x00, 0x01, 0x00];
const CORE_MODULE_VERSION = [0x01, 0x00, 0x00, 0x00];

const startsWith = (bytes: Uint8Array, prefix: number[], offset = 0) => prefix.every((b, i) => bytes[offset + i] === b);

export function assertComponentBytes(bytes: Uint8Array, path: string): void {
  if (bytes.length < 8 || !startsWith(bytes, MAGIC)) {
    throw new ComponentLoadError(`${path} is not a WebAssembly file (${bytes.length < 8 ? 'too short' : 'no \\0asm header'})`);
  }
  if (startsWith(bytes, CORE_MODULE_VERSION, 4)) {
    throw new ComponentLoadError(`${path} is a core WebAssembly module, not a component (componentize it first)`);
  }
  if (!startsWith(bytes, COMPONENT_VERSION, 4)) {
    throw new ComponentLoadError(`${path} has an unsupported WebAssembly version/layer`);
  }
}

/** First line of a parser's message: jco's errors carry multi-line source excerpts. */
export function firstLine(message: string): string {
  return message.split('\n', 1)[0]!.trim();
}

/** The bytes of a component file (a regular file within the component cap), or a ComponentLoadError that names the file and why. */
export function readComponentFile(path: string): Promise<Uint8Array> {
  return readInputFile(path, 'component');
}

/** Reads a path or `file:` URL (other URLs are refused: the host fetches nothing), or copies bytes, so
 *  that what was admitted cannot change under the caller's hands before it is compiled. A file's bytes
 *  already read come from a caller that had to check where they were read from (the admin API's candidates). */
export async function readComponentSource(source: ComponentSource | ComponentBytes): Promise<ComponentBytes> {
  if (source instanceof Uint8Array) {
    const bytes = copied(source);
    return { bytes, file: undefined, name: bytesName(bytes) };
  }
  // Any other object must be a file's bytes read by the host: an ArrayBuffer, a DataView or a Uint16Array
  // taken for one was loaded as no bytes and named `undefined`.
  if (isComponentBytes(source)) return { ...source, bytes: copied(source.bytes) };
  if (source instanceof URL && source.protocol !== 'file:') {
    throw new InvalidInputError('source', `only file: URLs can be loaded, not ${source.protocol}`);
  }
  const file = source instanceof URL ? fileURLToPath(source) : source;
  if (typeof file !== 'string') throw new InvalidInputError('source', SOURCE_KINDS);
  return { bytes: await readComponentFile(file), file, name: file };
}

const SOURCE_KINDS = 'must be a path, a file: URL or a Uint8Array';

/** What messages name a source by before it is read (bytes by their hash), or the refusal of a value that
 *  is no source: the registry names a candidate it refuses, and named these `undefined` or failed on them. */
export function sourceName(source: ComponentSource | ComponentBytes): string {
  if (typeof source === 'string') return source;
  if (source instanceof URL) return source.protocol === 'file:' ? fileURLToPath(source) : source.href;
  if (source instanceof Uint8Array) return bytesName(copied(source));
  if (isComponentBytes(source)) return source.name;
  throw new InvalidInputError('source', SOURCE_KINDS);
}

function isComponentBytes(source: unknown): source is ComponentBytes {
  if (typeof source !== 'object' || source === null || source instanceof URL) return false;
  const { bytes, file, name } = source as Partial<ComponentBytes>;
  return bytes instanceof Uint8Array && (file === undefined || typeof file === 'string') && typeof name === 'string';
}

/** A copy of `bytes`; a view whose buffer was transferred to another thread has none to give (copying it
 *  is a TypeError, which Node 20 offers no `detached` to test for first). */
function copied(bytes: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(bytes);
  } catch (cause) {
    throw new InvalidInputError('source', `${SOURCE_KINDS} whose ArrayBuffer was not transferred`, { cause });
  }
}

/** What names a component given as bytes: the start of its hash, as the audit report prints hashes. */
export function bytesName(bytes: Uint8Array): string {
  return `<bytes sha256:${sha256Hex(bytes).slice(0, 16)}>`;
}
