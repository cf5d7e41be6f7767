// Where the transpile cache and the keys live by default: the folder `make clean` empties and users look for.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultCacheDir, defaultCacheKeyFile } from '../../host/load/transpile-cache.js';
import { defaultAuditKeyPath } from '../../host/versions/swap-audit-log.js';

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

describe('an empty WASM_RISK_* path variable', () => {
  // As XDG_CACHE_HOME's: `WASM_RISK_AUDIT_KEY_FILE=` named the working directory as the key, and an empty
  // cache folder or cache key left the cache unused.
  it('is unset, as the XDG spec has an empty variable', () => {
    vi.stubEnv('XDG_CACHE_HOME', '/var/cache/someone');
    vi.stubEnv('XDG_CONFIG_HOME', '/etc/someone');
    for (const variable of ['WASM_RISK_CACHE_DIR', 'WASM_RISK_CACHE_KEY_FILE', 'WASM_RISK_AUDIT_KEY_FILE']) vi.stubEnv(variable, '');
    expect(defaultCacheDir()).toBe('/var/cache/someone/wasm-risk');
    expect(defaultCacheKeyFile()).toBe('/etc/someone/wasm-risk/cache.key');
    expect(defaultAuditKeyPath()).toBe('/etc/someone/wasm-risk/audit-log.key');
  });
});
