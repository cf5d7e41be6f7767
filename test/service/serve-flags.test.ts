// `wasm-risk serve` flags it cannot serve with, and an address it cannot listen on: bad input (exit 2, one
// line naming the flag), never an internal error, and never a server that starts but refuses every request.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';

const serve = (...args: string[]) => runCli(['serve', '--workers', '1', ...args]);

describe('wasm-risk serve refuses', () => {
  it.each([
    ['a port past 65535', ['--port', '70000'], /^wasm-risk: ERR_INVALID_INPUT: --port: must be in \[0, 65535\]/],
    // Every integer flag takes decimal digits and nothing else (request/integer-text.ts): ' 80' was port 80.
    ['a port with a space before it', ['--port', ' 70000'], /^wasm-risk: ERR_INVALID_INPUT: --port: " 70000" is not a non-negative integer$/],
    ['a port with a space after it', ['--port', '70000 '], /^wasm-risk: ERR_INVALID_INPUT: --port: "70000 " is not a non-negative integer$/],
    ['a queue limit with a newline', ['--port', '70000', '--max-queue', '8\n'], /^wasm-risk: ERR_INVALID_INPUT: --max-queue: "8\\n" is not a non-negative integer$/],
    ['an input cap with a space', ['--port', '70000', '--max-input-mb', ' 64'], /^wasm-risk: ERR_INVALID_INPUT: --max-input-mb: " 64" is not an integer from 1 to 512 \(MiB\)$/],
    ['a batch limit of 0', ['--port', '0', '--max-batch', '0'], /^wasm-risk: ERR_INVALID_INPUT: --max-batch: must be at least 1$/],
    ['a batch limit whose answer could pass a string', ['--port', '0', '--max-batch', '10001'], /^wasm-risk: ERR_INVALID_INPUT: --max-batch: must be at most 10000/],
    ['a body limit of 0', ['--port', '0', '--max-body-mb', '0'], /^wasm-risk: ERR_INVALID_INPUT: --max-body-mb: must be at least 1$/],
    ['a body limit no string can hold', ['--port', '0', '--max-body-mb', '4096'], /^wasm-risk: ERR_INVALID_INPUT: --max-body-mb: must be at most 511/],
    ['a request timeout under a second', ['--port', '0', '--request-timeout-ms', '10'], /^wasm-risk: ERR_INVALID_INPUT: --request-timeout-ms: must be at least 1000$/],
    ['no connections at all', ['--port', '0', '--max-connections', '0'], /^wasm-risk: ERR_INVALID_INPUT: --max-connections: must be at least 1$/],
    // Checked before Redis is asked anything: below 5,000 the largest requests would be 400s naming `chunkPaths`.
    ['chunks too small for the largest request', ['--port', '0', '--redis', 'redis://127.0.0.1:1', '--chunk-paths', '4999'], /^wasm-risk: ERR_INVALID_INPUT: --chunk-paths: must be at least 5000 with serve/],
    ['a host that is not an address of this machine', ['--port', '0', '--host', '192.0.2.1'], /^wasm-risk: ERR_INVALID_INPUT: --host: cannot listen on 192\.0\.2\.1: .*EADDRNOTAVAIL/],
  ])('%s with exit 2 naming the flag', (_name, args, message) => {
    expectOneLineFailure(serve(...args), 2, message);
  });

  it('a TLS certificate or key that is not one, or a key that is not the certificate\'s, with exit 2 naming the flag', () => {
    // These were internal errors (exit 70) with OpenSSL's words alone: `key values mismatch`.
    const dir = mkdtempSync(join(tmpdir(), 'wasm-risk-tls-flags-'));
    try {
      const pair = (name: string) => {
        const [key, cert] = [join(dir, `${name}.key`), join(dir, `${name}.pem`)];
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
        return { key, cert };
      };
      const [one, other] = [pair('one'), pair('other')];
      const garbage = join(dir, 'garbage.pem');
      writeFileSync(garbage, 'not PEM\n');
      for (const [cert, key, message] of [
        [one.cert, other.key, /^wasm-risk: ERR_INVALID_INPUT: --tls-key: .*other\.key is not the key of .*one\.pem/],
        [garbage, one.key, /^wasm-risk: ERR_INVALID_INPUT: --tls-cert: .*garbage\.pem is not a PEM certificate/],
        [one.cert, one.cert, /^wasm-risk: ERR_INVALID_INPUT: --tls-key: .*one\.pem is not an unencrypted PEM private key/],
      ] as const) {
        expectOneLineFailure(serve('--port', '0', '--tls-cert', cert, '--tls-key', key), 2, message);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a port already in use with exit 2 naming --port', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const { port } = taken.address() as AddressInfo;
      expectOneLineFailure(serve('--port', String(port)), 2, new RegExp(`^wasm-risk: ERR_INVALID_INPUT: --port: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    } finally {
      taken.close();
    }
  });
});
