// One private temporary folder per test run (vitest globalSetup), which the test processes and the CLIs
// they spawn inherit as TMPDIR, so os.tmpdir() points into it. It holds the run's own transpile cache and
// its key, so that a stale or tampered user cache cannot leak into the tests and no test writes into the
// user's home. At the end it must hold nothing else: anything more is a test that did not remove what it
// made, and fails the run by name. The folder goes either way, so even a failed run leaves nothing behind.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CACHE = 'cache';
const CACHE_KEY = 'cache-key';
/** Node's own module compile cache (Node 22.1+), which npm 11 switches on in os.tmpdir(): the tests that run
 *  npx or npm on Node 22 and 24 leave it there. It is Node's cache, not a test's leftover, and goes with the folder. */
const NODE_COMPILE_CACHE = 'node-compile-cache';
const RUN_ENV = ['TMPDIR', 'WASM_RISK_CACHE_DIR', 'WASM_RISK_CACHE_KEY_FILE'] as const;

export default function setup(): () => void {
  const saved = RUN_ENV.map((name) => [name, process.env[name]] as const);
  const root = mkdtempSync(join(tmpdir(), 'wasm-risk-test-run-'));
  // Set before vitest starts its test processes, which inherit this environment.
  process.env.TMPDIR = root;
  process.env.WASM_RISK_CACHE_DIR = join(root, CACHE);
  process.env.WASM_RISK_CACHE_KEY_FILE = join(root, CACHE_KEY, 'cache.key');
  return () => {
    const leftBehind = readdirSync(root).filter((name) => name !== CACHE && name !== CACHE_KEY && name !== NODE_COMPILE_CACHE);
    rmSync(root, { recursive: true, force: true });
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    if (leftBehind.length > 0) {
      // vitest only logs an error thrown here, so the run fails through the exit code.
      console.error(`wasm-risk tests: a test left ${leftBehind.join(', ')} in the temporary folder: remove what a test creates (afterAll)`);
      process.exitCode = 1;
    }
  };
}
