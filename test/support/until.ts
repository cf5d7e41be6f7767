// Waiting in a test for something that happens asynchronously (a verdict counted, a request admitted, a
// job queued, a line written): polled, and bounded well inside vitest's 60 s test timeout, so that a wait
// that never ends fails saying what never came instead of as a bare "Test timed out". The one copy.

/** How long `until` waits by default: generous for a loaded 2-core machine, and far from vitest's 60 s. */
export const UNTIL_TIMEOUT_MS = 20_000;

/** Polls `condition` every `intervalMs` until it holds; after `timeoutMs`, throws naming `what`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = UNTIL_TIMEOUT_MS, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > giveUp) throw new Error(`never came within ${timeoutMs / 1000} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
