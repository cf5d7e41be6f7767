// The worker pool under the Node flags people start their programs with: a Worker refuses V8 and
// process-wide flags in its execArgv, so the pool must not hand its workers the parent's flags.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_PORTFOLIO, PROJECT_ROOT } from '../../host/files/package-paths.js';

describe('the worker pool under node flags', () => {
  it('runs a Monte Carlo request when node was started with V8 and process-wide flags', () => {
    const flags = ['--max-old-space-size=4096', '--expose-gc', '--title=wasm-risk-node-flags', '--enable-source-maps'];
    const cli = join(PROJECT_ROOT, 'dist', 'host', 'cli', 'main.js');
    const run = spawnSync(process.execPath, [...flags, cli, 'var', EXAMPLE_PORTFOLIO, '--json', '--paths', '20000', '--workers', '2'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ paths: 20_000 });
  });
});
