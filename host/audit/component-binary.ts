// Reads what a component declares at its boundary, straight from the component-model binary format:
// every import and export by name and, for interface instances, the functions in them. Nothing is
// compiled or instantiated; core modules are skipped by their length. wasm-tools' `componentWit` names
// the interfaces but not their functions, hence this reader.
import { ComponentLoadError } from '../errors.js';
import { WasmByteReader } from './wasm-byte-reader.js';

export type ExternSort = 'core module' | 'func' | 'value' | 'type' | 'component' | 'instance';

/** One import or export: a function, an instance (an interface, with its functions), a type, ... */
export interface BoundaryItem {
  name: string;
  sort: ExternSort;
  /** Functions an instance holds, in declaration order (`[method]descriptor.read` for resource methods). */
  functions: string[];
}

export interface ComponentBoundary {
  imports: BoundaryItem[];
  exports: BoundaryItem[];
}

/** An index space view of a component, or of an instance or component type (which has its own). */
interface Scope {
  types: Members[];
  instances: Members[];
  components: Members[];
  imports: BoundaryItem[];
  exports: BoundaryItem[];
}

/** What an instance, component, or instance/component type holds; undefined when the reader cannot tell. */
type Members = BoundaryItem[] | undefined;

interface ExternDesc {
  sort: ExternSort;
  members: Members;
}

/** The sections that name or define what crosses the boundary; the others (custom, core, canon, start, value) are skipped. */
const SECTION = { component: 4, instance: 5, alias: 6, type: 7, import: 10, export: 11 };
const LAST_SECTION_ID = 12;
const PREAMBLE_BYTES = 8;
/** Deeper nesting than this is not a real component but an attempt to exhaust the reader's stack. */
const MAX_DEPTH = 64;
const CORE_MODULE_SORT = 0x11;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

class MalformedComponent extends Error {}

/** The component reader's view of the bytes: WASM primitives plus the component format's names, vectors and options. */
class BinaryReader extends WasmByteReader {
  constructor(bytes: Uint8Array, offset: number, end: number) {
    super(bytes, offset, end, (problem, at) => {
      const where = end === bytes.length ? 'the file' : 'a section';
      return new MalformedComponent(`${problem === 'truncated' ? `${where} ends in the middle of a definition` : 'malformed LEB128 integer'} at byte ${at}`);
    });
  }

  fail(what: string, at = this.offset): never {
    throw new MalformedComponent(`${what} at byte ${at}`);
  }

  /** Fails on an unexpected discriminant byte that was just read. */
  unknown(what: string, value: number): never {
    return this.fail(`unknown ${what} 0x${value.toString(16).padStart(2, '0')}`, this.offset - 1);
  }

  /** A signed LEB128 of up to 33 bits: value types are negative opcodes or non-negative type indices. */
  s33(): void {
    const start = this.offset;
    for (let shift = 0; shift < 35; shift += 7) {
      if ((this.byte() & 0x80) === 0) return;
    }
    this.fail('malformed LEB128 integer', start);
  }

  string(): string {
    const length = this.u32();
    const start = this.offset;
    this.skip(length);
    try {
      return UTF8.decode(this.bytes.subarray(start, this.offset));
    } catch {
      return this.fail('a name is not valid UTF-8', start);
    }
  }

  /** A subreader over the next `length` bytes, which this reader steps over. */
  slice(length: number): BinaryReader {
    const start = this.offset;
    this.skip(length);
    return new BinaryReader(this.bytes, start, this.offset);
  }

  vec(readItem: () => void): void {
    for (let count = this.u32(); count > 0; count--) readItem();
  }

  optional(readItem: () => void): void {
    const flag = this.byte();
    if (flag === 0x01) readItem();
    else if (flag !== 0x00) this.unknown('option flag', flag);
  }
}

