// Wraps a core wasm module (built by cargo with wit-bindgen's embedded WIT) into a component and, given
// the crate's Cargo.toml, stamps the component with the crate's name, version, licence and description.
// Usage: node components/componentize.mjs <core.wasm> <component.wasm> [Cargo.toml]
//
// The stamp uses the custom sections wasm-tools' `metadata add --name --version --licenses --description`
// writes (`component-name`, `version`, `licenses`, `description`), which registries and `wasm-tools
// metadata show` read and `wasm-risk audit` prints. jco-transpile's `metadataAdd` cannot write them: it
// only takes producers fields (language, processed-by, sdk). Custom sections are never executed, so the
// engine computes exactly what it did unstamped (the golden vectors check it).
import { execFileSync } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { componentNew } from '@bytecodealliance/jco-transpile/wasm-tools';

const [corePath, componentPath, manifestPath] = process.argv.slice(2);
if (!corePath || !componentPath) {
  console.error('usage: node components/componentize.mjs <core.wasm> <component.wasm> [Cargo.toml]');
  process.exit(2);
}
let component = await componentNew(await readFile(corePath));
if (manifestPath) component = stamp(component, crateIdentity(manifestPath));
await mkdir(dirname(componentPath), { recursive: true });
await writeFile(componentPath, component);
console.log(`componentized ${corePath} -> ${componentPath} (${component.length} bytes)`);

/** Name, version, licence and description as cargo resolves them (workspace inheritance included). */
function crateIdentity(manifest) {
  const metadata = JSON.parse(execFileSync('cargo', ['metadata', '--no-deps', '--offline', '--format-version', '1', '--manifest-path', manifest], { encoding: 'utf8' }));
  const crate = metadata.packages.find((pkg) => pkg.manifest_path === resolve(manifest));
  if (!crate?.license) throw new Error(`${manifest}: no package with a license field`);
  return crate;
}

function stamp(bytes, { name, version, license, description }) {
  const utf8 = (text) => new TextEncoder().encode(text);
  const componentName = [0x00, ...sized([...sized(utf8(name))])]; // subsection 0: the component's own name
  const sections = [
    custom('component-name', componentName),
    custom('version', [...utf8(version)]),
    custom('licenses', [...utf8(license)]),
    ...(description ? [custom('description', [...utf8(description)])] : []),
  ];
  return Uint8Array.from([...bytes, ...sections.flat()]);
}

/** A custom section (id 0): its size, then its name, then the payload. */
function custom(sectionName, payload) {
  return [0x00, ...sized([...sized(new TextEncoder().encode(sectionName)), ...payload])];
}

/** `content` preceded by its length as unsigned LEB128. */
function sized(content) {
  const length = [];
  let rest = content.length;
  do {
    length.push((rest & 0x7f) | (rest > 0x7f ? 0x80 : 0));
    rest >>>= 7;
  } while (rest > 0);
  return [...length, ...content];
}
