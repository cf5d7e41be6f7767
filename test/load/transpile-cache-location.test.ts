// Where the transpile cache lives by default: the folder `make clean` empties and users look for.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultCacheDir } from '../../host/load/transpile-cache.js';

afterEach(() => vi.unstubAllEnvs());

describe('defaultCacheDir', () => {
  it('is $WASM_RISK_CACHE_DIR when set, whatever XDG_CACHE_HOME says', () => {
    vi.stubEnv('WASM_RISK_CACHE_DIR', '/srv/wasm-risk-cache');
    vi.stubEnv('XDG_CACHE_HOME', '/var/cache/someone');
    expect(defaultCacheDir()).toBe('/srv/wasm-risk-cache');
  });

  it('is wasm-risk under an absolute $XDG_CACHE_HOME', () => {
    vi.stubEnv('WASM_RISK_CACHE_DIR', undefined);
    vi.stubEnv('XDG_CACHE_HOME', '/var/cache/someone');
    expect(defaultCacheDir()).toBe('/var/cache/someone/wasm-risk');
  });

  it.each([undefined, '', 'relative/cache'])('is ~/.cache/wasm-risk when XDG_CACHE_HOME is %j (the XDG spec ignores a relative one)', (xdgCacheHome) => {
    vi.stubEnv('WASM_RISK_CACHE_DIR', undefined);
    vi.stubEnv('XDG_CACHE_HOME', xdgCacheHome);
    expect(defaultCacheDir()).toBe(join(homedir(), '.cache', 'wasm-risk'));
  });
});
