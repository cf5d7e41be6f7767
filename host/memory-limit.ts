// Caps the linear memory of a core wasm module by rewriting the maximum of every memory it defines,
// before it is compiled. V8 then refuses `memory.grow` past the cap, whatever the module asks for:
// the limit holds in the engine itself, not in a check the guest could race.
import { ComponentLoadError } from './errors.js';
import { WasmByteReader, type MalformedInput } from './wasm-byte-reader.js';

export const WASM_PAGE_BYTES = 65_536;
const MEMORY_SECTION = 5;
const LIMITS_HAS_MAX = 0x01;
const LIMITS_MEMORY64 = 0x04;

const malformedCoreModule: MalformedInput = (problem) =>
  new ComponentLoadError(problem === 'truncated' ? 'core module is truncated' : 'core module has a malformed LEB128 integer');

function encodeU32(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

/** Rewrites one memory section's content with every maximum at most `maxPages`. */
function capMemorySection(content: Uint8Array, maxPages: number): number[] {
  const reader = new WasmByteReader(content, 0, content.length, malformedCoreModule);
  const count = reader.u32();
  const out = encodeU32(count);
  for (let i = 0; i < count; i++) {
    const flags = reader.byte();
    if (flags & LIMITS_MEMORY64) throw new ComponentLoadError('64-bit linear memories are not supported');
    const min = reader.u32();
    const max = flags & LIMITS_HAS_MAX ? reader.u32() : undefined;
    if (min > maxPages) {
      throw new ComponentLoadError(
        `the component needs ${(min * WASM_PAGE_BYTES) / 2 ** 20} MiB of memory at start, above the ${(maxPages * WASM_PAGE_BYTES) / 2 ** 20} MiB limit`,
      );
    }
    out.push(flags | LIMITS_HAS_MAX, ...encodeU32(min), ...encodeU32(Math.min(max ?? maxPages, maxPages)));
  }
  if (reader.offset !== content.length) throw new ComponentLoadError('core module memory section has trailing bytes');
  return out;
}

/** A copy of `module` whose defined memories cannot grow past `maxBytes`. Shared memories keep their flag. */
export function capModuleMemory(module: Uint8Array, maxBytes: number): Uint8Array {
  const maxPages = Math.floor(maxBytes / WASM_PAGE_BYTES);
  const reader = new WasmByteReader(module, 8, module.length, malformedCoreModule);
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  while (reader.offset < module.length) {
    const start = reader.offset;
    const id = reader.byte();
    const size = reader.u32();
    const contentStart = reader.offset;
    if (contentStart + size > module.length) throw new ComponentLoadError('core module is truncated');
    reader.offset += size;
    if (id !== MEMORY_SECTION) {
      parts.push(module.subarray(start, reader.offset));
      continue;
    }
    const content = capMemorySection(module.subarray(contentStart, reader.offset), maxPages);
    parts.push(Uint8Array.from([id, ...encodeU32(content.length), ...content]));
  }
  return Buffer.concat(parts);
}
