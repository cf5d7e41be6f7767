// A whole number written as text (a CLI flag's value, an environment variable): decimal digits and nothing
// else. Number() would also take ' 80', '0x10', '1e3' and '' (0); every integer a user types goes through here.
import { InvalidInputError } from '../errors.js';
import { echoed } from '../report/echoed-input.js';

const DIGITS = /^\d+$/;

/** An inclusive range the integer must be in, and what its numbers count (`MiB`), for the message. */
export interface IntegerRange {
  min: number;
  max: number;
  unit: string;
}

/** `text` as a non-negative integer (within `range`, if given), or bad input naming `field`: no sign, space,
 *  exponent or other base. */
export function parseIntegerText(text: string, field: string, range?: IntegerRange): number {
  const number = DIGITS.test(text) ? Number(text) : Number.NaN;
  if (range !== undefined) {
    if (!(number >= range.min && number <= range.max)) throw new InvalidInputError(field, `${echoed(text)} is not an integer from ${range.min} to ${range.max} (${range.unit})`);
    return number;
  }
  if (Number.isNaN(number)) throw new InvalidInputError(field, `${echoed(text)} is not a non-negative integer`);
  // Past 2^53 a number is no longer exact, and the schema behind the option would call it "not an integer".
  if (!Number.isSafeInteger(number)) throw new InvalidInputError(field, `${echoed(text)} is too large`);
  return number;
}
