// `serve --tls-key`: a key others may read is served with (Kubernetes mounts secrets 0644), and said once.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { httpsFrom } from '../../host/cli/tls-flags.js';

const dir = mkdtempSync(join(tmpdir(), 'wasm-risk-tls-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });

/** The warnings httpsFrom gives for the key at `mode`, captured instead of printed. */
async function warningsAt(mode: number): Promise<unknown[][]> {
  chmodSync(key, mode);
  const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  try {
    expect(await httpsFrom({ tlsCert: cert, tlsKey: key })).toBeDefined();
    return emitWarning.mock.calls;
  } finally {
    emitWarning.mockRestore();
  }
}

describe('--tls-key', () => {
  it('readable by others: served with, one warning naming the file and its mode', async () => {
    const warnings = await warningsAt(0o644);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]![0]).toBe(`--tls-key ${key} has mode 0644: users other than its owner may read the server's private key (chmod 600 it, or defaultMode: 0400 for a Kubernetes secret)`);
    expect(warnings[0]![1]).toEqual({ code: 'WASM_RISK_TLS_KEY_SHARED' });
    expect((await warningsAt(0o640))[0]![0]).toMatch(/has mode 0640/);
  });

  it('readable by its owner only: no warning', async () => {
    expect(await warningsAt(0o600)).toEqual([]);
    expect(await warningsAt(0o400)).toEqual([]);
  });
});
