// Post-MVP WebAssembly features the running V8 may lack: the probes say which, and a compile failure
// caused by one becomes a one-line UnsupportedWasmFeatureError with the fix; any other failure is left alone.
import { describe, expect, it } from 'vitest';
import { UnsupportedWasmFeatureError } from '../../host/errors.js';
import { EXTENDED_CONST_PROBE, missingFeatureError, unsupportedWasmFeatures } from '../../host/load/engine-features.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

describe('the feature probes', () => {
  it('find extended-const, multi-memory and gc missing on Node 20 only', () => {
    expect(unsupportedWasmFeatures()).toEqual(NODE_MAJOR < 22 ? ['extended-const', 'multi-memory', 'gc'] : []);
  });

  it.runIf(NODE_MAJOR < 22)('turn a compile failure from extended-const into one line naming the feature, the Node.js that has it and the flag', async () => {
    const failure = await WebAssembly.compile(EXTENDED_CONST_PROBE as Uint8Array<ArrayBuffer>).then(
      () => undefined,
      (error: unknown) => error,
    );
    const error = missingFeatureError('plugin.wasm', failure);
    expect(error).toBeInstanceOf(UnsupportedWasmFeatureError);
    expect(error?.code).toBe('ERR_WASM_FEATURE_UNSUPPORTED');
    expect(error?.feature).toBe('extended-const');
    expect(error?.message).toMatch(/^plugin\.wasm needs Node\.js >= 22 \(this is v20\.[\d.]+\): it uses the WebAssembly extended-const feature/);
    expect(error?.message).toMatch(/or on this one with node --experimental-wasm-extended-const$/);
    expect(error?.message).not.toContain('\n');
  });

  it.runIf(NODE_MAJOR >= 22)('compile extended-const as it is on Node 22 and later', async () => {
    await expect(WebAssembly.compile(EXTENDED_CONST_PROBE as Uint8Array<ArrayBuffer>)).resolves.toBeInstanceOf(WebAssembly.Module);
  });

  it('leave any other compile failure to the loader', async () => {
    const failure = await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 0xff])).catch((error: unknown) => error);
    expect(missingFeatureError('broken.wasm', failure)).toBeUndefined();
  });
});
