// Reads a JSON input file (a portfolio, a policy, a lock file, the golden vectors), with errors that name the input and the file.
// A duplicated key is an error: JSON.parse would silently keep the last value, and nothing is silently ignored.
import { isUtf8 } from 'node:buffer';
import { getLocation } from 'jsonc-parser';
import { InvalidInputError, messageOf } from '../errors.js';
import { parserMessage } from '../report/echoed-input.js';
import { fieldPath } from '../request/validation.js';
import { INPUT_FILES, readInputFile, type InputFileKind } from './input-files.js';
import { closingQuoteOf, jsonBudgetExcess, type JsonBudget } from './json-budget.js';

/** The parsed JSON of `path`, read within the cap of its kind; `field` names it in errors (`portfolio: cannot read x.json: ENOENT`).
 *  With a `budget`, a file that holds more arrays, objects or strings than it allows is refused before it is parsed. */
export async function readJsonFile(path: string, kind: InputFileKind, field: string = kind, budget?: JsonBudget): Promise<unknown> {
  const bytes = await readInputFile(path, kind, field);
  const notUtf8 = utf8Problem(bytes);
  if (notUtf8 !== undefined) throw new InvalidInputError(field, `${path} is ${notUtf8}`);
  let text: string;
  try {
    text = bytes.toString('utf8');
  } catch (error) {
    // Past V8's longest string (just under 512 MiB): no parser could take it.
    throw new InvalidInputError(field, `${path} is not valid JSON: ${parserMessage(messageOf(error))}`);
  }
  // A byte-order mark, which some editors write at the start of a UTF-8 file, is not part of the JSON
  // (RFC 8259 lets a parser ignore it); JSON.parse would refuse the file for it.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const excess = budget && jsonBudgetExcess(text, budget);
  if (excess !== undefined) throw new InvalidInputError(field, `${path} holds ${excess}, more than ${INPUT_FILES[kind].label} within the contract's limits can (wit/limits.json); not parsed`);
  let value: unknown;
  try {
    // JSON.parse gives the values (its number semantics, and `__proto__` as a plain own key); the scan only finds duplicates.
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(field, `${path} is not valid JSON: ${parserMessage(messageOf(error))}`);
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) throw new InvalidInputError(field, `${fieldPath(duplicate)}: duplicate key in ${path}`);
  return value;
}

/**
 * Why `bytes` cannot be read as UTF-8 text (`not UTF-8 text: byte 12 is 0xe9; save it as UTF-8`), or
 * undefined. Decoding would turn each bad byte into U+FFFD, so `"Soci\xe9t\xe9"` and `"Soci\xe8t\xe9"` (a
 * Latin-1 file) would both read as the same asset id: the file is refused instead.
 */
export function utf8Problem(bytes: Uint8Array): string | undefined {
  if (isUtf8(bytes)) return undefined;
  const at = firstNonUtf8Byte(bytes);
  return `not UTF-8 text: byte ${at} is 0x${bytes[at]!.toString(16).padStart(2, '0')}; save it as UTF-8`;
}

/** The offset of the first byte of `bytes` (not UTF-8) where its text goes wrong: a byte no character can start
 *  with, or the first byte of a character that breaks off (a bad continuation, or the end of the file). */
function firstNonUtf8Byte(bytes: Uint8Array): number {
  // The longest prefix that decodes as a stream (so it may end inside a character), by bisection.
  const decodes = (length: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, length), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let valid = 0;
  let invalid = bytes.length + 1;
  while (invalid - valid > 1) {
    const middle = (valid + invalid) >>> 1;
    if (decodes(middle)) valid = middle;
    else invalid = middle;
  }
  return openCharacterStart(bytes, valid) ?? valid;
}

/** Where the character that `bytes` cut at `end` leaves open starts, if one is: a lead byte within the last
 *  three whose character would end past `end`. */
function openCharacterStart(bytes: Uint8Array, end: number): number | undefined {
  let start = end - 1;
  while (start > end - 3 && start > 0 && (bytes[start]! & 0xc0) === 0x80) start--;
  const lead = bytes[start];
  if (lead === undefined || lead < 0xc0) return undefined;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  return start + length > end ? start : undefined;
}

