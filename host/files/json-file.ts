// Reads a JSON input file (a portfolio, a policy, a lock file, the golden vectors), with errors that name the input and the file.
// A duplicated key is an error: JSON.parse would silently keep the last value, and nothing is silently ignored.
import { createScanner, getLocation, SyntaxKind } from 'jsonc-parser';
import { InvalidInputError } from '../errors.js';
import { fieldPath } from '../request/validation.js';
import { readInputFile, type InputFileKind } from './input-files.js';

/** The parsed JSON of `path`, read within the cap of its kind; `field` names it in errors (`portfolio: cannot read x.json: ENOENT`). */
export async function readJsonFile(path: string, kind: InputFileKind, field: string = kind): Promise<unknown> {
  const bytes = await readInputFile(path, kind, field);
  let text: string;
  let value: unknown;
  try {
    text = bytes.toString('utf8');
    // JSON.parse gives the values (its number semantics, and `__proto__` as a plain own key); the scan only finds duplicates.
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(field, `${path} is not valid JSON: ${(error as Error).message}`);
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) throw new InvalidInputError(field, `${fieldPath(duplicate)}: duplicate key in ${path}`);
  return value;
}

/**
 * The path of the first key that appears twice in one object of `text`, which JSON.parse has accepted.
 * jsonc-parser's scanner tokenises (string escapes included); only the nesting is tracked here, and the
 * path is worked out only for a duplicate. Its visit() API would do both, at twice the cost on large files.
 */
export function firstDuplicateKey(text: string): (string | number)[] | undefined {
  const scanner = createScanner(text, true);
  /** Per open object its keys so far; `null` for an open array. */
  const open: (Set<string> | null)[] = [];
  let atKey = false;
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    switch (token) {
      case SyntaxKind.OpenBraceToken:
        open.push(new Set());
        atKey = true;
        break;
      case SyntaxKind.OpenBracketToken:
        open.push(null);
        break;
      case SyntaxKind.CloseBraceToken:
      case SyntaxKind.CloseBracketToken:
        open.pop();
        break;
      case SyntaxKind.CommaToken:
        atKey = open[open.length - 1] !== null;
        break;
      case SyntaxKind.StringLiteral:
        if (atKey) {
          const keys = open[open.length - 1]!;
          const key = scanner.getTokenValue();
          if (keys.has(key)) return getLocation(text, scanner.getTokenOffset()).path;
          keys.add(key);
          atKey = false;
        }
        break;
    }
  }
  return undefined;
}
