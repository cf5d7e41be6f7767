// Lets this test process compile components that use extended-const (componentize-py's CPython) on Node
// 20, as `node --experimental-wasm-extended-const` would: Node 22 and later compile them as they are.
import { setFlagsFromString } from 'node:v8';
import { EXTENDED_CONST_PROBE } from '../../host/load/engine-features.js';

export function enableExtendedConst(): void {
  if (!WebAssembly.validate(EXTENDED_CONST_PROBE)) setFlagsFromString('--experimental-wasm-extended-const');
}
