// Holds one component instance's linear memories and tables, together, under the memory limit. At load,
// before compiling, the limit is split among every memory and table the core modules define, and each
// module's declared maxima are rewritten to its share: V8 then refuses `memory.grow` and `table.grow`
// past them, whatever the module asks for, so the limit holds in the engine itself, not in a check the
// guest could race. The shares add up to the limit once per module; component-instance.ts reserves a
// module's share at each instantiation, so instantiating one twice cannot double it.
import { ComponentLoadError } from '../errors.js';
import { WasmByteReader, type MalformedInput } from '../audit/wasm-byte-reader.js';

export const WASM_PAGE_BYTES = 65_536;
/** What a table element costs the host: V8 (Node 20) keeps about 28 bytes per funcref entry (8 per
 *  externref), measured from RSS over 5 million entries; rounded up. */
export const TABLE_ELEMENT_BYTES = 32;
/** How far a table may grow past its minimum (2 MiB of elements): enough for any table that grows at
 *  all in practice, and never a share of the limit taken from the memories. */
export const TABLE_GROWTH_ELEMENTS = 65_536;
/** The most pages a 32-bit memory can have, which is its maximum when it declares none. */
const MEMORY32_MAX_PAGES = 65_536;
const TABLE_SECTION = 4;
const MEMORY_SECTION = 5;
const LIMITS_HAS_MAX = 0x01;
const LIMITS_SHARED = 0x02;
const LIMITS_64 = 0x04;
const FUNCREF = 0x70;
const EXTERNREF = 0x6f;

const malformedCoreModule: MalformedInput = (problem) =>
  new ComponentLoadError(problem === 'truncated' ? 'core module is truncated' : 'core module has a malformed LEB128 integer');

interface Limits {
  flags: number;
  min: number;
  max: number | undefined;
}

/** The memories and tables one core module defines (imported ones are counted where they are defined). */
export interface CoreModuleLimits {
  memories: Limits[];
  /** Each with its element type byte, kept when the table is rewritten. */
  tables: (Limits & { elementType: number })[];
}

/** One core module's share of the limit: the maximum of each memory (pages) and table (elements) it defines. */
export interface CoreModuleShare {
  memoryMaxPages: number[];
  tableMaxElements: number[];
}

/** The most a core module's instance can hold: what instantiating it reserves of the limit. */
export function shareBytes(share: CoreModuleShare): number {
  const sum = (values: number[], unit: number) => values.reduce((total, value) => total + value * unit, 0);
  return sum(share.memoryMaxPages, WASM_PAGE_BYTES) + sum(share.tableMaxElements, TABLE_ELEMENT_BYTES);
}

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

function readLimits(reader: WasmByteReader, what: 'memory' | 'table'): Limits {
  const flags = reader.byte();
  if (flags & LIMITS_64) throw new ComponentLoadError(`64-bit ${what === 'memory' ? 'linear memories' : 'tables'} are not supported`);
  const known = what === 'memory' ? LIMITS_HAS_MAX | LIMITS_SHARED : LIMITS_HAS_MAX;
  if (flags & ~known) throw new ComponentLoadError(`core module has a ${what} with unsupported limits flags 0x${flags.toString(16)}`);
  const min = reader.u32();
  const max = flags & LIMITS_HAS_MAX ? reader.u32() : undefined;
  // Invalid, and V8 would say so; rewriting the maximum must not make it valid.
  if (max !== undefined && max < min) throw new ComponentLoadError(`core module has a ${what} whose maximum is below its minimum`);
  return { flags, min, max };
}

/** Each section of a core module: its id and where its content lies. */
function* sections(module: Uint8Array): Generator<{ id: number; start: number; contentStart: number; end: number }> {
  const reader = new WasmByteReader(module, 8, module.length, malformedCoreModule);
  while (reader.offset < module.length) {
    const start = reader.offset;
    const id = reader.byte();
    const size = reader.u32();
    const contentStart = reader.offset;
    if (contentStart + size > module.length) throw new ComponentLoadError('core module is truncated');
    reader.offset += size;
    yield { id, start, contentStart, end: reader.offset };
  }
}

/** Reads a section's vector of entries, and checks that nothing follows it. */
function readVector<T>(module: Uint8Array, contentStart: number, end: number, what: string, entry: (reader: WasmByteReader) => T): T[] {
  const reader = new WasmByteReader(module, contentStart, end, malformedCoreModule);
  const count = reader.u32();
  const entries: T[] = [];
  for (let i = 0; i < count; i++) entries.push(entry(reader));
  if (reader.offset !== end) throw new ComponentLoadError(`core module ${what} section has trailing bytes`);
  return entries;
}

