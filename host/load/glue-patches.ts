// Edits to the JS glue jco generates, applied once at transpile time: the cache stores, hashes and
// verifies the edited glue. Each edit must match jco's output exactly, at every place it is meant for,
// or the load fails: a guarantee that rests on an edit must not lapse silently when a jco upgrade
// changes that text (test/load/glue-patches.test.ts pins the edits to jco's real output).
import { ComponentLoadError } from '../errors.js';
import { MAX_CONFIDENCE_LEVELS } from '../request/limits.js';

/** Bumped whenever the edits change, so cache entries holding older glue are transpiled again. */
export const GLUE_REVISION = 2;

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
  return boundLevelLists(patched);
}

/** jco lifts a report's `list<level-risk>` into one JS object per record, as many as the component says:
 *  8 million records fill a gigabyte of JS heap, and an isolate that runs out of heap while growing the
 *  array can abort the whole process (Node gives a worker only 16 MiB of leeway to stop). */
const LEVEL_LIST_LIFT =
  /for \(let i = 0; i < (len\d+); i\+\+\) \{(\n\s*const base = base\d+ \+ i \* 32;\n\s*result\d+\.push\(\{\n\s*confidence: dataView\(memory0\)\.getFloat64\(base \+ 0, true\),\n\s*var: dataView\(memory0\)\.getFloat64\(base \+ 8, true\),\n\s*es: dataView\(memory0\)\.getFloat64\(base \+ 16, true\),\n\s*stdError: dataView\(memory0\)\.getFloat64\(base \+ 24, true\),)/g;
/** jco writes this key only where it lifts a `level-risk` record: every such place must be bounded. */
const LEVEL_RECORD_KEY = /stdError/g;
/** One record more than any request asks for: a longer list is lifted as this many records, so it can
 *  never pass the one-level-per-confidence check, and the call still ends normally (post-return frees
 *  the component's list, the instance stays usable). */
export const LIFTED_LEVELS_BOUND = MAX_CONFIDENCE_LEVELS + 1;

/** Lifts at most LIFTED_LEVELS_BOUND records of every `list<level-risk>` a component returns. */
function boundLevelLists(glue: string): string {
  const lifts = glue.match(LEVEL_RECORD_KEY)?.length ?? 0;
  let bounded = 0;
  const patched = glue.replace(LEVEL_LIST_LIFT, (_, length: string, body: string) => {
    bounded++;
    return `for (let i = 0; i < Math.min(${length}, ${LIFTED_LEVELS_BOUND}); i++) {${body}`;
  });
  if (bounded !== lifts) {
    throw new ComponentLoadError(
      `the host's bound on lifted risk-report levels matched ${bounded} of jco's ${lifts} level-risk lifts: jco's output changed (host/load/glue-patches.ts)`,
    );
  }
  return patched;
}

function replaceExactlyOnce(glue: string, search: string, replacement: string, what: string): string {
  const occurrences = glue.split(search).length - 1;
  if (occurrences !== 1) {
    throw new ComponentLoadError(`the host's edit of ${what} matched jco's glue ${occurrences} times, not once: jco's output changed (host/load/glue-patches.ts)`);
  }
  return glue.replace(search, () => replacement);
}
