// `wasm-risk var` as a user runs it: output formats, exit codes, and one clear line for every bad input.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { summarizePnl } from '../../host/report/risk-statistics.js';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';

const EXAMPLE = 'examples/portfolio.json';
const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function portfolioFile(name: string, content: unknown): string {
  const path = join(scratch, `${name}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function truncatedComponent(): string {
  const path = join(scratch, 'truncated.wasm');
  writeFileSync(path, readFileSync('build/components/risk-engine.wasm').subarray(0, 4_000));
  return path;
}

const valid = {
  assets: [
    { id: 'A', spot: 100, drift: 0.05, vol: 0.2 },
    { id: 'B', spot: 50, drift: 0.03, vol: 0.3 },
  ],
  correlation: [[1, 0.3], [0.3, 1]],
  riskFreeRate: 0.02,
  positions: [
    { asset: 'A', type: 'spot', quantity: 10 },
    { asset: 'B', type: 'put', strike: 45, expiryYears: 0.5, quantity: 20 },
  ],
};

describe('wasm-risk var', () => {
  it('prints a VaR/ES table for the example portfolio', () => {
    const run = runCli(['var', EXAMPLE, '--paths', '20000']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/monte-carlo VaR\/ES over 1 trading day \(20,000 paths, seed 42\)/);
    expect(run.stdout).toMatch(/95%.*\n.*\n.*99%/);
    expect(run.stderr).toBe('');
  });

  it('prints exactly one JSON object with --json', () => {
    const run = runCli(['var', EXAMPLE, '--json', '--paths', '5000', '--seed', '18446744073709551615', '--confidence', '0.9,0.99', '--horizon-days', '10', '--antithetic']);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(['component', 'elapsedMs', 'horizonDays', 'levels', 'meanPnl', 'method', 'paths', 'seed', 'stdPnl'].sort());
    expect(result).toMatchObject({ method: 'monte-carlo', paths: 5000, horizonDays: 10, seed: '18446744073709551615' });
    const levels = result.levels as { confidence: number; var: number; es: number; stdError: number }[];
    expect(levels.map((l) => l.confidence)).toEqual([0.9, 0.99]);
    for (const level of levels) expect(level.es).toBeGreaterThanOrEqual(level.var);
    expect(result.component).toMatchObject({ name: 'risk-engine', version: '1.2.0', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('gives the same numbers for the same seed', () => {
    const numbers = () => {
      const { levels, meanPnl, stdPnl } = JSON.parse(runCli(['var', EXAMPLE, '--json', '--paths', '3000', '--seed', '9']).stdout) as Record<string, unknown>;
      return { levels, meanPnl, stdPnl };
    };
    expect(numbers()).toEqual(numbers());
  });

  it('shows progress when stderr is a terminal, from the start, and keeps stdout one JSON object', () => {
    // util-linux `script` gives the command a pseudo-terminal; --json still goes to the file.
    const out = join(scratch, 'tty.json');
    const transcript = execFileSync('script', ['-qec', `node dist/host/cli/main.js var ${EXAMPLE} --paths 400000 --json > ${out}`, '/dev/null'], { encoding: 'utf8' });
    // Drawn before the first chunk ends, then with the rate, elapsed time and ETA; the line ends at the end.
    expect(transcript).toMatch(/simulating \[-+\] 0% 0\/400,000 paths \| - paths\/s \| elapsed 0s \| ETA -/);
    expect(transcript).toMatch(/simulating \[=+\] 100% 400,000\/400,000 paths \| [\d,]+ paths\/s \| elapsed \d+s \| ETA 0s\x1b\[0K[^\n]*\n/);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ paths: 400000 });
  });

  it('cancels the run on SIGINT (Ctrl-C): exit 130 and one line', async () => {
    // Tens of seconds of work, interrupted once it is under way. The child says (on a spare pipe) when its
    // engine's first worker thread starts, which the command does after it took over SIGINT: a signal sent
    // after a fixed delay found a child still loading its modules on a busy machine, and Node's default
    // action killed it (no exit code, no line). A second on, the run is most often computing; a SIGINT that
    // comes while the engine still loads cancels the run before it starts, with the same exit and line.
    const reportWorker = `data:text/javascript,import { writeSync } from 'node:fs'; process.once('worker', () => writeSync(3, 'worker started'));`;
    const child = spawn(process.execPath, ['--import', reportWorker, 'dist/host/cli/main.js', 'var', EXAMPLE, '--paths', '50000000'], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const workerStarted = once(child.stdio[3] as Readable, 'data');
    await Promise.race([workerStarted, exited.then((code) => Promise.reject(new Error(`exited ${code} before starting a worker: ${stderr}`)))]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const interruptedAt = performance.now();
    child.kill('SIGINT');
    const status = await exited;
    expectOneLineFailure({ status, stdout, stderr }, 130, /^wasm-risk: ERR_CANCELLED: interrupted by SIGINT \(Ctrl-C\)$/);
    expect(performance.now() - interruptedAt).toBeLessThan(5_000);
  });

  it('says n/a for the standard error of the closed form, whose JSON keeps its number', () => {
    const table = runCli(['var', EXAMPLE, '--method', 'parametric']);
    expect(table.stdout).toMatch(/│\s+95% │[^\n]*│\s+n\/a │\n/);
    expect(table.stdout).toMatch(/│\s+99% │[^\n]*│\s+n\/a │\n/);
    const json = JSON.parse(runCli(['var', EXAMPLE, '--method', 'parametric', '--json']).stdout) as { levels: { stdError: unknown }[] };
    for (const level of json.levels) expect(level.stdError).toBe(0);
    expect(runCli(['var', EXAMPLE, '--paths', '5000']).stdout).not.toMatch(/n\/a/);
  });

  it.each(['historical', 'parametric'])('runs --method %s', (method) => {
    const run = runCli(['var', EXAMPLE, '--method', method, '--json']);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ method, seed: null });
  });
});

describe('wasm-risk var --pnl-out and --histogram', () => {
  const numbers = (stdout: string) => {
    const { levels, meanPnl, stdPnl } = JSON.parse(stdout) as Record<string, unknown>;
    return { levels, meanPnl, stdPnl };
  };

  // One worker: the component summarises the run itself; two: the host merges the chunks' losses.
  it.each(['1', '2'])('writes every path\'s P&L as CSV from the same run, whose numbers do not change (%s workers)', (workers) => {
    const args = ['var', EXAMPLE, '--json', '--paths', '30000', '--seed', '7', '--antithetic', '--confidence', '0.9,0.975', '--workers', workers];
    const file = join(scratch, `pnl-${workers}.csv`);
    const run = runCli([...args, '--pnl-out', file]);
    expect(run.status).toBe(0);
    expect(numbers(run.stdout)).toEqual(numbers(runCli(args).stdout));
    const [header, ...lines] = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(header).toBe('path,pnl');
    expect(lines).toHaveLength(30_000);
    expect(lines.slice(0, 3).map((line) => line.split(',')[0])).toEqual(['0', '1', '2']);
    // The file is this run's P&L: its statistics are the printed ones, bit for bit.
    const pnl = Float64Array.from(lines, (line) => Number(line.split(',')[1]));
    const { levels, meanPnl, stdPnl } = summarizePnl(pnl, [0.9, 0.975]);
    expect(numbers(run.stdout)).toEqual({ levels, meanPnl, stdPnl });
  });

  it('writes raw float64 for a .f64 file or with --pnl-format f64, the same values as the CSV', () => {
    const args = ['var', EXAMPLE, '--paths', '2000', '--seed', '3'];
    const csv = join(scratch, 'same.csv');
    const f64 = join(scratch, 'same.f64');
    const bin = join(scratch, 'same.bin');
    for (const extra of [['--pnl-out', csv], ['--pnl-out', f64], ['--pnl-out', bin, '--pnl-format', 'f64']]) expect(runCli([...args, ...extra]).status).toBe(0);
    const fromCsv = readFileSync(csv, 'utf8').trimEnd().split('\n').slice(1).map((line) => Number(line.split(',')[1]));
    for (const file of [f64, bin]) {
      const bytes = readFileSync(file);
      expect(bytes.length).toBe(2000 * 8);
      expect(Array.from({ length: 2000 }, (_, i) => bytes.readDoubleLE(i * 8))).toEqual(fromCsv);
    }
  });

  it('refuses an existing file without --force before running, and replaces it with --force', () => {
    const file = portfolioFile('precious', { keep: true });
    expectOneLineFailure(runCli(['var', EXAMPLE, '--paths', '1000', '--pnl-out', file]), 2, /ERR_INVALID_INPUT: --pnl-out: .*precious\.json exists; pass --force to overwrite it/);
    expect(readFileSync(file, 'utf8')).toBe('{"keep":true}');
    expect(runCli(['var', EXAMPLE, '--paths', '1000', '--pnl-out', file, '--force']).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^path,pnl\n/);
  });

  it('refuses, before running and even with --force, the portfolio it reads', () => {
    const file = portfolioFile('own-input', valid);
    expectOneLineFailure(runCli(['var', file, '--paths', '1000', '--pnl-out', file, '--force']), 2, /^wasm-risk: ERR_INVALID_INPUT: --pnl-out: .*own-input\.json is the portfolio this run reads; write the P&L to another file$/);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(valid);
  });

  it.each([
    ['the policy file', ['--policy'], 'policy file (--policy)'],
    ['the lock file', ['--strict', '--lock-file'], 'lock file (--lock-file)'],
    ['a trusted key', ['--trusted-key'], 'trusted key (--trusted-key)'],
  ])('refuses, before running and even with --force, %s it reads', (_, flags, label) => {
    // Only the portfolio and the component were refused: the P&L replaced a policy, lock file or key.
    const file = portfolioFile(`admission-input-${flags.length}-${label.length}`, { keep: true });
    expectOneLineFailure(runCli(['var', EXAMPLE, '--paths', '1000', ...flags, file, '--pnl-out', file, '--force']), 2, new RegExp(`--pnl-out: .* is the ${label.replace(/[()]/g, '\\$&')} this run reads`));
    expect(readFileSync(file, 'utf8')).toBe('{"keep":true}');
  });

  it('refuses, even with --force, /dev/stdout redirected to a file: the P&L replaced the file the table then went to', () => {
    // `wasm-risk var book.json --pnl-out /dev/stdout --force > out.txt` left out.txt holding the P&L alone,
    // the table printed into a file no longer there, and exit 0.
    const printed = join(scratch, 'out.txt');
    const fd = openSync(printed, 'w');
    const run = spawnSync(process.execPath, [join('dist', 'host', 'cli', 'main.js'), 'var', EXAMPLE, '--paths', '1000', '--pnl-out', '/dev/stdout', '--force'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', fd, 'pipe'],
    });
    closeSync(fd);
    expect(run.stderr).toBe('wasm-risk: ERR_INVALID_INPUT: --pnl-out: /dev/stdout is the standard output this run prints to; write the P&L to another file\n');
    expect(run.status).toBe(2);
    expect(readFileSync(printed, 'utf8')).toBe('');
  });

  it('refuses, before running, a file under something that is not a folder', () => {
    const file = portfolioFile('not-a-folder', valid);
    expectOneLineFailure(runCli(['var', EXAMPLE, '--paths', '1000', '--pnl-out', join(file, 'pnl.csv')]), 2, /^wasm-risk: ERR_INVALID_INPUT: --pnl-out: cannot write .*not-a-folder\.json\/pnl\.csv: ENOTDIR$/);
  });

  it('leaves no file, not even a partial one, when the run fails', () => {
    const folder = mkdtempSync(join(scratch, 'failed-run-'));
    const file = join(folder, 'pnl.csv');
    expectOneLineFailure(runCli(['var', EXAMPLE, '--paths', '20000000', '--timeout-ms', '300', '--pnl-out', file]), 4, /ERR_TIMEOUT/);
    expect(readdirSync(folder)).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });

  it('plots the P&L under the table, with each level\'s VaR and ES marked', () => {
    const run = runCli(['var', EXAMPLE, '--paths', '20000', '--histogram']);
    expect(run.status).toBe(0);
    const [table, plot] = run.stdout.split('\n\n');
    expect(table).toMatch(/^monte-carlo VaR\/ES/);
    const [title, ...rows] = plot!.trimEnd().split('\n');
    expect(title).toMatch(/^P&L distribution: 20,000 paths, 40 bins of [\d,.]+ \(row: lower edge, bar, paths\); █ = [\d,.]+ paths$/);
    expect(rows).toHaveLength(40);
    expect(rows.reduce((sum, row) => sum + Number(/ ([\d,]+)(?:  ◀.*)?$/.exec(row)![1]!.replaceAll(',', '')), 0)).toBe(20_000);
    for (const mark of ['VaR 95%', 'ES 95%', 'VaR 99%', 'ES 99%']) expect(rows.filter((row) => row.includes(mark))).toHaveLength(1);
  });
});

describe('bad input: exit code 2 and one line naming the problem', () => {
  const cases: [string, string[], RegExp][] = [
    ['missing file', ['var', join(scratch, 'nope.json')], /portfolio: cannot read .*nope\.json: ENOENT/],
    ['invalid JSON', ['var', portfolioFile('garbage', '{"assets": [')], /portfolio: .* is not valid JSON/],
    ['negative spot', ['var', portfolioFile('spot', { ...valid, assets: [{ ...valid.assets[0], spot: -1 }, valid.assets[1]] })], /assets\[0\]\.spot: must be a finite number > 0/],
    ['zero vol', ['var', portfolioFile('vol', { ...valid, assets: [valid.assets[0], { ...valid.assets[1], vol: 0 }] })], /assets\[1\]\.vol/],
    ['non-numeric drift', ['var', portfolioFile('drift', { ...valid, assets: [{ ...valid.assets[0], drift: 'high' }, valid.assets[1]] })], /assets\[0\]\.drift/],
    ['non-square correlation', ['var', portfolioFile('ragged', { ...valid, correlation: [[1, 0.3], [0.3]] })], /correlation\[1\]: must have 2 entries/],
    ['asymmetric correlation', ['var', portfolioFile('asym', { ...valid, correlation: [[1, 0.3], [0.2, 1]] })], /correlation\[1\]\[0\]: must equal correlation\[0\]\[1\]/],
    ['diagonal not 1', ['var', portfolioFile('diag', { ...valid, correlation: [[1, 0.3], [0.3, 0.9]] })], /correlation\[1\]\[1\]: diagonal must be 1/],
    ['correlation not PSD', ['var', portfolioFile('psd', { ...valid, assets: [...valid.assets, { id: 'C', spot: 1, drift: 0, vol: 0.1 }], correlation: [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]] })], /ERR_NOT_POSITIVE_SEMIDEFINITE: correlation is not positive semi-definite/],
    ['unknown asset', ['var', portfolioFile('asset', { ...valid, positions: [{ asset: 'Z', type: 'spot', quantity: 1 }] })], /positions\[0\]\.asset: unknown asset "Z"/],
    ['bad position type', ['var', portfolioFile('type', { ...valid, positions: [{ asset: 'A', type: 'future', quantity: 1 }] })], /positions\[0\]\.type/],
    ['zero strike', ['var', portfolioFile('strike', { ...valid, positions: [{ asset: 'A', type: 'call', strike: 0, expiryYears: 1, quantity: 1 }] })], /positions\[0\]\.strike/],
    ['negative expiry', ['var', portfolioFile('expiry', { ...valid, positions: [{ asset: 'A', type: 'put', strike: 1, expiryYears: -1, quantity: 1 }] })], /positions\[0\]\.expiryYears/],
    ['unknown field', ['var', portfolioFile('extra', { ...valid, leverage: 3 })], /leverage/],
    ['returns of the wrong width', ['var', portfolioFile('returns', { ...valid, returns: [[0.01]] }), '--method', 'historical'], /returns\[0\]: must have 2 entries/],
    ['returns that overflow the P&L', ['var', portfolioFile('overflow', { ...valid, returns: [[0.01, 0.02], [1000, 0]] }), '--method', 'historical'], /ERR_INVALID_INPUT: returns\[1\]: the P&L of this row is not a finite number; its returns, or the portfolio's spots, vols or quantities, are too extreme/],
    ['historical without returns', ['var', EXAMPLE.replace('portfolio', 'missing'), '--method', 'historical'], /portfolio: cannot read/],
    ['historical with no returns field', ['var', portfolioFile('noreturns', valid), '--method', 'historical'], /returns: historical VaR needs past returns/],
    ['zero paths', ['var', EXAMPLE, '--paths', '0'], /--paths: must be at least 1/],
    ['too many paths', ['var', EXAMPLE, '--paths', '999999999999'], /--paths: must be at most/],
    ['fractional paths', ['var', EXAMPLE, '--paths', '1.5'], /--paths: "1\.5" is not a non-negative integer/],
    ['negative seed', ['var', EXAMPLE, '--seed', '-1'], /--seed/],
    ['seed beyond 64 bits', ['var', EXAMPLE, '--seed', '18446744073709551616'], /--seed: must be an integer in \[0, 2\^64\)/],
    ['confidence of 1', ['var', EXAMPLE, '--confidence', '0.95,1'], /--confidence\[1\]: must be strictly between 0 and 1/],
    ['confidence not a number', ['var', EXAMPLE, '--confidence', '0.95,abc'], /--confidence: "abc" is not a number/],
    ['zero horizon', ['var', EXAMPLE, '--horizon-days', '0'], /--horizon-days: must be in \(0, 2520\]/],
    ['infinite horizon', ['var', EXAMPLE, '--horizon-days', 'Infinity'], /--horizon-days: "Infinity" is not a number/],
    ['hexadecimal horizon', ['var', EXAMPLE, '--horizon-days', '0x10'], /--horizon-days: "0x10" is not a number/],
    ['binary confidence', ['var', EXAMPLE, '--confidence', '0b1'], /--confidence: "0b1" is not a number/],
    ['unknown method', ['var', EXAMPLE, '--method', 'magic'], /--method/],
    ['seed with a closed form', ['var', EXAMPLE, '--method', 'parametric', '--seed', '1'], /--seed: applies only to --method monte-carlo/],
    ['missing component', ['var', EXAMPLE, '--component', join(scratch, 'none.wasm')], /ERR_COMPONENT_LOAD: cannot read component/],
    ['a component that is not wasm', ['var', EXAMPLE, '--component', portfolioFile('not-wasm', 'hello, world')], /ERR_COMPONENT_LOAD: .* is not a WebAssembly file/],
    ['a truncated component', ['var', EXAMPLE, '--component', truncatedComponent()], /ERR_COMPONENT_LOAD: .*truncated\.wasm is truncated or corrupt: the file ends/],
    ['a core module', ['var', EXAMPLE, '--component', 'build/cargo-target/wasm32-unknown-unknown/release/risk_engine.wasm'], /is a core WebAssembly module, not a component/],
    ['unknown option', ['var', EXAMPLE, '--turbo'], /ERR_USAGE: unknown option '--turbo'/],
    ['missing argument', ['var'], /ERR_USAGE: missing required argument/],
    ['P&L file with a closed form', ['var', EXAMPLE, '--method', 'historical', '--pnl-out', join(scratch, 'h.csv')], /ERR_INVALID_INPUT: --pnl-out: applies only to --method monte-carlo/],
    ['histogram with a closed form', ['var', EXAMPLE, '--method', 'parametric', '--histogram'], /ERR_INVALID_INPUT: --histogram: applies only to --method monte-carlo/],
    ['histogram with --json', ['var', EXAMPLE, '--histogram', '--json'], /ERR_USAGE: option '--histogram' cannot be used with option '--json'/],
    ['empty P&L file name', ['var', EXAMPLE, '--pnl-out', ''], /ERR_INVALID_INPUT: --pnl-out: must name a file/],
    ['P&L file in a missing folder', ['var', EXAMPLE, '--pnl-out', join(scratch, 'no-such-folder', 'p.csv')], /ERR_INVALID_INPUT: --pnl-out: cannot write .*p\.csv: ENOENT/],
    ['unknown P&L format', ['var', EXAMPLE, '--pnl-out', join(scratch, 'p.csv'), '--pnl-format', 'xml'], /ERR_USAGE: option '--pnl-format <format>' argument 'xml' is invalid\. Allowed choices are csv, f64/],
    ['P&L format without a file', ['var', EXAMPLE, '--pnl-format', 'f64'], /ERR_INVALID_INPUT: --pnl-format: applies only with --pnl-out/],
    ['--force without a file', ['var', EXAMPLE, '--force'], /ERR_INVALID_INPUT: --force: applies only with --pnl-out/],
  ];

  it.each(cases)('%s', (_name, args, message) => {
    expectOneLineFailure(runCli(args), 2, message);
  });
});
