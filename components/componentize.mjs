// Wraps a core wasm module (built by cargo with wit-bindgen's embedded WIT) into a component.
// Usage: node components/componentize.mjs <core.wasm> <component.wasm>
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { componentNew } from '@bytecodealliance/jco-transpile/wasm-tools';

const [corePath, componentPath] = process.argv.slice(2);
if (!corePath || !componentPath) {
  console.error('usage: node components/componentize.mjs <core.wasm> <component.wasm>');
  process.exit(2);
}
const component = await componentNew(await readFile(corePath));
await mkdir(dirname(componentPath), { recursive: true });
await writeFile(componentPath, component);
console.log(`componentized ${corePath} -> ${componentPath} (${component.length} bytes)`);
