// A caller's own text (an asset id, a flag's value, a key) quoted back in an error message: every message
// that echoes input takes it from here, bounded, so that a megabyte id is not a megabyte of error in a
// problem document, a log line and a terminal, and escaped, so that its quotes and controls stay visible.
import { terminalJson } from './terminal-text.js';

/** Characters (code points) of the caller's text an error quotes; the rest is counted, not shown. */
export const MAX_ECHOED = 64;

/** `text` as an error quotes it: a JSON string, terminal-safe (`"AAPL"`, `"a\u001b[2J"`); past MAX_ECHOED
 *  characters, its first ones, an ellipsis and its length (`"AAAA…" (100000 characters)`). */
export function echoed(text: string): string {
  const shown = shortened(text);
  return shown === text ? terminalJson(text) : `${terminalJson(shown)} (${characterCount(text)} characters)`;
}

/** `text` unquoted, past MAX_ECHOED characters cut to them and an ellipsis: a key in a field's path. */
export function shortened(text: string): string {
  const shown = firstCharacters(text);
  return shown.length === text.length ? text : `${shown}…`;
}

/** The first MAX_ECHOED code points of `text`: never half of a surrogate pair. */
function firstCharacters(text: string): string {
  let end = 0;
  for (let count = 0; count < MAX_ECHOED && end < text.length; count++) end += text.codePointAt(end)! > 0xffff ? 2 : 1;
  return text.slice(0, end);
}

function characterCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++, count++) if (text.codePointAt(i)! > 0xffff) i++;
  return count;
}
