// The exit-code table of docs/cli.md lists every error code the command can end with, in the row of the
// exit code host/errors.ts gives it; the codes only the service answers with are in docs/service.md's table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';

const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8');
/** Raised only by the HTTP service (its admin API, queue and routes), never by a command that exits. */
const SERVICE_ONLY = ['ERR_QUEUE_FULL', 'ERR_UNAVAILABLE', 'ERR_NOT_FOUND', 'ERR_UNAUTHORIZED', 'ERR_PATH_NOT_ALLOWED', 'ERR_REQUEST_TIMEOUT', 'ERR_EXPECTATION_FAILED', 'ERR_HEADERS_TOO_LARGE', 'ERR_METHOD_NOT_ALLOWED'];

const errors = [...read('host/errors.ts').matchAll(/readonly code = '(ERR_[A-Z_]+)';\s*readonly exitCode = (\d+);/g)].map(([, code, exit]) => ({ code: code!, exit: Number(exit) }));
/** `| <exit> | <meaning> | <codes> |` rows of the table under "## Exit codes". */
const rows = new Map(
  read('docs/cli.md')
    .split('## Exit codes')[1]!
    .split('\n## ')[0]!
    .split('\n')
    .map((line) => /^\| (\d+) \|(.*)\|$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => [Number(match[1]), match[2]!]),
);

describe('docs/cli.md exit codes', () => {
  it('finds the error classes', () => {
    expect(errors.length).toBeGreaterThan(20);
  });

  it.each(errors.filter(({ code }) => !SERVICE_ONLY.includes(code)))('$code is in the row of exit $exit', ({ code, exit }) => {
    expect(rows.get(exit) ?? '').toContain(`\`${code}\``);
  });

  it.each(errors.filter(({ code }) => SERVICE_ONLY.includes(code)))('$code is in the service\'s table of statuses', ({ code }) => {
    expect(read('docs/service.md')).toContain(`| \`${code}\``);
  });
});
