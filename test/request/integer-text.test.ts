// Every integer a user types (a CLI flag, WASM_RISK_MAX_INPUT_MB) is decimal digits and nothing else.
import { describe, expect, it } from 'vitest';
import { parseInteger, parseNumber } from '../../host/cli/option-parsers.js';
import { parseMaxInputMb } from '../../host/files/input-files.js';
import { parseIntegerText } from '../../host/request/integer-text.js';

describe('integer text', () => {
  it('takes decimal digits', () => {
    expect(parseIntegerText('0', '--port')).toBe(0);
    expect(parseIntegerText('08080', '--port')).toBe(8080);
    expect(parseMaxInputMb('64', '--max-input-mb')).toBe(64);
  });

  it.each([' 80', '80 ', '8\n', '\t8', '', '+8', '-1', '0x10', '1e3', '8.0', '٨'])('refuses %j, in every integer flag', (text) => {
    expect(() => parseIntegerText(text, '--port')).toThrow(/^--port: .* is not a non-negative integer$/);
    expect(() => parseInteger('--max-queue')(text)).toThrow(/^--max-queue: .* is not a non-negative integer$/);
    expect(() => parseMaxInputMb(text, '--max-input-mb')).toThrow(/^--max-input-mb: .* is not an integer from 1 to 512 \(MiB\)$/);
  });

  it('a decimal flag takes no spaces either', () => {
    expect(parseNumber('--confidence')('0.95')).toBe(0.95);
    for (const text of [' 0.95', '0.95 ']) expect(() => parseNumber('--confidence')(text)).toThrow(/^--confidence: .* is not a number$/);
  });

  it('refuses an integer past 2^53, which is no longer exact', () => {
    expect(() => parseIntegerText('9007199254740993', '--paths')).toThrow(/^--paths: "9007199254740993" is too large$/);
  });
});
