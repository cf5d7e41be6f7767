// `wasm-risk var` as a user runs it: output formats, exit codes, and one clear line for every bad input.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';

const EXAMPLE = 'examples/portfolio.json';
const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-cli-'));

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
    expect(result.component).toMatchObject({ name: 'risk-engine', version: '1.0.0', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('gives the same numbers for the same seed', () => {
    const numbers = () => {
      const { levels, meanPnl, stdPnl } = JSON.parse(runCli(['var', EXAMPLE, '--json', '--paths', '3000', '--seed', '9']).stdout) as Record<string, unknown>;
      return { levels, meanPnl, stdPnl };
    };
    expect(numbers()).toEqual(numbers());
  });

  it('shows progress when stderr is a terminal, and keeps stdout one JSON object', () => {
    // util-linux `script` gives the command a pseudo-terminal; --json still goes to the file.
    const out = join(scratch, 'tty.json');
    const transcript = execFileSync('script', ['-qec', `node dist/host/cli/main.js var ${EXAMPLE} --paths 400000 --json > ${out}`, '/dev/null'], { encoding: 'utf8' });
    expect(transcript).toMatch(/simulating \[=+\] 100% 400000\/400000 paths/);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ paths: 400000 });
  });

  it.each(['historical', 'parametric'])('runs --method %s', (method) => {
    const run = runCli(['var', EXAMPLE, '--method', method, '--json']);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ method, seed: null });
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
    ['unknown asset', ['var', portfolioFile('asset', { ...valid, positions: [{ asset: 'Z', type: 'spot', quantity: 1 }] })], /positions\[0\]\.asset: unknown asset 'Z'/],
    ['bad position type', ['var', portfolioFile('type', { ...valid, positions: [{ asset: 'A', type: 'future', quantity: 1 }] })], /positions\[0\]\.type/],
    ['zero strike', ['var', portfolioFile('strike', { ...valid, positions: [{ asset: 'A', type: 'call', strike: 0, expiryYears: 1, quantity: 1 }] })], /positions\[0\]\.strike/],
    ['negative expiry', ['var', portfolioFile('expiry', { ...valid, positions: [{ asset: 'A', type: 'put', strike: 1, expiryYears: -1, quantity: 1 }] })], /positions\[0\]\.expiryYears/],
    ['unknown field', ['var', portfolioFile('extra', { ...valid, leverage: 3 })], /leverage/],
    ['returns of the wrong width', ['var', portfolioFile('returns', { ...valid, returns: [[0.01]] }), '--method', 'historical'], /returns\[0\]: must have 2 entries/],
    ['historical without returns', ['var', EXAMPLE.replace('portfolio', 'missing'), '--method', 'historical'], /portfolio: cannot read/],
    ['historical with no returns field', ['var', portfolioFile('noreturns', valid), '--method', 'historical'], /returns: historical VaR needs past returns/],
    ['zero paths', ['var', EXAMPLE, '--paths', '0'], /paths: must be at least 1/],
    ['too many paths', ['var', EXAMPLE, '--paths', '999999999999'], /paths: must be at most/],
    ['fractional paths', ['var', EXAMPLE, '--paths', '1.5'], /--paths: '1\.5' is not a non-negative integer/],
    ['negative seed', ['var', EXAMPLE, '--seed', '-1'], /--seed/],
    ['seed beyond 64 bits', ['var', EXAMPLE, '--seed', '18446744073709551616'], /seed: must be an integer in \[0, 2\^64\)/],
    ['confidence of 1', ['var', EXAMPLE, '--confidence', '0.95,1'], /confidence\[1\]: must be strictly between 0 and 1/],
    ['confidence not a number', ['var', EXAMPLE, '--confidence', '0.95,abc'], /--confidence: 'abc' is not a number/],
    ['zero horizon', ['var', EXAMPLE, '--horizon-days', '0'], /horizonDays: must be in \(0, 2520\]/],
    ['infinite horizon', ['var', EXAMPLE, '--horizon-days', 'Infinity'], /--horizon-days: 'Infinity' is not a number/],
    ['unknown method', ['var', EXAMPLE, '--method', 'magic'], /--method/],
    ['seed with a closed form', ['var', EXAMPLE, '--method', 'parametric', '--seed', '1'], /--seed: applies only to --method monte-carlo/],
    ['missing component', ['var', EXAMPLE, '--component', join(scratch, 'none.wasm')], /ERR_COMPONENT_LOAD: cannot read component/],
    ['a component that is not wasm', ['var', EXAMPLE, '--component', portfolioFile('not-wasm', 'hello, world')], /ERR_COMPONENT_LOAD: .* is not a WebAssembly file/],
    ['a truncated component', ['var', EXAMPLE, '--component', truncatedComponent()], /ERR_COMPONENT_LOAD: .*truncated\.wasm is truncated or corrupt: the file ends/],
    ['a core module', ['var', EXAMPLE, '--component', 'build/cargo-target/wasm32-unknown-unknown/release/risk_engine.wasm'], /is a core WebAssembly module, not a component/],
    ['unknown option', ['var', EXAMPLE, '--turbo'], /unknown option '--turbo'/],
    ['missing argument', ['var'], /missing required argument/],
  ];

  it.each(cases)('%s', (_name, args, message) => {
    expectOneLineFailure(runCli(args), 2, message);
  });
});
