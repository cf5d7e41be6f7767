// Strict parsers for CLI option values: "12abc" is an error naming the option, never 12.
import { InvalidInputError } from '../errors.js';

export function parseInteger(option: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidInputError(option, `'${value}' is not a non-negative integer`);
    return Number(value);
  };
}

export function parseSeed(value: string): bigint {
  if (!/^\d+$/.test(value.trim())) throw new InvalidInputError('--seed', `'${value}' is not a non-negative integer`);
  return BigInt(value);
}

export function parseNumber(option: string) {
  return (value: string): number => {
    const number = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(number)) throw new InvalidInputError(option, `'${value}' is not a number`);
    return number;
  };
}

export function parseNumberList(option: string) {
  const parse = parseNumber(option);
  return (value: string): number[] => value.split(',').map(parse);
}

/** A file the command writes: a name, not an empty string (which the system would refuse with ENOENT). */
export function parseOutputFile(option: string) {
  return (value: string): string => {
    if (value.trim() === '') throw new InvalidInputError(option, 'must name a file');
    return value;
  };
}