export function readComponentBoundary(bytes: Uint8Array, path: string): ComponentBoundary {
  try {
    const { imports, exports } = readComponent(new BinaryReader(bytes, PREAMBLE_BYTES, bytes.length), 0);
    return { imports, exports };
  } catch (error) {
    if (error instanceof MalformedComponent) throw new ComponentLoadError(`${path} is truncated or corrupt: ${error.message}`);
    throw error;
  }
}

function emptyScope(): Scope {
  return { types: [], instances: [], components: [], imports: [], exports: [] };
}

function readComponent(reader: BinaryReader, depth: number): Scope {
  if (depth > MAX_DEPTH) reader.fail(`components nested more than ${MAX_DEPTH} deep`);
  const scope = emptyScope();
  // An auditor refuses what it cannot name: every top-level instance must have known functions.
  const resolved = (item: BoundaryItem, members: Members) => {
    if (depth === 0 && item.sort === 'instance' && members === undefined) reader.fail(`cannot tell which functions ${item.name} holds`);
    return item;
  };
  while (reader.offset < reader.end) {
    const id = reader.byte();
    if (id > LAST_SECTION_ID) reader.unknown('section id', id);
    const section = reader.slice(reader.u32());
    switch (id) {
      case SECTION.component:
        section.skip(PREAMBLE_BYTES);
        scope.components.push(readComponent(section, depth + 1).exports);
        break;
      case SECTION.instance:
        section.vec(() => scope.instances.push(readInstance(section, scope)));
        break;
      case SECTION.alias:
        section.vec(() => readAlias(section, scope));
        break;
      case SECTION.type:
        section.vec(() => scope.types.push(readDefType(section, depth)));
        break;
      case SECTION.import:
        section.vec(() => {
          const name = readExternName(section);
          const desc = readExternDesc(section, scope);
          scope.imports.push(resolved(declare(scope, name, desc), desc.members));
        });
        break;
      case SECTION.export:
        section.vec(() => {
          const { item, members } = readExport(section, scope);
          scope.exports.push(resolved(item, members));
        });
        break;
      default:
        section.skip(section.end - section.offset);
    }
    if (section.offset !== section.end) section.fail(`section ${id} has trailing bytes`);
  }
  return scope;
}

/** An extern declared by an import or an export declaration: it takes the next index of its sort. */
function declare(scope: Scope, name: string, desc: ExternDesc): BoundaryItem {
  if (desc.sort === 'instance') scope.instances.push(desc.members);
  if (desc.sort === 'component') scope.components.push(desc.members);
  if (desc.sort === 'type') scope.types.push(undefined);
  return boundaryItem(name, desc.sort, desc.members);
}

function boundaryItem(name: string, sort: ExternSort, members: Members): BoundaryItem {
  return { name, sort, functions: sort === 'instance' && members ? indexed(members).functions : [] };
}

/** What the reader looks up in a list of members: its functions' names, and each member by its name. */
interface MemberIndex {
  functions: string[];
  byName: Map<string, BoundaryItem>;
}

const memberIndexes = new WeakMap<BoundaryItem[], MemberIndex>();

/**
 * The index of `members`, built once: a component may name one instance of a million functions a million
 * times (in exports, aliases, declarations), and a scan of it at each mention made the audit quadratic (5
 * minutes of the host's CPU for a 2 MB file, gigabytes for a 240 kB one). Items that name the same
 * instance share its list of functions.
 */
function indexed(members: BoundaryItem[]): MemberIndex {
  let index = memberIndexes.get(members);
  if (!index) {
    const functions = members.filter((member) => member.sort === 'func').map((member) => member.name);
    const byName = new Map<string, BoundaryItem>();
    // The first of a name, as a search would find: two are invalid, and jco refuses the component.
    for (const member of members) if (!byName.has(member.name)) byName.set(member.name, member);
    index = { functions, byName };
    memberIndexes.set(members, index);
  }
  return index;
}

