// Bounds what JSON.parse of a text may build, before it runs: a byte cap alone does not, since parsing costs
// what the text holds, not its length. 120 MB of `[0],` (30 million one-number arrays) took 2.8 GB to parse;
// an array or object costs JSON.parse about 80 bytes, a distinct key about 200, for 3 or 4 bytes of text.
// So the arrays, objects and strings of a text are counted first (a native search from one to the next,
// never more steps than the budget allows) and a text with more than its kind of input can hold is refused.

/** The most arrays and objects (together), and the most strings (keys and values), a kind of input may hold. */
export interface JsonBudget {
  containers: number;
  strings: number;
}

/** What a text holds beyond a budget: 'more than 1,120,005 arrays and objects', or undefined within it. Works on
 *  any text (an invalid one is JSON.parse's to refuse); stops counting at the first excess. */
export function jsonBudgetExcess(text: string, budget: JsonBudget): string | undefined {
  // Each token counted is at least one character of the text: a text no longer than both budgets is within
  // them, uncounted (a service request body of a few KB, parsed thousands of times a second).
  if (text.length <= Math.min(budget.containers, budget.strings)) return undefined;
  const tokens = /["[{]/g;
  let containers = 0;
  let strings = 0;
  for (let match = tokens.exec(text); match !== null; match = tokens.exec(text)) {
    if (match[0] === '"') {
      if (++strings > budget.strings) return `more than ${budget.strings.toLocaleString('en-US')} strings (keys and values)`;
      tokens.lastIndex = closingQuoteOf(text, match.index) + 1;
    } else if (++containers > budget.containers) {
      return `more than ${budget.containers.toLocaleString('en-US')} arrays and objects`;
    }
  }
  return undefined;
}

const BACKSLASH = 0x5c;

/** The index of the quote that closes the string opened at `openingQuote` (the first after an even run of
 *  backslashes), or the text's length if none does. */
export function closingQuoteOf(text: string, openingQuote: number): number {
  for (let quote = text.indexOf('"', openingQuote + 1); ; quote = text.indexOf('"', quote + 1)) {
    if (quote === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
}
