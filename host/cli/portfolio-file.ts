// Reads and validates a portfolio JSON file, with errors that say which file and what is wrong with it.
import { InvalidInputError } from '../errors.js';
import { parseOrThrow } from '../request/validation.js';
import { readJsonFile } from '../files/json-file.js';
import { PORTFOLIO_JSON_BUDGET, portfolioSchema, type PortfolioSpec } from '../request/portfolio.js';

export async function readPortfolioFile(path: string): Promise<PortfolioSpec> {
  const value = await readJsonFile(path, 'portfolio', 'portfolio', PORTFOLIO_JSON_BUDGET);
  // The fields' errors name their paths (`assets[0].vol`); the file's own value has no path, so it is named by the file.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError('portfolio', `${path} must hold a JSON object, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}`);
  }
  return parseOrThrow(portfolioSchema, value);
}
