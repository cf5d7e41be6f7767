// `wasm-risk worker`'s flags, refused before it connects: a queue name no requester accepts (or BullMQ
// refuses), a --components-dir that is missing, not a directory, unreadable or open to others, and limits
// the engine refuses (else every job failed with them, as the requester's bad input), each as one line
// naming the flag or field, exit 2; never an internal error.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-worker-flags-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
// Nothing listens there: a flag that passed would fail later, with ERR_REDIS_UNAVAILABLE.
const worker = (...flags: string[]) => runCli(['worker', '--redis', 'redis://127.0.0.1:1', ...flags]);

describe('wasm-risk worker flags', () => {
  it('refuses a queue name a requester would refuse, with the requester\'s rule', () => {
    for (const queue of ['a:b', '', 'my queue', 'x'.repeat(65)]) {
      expectOneLineFailure(worker('--queue', queue), 2, /^wasm-risk: ERR_INVALID_INPUT: --queue: must be 1-64 letters, digits, - or _$/);
    }
  });

  it('refuses limits the engine would refuse at its first job', () => {
    expectOneLineFailure(worker('--memory-limit-mb', '8'), 2, /^wasm-risk: ERR_INVALID_INPUT: --memory-limit-mb: must be at least 16$/);
    expectOneLineFailure(worker('--memory-limit-mb', '5000'), 2, /^wasm-risk: ERR_INVALID_INPUT: --memory-limit-mb: must be at most 4096$/);
    expectOneLineFailure(worker('--timeout-ms', '0'), 2, /^wasm-risk: ERR_INVALID_INPUT: --timeout-ms: must be at least 1$/);
  });

  it('refuses a --components-dir that is missing, a file, unreadable or writable by others', () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, '');
    const open = join(scratch, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const unreadable = join(scratch, 'unreadable');
    mkdirSync(unreadable);
    chmodSync(unreadable, 0o300);
    try {
      expectOneLineFailure(worker('--components-dir', join(scratch, 'missing')), 2, /^wasm-risk: ERR_INVALID_INPUT: --components-dir: cannot read .*missing: ENOENT/);
      expectOneLineFailure(worker('--components-dir', file), 2, /^wasm-risk: ERR_INVALID_INPUT: --components-dir: .*a-file is not a directory$/);
      expectOneLineFailure(worker('--components-dir', open), 2, /^wasm-risk: ERR_INVALID_INPUT: --components-dir: .*open is writable by group or others/);
      // Root reads any directory: the check would not see the mode.
      if (process.getuid?.() !== 0) expectOneLineFailure(worker('--components-dir', unreadable), 2, /^wasm-risk: ERR_INVALID_INPUT: --components-dir: cannot read .*unreadable: EACCES/);
    } finally {
      chmodSync(unreadable, 0o700);
    }
  });
});
