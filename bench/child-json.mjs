// One benchmark contender run as a child process that prints one JSON object on stdout: the bench's
// only way to run native, Python and other-Node contenders, so each is timed and measured in a process
// of its own. A failure names the command and carries the child's stderr.
import { spawnSync } from 'node:child_process';

/** The child is stopped after `timeoutMs` (default an hour: the largest workload on a busy machine takes minutes). */
export function childJson(command, args, { timeoutMs = 3_600_000, env = process.env } = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: timeoutMs, env });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error || `signal ${result.signal}`}`);
  return JSON.parse(result.stdout);
}
