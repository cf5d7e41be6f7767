// Wraps the core module cargo built (with the world wit-bindgen embedded in it) into a WebAssembly
// component, with the wasm-tools that jco-transpile ships (no Rust tool to install for this step).
// Usage: node componentize.mjs <core.wasm> <component.wasm>
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { componentNew } from '@bytecodealliance/jco-transpile/wasm-tools';

const [corePath, componentPath] = process.argv.slice(2);
if (!corePath || !componentPath) {
  console.error('usage: node componentize.mjs <core.wasm> <component.wasm>');
  process.exit(2);
}
const component = await componentNew(await readFile(corePath));
await mkdir(dirname(componentPath), { recursive: true });
await writeFile(componentPath, component);
console.log(`${componentPath}: ${component.length} bytes`);