/**
 * The path of the first key that appears twice in one object of `text`, which JSON.parse has accepted.
 * It runs on every service request body, so it reads no token it can do without: in valid JSON a key is
 * the string before a ':', and it belongs to the innermost open object (arrays need no tracking), so only
 * '"', '{' and '}' matter. Each is found by indexOf (a native search, faster than a loop over charCodeAt)
 * and searched for again only once the scan has passed it, so the text is read once per kind. A key is decoded (by JSON.parse) only when it has an escape; the path (jsonc-parser) only for a duplicate.
 */
export function firstDuplicateKey(text: string): (string | number)[] | undefined {
  const end = text.length;
  const next = (char: string, from: number): number => {
    const at = text.indexOf(char, from);
    return at === -1 ? end : at;
  };
  const keys = new OpenObjectKeys();
  let quote = next('"', 0);
  let openBrace = next('{', 0);
  let closeBrace = next('}', 0);
  for (;;) {
    if (openBrace < quote && openBrace < closeBrace) {
      keys.open();
      openBrace = next('{', openBrace + 1);
    } else if (closeBrace < quote) {
      keys.close();
      closeBrace = next('}', closeBrace + 1);
    } else if (quote === end) {
      return undefined;
    } else {
      const closingQuote = closingQuoteOf(text, quote);
      if (isKey(text, closingQuote)) {
        const key = hasEscape(text, quote, closingQuote) ? (JSON.parse(text.slice(quote, closingQuote + 1)) as string) : text.slice(quote + 1, closingQuote);
        if (!keys.add(key)) return getLocation(text, quote).path;
      }
      // A brace inside the string was no brace: search again from its end.
      if (openBrace < closingQuote) openBrace = next('{', closingQuote + 1);
      if (closeBrace < closingQuote) closeBrace = next('}', closingQuote + 1);
      quote = next('"', closingQuote + 1);
    }
  }
}

/** Keys of one object are compared one by one up to this many (cheaper than hashing a few); past it a Set keeps the scan linear. */
const LINEAR_KEYS = 16;

/** The keys seen so far in each object open at the scan's position. */
class OpenObjectKeys {
  /** The keys of the open objects that have at most LINEAR_KEYS, innermost last. */
  private readonly keys: string[] = [];
  /** Per open object, outermost first: where its keys begin in `keys`. */
  private readonly starts: number[] = [];
  /** Per open object: all its keys, once it has more than LINEAR_KEYS. */
  private readonly sets: (Set<string> | undefined)[] = [];
  private depth = 0;

  open(): void {
    this.starts[this.depth] = this.keys.length;
    this.sets[this.depth] = undefined;
    this.depth++;
  }

  close(): void {
    this.depth--;
    this.keys.length = this.starts[this.depth]!;
  }

  /** Adds `key` to the innermost open object: false if it has it already. */
  add(key: string): boolean {
    const innermost = this.depth - 1;
    const set = this.sets[innermost];
    if (set !== undefined) {
      if (set.has(key)) return false;
      set.add(key);
      return true;
    }
    const start = this.starts[innermost]!;
    for (let index = start; index < this.keys.length; index++) if (this.keys[index] === key) return false;
    this.keys.push(key);
    if (this.keys.length - start > LINEAR_KEYS) {
      this.sets[innermost] = new Set(this.keys.slice(start));
      this.keys.length = start;
    }
    return true;
  }
}

/** Whether the string that ends at `closingQuote` is a key: in valid JSON, whether a ':' follows it. */
function isKey(text: string, closingQuote: number): boolean {
  let index = closingQuote + 1;
  let char = text.charCodeAt(index);
  // JSON's whitespace: space, tab, line feed, carriage return.
  while (char === 0x20 || char === 0x09 || char === 0x0a || char === 0x0d) char = text.charCodeAt(++index);
  return char === 0x3a;
}

const BACKSLASH = 0x5c;

/** Whether the string between these quotes has an escape, so that only JSON.parse knows its value. */
function hasEscape(text: string, openingQuote: number, closingQuote: number): boolean {
  for (let index = openingQuote + 1; index < closingQuote; index++) if (text.charCodeAt(index) === BACKSLASH) return true;
  return false;
}
