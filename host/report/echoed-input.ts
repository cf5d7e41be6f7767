// A caller's own text (an asset id, a flag's value, a key) quoted back in an error message: every message
// that echoes input takes it from here, bounded, so that a megabyte id is not a megabyte of error in a
// problem document, a log line and a terminal, and escaped, so that its quotes and controls stay visible.
import { terminalJson, terminalText } from './terminal-text.js';

/** Characters (code points) of the caller's text an error quotes; the rest is counted, not shown. */
export const MAX_ECHOED = 64;

/** `text` as an error quotes it: a JSON string, terminal-safe (`"AAPL"`, `"a\u001b[2J"`); past MAX_ECHOED
 *  characters, its first ones, an ellipsis and its length (`"AAAA…" (100000 characters)`). */
export function echoed(text: string): string {
  const shown = shortened(text);
  return shown === text ? terminalJson(text) : `${terminalJson(shown)} (${characterCount(text)} characters)`;
}

/** `text` unquoted, past `max` characters cut to them and an ellipsis: a key in a field's path. */
export function shortened(text: string, max: number = MAX_ECHOED): string {
  const shown = firstCharacters(text, max);
  return shown.length === text.length ? text : `${shown}…`;
}

/** Characters of a file path an error shows: paths are named unquoted, as given, and one a caller made long
 *  (Linux refuses past 4,096 bytes, ENAMETOOLONG, but only once it is read) is not a line of 100 KB. */
export const MAX_PATH_SHOWN = 256;

/** A file path as an error names it: whole up to MAX_PATH_SHOWN characters, else cut, with `…` and its length. */
export function shownPath(path: string): string {
  const shown = shortened(path, MAX_PATH_SHOWN);
  return shown === path ? path : `${shown} (${characterCount(path)} characters)`;
}

/** Characters of a parser's message about the caller's text that an error passes on. V8's JSON.parse quotes
 *  about 20 characters of the text (its messages stay under 100 on Node 20 to 24), but that is V8's bound, not ours. */
export const MAX_PARSER_MESSAGE = 160;

/** A parser's message about the caller's text (`Unexpected token 'A', "{"a": AAAA"... is not valid JSON`), as
 *  an error passes it on: past MAX_PARSER_MESSAGE characters cut, and the text it quotes escaped (`\u202e`). */
export function parserMessage(message: string): string {
  return terminalText(shortened(message, MAX_PARSER_MESSAGE));
}

/** The first `max` code points of `text`: never half of a surrogate pair. */
function firstCharacters(text: string, max: number): string {
  let end = 0;
  for (let count = 0; count < max && end < text.length; count++) end += text.codePointAt(end)! > 0xffff ? 2 : 1;
  return text.slice(0, end);
}

function characterCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++, count++) if (text.codePointAt(i)! > 0xffff) i++;
  return count;
}
