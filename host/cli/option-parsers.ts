// Strict parsers for CLI option values: "12abc" is an error naming the option, never 12.
import { InvalidInputError } from '../errors.js';
import { echoed } from '../report/echoed-input.js';
import { parseIntegerText } from '../request/integer-text.js';
import { checkDistinctLevels } from '../request/risk-request.js';
import { seedSchema } from '../request/seed.js';
import { parseOrThrow } from '../request/validation.js';

/** A decimal number, as written on a command line: '0.95', '-2', '.5', '1e3'. Not '0x10', '', 'Infinity'. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Every integer flag: decimal digits only (request/integer-text.ts), ' 80' and '0x10' refused. */
export function parseInteger(option: string) {
  return (value: string): number => parseIntegerText(value, option);
}

/** The seed's one grammar (request/seed.ts), as the service and the library take it. */
export function parseSeed(value: string): bigint {
  return parseOrThrow(seedSchema, value, '--seed');
}

export function parseNumber(option: string) {
  return (value: string): number => {
    const number = DECIMAL.test(value) ? Number(value) : Number.NaN;
    if (!Number.isFinite(number)) throw new InvalidInputError(option, `${echoed(value)} is not a number`);
    return number;
  };
}

/** Comma-separated confidence levels, each once (refused here, before a batch or a comparison starts). */
export function parseLevels(option: string) {
  const parse = parseNumber(option);
  return (value: string): number[] => {
    const levels = value.split(',').map(parse);
    checkDistinctLevels(levels, option);
    return levels;
  };
}

/** A file the command writes: a name, not an empty string (which the system would refuse with ENOENT). */
export function parseOutputFile(option: string) {
  return (value: string): string => {
    if (value.trim() === '') throw new InvalidInputError(option, 'must name a file');
    // `-` reads as standard output, but the name would make a file called `-` (./- if that is meant).
    if (value === '-') throw new InvalidInputError(option, "must name a file: '-' (standard output) is not one here; write ./- for a file named -");
    return value;
  };
}
