// The command line itself: --version, help, and the argument parser's errors in the CLI's one-line form.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe('wasm-risk --version', () => {
  it.each(['--version', '-V'])('%s prints the package version and exits 0', (flag) => {
    const run = runCli([flag]);
    expect(run).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('help', () => {
  it('is printed on stderr with exit 2 when no command is given: a usage error, and stdout stays for results', () => {
    const run = runCli([]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Usage: wasm-risk \[options\] \[command\]/);
    expect(run.stderr).toMatch(/^ {2}var \[options\] <portfolio\.json>/m);
    expect(run.stderr).not.toMatch(/^wasm-risk: /m);
  });

  it.each(['--help', 'help', 'var --help', 'help var'])('is printed on stdout with exit 0 when asked for: wasm-risk %s', (line) => {
    const run = runCli(line.split(' '));
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: wasm-risk /);
    expect(run.stderr).toBe('');
  });
});

describe("each command's help", () => {
  const commands = ['var', 'batch', 'audit', 'compare', 'swap', 'conformance', 'verify-log', 'new', 'worker', 'serve'];
  it.each(commands)('%s --help: gives each default once, and points to documents that exist', (command) => {
    const run = runCli([command, '--help']);
    expect(run.status).toBe(0);
    // An option is its line and the indented lines its text wraps onto.
    for (const option of run.stdout.split(/\n(?= {2}-)/)) expect(option.match(/\(default/g)?.length ?? 0, option).toBeLessThanOrEqual(1);
    for (const [reference] of run.stdout.matchAll(/docs\/[\w-]+\.md/g)) expect(existsSync(reference), reference).toBe(true);
    // The README is the front door; what a file holds is in docs/ (`var` pointed to a README section that is not there).
    expect(run.stdout).not.toMatch(/README/);
  });
});

describe('a command line that does not parse: exit 2, ERR_USAGE and one line', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown option', ['var', 'examples/portfolio.json', '--pathz', '3'], /^wasm-risk: ERR_USAGE: unknown option '--pathz' \(Did you mean --paths\?\)$/],
    ['unknown command', ['value-at-risk'], /^wasm-risk: ERR_USAGE: unknown command 'value-at-risk'$/],
    ['missing argument', ['var'], /^wasm-risk: ERR_USAGE: missing required argument 'portfolio\.json'$/],
    ['excess arguments', ['var', 'a.json', 'b.json'], /^wasm-risk: ERR_USAGE: too many arguments for 'var'\. Expected 1 argument but got 2\.$/],
    ['invalid choice', ['var', 'examples/portfolio.json', '--method', 'magic'], /^wasm-risk: ERR_USAGE: option '--method <method>' argument 'magic' is invalid\. Allowed choices are monte-carlo, historical, parametric\.$/],
    ['missing option value', ['var', 'examples/portfolio.json', '--paths'], /^wasm-risk: ERR_USAGE: option '--paths <n>' argument missing$/],
  ];

  it.each(cases)('%s', (_name, args, message) => {
    expectOneLineFailure(runCli(args), 2, message);
  });

  // A 100 KB argument (the most Linux passes as one is 128 KiB) is quoted as every echoed text is, not whole.
  const long = 'A'.repeat(100_000);
  const quotedLong = `"${'A'.repeat(64)}…" \\(100000 characters\\)`;
  it.each([
    ['unknown option', ['var', 'examples/portfolio.json', `--${long}`], `^wasm-risk: ERR_USAGE: unknown option "--${'A'.repeat(62)}…" \\(100002 characters\\)$`],
    ['unknown command', [long], `^wasm-risk: ERR_USAGE: unknown command ${quotedLong}$`],
    ['invalid choice', ['var', 'examples/portfolio.json', '--method', long], `^wasm-risk: ERR_USAGE: option '--method <method>' argument ${quotedLong} is invalid\\. Allowed choices are`],
    ['invalid choice after =', ['var', 'examples/portfolio.json', `--method=${long}`], `^wasm-risk: ERR_USAGE: option '--method <method>' argument ${quotedLong} is invalid\\.`],
  ])("bounds the caller's text it quotes: %s", (_name, args, message) => {
    const run = runCli(args);
    expectOneLineFailure(run, 2, new RegExp(message));
    expect(run.stderr.length).toBeLessThan(300);
  });

  it('keeps ERR_INVALID_INPUT, naming the option, for a value that parses but is wrong', () => {
    expectOneLineFailure(runCli(['var', 'examples/portfolio.json', '--paths', '1.5']), 2, /^wasm-risk: ERR_INVALID_INPUT: --paths: "1\.5" is not a non-negative integer$/);
  });

  it.each([
    [['--paths', '0'], /^wasm-risk: ERR_INVALID_INPUT: --paths: must be at least 1$/],
    [['--confidence', '0.5,1.5'], /^wasm-risk: ERR_INVALID_INPUT: --confidence\[1\]: must be strictly between 0 and 1$/],
    [['--horizon-days', '0'], /^wasm-risk: ERR_INVALID_INPUT: --horizon-days: must be in \(0, 2520\]$/],
    [['--timeout-ms', '0'], /^wasm-risk: ERR_INVALID_INPUT: --timeout-ms: must be at least 1$/],
    [['--memory-limit-mb', '1'], /^wasm-risk: ERR_INVALID_INPUT: --memory-limit-mb: must be at least 16$/],
    [['--workers', '0'], /^wasm-risk: ERR_INVALID_INPUT: --workers: must be at least 1$/],
  ])('names the flag, not the library option it sets: %s', (flags, message) => {
    expectOneLineFailure(runCli(['var', 'examples/portfolio.json', ...flags]), 2, message);
  });

  // Refused before any connection is tried: the port is never asked.
  it.each([
    [['var', 'examples/portfolio.json', '--redis', 'not-a-url'], /^wasm-risk: ERR_INVALID_INPUT: --redis: must be a redis:\/\/ or rediss:\/\/ URL$/],
    [['var', 'examples/portfolio.json', '--redis', 'redis://127.0.0.1:1', '--chunk-paths', '0'], /^wasm-risk: ERR_INVALID_INPUT: --chunk-paths: must be at least 1$/],
    [['var', 'examples/portfolio.json', '--redis', 'redis://127.0.0.1:1', '--queue', 'a:b'], /^wasm-risk: ERR_INVALID_INPUT: --queue: must be 1-64 letters/],
    [['serve', '--port', '0', '--redis', 'not-a-url'], /^wasm-risk: ERR_INVALID_INPUT: --redis: must be a redis:\/\/ or rediss:\/\/ URL$/],
    [['worker', '--redis', 'not-a-url'], /^wasm-risk: ERR_INVALID_INPUT: --redis: must be a redis:\/\/ or rediss:\/\/ URL$/],
  ])('names --redis, --chunk-paths and --queue, not the library options distributed.*: %s', (args, message) => {
    expectOneLineFailure(runCli(args), 2, message);
  });

  it('names --policy and --lock-file, and the field inside the file, not the library options policy and lockFile', () => {
    const directory = mkdtempSync(join(tmpdir(), 'flag-files-'));
    try {
      const wrongVersion = join(directory, 'wrong-version.json');
      writeFileSync(wrongVersion, '{"version": 2}');
      expectOneLineFailure(runCli(['var', 'examples/portfolio.json', '--policy', wrongVersion]), 2, /^wasm-risk: ERR_INVALID_INPUT: --policy: version: must be 1 /);
      expectOneLineFailure(runCli(['var', 'examples/portfolio.json', '--strict', '--lock-file', wrongVersion]), 2, /^wasm-risk: ERR_INVALID_INPUT: --lock-file: version: must be 1 /);
      expectOneLineFailure(runCli(['var', 'examples/portfolio.json', '--strict', '--lock-file', join(directory, 'missing.json')]), 2, /^wasm-risk: ERR_INVALID_INPUT: --lock-file: cannot read .*missing\.json: ENOENT/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it.each([
    ['batch', ['examples/portfolio.json', '--out', '-'], '--out'],
    ['var', ['examples/portfolio.json', '--pnl-out', '-'], '--pnl-out'],
  ])('%s refuses - as its output file, which made a file named -', (command, args, flag) => {
    expectOneLineFailure(runCli([command, ...args]), 2, new RegExp(`^wasm-risk: ERR_INVALID_INPUT: ${flag}: must name a file: '-' \\(standard output\\) is not one here`));
    expect(existsSync(join(PROJECT_ROOT, '-'))).toBe(false);
  });

  it.each(['var', 'batch', 'compare'])('%s refuses a confidence level listed twice, which would print one row per copy', (command) => {
    const inputs = { var: ['examples/portfolio.json'], batch: ['examples/portfolio.json', '--out', join(tmpdir(), 'confidence-twice.jsonl')], compare: ['a.wasm', 'b.wasm', 'examples/portfolio.json'] }[command]!;
    expectOneLineFailure(runCli([command, ...inputs, '--confidence', '0.95,0.99,0.950']), 2, /^wasm-risk: ERR_INVALID_INPUT: --confidence: lists 0\.95 twice; give each level once$/);
  });

  it('says a count past 2^53 is too large, not that it is no integer', () => {
    expectOneLineFailure(runCli(['var', 'examples/portfolio.json', '--paths', '99999999999999999999']), 2, /^wasm-risk: ERR_INVALID_INPUT: --paths: "99999999999999999999" is too large$/);
  });
});

/** Runs the CLI with its stdout (or stderr) read by no one, as `wasm-risk ... | head -1` once head has exited. */
function runWithClosedPipe(args: string[], closed: 'stdout' | 'stderr'): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist', 'host', 'cli', 'main.js'), ...args], { cwd: PROJECT_ROOT });
  child[closed].destroy();
  let stderr = '';
  if (closed === 'stdout') child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr })));
}