export function readModuleLimits(module: Uint8Array): CoreModuleLimits {
  const limits: CoreModuleLimits = { memories: [], tables: [] };
  for (const { id, contentStart, end } of sections(module)) {
    if (id === MEMORY_SECTION) limits.memories = readVector(module, contentStart, end, 'memory', (reader) => readLimits(reader, 'memory'));
    if (id === TABLE_SECTION) {
      limits.tables = readVector(module, contentStart, end, 'table', (reader) => {
        const elementType = reader.byte();
        // The other forms (typed references, tables with an initializer) come from proposals Node 20 does not run.
        if (elementType !== FUNCREF && elementType !== EXTERNREF) {
          throw new ComponentLoadError(`core module has a table of unsupported type 0x${elementType.toString(16)}`);
        }
        return { elementType, ...readLimits(reader, 'table') };
      });
    }
  }
  return limits;
}

const mib = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));

/**
 * Splits `limitBytes` among the memories and tables of all the modules (one instance of each), giving
 * their shares in the same order. Each keeps its declared minimum, and the rest is shared out by
 * water-filling, so what a declared maximum (or a table's growth allowance) leaves unused goes to the
 * others: a component with one big memory keeps the whole limit, less its tables' bytes. Refuses a
 * component whose minimums alone exceed the limit.
 */
export function splitMemoryLimit(modules: CoreModuleLimits[], limitBytes: number): CoreModuleShare[] {
  // Every memory and table, with its unit, and how many units it may still get beyond its minimum.
  const items: { unit: number; room: number; min: number; assign: (max: number) => void }[] = [];
  const shares = modules.map(({ memories, tables }) => {
    const share: CoreModuleShare = { memoryMaxPages: memories.map(() => 0), tableMaxElements: tables.map(() => 0) };
    memories.forEach(({ min, max }, i) => {
      items.push({ unit: WASM_PAGE_BYTES, min, room: (max ?? MEMORY32_MAX_PAGES) - min, assign: (pages) => (share.memoryMaxPages[i] = pages) });
    });
    tables.forEach(({ min, max }, i) => {
      const room = Math.min((max ?? Infinity) - min, TABLE_GROWTH_ELEMENTS);
      items.push({ unit: TABLE_ELEMENT_BYTES, min, room, assign: (elements) => (share.tableMaxElements[i] = elements) });
    });
    return share;
  });
  const minimumBytes = items.reduce((total, item) => total + item.min * item.unit, 0);
  if (minimumBytes > limitBytes) {
    const memoryCount = items.filter((item) => item.unit === WASM_PAGE_BYTES).length;
    const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    const what = `${count(memoryCount, 'memory', 'memories')} and ${count(items.length - memoryCount, 'table', 'tables')}`;
    throw new ComponentLoadError(
      `the component needs ${mib(minimumBytes)} MiB of memory at start (${what} in its core modules), above the ${mib(limitBytes)} MiB limit`,
    );
  }
  // Water-filling: the smallest rooms are filled first, so each fair share is only what is left over.
  items.sort((a, b) => a.room * a.unit - b.room * b.unit);
  let headroom = limitBytes - minimumBytes;
  items.forEach((item, i) => {
    const fairShare = Math.floor(headroom / (items.length - i));
    const extra = Math.min(item.room, Math.floor(fairShare / item.unit));
    headroom -= extra * item.unit;
    item.assign(item.min + extra);
  });
  return shares;
}

/** A copy of `module` whose memories and tables cannot grow past `share`. Shared memories keep their flag. */
export function capModuleLimits(module: Uint8Array, limits: CoreModuleLimits, share: CoreModuleShare): Uint8Array {
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  const section = (id: number, entries: number[][]) => {
    const content = [...encodeU32(entries.length), ...entries.flat()];
    parts.push(Uint8Array.from([id, ...encodeU32(content.length), ...content]));
  };
  const limitsBytes = ({ flags, min }: Limits, max: number) => [flags | LIMITS_HAS_MAX, ...encodeU32(min), ...encodeU32(max)];
  for (const { id, start, end } of sections(module)) {
    if (id === MEMORY_SECTION) section(id, limits.memories.map((memory, i) => limitsBytes(memory, share.memoryMaxPages[i]!)));
    else if (id === TABLE_SECTION) section(id, limits.tables.map((table, i) => [table.elementType, ...limitsBytes(table, share.tableMaxElements[i]!)]));
    else parts.push(module.subarray(start, end));
  }
  return Buffer.concat(parts);
}
