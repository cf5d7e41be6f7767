// The message of a command line that does not parse (commander's: unknown option or command, invalid choice),
// with the caller's arguments it quotes bounded as every echoed text is (report/echoed-input.ts). Commander
// quotes them whole in single quotes (`unknown option '--AAAA...'`), so a 100 KB argument was a 100 KB line.
import { echoed, MAX_ECHOED } from '../report/echoed-input.js';

/** `message` with each of `args` it quotes (`'...'`) that is longer than MAX_ECHOED characters quoted as
 *  `echoed` quotes it; shorter ones stay as commander wrote them (control characters are escaped where the
 *  line is printed). An argument is quoted whole, or, from `--flag=value` and `-fvalue`, by its value. */
export function boundedUsageMessage(message: string, args: readonly string[]): string {
  const quoted = new Set<string>();
  for (const arg of args) {
    quoted.add(arg);
    if (arg.startsWith('--') && arg.includes('=')) quoted.add(arg.slice(arg.indexOf('=') + 1));
    else if (/^-[^-]/.test(arg)) quoted.add(arg.slice(2));
  }
  // Longest first, so that a value that is part of a longer argument is not bounded inside it.
  const long = [...quoted].filter((text) => text.length > MAX_ECHOED).sort((a, b) => b.length - a.length);
  return long.reduce((bounded, text) => bounded.split(`'${text}'`).join(echoed(text)), message);
}
