// The split of one instance's memory limit among the memories and tables its core modules define
// (host/load/memory-limit.ts): what each gets, that the shares never add up past the limit, and that V8
// enforces the maxima written into the modules.
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { describe, expect, it } from 'vitest';
import { ComponentImage } from '../../host/load/component-image.js';
import { ComponentLoadError } from '../../host/errors.js';
import {
  capModuleLimits,
  readModuleLimits,
  shareBytes,
  splitMemoryLimit,
  TABLE_ELEMENT_BYTES,
  TABLE_GROWTH_ELEMENTS,
  WASM_PAGE_BYTES,
  type CoreModuleLimits,
} from '../../host/load/memory-limit.js';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';

const MIB = 2 ** 20;
const PAGES_PER_MIB = MIB / WASM_PAGE_BYTES;

const memory = (min: number, max?: number) => ({ flags: max === undefined ? 0 : 1, min, max });
const table = (min: number, max?: number) => ({ ...memory(min, max), elementType: 0x70 });
const module = (memories: ReturnType<typeof memory>[], tables: ReturnType<typeof table>[] = []): CoreModuleLimits => ({ memories, tables });

describe('splitting the memory limit', () => {
  it('gives a lone memory the whole limit', () => {
    const [share] = splitMemoryLimit([module([memory(17)])], 512 * MIB);
    expect(share!.memoryMaxPages).toEqual([512 * PAGES_PER_MIB]);
  });

  it("takes the tables' bytes out of it, rounded to whole pages", () => {
    const [share] = splitMemoryLimit([module([memory(17)], [table(36, 36)])], 512 * MIB);
    expect(share).toEqual({ memoryMaxPages: [512 * PAGES_PER_MIB - 1], tableMaxElements: [36] });
  });

  it('shares it out fairly between memories, honouring smaller declared maxima (water-filling)', () => {
    const shares = splitMemoryLimit([module([memory(1)]), module([memory(1, 8)]), module([memory(1)]), module([memory(1)])], 64 * MIB);
    const pages = shares.map((share) => share.memoryMaxPages[0]);
    // 1024 pages: the small memory keeps its 8, the three others split the remaining 1016.
    expect(pages).toEqual([338, 8, 339, 339]);
    expect(shares.reduce((sum, share) => sum + shareBytes(share), 0)).toBeLessThanOrEqual(64 * MIB);
  });

  it('lets a table grow by a bounded allowance, and a fixed-size table not at all', () => {
    const [growable, fixed] = splitMemoryLimit([module([memory(1)], [table(10)]), module([], [table(5, 5)])], 512 * MIB);
    expect(growable!.tableMaxElements).toEqual([10 + TABLE_GROWTH_ELEMENTS]);
    expect(fixed!.tableMaxElements).toEqual([5]);
    const tableBytes = (10 + TABLE_GROWTH_ELEMENTS + 5) * TABLE_ELEMENT_BYTES;
    expect(growable!.memoryMaxPages).toEqual([Math.floor((512 * MIB - tableBytes) / WASM_PAGE_BYTES)]);
  });

  it('never gives out more than the limit, whatever the mix', () => {
    const mixes = [
      [module([memory(3)], [table(100)]), module([memory(0, 65_536)], [table(0, 10_000_000)]), module([memory(40, 41)])],
      Array.from({ length: 9 }, (_, i) => module([memory(i * 7)], [table(i * 1_000)])),
      [module([memory(1_000), memory(1)]), module([], [table(1_000_000)])],
    ];
    for (const modules of mixes) {
      for (const limitMb of [100, 512, 4_096]) {
        const shares = splitMemoryLimit(modules, limitMb * MIB);
        expect(shares.reduce((sum, share) => sum + shareBytes(share), 0)).toBeLessThanOrEqual(limitMb * MIB);
      }
    }
  });

  it('refuses minimums that add up past the limit, with the numbers', () => {
    const hogs = Array.from({ length: 4 }, () => module([memory(160 * PAGES_PER_MIB)]));
    expect(() => splitMemoryLimit([...hogs, module([memory(1)], [table(2)])], 512 * MIB)).toThrow(
      new ComponentLoadError('the component needs 640.1 MiB of memory at start (5 memories and 1 table in its core modules), above the 512 MiB limit'),
    );
  });
});

describe('writing the shares into a core module', () => {
  it('sets every maximum, and V8 refuses to grow past it', async () => {
    const code = await parse('(module (memory (export "memory") 2) (table (export "table") 3 funcref) (global (export "g") i32 (i32.const 0)))');
    const limits = readModuleLimits(code);
    expect(limits).toEqual(module([memory(2)], [table(3)]));
    const capped = capModuleLimits(code, limits, { memoryMaxPages: [5], tableMaxElements: [4] });
    expect(readModuleLimits(capped)).toEqual(module([memory(2, 5)], [table(3, 4)]));
    const { exports } = await WebAssembly.instantiate(await WebAssembly.compile(capped as Uint8Array<ArrayBuffer>));
    const { memory: linear, table: elements } = exports as { memory: WebAssembly.Memory; table: WebAssembly.Table };
    linear.grow(3);
    expect(() => linear.grow(1)).toThrow(RangeError);
    elements.grow(1);
    expect(() => elements.grow(1)).toThrow(RangeError);
  });

  it('refuses what it cannot account for', async () => {
    await expect(parse('(module (memory i64 1))').then(readModuleLimits)).rejects.toThrow('64-bit linear memories are not supported');
    await expect(parse('(module (table i64 1 funcref))').then(readModuleLimits)).rejects.toThrow('64-bit tables are not supported');
  });
});

describe("the project's engine", () => {
  it('keeps the whole limit for its memory, less its table', async () => {
    const image = await ComponentImage.load(DEFAULT_COMPONENT, { memoryLimitMb: 512 });
    const withMemory = image.payload.modules.filter(({ share }) => share.memoryMaxPages.length > 0);
    expect(withMemory).toHaveLength(1);
    const { memoryMaxPages, tableMaxElements } = withMemory[0]!.share;
    const tableBytes = tableMaxElements.reduce((sum, elements) => sum + elements * TABLE_ELEMENT_BYTES, 0);
    expect(tableBytes).toBeLessThan(WASM_PAGE_BYTES);
    expect(memoryMaxPages).toEqual([512 * PAGES_PER_MIB - 1]);
  });
});