function readExternName(reader: BinaryReader): string {
  const kind = reader.byte();
  // 0x01 marked interface names in older binaries; the name's syntax now says the same.
  if (kind !== 0x00 && kind !== 0x01) reader.unknown('extern name kind', kind);
  return reader.string();
}

/** A sort; core sorts other than `core module` only matter to core wasm and come back as 'core'. */
function readSort(reader: BinaryReader): ExternSort | 'core' {
  const sort = reader.byte();
  switch (sort) {
    case 0x00:
      return reader.byte() === CORE_MODULE_SORT ? 'core module' : 'core';
    case 0x01:
      return 'func';
    case 0x02:
      return 'value';
    case 0x03:
      return 'type';
    case 0x04:
      return 'component';
    case 0x05:
      return 'instance';
    default:
      return reader.unknown('sort', sort);
  }
}

function readExternDesc(reader: BinaryReader, scope: Scope): ExternDesc {
  const kind = reader.byte();
  switch (kind) {
    case 0x00: {
      const sort = reader.byte();
      if (sort !== CORE_MODULE_SORT) reader.unknown('core extern sort', sort);
      reader.u32();
      return { sort: 'core module', members: undefined };
    }
    case 0x01:
      reader.u32();
      return { sort: 'func', members: undefined };
    case 0x02: {
      const bound = reader.byte();
      if (bound === 0x00) reader.u32();
      else if (bound === 0x01) reader.s33();
      else reader.unknown('value bound', bound);
      return { sort: 'value', members: undefined };
    }
    case 0x03: {
      const bound = reader.byte();
      if (bound === 0x00) reader.u32();
      else if (bound !== 0x01) reader.unknown('type bound', bound);
      return { sort: 'type', members: undefined };
    }
    case 0x04:
      return { sort: 'component', members: scope.types[reader.u32()] };
    case 0x05:
      return { sort: 'instance', members: scope.types[reader.u32()] };
    default:
      return reader.unknown('extern kind', kind);
  }
}

function readInstance(reader: BinaryReader, scope: Scope): Members {
  const kind = reader.byte();
  if (kind === 0x00) {
    const component = reader.u32();
    reader.vec(() => {
      reader.string();
      readSort(reader);
      reader.u32();
    });
    return scope.components[component];
  }
  if (kind !== 0x01) reader.unknown('instance expression', kind);
  const members: BoundaryItem[] = [];
  reader.vec(() => {
    const name = readExternName(reader);
    const sort = readSort(reader);
    const index = reader.u32();
    if (sort !== 'core') members.push(boundaryItem(name, sort, sort === 'instance' ? scope.instances[index] : undefined));
  });
  return members;
}

function readAlias(reader: BinaryReader, scope: Scope): void {
  const sort = readSort(reader);
  const target = reader.byte();
  let aliased: BoundaryItem | undefined;
  if (target === 0x00) {
    const instance = scope.instances[reader.u32()];
    const name = reader.string();
    aliased = instance && indexed(instance).byName.get(name);
  } else if (target === 0x01) {
    reader.u32();
    reader.string();
  } else if (target === 0x02) {
    reader.u32();
    reader.u32();
  } else {
    reader.unknown('alias target', target);
  }
  if (sort === 'type') scope.types.push(undefined);
  if (sort === 'component') scope.components.push(undefined);
  if (sort === 'instance') scope.instances.push(aliased && instanceOf(aliased));
}

/** The members an aliased instance is known by: its functions (built once per instance aliased). */
function instanceOf(aliased: BoundaryItem): Members {
  const members = aliasedInstances.get(aliased.functions) ?? aliased.functions.map((name) => boundaryItem(name, 'func', undefined));
  aliasedInstances.set(aliased.functions, members);
  return members;
}

const aliasedInstances = new WeakMap<string[], BoundaryItem[]>();

