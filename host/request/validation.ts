// Turns zod's issues into the host's InvalidInputError, naming the field as a JSON path (`assets[2].vol`).
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { shortened } from '../report/echoed-input.js';

/** A JSON path as the host prints it in errors: `assets[2].vol`; a caller's key (an unknown or duplicate
 *  one) past MAX_ECHOED characters cut to them (`shortened`). */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? shortened(String(key)) : `.${shortened(String(key))}`))
    .join('');
}

/** `path` (a JSON path, `assets[0].vol` or `[2]`) under `prefix`, a path too ('' for none). */
export function under(prefix: string, path: string): string {
  if (prefix === '') return path;
  if (path === '') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/** The host's words for a value of the wrong type, where a schema gives none of its own: zod's default
 *  (`Invalid input: expected object, received null`) is not how the host words errors. */
const AS_NAMED: Partial<Record<string, string>> = { object: 'an object', array: 'an array', string: 'a string', number: 'a number', boolean: 'true or false', bigint: 'an integer' };
function typeProblem(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined || issue.expected === 'nonoptional') return 'is required';
  const named = AS_NAMED[issue.expected];
  return named ? `must be ${named}` : undefined;
}

/** Each schema's compiled form (`z.compile`): zod's generated parser, which reads the input once and builds
 *  a fresh output, as the runtime parser does, about six times faster (a one-asset portfolio: 0.9 us against
 *  6). Input it refuses goes to the runtime parser, whose issues word the error. Compiled at first use. */
const compiledSchemas = new WeakMap<z.ZodType, z.ZodType>();

function compiled<T extends z.ZodType>(schema: T): T {
  let fast = compiledSchemas.get(schema);
  if (fast === undefined) compiledSchemas.set(schema, (fast = z.compile(schema)));
  return fast as T;
}

/** Parses `value` with `schema`, or throws an InvalidInputError for the first problem found. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.output<T> {
  // A per-parse error: the schema's own messages come first.
  const result = compiled(schema).safeParse(value, { error: typeProblem });
  if (result.success) return result.data;
  const issue = branchTaken(result.error.issues[0]!);
  // An unknown key is named by its own path (`assets[0].sopt`), as the service's schema check names it,
  // not by its object's with zod's `Unrecognized key: "sopt"`.
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = fieldPath(unknownKey === undefined ? issue.path : [...issue.path, unknownKey]);
  const message = unknownKey === undefined ? issue.message : 'is not a known field';
  throw new InvalidInputError(under(prefix, path), message);
}

/** The problem to report for a value no alternative of a union took: that of the one alternative that got past
 *  the value's own type (a policy object with a bad rule, not "not a profile name"), with its path under the
 *  union's; else the union's own (zod's default for it, `Invalid input`, says nothing, so a union gives its own). */
function branchTaken(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  const refusedItself = (branch: z.core.$ZodIssue[]) => branch[0]!.path.length === 0 && (branch[0]!.code === 'invalid_type' || branch[0]!.code === 'invalid_value');
  const taken = issue.errors.filter((branch) => branch.length > 0 && !refusedItself(branch));
  if (taken.length !== 1) return issue;
  const inner = branchTaken(taken[0]![0]!);
  return { ...inner, path: [...issue.path, ...inner.path] };
}

/** The brand of a validated value's type; no value carries it. */
declare const VALIDATED: unique symbol;

/** A value as its validation returned it, known as such by identity (`validated`), so a function that takes
 *  raw or validated input (`validateOnce`) parses what it was given only if nothing parsed it before. */
export type Validated<T> = T & { readonly [VALIDATED]: true };

/** Every value a validation returned. Identity, not a property: a Proxy's `has` trap claims any key (a mark
 *  read with `in` let a caller's Proxy skip validation), and a copy or an object built on one is not it. */
const validatedValues = new WeakSet<object>();

/** Marks `value`, the output of a validation, as validated. */
export function validated<T extends object>(value: T): Validated<T> {
  validatedValues.add(value);
  return value as Validated<T>;
}

/** `value` if it was validated already, else what `validate` makes of it. */
export function validateOnce<Raw extends object, Valid extends Validated<object>>(value: Raw | Valid, validate: (raw: Raw) => Valid): Valid {
  // Typed callers can still pass null or a primitive (JavaScript, `as any`): `validate` refuses it by name.
  const isValid = (candidate: Raw | Valid): candidate is Valid => typeof candidate === 'object' && candidate !== null && validatedValues.has(candidate);
  return isValid(value) ? value : validate(value);
}
