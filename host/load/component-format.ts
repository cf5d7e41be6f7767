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
    const bytes = new Uint8Array(source);
    return { bytes, file: undefined, name: bytesName(bytes) };
  }
  if (typeof source === 'object' && !(source instanceof URL)) return { ...source, bytes: new Uint8Array(source.bytes) };
  if (source instanceof URL && source.protocol !== 'file:') {
    throw new InvalidInputError('source', `only file: URLs can be loaded, not ${source.protocol}`);
  }
  const file = source instanceof URL ? fileURLToPath(source) : source;
  if (typeof file !== 'string') throw new InvalidInputError('source', 'must be a path, a file: URL or a Uint8Array');
  return { bytes: await readComponentFile(file), file, name: file };
}

/** What names a component given as bytes: the start of its hash, as the audit report prints hashes. */
export function bytesName(bytes: Uint8Array): string {
  return `<bytes sha256:${sha256Hex(bytes).slice(0, 16)}>`;
}