describe('a reader that has gone (`wasm-risk ... | head -1`)', () => {
  it.each([['--version'], ['var', 'examples/portfolio.json', '--paths', '2000', '--json']])('ends %s as it would have, without a stack trace', async (...args) => {
    expect(await runWithClosedPipe(args, 'stdout')).toEqual({ status: 0, stderr: '' });
  });

  it('keeps the exit code of a failure whose line no one reads', async () => {
    expect((await runWithClosedPipe(['var', 'no-such-portfolio.json'], 'stderr')).status).toBe(2);
  });
});

/** Runs the CLI with its stdout on /dev/full, where every write fails with ENOSPC, as on a full disk. */
function runOnFullDisk(args: string[]): { status: number | null; stderr: string } {
  const full = openSync('/dev/full', 'w');
  try {
    const run = spawnSync(process.execPath, [join(PROJECT_ROOT, 'dist', 'host', 'cli', 'main.js'), ...args], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', full, 'pipe'] });
    return { status: run.status, stderr: run.stderr };
  } finally {
    closeSync(full);
  }
}

describe('a standard output that cannot be written (`> /dev/full`, a full disk)', () => {
  // It was Node's uncaught exception: a stack trace, and exit 1, the code of a refused component.
  it.each([['--version'], ['--help'], ['var', 'examples/portfolio.json', '--paths', '1000', '--json'], ['audit', 'build/components/risk-engine.wasm']])('fails %s in one line naming stdout, exit 2', (...args) => {
    expect(runOnFullDisk(args)).toEqual({ status: 2, stderr: 'wasm-risk: ERR_INVALID_INPUT: stdout: cannot write: ENOSPC\n' });
  });

  it("keeps a failure's own exit code and line", () => {
    expect(runOnFullDisk(['var', 'no-such-portfolio.json'])).toEqual({ status: 2, stderr: 'wasm-risk: ERR_INVALID_INPUT: portfolio: cannot read no-such-portfolio.json: ENOENT\n' });
  });
});
