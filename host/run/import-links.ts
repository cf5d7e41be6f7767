// Whether the imports a component declares are all linked by the host, checked before its glue runs: the
// glue looks each function up in the import object (jco's names: `get-random-bytes` as `getRandomBytes`,
// `[method]pollable.block` as `Pollable.prototype.block`) and, for one it does not find, failed with its own
// TypeError ("unexpectedly undefined instance import ...") after printing it on the host's stderr. A policy
// allows an interface by name and version, whatever functions the import of it declares.
import { IncompatibleComponentError } from '../errors.js';

/** An interface a component imports, as its audit read it: `wasi:clocks/monotonic-clock@0.2.0`, `now`, ... */
export interface ImportedInterface {
  name: string;
  /** Without the version, the import object's key; null for a plain function import. */
  interface: string | null;
  functions: readonly string[];
}

/** Throws IncompatibleComponentError naming every imported function the import object lacks. */
export function checkImportsLinked(path: string, imports: readonly ImportedInterface[], importObject: Record<string, unknown>): void {
  const problems = imports.flatMap((item) => {
    const linked = importObject[item.interface ?? item.name];
    const missing = item.functions.filter((name) => !links(linked, name));
    if (missing.length === 0) return [];
    const which = linked === undefined ? 'an interface the host does not link' : 'where the host does not implement it';
    return [`it imports ${missing.join(', ')} from ${item.name}, ${which}, so the component cannot be instantiated`];
  });
  if (problems.length > 0) throw new IncompatibleComponentError(`${path}: ${problems.join('; ')}`);
}

/** Whether `linked` (an interface of the import object) holds the function the glue would look up for `name`. */
function links(linked: unknown, name: string): boolean {
  if (typeof linked !== 'object' || linked === null) return false;
  const members = linked as Record<string, unknown>;
  const resource = /^\[(constructor|method|static)\]([a-z0-9-]+)(?:\.([a-z0-9-]+))?$/i.exec(name);
  if (!resource) return /^[a-z0-9-]+$/i.test(name) && isFunction(own(members, camelCase(name)));
  const [, kind, resourceName, member] = resource;
  const resourceClass = own(members, pascalCase(resourceName!));
  if (!isFunction(resourceClass)) return false;
  if (kind === 'constructor') return member === undefined;
  if (member === undefined) return false;
  const holder = kind === 'method' ? (resourceClass as { prototype: unknown }).prototype : resourceClass;
  return typeof holder === 'object' || typeof holder === 'function' ? isFunction(Reflect.get(holder as object, camelCase(member))) : false;
}

function own(members: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(members, key) ? members[key] : undefined;
}

function isFunction(value: unknown): boolean {
  return typeof value === 'function';
}

/** jco's names (heck's conversions): words split on `-`, each capitalised but the first, the rest lowered. */
function camelCase(kebab: string): string {
  const pascal = pascalCase(kebab);
  return pascal.charAt(0).toLowerCase() + pascal.slice(1);
}

function pascalCase(kebab: string): string {
  return kebab
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase())
    .join('');
}
