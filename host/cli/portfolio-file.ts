// Reads and validates a portfolio JSON file, with errors that say which file and what is wrong with it.
import { parseOrThrow } from '../request/validation.js';
import { readJsonFile } from '../files/json-file.js';
import { portfolioSchema, type PortfolioSpec } from '../request/portfolio.js';

export async function readPortfolioFile(path: string): Promise<PortfolioSpec> {
  return parseOrThrow(portfolioSchema, await readJsonFile(path, 'portfolio'));
}
