// Reads a JSON input file (a portfolio, a policy, a lock file), with errors that name the input and the file.
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from './errors.js';

/** The parsed JSON of `path`; `input` names it in errors (`portfolio: cannot read x.json: ENOENT`). */
export async function readJsonFile(path: string, input: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(input, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(input, `${path} is not valid JSON: ${(error as Error).message}`);
  }
}
