// The caller's text quoted in an error: bounded and escaped, whoever wrote the message around it.
import { describe, expect, it } from 'vitest';
import { echoed, MAX_PARSER_MESSAGE, parserMessage } from '../../host/report/echoed-input.js';

describe('echoed', () => {
  it('quotes short text whole and escaped, and long text by its first 64 characters and its length', () => {
    expect(echoed('a\u001b[2J')).toBe('"a\\u001b[2J"');
    expect(echoed('😀'.repeat(100))).toBe(`"${'😀'.repeat(64)}…" (100 characters)`);
  });
});

describe("parserMessage: a parser's message about the caller's text", () => {
  it('is passed on as it is when short, with the characters a terminal acts on escaped', () => {
    expect(parserMessage(`Unexpected token '\u202e', "[\u202e]" is not valid JSON`)).toBe(`Unexpected token '\\u202e', "[\\u202e]" is not valid JSON`);
  });

  it('is cut past MAX_PARSER_MESSAGE characters, whatever the parser quoted', () => {
    expect(parserMessage(`Unexpected token in "${'A'.repeat(1_000_000)}"`)).toBe(`${`Unexpected token in "${'A'.repeat(1_000_000)}`.slice(0, MAX_PARSER_MESSAGE)}…`);
  });
});
