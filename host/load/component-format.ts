// Recognises a WebAssembly component by its preamble before any parser sees the bytes, so garbage,
// truncated files and plain core modules get a precise one-line reason.
import { ComponentLoadError } from '../errors.js';
import { readInputFile } from '../files/input-files.js';

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
