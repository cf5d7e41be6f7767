// The audit reads a component and runs none of it: jco never transpiles it, and no core module of it is
// compiled or instantiated (docs/security.md, "Auditing a component"). wasm-tools, which reads its WIT, is
// WebAssembly of its own and is compiled; it is not part of the component.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditComponent } from '../../host/audit/admission.js';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';
import { fixture } from '../support/fixtures.js';

const transpiled = vi.hoisted(() => ({ calls: 0 }));
vi.mock('@bytecodealliance/jco-transpile', async (importOriginal) => {
  const jco = await importOriginal<typeof import('@bytecodealliance/jco-transpile')>();
  const counted = <A extends unknown[], R>(run: (...args: A) => R) => (...args: A): R => {
    transpiled.calls += 1;
    return run(...args);
  };
  return { ...jco, transpile: counted(jco.transpile), transpileBytes: counted(jco.transpileBytes) };
});

/** Every buffer given to WebAssembly to compile or instantiate while `run` runs. */
async function compiledDuring(run: () => Promise<unknown>): Promise<Buffer[]> {
  const seen: Buffer[] = [];
  const record = (source: unknown) => {
    if (ArrayBuffer.isView(source)) seen.push(Buffer.from(source.buffer, source.byteOffset, source.byteLength));
    else if (source instanceof ArrayBuffer) seen.push(Buffer.from(source));
  };
  const { compile, instantiate, Module } = WebAssembly;
  vi.spyOn(WebAssembly, 'compile').mockImplementation((source) => (record(source), compile(source)));
  vi.spyOn(WebAssembly, 'instantiate').mockImplementation(((source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
    record(source);
    return instantiate(source as BufferSource, imports);
  }) as typeof WebAssembly.instantiate);
  vi.spyOn(WebAssembly, 'Module').mockImplementation(function (source: BufferSource) {
    record(source);
    return new Module(source);
  } as unknown as typeof WebAssembly.Module);
  await run();
  return seen;
}

afterEach(() => {
  vi.restoreAllMocks();
  transpiled.calls = 0;
});

describe('the audit', () => {
  it.each([
    ["the project's engine", DEFAULT_COMPONENT],
    ['fs-reader', fixture('fs-reader')],
  ])('of %s transpiles, compiles and instantiates none of it', async (_, path) => {
    const bytes = readFileSync(path);
    const compiled = await compiledDuring(() => auditComponent(bytes, path));
    expect(transpiled.calls).toBe(0);
    // A core module of the component is a run of its bytes: none of them reached WebAssembly.
    expect(compiled.filter((source) => source.length > 0 && bytes.includes(source))).toEqual([]);
  });
});
