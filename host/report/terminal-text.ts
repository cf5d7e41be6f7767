// Text that reaches a terminal or a log: a component's words (error messages, info, stdout/stderr) and
// names read from its binary are untrusted, and a raw ESC, CR or bidi override could clear the screen,
// recolour it, overwrite a line, or reorder what the reader sees. Every such text passes through here.

/**
 * Characters a terminal acts on or reorders instead of showing: the C0 and C1 controls and DEL (`Cc`,
 * which includes ESC, CR, BEL and the newline), the Unicode bidi controls (U+061C, U+200E/F,
 * U+202A-U+202E, U+2066-U+2069) and the line and paragraph separators.
 */
const UNSAFE_CHARACTER = /[\p{Cc}\p{Bidi_Control}\p{Zl}\p{Zp}]/u;
const UNSAFE = new RegExp(UNSAFE_CHARACTER.source, 'gu');

/** Whether `text` holds a character a terminal acts on or reorders (a name that must print as it is). */
export function hasUnsafeCharacter(text: string): boolean {
  return UNSAFE_CHARACTER.test(text);
}

function escaped(character: string): string {
  const code = character.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every unsafe character escaped visibly (`\x1b`, `\x0d`, `\u202e`). Backslashes are left
 * alone so that escaping twice changes nothing: the host escapes where a text enters and again where it
 * is printed.
 */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, escaped);
}

/** What `JSON.stringify` leaves raw that a terminal would still act on: DEL, the C1 controls, the bidi
 *  controls and the line and paragraph separators (it escapes only the C0 controls). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\p{Bidi_Control}\p{Zl}\p{Zp}]/gu;

/** `value` as one line of JSON that is safe on a terminal: the same data, with every unsafe character in
 *  its strings written as a `\uXXXX` escape (valid JSON, so parsers read the original text back). */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE_IN_JSON, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
