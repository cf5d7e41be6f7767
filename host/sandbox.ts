// The WASI a component sees: nothing. No preopened directories, an empty environment and argument
// list, network disabled. A component built for the `risk` world imports none of it; these imports are
// what a component that asks for more would get anyway.
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';

export const SANDBOX = Object.freeze({ preopens: {}, env: {}, args: [], enableNetwork: false });

export function sandboxedWasiImports(): Record<string, unknown> {
  return new WASIShim({ sandbox: { ...SANDBOX, preopens: {}, env: {}, args: [] } }).getImportObject() as Record<string, unknown>;
}
