// A header as the client sent it: Node keeps only the first of a repeated Host, Content-Type or
// Authorization, while a proxy in front may act on the last, so the server asks how many were sent.

/** Every value sent for the header `name` (lower case), in order: `rawHeaders` alternates names and values. */
export function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const sent = rawHeaders[i]!;
    // Read on every request: a name of another length is not lower-cased to be told apart.
    if (sent.length === name.length && sent.toLowerCase() === name) values.push(rawHeaders[i + 1]!);
  }
  return values;
}
