// A header as the client sent it: Node keeps only the first of a repeated Host, Content-Type or
// Authorization, while a proxy in front may act on the last, so the server asks how many were sent.

/** Every value sent for the header `name` (lower case), in order: `rawHeaders` alternates names and values. */
export function headerValues(rawHeaders: readonly string[], name: string): string[] {
  return rawHeaders.filter((_, i) => i % 2 === 1 && rawHeaders[i - 1]!.toLowerCase() === name);
}
