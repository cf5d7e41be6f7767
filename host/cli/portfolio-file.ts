// Reads and validates a portfolio JSON file, with errors that say which file and what is wrong with it.
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../errors.js';
import { parseOrThrow } from '../input-validation.js';
import { portfolioSchema, type PortfolioSpec } from '../portfolio.js';

export async function readPortfolioFile(path: string): Promise<PortfolioSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError('portfolio', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError('portfolio', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseOrThrow(portfolioSchema, json);
}
