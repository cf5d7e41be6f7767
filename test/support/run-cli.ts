// Runs the built CLI (dist/) as a user would, capturing exit code, stdout and stderr.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `env` adds to (or overrides) the test process's environment for the child. */
export function runCli(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const result = spawnSync(process.execPath, [join(PROJECT_ROOT, 'dist', 'host', 'cli', 'main.js'), ...args], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...options.env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The CLI's promise for a failure: the exit code, nothing on stdout, one line on stderr and no stack trace. */
export function expectOneLineFailure(run: CliRun, status: number, message: RegExp): void {
  expect(run.status).toBe(status);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}
