// Which post-MVP WebAssembly features the running V8 cannot compile, and what to do about it. Today's
// toolchains use some (componentize-py's CPython uses extended-const, on by default from V8 11.4, Node 22);
// Node 20's V8 rejects such a core module with a raw message ("opcode i32.add is not allowed in constant
// expressions"). When a compile fails, each feature whose tiny probe module this V8 cannot validate, and
// whose V8 message the failure carries, becomes one line with the fix: UnsupportedWasmFeatureError.
import { UnsupportedWasmFeatureError, messageOf } from '../errors.js';

interface WasmFeature {
  name: string;
  /** What it lets a module do, for the message. */
  use: string;
  /** The smallest module that needs it: valid where V8 has the feature on. */
  probe: Uint8Array;
  /** What V8 says when a module uses it and the feature is off (Node 20's V8 11.3). */
  failure: RegExp;
  /** The first Node.js line that compiles it as it is. */
  node: number;
  /** The V8 flag that turns it on in older Node.js lines. */
  flag: string;
}

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** (module (global i32 (i32.add (i32.const 1) (i32.const 2)))) */
export const EXTENDED_CONST_PROBE = new Uint8Array([...HEADER, 0x06, 0x09, 0x01, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b]);

const FEATURES: WasmFeature[] = [
  {
    name: 'extended-const',
    use: 'arithmetic in constant expressions',
    probe: EXTENDED_CONST_PROBE,
    failure: /opcode i(32|64)\.(add|sub|mul) is not allowed in constant expressions/,
    node: 22,
    flag: '--experimental-wasm-extended-const',
  },
  {
    name: 'multi-memory',
    use: 'several linear memories in one module',
    // (module (memory 0) (memory 0))
    probe: new Uint8Array([...HEADER, 0x05, 0x05, 0x02, 0x00, 0x00, 0x00, 0x00]),
    failure: /memory count of \d+ exceeds internal limit of 1/,
    node: 22,
    flag: '--experimental-wasm-multi-memory',
  },
  {
    name: 'gc',
    use: 'struct and array types',
    // (module (type (struct)))
    probe: new Uint8Array([...HEADER, 0x01, 0x03, 0x01, 0x5f, 0x00]),
    failure: /--experimental-wasm-gc/,
    node: 22,
    flag: '--experimental-wasm-gc',
  },
];

/** Features this V8 cannot compile without a flag. */
export function unsupportedWasmFeatures(): string[] {
  return FEATURES.filter((feature) => !WebAssembly.validate(feature.probe as Uint8Array<ArrayBuffer>)).map((feature) => feature.name);
}

/** The typed, one-line error for a compile failure caused by a feature this V8 lacks; undefined for any other failure. */
export function missingFeatureError(module: string, failure: unknown): UnsupportedWasmFeatureError | undefined {
  const message = messageOf(failure);
  const feature = FEATURES.find((candidate) => candidate.failure.test(message) && !WebAssembly.validate(candidate.probe as Uint8Array<ArrayBuffer>));
  if (!feature) return undefined;
  return new UnsupportedWasmFeatureError(
    `${module} needs Node.js >= ${feature.node} (this is ${process.version}): it uses the WebAssembly ${feature.name} feature (${feature.use}; V8 said: ${message.replace(/^WebAssembly\.compile\(\): /, '')}). Run it on Node.js ${feature.node} or later, or on this one with node ${feature.flag}`,
    feature.name,
    { cause: failure },
  );
}
