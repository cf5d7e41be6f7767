// jco-transpile, imported on first need. It is an optional peer dependency (binaryen makes it ~100 MB):
// the package's own component never needs it, its glue ships beside it (shipped-glue.ts); any other
// component needs it to be transpiled, and the audit needs its wasm-tools to decode another's WIT.
import { MissingDependencyError } from '../errors.js';

const JCO_TRANSPILE = '@bytecodealliance/jco-transpile';

export function importJco(purpose: string): Promise<typeof import('@bytecodealliance/jco-transpile')> {
  return importOptional(() => import('@bytecodealliance/jco-transpile'), purpose);
}

export function importWasmTools(purpose: string): Promise<typeof import('@bytecodealliance/jco-transpile/wasm-tools')> {
  return importOptional(() => import('@bytecodealliance/jco-transpile/wasm-tools'), purpose);
}

/** `purpose` completes the fix: `npm install @bytecodealliance/jco-transpile <purpose>`. */
async function importOptional<T>(load: () => Promise<T>, purpose: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    // Missing, or installed without one of its own dependencies: installing it again fixes both.
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') throw new MissingDependencyError(JCO_TRANSPILE, purpose, { cause: error });
    throw error;
  }
}