function readExport(reader: BinaryReader, scope: Scope): { item: BoundaryItem; members: Members } {
  const name = readExternName(reader);
  const sort = readSort(reader);
  const index = reader.u32();
  if (sort === 'core') reader.fail(`export ${name} of a core definition other than a module`);
  let ascribed: ExternDesc | undefined;
  reader.optional(() => {
    ascribed = readExternDesc(reader, scope);
  });
  const spaces: Partial<Record<ExternSort, Members[]>> = { type: scope.types, instance: scope.instances, component: scope.components };
  const members = ascribed?.members ?? spaces[sort]?.[index];
  // Every export also takes the next index of its sort, as an alias of what it exports.
  spaces[sort]?.push(members);
  return { item: boundaryItem(name, sort, members), members };
}

/** A type definition; instance and component types are remembered by what they export. */
function readDefType(reader: BinaryReader, depth: number): Members {
  if (depth > MAX_DEPTH) reader.fail(`types nested more than ${MAX_DEPTH} deep`);
  const opcode = reader.byte();
  switch (opcode) {
    case 0x40: // func
    case 0x43: // async func
      readLabelledValTypes(reader);
      if (reader.byte() === 0x00) reader.s33();
      else readLabelledValTypes(reader);
      return undefined;
    case 0x41: // component type
      return readDeclarations(reader, depth + 1, true);
    case 0x42: // instance type
      return readDeclarations(reader, depth + 1, false);
    case 0x3f: // resource: representation, optional destructor
      reader.byte();
      reader.optional(() => reader.u32());
      return undefined;
    case 0x3e: // async resource: representation, optional destructor and callback
      reader.byte();
      reader.optional(() => reader.u32());
      reader.optional(() => reader.u32());
      return undefined;
    default:
      readDefValType(reader, opcode);
      return undefined;
  }
}

function readLabelledValTypes(reader: BinaryReader): void {
  reader.vec(() => {
    reader.string();
    reader.s33();
  });
}

function readDefValType(reader: BinaryReader, opcode: number): void {
  if ((opcode >= 0x73 && opcode <= 0x7f) || opcode === 0x64) return; // primitive, error-context
  switch (opcode) {
    case 0x72: // record
      return readLabelledValTypes(reader);
    case 0x71: // variant: label, optional payload, optional (obsolete) refines
      return reader.vec(() => {
        reader.string();
        reader.optional(() => reader.s33());
        reader.optional(() => reader.u32());
      });
    case 0x70: // list
    case 0x6b: // option
      return reader.s33();
    case 0x67: // fixed-size list
      reader.s33();
      reader.u32();
      return;
    case 0x6f: // tuple
      return reader.vec(() => reader.s33());
    case 0x6e: // flags
    case 0x6d: // enum
      return reader.vec(() => void reader.string());
    case 0x6a: // result
      reader.optional(() => reader.s33());
      reader.optional(() => reader.s33());
      return;
    case 0x69: // own
    case 0x68: // borrow
      reader.u32();
      return;
    case 0x66: // stream
    case 0x65: // future
      return reader.optional(() => reader.s33());
    default:
      reader.unknown('type opcode', opcode);
  }
}

/** The body of an instance or component type, which has its own index spaces; returns its exports. */
function readDeclarations(reader: BinaryReader, depth: number, componentType: boolean): BoundaryItem[] {
  const scope = emptyScope();
  reader.vec(() => {
    const kind = reader.byte();
    switch (kind) {
      case 0x00:
        // Core types inside component types cannot come from WIT, and an auditor refuses what it cannot read.
        return reader.fail('core type inside a component or instance type', reader.offset - 1);
      case 0x01:
        scope.types.push(readDefType(reader, depth));
        return;
      case 0x02:
        return readAlias(reader, scope);
      case 0x03:
        if (!componentType) reader.unknown('instance type declaration', kind);
        declare(scope, readExternName(reader), readExternDesc(reader, scope));
        return;
      case 0x04:
        scope.exports.push(declare(scope, readExternName(reader), readExternDesc(reader, scope)));
        return;
      default:
        reader.unknown('type declaration', kind);
    }
  });
  return scope.exports;
}
