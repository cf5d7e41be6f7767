// Does a component implement the contract this host speaks? The same WIT package at the same major
// version, and every function the host calls present with exactly the types it lowers and lifts. Types
// are compared as jco prints them (TypeScript declarations), against declarations generated from
// wit/risk.wit itself, so the check cannot drift from the contract. Additions (a minor version's new
// exports, functions or types) are compatible.
import { join } from 'node:path';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { componentEmbed, componentNew } from '@bytecodealliance/jco-transpile/wasm-tools';
import { readInputFile } from '../files/input-files.js';
import { PROJECT_ROOT } from '../files/package-paths.js';

export const CONTRACT_PACKAGE = 'wasm-risk:risk';
const ENGINE_EXPORT = new RegExp(`^${CONTRACT_PACKAGE}/engine@(\\d+)\\.(\\d+)\\.(\\d+)$`);
const ENGINE_DECLARATIONS = 'wasm-risk-risk-engine.d.ts';
const TYPES_DECLARATIONS = 'wasm-risk-risk-types.d.ts';

/** What a component exports and the TypeScript declarations jco generates for its interfaces. */
export interface ContractView {
  exports: string[];
  interfaceDeclarations: Map<string, string>;
}

export interface Compatibility {
  compatible: boolean;
  /** Version of the engine interface the component exports (`1.1.0`), or null if it exports none. */
  contractVersion: string | null;
  /** What differs from the host's contract, one line each; empty when compatible. */
  differences: string[];
}

let hostContract: Promise<{ major: string; view: ContractView }> | undefined;

/** The host's own contract, generated once per process from wit/risk.wit (a dummy component's declarations). */
function loadHostContract(): Promise<{ major: string; view: ContractView }> {
  hostContract ??= (async () => {
    const witSource = (await readInputFile(join(PROJECT_ROOT, 'wit', 'risk.wit'), 'wit')).toString('utf8');
    const component = await componentNew(await componentEmbed({ dummy: true, witSource, world: 'risk' }));
    const { files, exports } = await transpileBytes(component, { name: 'contract', instantiation: 'async' });
    const interfaceDeclarations = new Map(
      Object.entries(files)
        .filter(([name]) => name.startsWith('interfaces/'))
        .map(([name, bytes]) => [name.slice('interfaces/'.length), Buffer.from(bytes).toString('utf8')]),
    );
    const view = { exports: exports.map(([name]) => name), interfaceDeclarations };
    const major = engineVersion(view)?.split('.')[0];
    if (!major) throw new Error('wit/risk.wit does not export the engine interface');
    return { major, view };
  })();
  return hostContract;
}

function engineVersion(view: ContractView): string | null {
  for (const name of view.exports) {
    const match = ENGINE_EXPORT.exec(name);
    if (match) return `${match[1]}.${match[2]}.${match[3]}`;
  }
  return null;
}

/** Every top-level `export function|interface|type` of a declaration file, by name, whitespace-normalised. */
function declarationsOf(source: string | undefined): Map<string, string> {
  const found = new Map<string, string>();
  const pattern = /^export (?:function (\w+)\([^\n]*?;|interface (\w+) \{[\s\S]*?^\}|type (\w+) = [\s\S]*?;)$/gm;
  for (const match of (source ?? '').matchAll(pattern)) {
    found.set(match[1] ?? match[2] ?? match[3]!, match[0].replace(/\s+/g, ' '));
  }
  return found;
}

export async function checkCompatibility(candidate: ContractView): Promise<Compatibility> {
  const host = await loadHostContract();
  const contractVersion = engineVersion(candidate);
  if (contractVersion === null) {
    return { compatible: false, contractVersion, differences: [`exports no ${CONTRACT_PACKAGE}/engine interface (exports: ${candidate.exports.join(', ') || 'none'})`] };
  }
  const differences: string[] = [];
  const major = contractVersion.split('.')[0];
  if (major !== host.major) {
    differences.push(`contract version ${contractVersion}: this host speaks ${CONTRACT_PACKAGE} ${host.major}.x`);
  }
  for (const file of [ENGINE_DECLARATIONS, TYPES_DECLARATIONS]) {
    const expected = declarationsOf(host.view.interfaceDeclarations.get(file));
    const actual = declarationsOf(candidate.interfaceDeclarations.get(file));
    for (const [name, declaration] of expected) {
      const found = actual.get(name);
      if (found === undefined) differences.push(`missing ${declaration.startsWith('export function') ? 'function' : 'type'} ${name}`);
      else if (found !== declaration) differences.push(`${name} differs: expected \`${declaration}\`, found \`${found}\``);
    }
  }
  return { compatible: differences.length === 0, contractVersion, differences };
}
