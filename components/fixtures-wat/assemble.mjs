// Assembles a hand-written component (WebAssembly text) into a binary, for fixtures that Rust cannot emit.
// Usage: node components/fixtures-wat/assemble.mjs <source.wat> <component.wasm> [name=value ...]
// Each `{{name}}` in the source is replaced by its value first; a placeholder left without one fails the build.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';

const [sourcePath, componentPath, ...settings] = process.argv.slice(2);
if (!sourcePath || !componentPath || settings.some((setting) => !/^[\w-]+=/.test(setting))) {
  console.error('usage: node components/fixtures-wat/assemble.mjs <source.wat> <component.wasm> [name=value ...]');
  process.exit(2);
}
const values = new Map(settings.map((setting) => [setting.slice(0, setting.indexOf('=')), setting.slice(setting.indexOf('=') + 1)]));
const source = (await readFile(sourcePath, 'utf8')).replace(/\{\{([\w-]+)\}\}/g, (placeholder, name) => {
  if (!values.has(name)) {
    console.error(`${sourcePath}: no value for ${placeholder}`);
    process.exit(2);
  }
  return values.get(name);
});
const component = await parse(source);
await mkdir(dirname(componentPath), { recursive: true });
await writeFile(componentPath, component);
console.log(`assembled ${sourcePath} -> ${componentPath} (${component.length} bytes)`);
