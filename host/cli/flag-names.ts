// The command line's errors name the flag the user typed. The library checks its options under their own
// names (`timeoutMs: must be at least 1`, `confidence[0]: ...`), which someone at a terminal never wrote;
// a command passes its flags on under those names, so an error about one is reported as the flag's.
import { InvalidInputError } from '../errors.js';

/** Library option names (engine, request and server options) and the flags that set them. */
const FLAG_OF_OPTION: Partial<Record<string, string>> = {
  workers: '--workers',
  timeoutMs: '--timeout-ms',
  memoryLimitMb: '--memory-limit-mb',
  redis: '--redis',
  queue: '--queue',
  chunkPaths: '--chunk-paths',
  resultsKey: '--results-key',
  paths: '--paths',
  confidence: '--confidence',
  horizonDays: '--horizon-days',
  seed: '--seed',
  maxQueue: '--max-queue',
  maxBatch: '--max-batch',
  maxBodyMb: '--max-body-mb',
  requestTimeoutMs: '--request-timeout-ms',
  maxConnections: '--max-connections',
  policy: '--policy',
  lockFile: '--lock-file',
};

/** Engine options that group flags: `distributed.chunkPaths` is `--chunk-paths`, as the top-level ones are. */
const GROUPS = /^distributed\./;

/** `error` with its field named as a flag (`--confidence[0]`), when the field is one of the options above; a
 *  field inside the file a flag names is said after it (`--policy: version: must be 1`). */
export function namingTheFlag(error: unknown): unknown {
  if (!(error instanceof InvalidInputError)) return error;
  const [, option = '', rest = ''] = /^([A-Za-z]+)(.*)$/s.exec(error.field.replace(GROUPS, '')) ?? [];
  const flag = Object.hasOwn(FLAG_OF_OPTION, option) ? FLAG_OF_OPTION[option] : undefined;
  if (flag === undefined) return error;
  const problem = error.message.slice(error.field.length + 2);
  if (rest.startsWith('.')) return new InvalidInputError(flag, `${rest.slice(1)}: ${problem}`);
  return new InvalidInputError(`${flag}${rest}`, problem);
}
