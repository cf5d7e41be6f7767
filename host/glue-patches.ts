// Edits to the JS glue jco generates, applied once at transpile time: the cache stores, hashes and
// verifies the edited glue. Each edit must match jco's output exactly once, or the load fails: a
// guarantee that rests on an edit must not lapse silently when a jco upgrade changes that text
// (test/host/glue-patches.test.ts pins the edits to jco's real output).
import { ComponentLoadError } from './errors.js';

/** Bumped whenever the edits change, so cache entries holding older glue are transpiled again. */
export const GLUE_REVISION = 1;

/** jco's `_debugLog` reads `process.env.JCO_DEBUG` on every call: about 3 us of a tiny request. */
const DEBUG_LOG_ENV_CHECK = 'if (!globalThis?.process?.env?.JCO_DEBUG) { return; }';
const DEBUG_LOG_SWITCH = 'JCO_DEBUG';

/** Untrusted components' calls are never logged to the host's console (JCO_DEBUG would print their
 *  arguments and results), so the check becomes an unconditional return. */
export function patchGlue(glue: string): string {
  const patched = replaceExactlyOnce(glue, DEBUG_LOG_ENV_CHECK, 'return;', "the JCO_DEBUG check in jco's _debugLog");
  if (patched.includes(DEBUG_LOG_SWITCH)) {
    throw new ComponentLoadError(`jco's glue still reads ${DEBUG_LOG_SWITCH} after the host's edit: refusing glue that an environment variable could make log a component's calls`);
  }
  return patched;
}

function replaceExactlyOnce(glue: string, search: string, replacement: string, what: string): string {
  const occurrences = glue.split(search).length - 1;
  if (occurrences !== 1) {
    throw new ComponentLoadError(`the host's edit of ${what} matched jco's glue ${occurrences} times, not once: jco's output changed (host/glue-patches.ts)`);
  }
  return glue.replace(search, () => replacement);
}
