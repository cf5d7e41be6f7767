// Edits to the JS glue jco generates, applied once at transpile time: the cache stores, hashes and
// verifies the edited glue. Each edit matches jco's output exactly; test/host/glue-patches.test.ts
// fails when a jco upgrade changes that text.

/** Bumped whenever the edits change, so cache entries holding older glue are transpiled again. */
export const GLUE_REVISION = 1;

/** jco's `_debugLog` reads `process.env.JCO_DEBUG` on every call: about 3 us of a tiny request. */
const DEBUG_LOG_ENV_CHECK = 'if (!globalThis?.process?.env?.JCO_DEBUG) { return; }';

/** Untrusted components' calls are never logged to the host's console (JCO_DEBUG would print their
 *  arguments and results), so the check becomes an unconditional return. */
export function patchGlue(glue: string): string {
  return glue.replaceAll(DEBUG_LOG_ENV_CHECK, 'return;');
}
