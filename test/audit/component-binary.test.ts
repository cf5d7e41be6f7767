// The boundary reader names every import and export with its functions, and refuses anything it cannot
// read (truncated, corrupt, hostile nesting) with a ComponentLoadError, never a crash.
import { readFileSync } from 'node:fs';
import { metadataShow } from '@bytecodealliance/jco-transpile/wasm-tools';
import { describe, expect, it } from 'vitest';
import { readComponentBoundary } from '../../host/audit/component-binary.js';
import { ComponentLoadError } from '../../host/errors.js';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';
import { fixture } from '../support/fixtures.js';

/** The engine functions of contract 1.0.0, which the hostile fixtures are built against. */
const ENGINE_FUNCTIONS = ['info', 'monte-carlo', 'simulate-pnl', 'historical', 'parametric'];
const PREAMBLE = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

describe('the boundary of real components', () => {
  it('the engine: the types of its own world in, the engine interface out', () => {
    expect(readComponentBoundary(readFileSync(DEFAULT_COMPONENT), 'engine')).toEqual({
      imports: [{ name: 'wasm-risk:risk/types@1.2.0', sort: 'instance', functions: [] }],
      exports: [{ name: 'wasm-risk:risk/engine@1.2.0', sort: 'instance', functions: ['info', 'monte-carlo', 'simulate-pnl', 'sorted-losses', 'historical', 'parametric', 'monte-carlo-factors', 'simulate-pnl-factors', 'sorted-losses-factors', 'historical-factors', 'parametric-factors'] }],
    });
  });

  it.each([
    ['fs-reader', 'wasi:filesystem/preopens@0.2.12', ['get-directories']],
    ['fs-reader', 'wasi:filesystem/types@0.2.12', expect.arrayContaining(['[method]descriptor.open-at', '[method]descriptor.read'])],
    ['socket-opener', 'wasi:sockets/tcp@0.2.12', ['[method]tcp-socket.start-connect', '[method]tcp-socket.finish-connect', '[method]tcp-socket.subscribe']],
    ['socket-opener', 'wasi:sockets/ip-name-lookup@0.2.12', expect.arrayContaining(['resolve-addresses'])],
    ['env-reader', 'wasi:cli/environment@0.2.12', ['get-environment', 'get-arguments', 'initial-cwd']],
    ['unknown-import', 'evil:backdoor/exfiltrate@1.0.0', ['send']],
  ])('%s imports %s with its functions', (name, interfaceName, functions) => {
    const { imports, exports } = readComponentBoundary(readFileSync(fixture(name)), name);
    expect(imports).toContainEqual({ name: interfaceName, sort: 'instance', functions });
    expect(exports).toEqual([{ name: 'wasm-risk:risk/engine@1.0.0', sort: 'instance', functions: ENGINE_FUNCTIONS }]);
  });
});

describe('unreadable bytes', () => {
  const engine = readFileSync(DEFAULT_COMPONENT);

  it('names a truncated file as such', () => {
    expect(() => readComponentBoundary(engine.subarray(0, 4_000), 'cut.wasm')).toThrow(/^cut\.wasm is truncated or corrupt: the file ends in the middle of a definition at byte \d+$/);
  });

  it('refuses nesting deep enough to exhaust the stack', () => {
    const depth = 10_000;
    // A type section holding one instance type that declares an instance type that declares ...
    const nested = [...Array.from({ length: depth }, () => [0x42, 0x01, 0x01]).flat(), 0x42, 0x00];
    const bytes = Uint8Array.from([...PREAMBLE, 0x07, ...leb(nested.length + 1), 0x01, ...nested]);
    expect(() => readComponentBoundary(bytes, 'deep.wasm')).toThrow(/nested more than 64 deep/);
  });

  it('answers every truncation and byte flip with a ComponentLoadError or a boundary, never a crash', async () => {
    // Flips land outside the core modules: the reader skips those by length.
    const coreModules = (await metadataShow(engine)).filter((module) => module.metaType.tag === 'module').map((module) => module.range);
    const random = seeded(7);
    for (let trial = 0; trial < 2_000; trial++) {
      const bytes = Uint8Array.from(engine);
      const damaged = trial % 2 === 0 ? bytes.subarray(0, 8 + Math.floor(random() * (bytes.length - 8))) : flip(bytes, coreModules, random);
      try {
        readComponentBoundary(damaged, 'damaged.wasm');
      } catch (error) {
        expect(error).toBeInstanceOf(ComponentLoadError);
      }
    }
  });
});

describe('one instance named many times', () => {
  /** A component importing an instance type of `functions` functions (all named `f`, which only an audit
   *  reads: validation would refuse them), then `body`: sections that name that instance again and again. */
  function namingOneInstance(functions: number, ...body: number[][]): Uint8Array {
    const declarations = [0x01, 0x40, 0x00, 0x01, 0x00, ...Array.from({ length: functions }, () => [0x04, 0x00, 0x01, 0x66, 0x01, 0x00]).flat()];
    const types = [0x01, 0x42, ...leb(functions + 1), ...declarations];
    const name = [...Buffer.from('wasm-risk:risk/types@1.0.0')];
    const imports = [0x01, 0x00, name.length, ...name, 0x05, 0x00];
    const section = (id: number, content: number[]) => [id, ...leb(content.length), ...content];
    return Uint8Array.from([...PREAMBLE, ...section(0x07, types), ...section(0x0a, imports), ...body.flat()]);
  }
  const many = <T>(count: number, item: T[]) => Array.from({ length: count }, () => item).flat();

  it('exported many times, is read once: every export shares its list of functions', () => {
    // Each export had a list of its own, 20,000 exports of 20,000 functions 3 GB of host memory.
    const count = 1_000;
    const exports = [...leb(count), ...many(count, [0x00, 0x01, 0x65, 0x05, 0x00, 0x00])];
    const boundary = readComponentBoundary(namingOneInstance(count, [0x0b, ...leb(exports.length), ...exports]), 'exports.wasm');
    expect(boundary.exports).toHaveLength(count);
    expect(boundary.exports[0]!.functions).toHaveLength(count);
    expect(new Set(boundary.exports.map((item) => item.functions)).size).toBe(1);
  });
});

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    out.push((value & 0x7f) | (value > 0x7f ? 0x80 : 0));
    value >>>= 7;
  } while (value > 0);
  return out;
}

function flip(bytes: Uint8Array, skipped: [number, number][], random: () => number): Uint8Array {
  for (let flipped = 0; flipped < 3; ) {
    const at = 8 + Math.floor(random() * (bytes.length - 8));
    if (skipped.some(([start, end]) => at >= start && at < end)) continue;
    bytes[at] = Math.floor(random() * 256);
    flipped++;
  }
  return bytes;
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
