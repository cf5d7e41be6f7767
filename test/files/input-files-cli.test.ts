// Every file the CLI reads, given as a user might by mistake or an attacker on purpose: a device, a FIFO, a
// directory, a huge file, duplicate JSON keys, JSON that is not an object. Each is refused fast, with exit 2 and one line.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineFailure, runCli, type CliRun } from '../support/run-cli.js';

const EXAMPLE = 'examples/portfolio.json';
const ENGINE = 'build/components/risk-engine.wasm';
const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-input-files-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const fifo = join(scratch, 'fifo');
const directory = join(scratch, 'a-directory');
const key = join(scratch, 'key.pem');
/** Sparse: their size is on record, none of it on disk. */
const hugePortfolio = join(scratch, 'huge.json');
const hugeComponent = join(scratch, 'huge.wasm');
const twoMiB = join(scratch, 'two-mib.json');

/** How long the CLI takes to start and fail on a missing file: the baseline the refusals are timed against. */
let startupMs = 0;

beforeAll(() => {
  execFileSync('mkfifo', [fifo]);
  mkdirSync(directory);
  writeFileSync(key, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
  for (const [path, size] of [[hugePortfolio, 200 * 2 ** 20], [hugeComponent, 200 * 2 ** 20], [twoMiB, 2 * 2 ** 20]] as const) {
    writeFileSync(path, '');
    truncateSync(path, size);
  }
  startupMs = timed(['var', join(scratch, 'none.json')]).ms;
});

function timed(args: string[]): CliRun & { ms: number } {
  const started = performance.now();
  // A FIFO read that blocks would hang here: the timeout turns that into a failed test (status null).
  const run = runCli(args, { timeoutMs: 10_000 });
  return { ...run, ms: performance.now() - started };
}

function expectFastRefusal(args: string[], message: RegExp): void {
  const run = timed(args);
  expectOneLineFailure(run, 2, message);
  expect(run.ms - startupMs).toBeLessThan(1_000);
}

describe('files that are not regular files, or too large, are refused before they are read', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['/dev/zero as the portfolio', () => ['var', '/dev/zero'], /ERR_INVALID_INPUT: portfolio: cannot read \/dev\/zero: a character device, not a regular file$/],
    ['/dev/urandom as the component', () => ['var', EXAMPLE, '--component', '/dev/urandom'], /ERR_COMPONENT_LOAD: cannot read component \/dev\/urandom: a character device, not a regular file$/],
    ['/dev/zero as the component to audit', () => ['audit', '/dev/zero'], /ERR_COMPONENT_LOAD: cannot read component \/dev\/zero: a character device/],
    ['/dev/zero as the signature', () => ['audit', ENGINE, '--trusted-key', key, '--signature', '/dev/zero'], /ERR_INVALID_INPUT: signatureFile: cannot read \/dev\/zero: a character device/],
    ['/dev/zero as a trusted key', () => ['audit', ENGINE, '--trusted-key', '/dev/zero'], /ERR_INVALID_INPUT: --trusted-key: cannot read \/dev\/zero: a character device/],
    ['/dev/zero as the policy', () => ['audit', ENGINE, '--policy', '/dev/zero'], /ERR_INVALID_INPUT: --policy: cannot read \/dev\/zero: a character device/],
    ['/dev/zero as the lock file', () => ['audit', ENGINE, '--strict', '--lock-file', '/dev/zero'], /ERR_INVALID_INPUT: --lock-file: cannot read \/dev\/zero: a character device/],
    ['a FIFO as the portfolio', () => ['var', fifo], /ERR_INVALID_INPUT: portfolio: cannot read .*fifo: a FIFO \(named pipe\), not a regular file$/],
    ['a FIFO as the component', () => ['var', EXAMPLE, '--component', fifo], /ERR_COMPONENT_LOAD: cannot read component .*fifo: a FIFO \(named pipe\)/],
    ['a FIFO as the swap portfolio', () => ['swap', ENGINE, ENGINE, '--portfolio', fifo], /ERR_INVALID_INPUT: portfolio: cannot read .*fifo: a FIFO/],
    ['a directory as the portfolio', () => ['var', directory], /ERR_INVALID_INPUT: portfolio: cannot read .*a-directory: a directory, not a regular file$/],
    ['a directory as the component', () => ['audit', directory], /ERR_COMPONENT_LOAD: cannot read component .*a-directory: a directory/],
    ['a 200 MiB portfolio', () => ['var', hugePortfolio], /ERR_INVALID_INPUT: portfolio: cannot read .*huge\.json: 200 MiB, over the 128 MiB cap for a portfolio; raise it with --max-input-mb or WASM_RISK_MAX_INPUT_MB$/],
    ['a 200 MiB component', () => ['audit', hugeComponent], /ERR_COMPONENT_LOAD: cannot read component .*huge\.wasm: 200 MiB, over the 128 MiB cap for a component/],
    ['a portfolio over a lowered cap', () => ['var', twoMiB, '--max-input-mb', '1'], /ERR_INVALID_INPUT: portfolio: cannot read .*two-mib\.json: 2 MiB, over the 1 MiB cap for a portfolio/],
  ];

  it.each(cases)('%s', (_name, args, message) => expectFastRefusal(args(), message));

  it('reads a file over the default cap when --max-input-mb raises it', () => {
    // 200 MiB of zero bytes: read in full, then refused for what it is, not for its size.
    const run = timed(['var', hugePortfolio, '--max-input-mb', '256']);
    expectOneLineFailure(run, 2, /ERR_INVALID_INPUT: portfolio: .*huge\.json is not valid JSON/);
  });

  it.each([['0'], ['513'], ['1.5'], ['lots']])('refuses --max-input-mb %s', (value) => {
    expectOneLineFailure(runCli(['var', EXAMPLE, '--max-input-mb', value]), 2, /ERR_INVALID_INPUT: --max-input-mb: ".*" is not an integer from 1 to 512 \(MiB\)$/);
  });
});

describe('duplicate JSON keys are an error, not a silent last-one-wins', () => {
  it('names the duplicated key of a portfolio by its path', () => {
    const path = join(scratch, 'duplicate-spot.json');
    writeFileSync(
      path,
      '{"assets":[{"id":"A","spot":-5,"spot":190,"drift":0.05,"vol":0.2}],"correlation":[[1]],"positions":[{"asset":"A","type":"spot","quantity":1}]}',
    );
    expectOneLineFailure(runCli(['var', path]), 2, /ERR_INVALID_INPUT: portfolio: assets\[0\]\.spot: duplicate key in .*duplicate-spot\.json$/);
  });

  it('names the duplicated key of a policy by its path', () => {
    const path = join(scratch, 'duplicate-verdict.json');
    writeFileSync(path, '{"version":1,"name":"p","rules":[{"interface":"wasi:*","verdict":"deny","verdict":"allow","reason":"r"}]}');
    expectOneLineFailure(runCli(['audit', ENGINE, '--policy', path]), 2, /ERR_INVALID_INPUT: --policy: rules\[0\]\.verdict: duplicate key in /);
  });
});

describe('a portfolio file that holds no object', () => {
  it.each([['[]', 'an array'], ['null', 'null'], ['"portfolio"', 'a string'], ['42', 'a number']])('%s: the error names the file, not a field with no name', (json, what) => {
    const path = join(scratch, 'not-an-object.json');
    writeFileSync(path, json);
    expectOneLineFailure(runCli(['var', path]), 2, new RegExp(`ERR_INVALID_INPUT: portfolio: .*not-an-object\\.json must hold a JSON object, not ${what}$`));
  });
});
