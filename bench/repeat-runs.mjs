// How many times the bench runs one contender on one workload: a run shorter than `repeatBelowSeconds` is
// repeated until the runs add up to it, at least MIN_RUNS and at most MAX_RUNS times (the best counts), so
// a 15 ms workload gets nine tries against the noise of a shared machine and a 1.5 s one three; a longer run
// runs once. bench/numba_var.py applies the same rule.
const MIN_RUNS = 3;
const MAX_RUNS = 9;

/** Whether to run again after runs that took `seconds` (wall time, in order). */
export function anotherRun(seconds, repeatBelowSeconds) {
  if (seconds[0] >= repeatBelowSeconds || seconds.length >= MAX_RUNS) return false;
  return seconds.length < MIN_RUNS || seconds.reduce((sum, s) => sum + s, 0) < repeatBelowSeconds;
}
