// Does a component implement the contract this host speaks? The same WIT package at the same major
// version, and every function the host calls present with exactly the types it lowers and lifts. Types
// are compared as jco prints them (TypeScript declarations), against the declarations generated from wit/
// at build time (tools/generate-contract.mjs), so the check cannot drift from the contract. Additions (a
// minor version's new exports, functions or types) are compatible; and a component built against an
// earlier minor version than the host's is not asked for what came later (see `checkCompatibility`).
import semver from 'semver';
import { CONTRACT_PACKAGE, ENGINE_INTERFACE, HOST_CONTRACT, engineExportVersion, engineFunctionsAt, type ContractDescription } from './types.js';

/** What a component exports and the TypeScript declarations jco generates for its interfaces. */
export interface ContractView {
  exports: string[];
  interfaceDeclarations: Map<string, string>;
}

export interface Compatibility {
  compatible: boolean;
  /** Version of the engine interface the component exports (`1.2.0`), or null if it exports none. */
  contractVersion: string | null;
  /** What differs from the host's contract, one line each; empty when compatible. */
  differences: string[];
}

function engineVersion(view: ContractView): string | null {
  for (const name of view.exports) {
    const version = engineExportVersion(name);
    if (version !== null) return version;
  }
  return null;
}

/** Every top-level `export function|interface|type` of a declaration file, by name, whitespace-normalised
 *  and without comments (the generated declarations keep the WIT's doc comments, a component's may not). */
function declarationsOf(source: string | undefined): Map<string, string> {
  const found = new Map<string, string>();
  const pattern = /^export (?:function (\w+)\([^\n]*?;|interface (\w+) \{[\s\S]*?^\}|type (\w+) = [\s\S]*?;)$/gm;
  for (const match of (source ?? '').replace(/\/\*[\s\S]*?\*\//g, '').matchAll(pattern)) {
    found.set(match[1] ?? match[2] ?? match[3]!, match[0].replace(/\s+/g, ' '));
  }
  return found;
}

export async function checkCompatibility(candidate: ContractView): Promise<Compatibility> {
  return compareWithContract(HOST_CONTRACT, candidate);
}

/**
 * Functions are required as of the candidate's own version: those its minor version had (WIT `@since`),
 * so an engine built against 1.0.0 stays compatible with a host that speaks 1.1.0. Types are required of a
 * candidate at the contract's version or later; an earlier one may lack a type added since, and every type
 * its required functions use is pinned anyway, as their declarations must match word for word.
 */
export function compareWithContract(contract: ContractDescription, candidate: ContractView): Compatibility {
  const contractVersion = engineVersion(candidate);
  if (contractVersion === null) {
    return { compatible: false, contractVersion, differences: [`exports no ${CONTRACT_PACKAGE}/${ENGINE_INTERFACE} interface (exports: ${candidate.exports.join(', ') || 'none'})`] };
  }
  const differences: string[] = [];
  const major = semver.major(contract.CONTRACT_VERSION);
  if (semver.major(contractVersion) !== major) {
    differences.push(`contract version ${contractVersion}: this host speaks ${CONTRACT_PACKAGE} ${major}.x`);
  }
  const requiredFunctions = new Set(engineFunctionsAt(contractVersion, contract));
  const requiresEveryType = semver.gte(contractVersion, contract.CONTRACT_VERSION);
  for (const [file, source] of Object.entries(contract.INTERFACE_DECLARATIONS)) {
    const actual = declarationsOf(candidate.interfaceDeclarations.get(file));
    for (const [name, declaration] of declarationsOf(source)) {
      const found = actual.get(name);
      const isFunction = declaration.startsWith('export function');
      if (found === undefined) {
        if (isFunction ? requiredFunctions.has(name) : requiresEveryType) differences.push(`missing ${isFunction ? 'function' : 'type'} ${name}`);
      } else if (found !== declaration) differences.push(`${name} differs: expected \`${declaration}\`, found \`${found}\``);
    }
  }
  return { compatible: differences.length === 0, contractVersion, differences };
}
