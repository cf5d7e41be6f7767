// `wasm-risk serve` as a process: the listening line, JSON request logs on stdout, Prometheus text whose
// counters equal the requests sent, HTTPS with its limits, and SIGTERM during load: admitted requests
// answered, exit 0.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { fixture, get, parsePrometheus, PORTFOLIO, post } from './service-support.js';
import { until } from '../support/until.js';

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

interface Served {
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function serve(args: string[]): Promise<Served> {
  const process_ = spawn(process.execPath, [join(PROJECT_ROOT, 'dist', 'host', 'cli', 'main.js'), 'serve', '--port', '0', ...args], { cwd: PROJECT_ROOT });
  child = process_;
  let stdout = '';
  let stderr = '';
  process_.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const exited = once(process_, 'exit').then(([code]) => code as number | null);
  const url = await new Promise<string>((resolve, reject) => {
    process_.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /^listening on (https?:\/\/\S+:\d+)$/m.exec(stderr);
      if (match) resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`serve exited before listening: ${stderr}`)));
  });
  return { url, stdout: () => stdout, stderr: () => stderr, exited };
}

describe('wasm-risk serve', () => {
  it('prints the listening line, logs JSON per request, and counts exactly the requests sent', async () => {
    const served = await serve(['--workers', '2']);
    const server = { url: served.url };
    const sent = { ok: 5, bad: 3 };
    for (let i = 0; i < sent.ok; i++) expect((await post(server, '/v1/parametric', { portfolio: PORTFOLIO })).status).toBe(200);
    for (let i = 0; i < sent.bad; i++) expect((await post(server, '/v1/parametric', { portfolio: PORTFOLIO, horizonDays: 0 })).status).toBe(400);
    const metrics = await get(server, '/metrics');
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(metrics.text);
    expect(samples.get('wasm_risk_requests_total{method="parametric",outcome="ok",code="OK",version="1.2.0"}')).toBe(sent.ok);
    expect(samples.get('wasm_risk_requests_total{method="parametric",outcome="error",code="ERR_INVALID_INPUT",version="1.2.0"}')).toBe(sent.bad);
    expect(samples.get('wasm_risk_request_duration_seconds_count{method="parametric"}')).toBe(sent.ok + sent.bad);
    expect(samples.get('wasm_risk_engine_call_duration_seconds_count{method="parametric"}')).toBe(sent.ok);
    expect(samples.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    child!.kill('SIGINT');
    expect(await served.exited).toBe(0);
    const lines = served.stdout().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const answered = lines.filter((line) => line.msg === 'request answered');
    expect(answered).toHaveLength(sent.ok + sent.bad);
    expect(answered[0]).toMatchObject({ method: 'parametric', outcome: 'ok', status: 200, version: '1.2.0' });
  });

  it.each([
    ['127.0.0.1', 'http://127.0.0.1:'],
    // fastify's own answer for the wildcard was http://127.0.0.1:PORT: a server open to every network said loopback.
    ['0.0.0.0', 'http://0.0.0.0:'],
    ['::1', 'http://[::1]:'],
  ])('says the address it is bound to: --host %s', async (host, prefix) => {
    const served = await serve(['--workers', '1', '--host', host]);
    expect(served.url.startsWith(prefix), served.url).toBe(true);
    child!.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('writes a quiet server\'s request line while it runs, not only when it stops', async () => {
    // Lines are gathered into 4 KiB writes under load; one request's line alone goes out within a second.
    const served = await serve(['--workers', '1']);
    expect((await post({ url: served.url }, '/v1/parametric', { portfolio: PORTFOLIO })).status).toBe(200);
    await expect.poll(() => served.stdout(), { timeout: 5_000, interval: 100 }).toContain('request answered');
    child!.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('--fallback reference answers for a panicking component', async () => {
    const served = await serve(['--workers', '1', '--component', fixture('panicker'), '--fallback', 'reference']);
    const answer = await post({ url: served.url }, '/v1/parametric', { portfolio: PORTFOLIO });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ fallback: true, method: 'parametric' });
    child!.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('SIGTERM during load: admitted requests are answered, then it exits 0', async () => {
    const served = await serve(['--workers', '2']);
    const server = { url: served.url };
    const inFlight = Array.from({ length: 6 }, () => post(server, '/v1/monte-carlo', { portfolio: PORTFOLIO, paths: 400_000 }));
    // Wait until all of them arrived (running, queued, or already answered on a fast machine), then stop: one
    // still on its way would be refused by the stopping server, and a fixed number of polls went on regardless.
    await until(async () => {
      const samples = parsePrometheus((await get(server, '/metrics')).text);
      const answered = samples.get('wasm_risk_requests_total{method="monte-carlo",outcome="ok",code="OK",version="1.2.0"}') ?? 0;
      return (samples.get('wasm_risk_in_flight') ?? 0) + (samples.get('wasm_risk_queue_depth') ?? 0) + answered === 6;
    }, 'the 6 requests admitted');
    const stoppedAt = performance.now();
    child!.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await served.exited).toBe(0);
    // Within the work's own time, not the 30 s grace period: answered connections are closed, not kept alive.
    expect(performance.now() - stoppedAt).toBeLessThan(15_000);
    expect(served.stdout()).toContain('"signal":"SIGTERM"');
  });

  it('SIGHUP (its terminal or session gone) stops it as SIGTERM does: exit 0, the answered request in its log', async () => {
    // Node's default for SIGHUP ended the process at once (exit 129), and the line of a request answered in
    // the last second, still in the log's buffer, with it.
    const served = await serve(['--workers', '1']);
    expect((await post({ url: served.url }, '/v1/parametric', { portfolio: PORTFOLIO })).status).toBe(200);
    child!.kill('SIGHUP');
    expect(await served.exited).toBe(0);
    expect(served.stdout()).toContain('"method":"parametric","outcome":"ok"');
    expect(served.stdout()).toContain('"signal":"SIGHUP"');
  });

  it('SIGUSR1 does not open the inspector (a debugger anyone on the machine could connect to), and it serves on', async () => {
    // Node's default: the inspector listening on 127.0.0.1:9229, without authentication, for any local user
    // to run code in the server that holds the admin tokens and the audit key.
    const served = await serve(['--workers', '1']);
    child!.kill('SIGUSR1');
    await until(() => served.stdout().includes('"signal":"SIGUSR1"'), 'the warning logged');
    expect((await post({ url: served.url }, '/v1/parametric', { portfolio: PORTFOLIO })).status).toBe(200);
    expect(served.stderr()).not.toMatch(/Debugger listening|inspector/i);
    child!.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('exits after SIGTERM when the reader of its log has gone (a log collector that died)', async () => {
    const served = await serve(['--workers', '1']);
    // The reader takes the line that says it is stopping, then goes: the lines after it meet a closed pipe.
    child!.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('"signal":"SIGTERM"')) child!.stdout!.destroy();
    });
    child!.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  }, 60_000);

  it('serves HTTPS with --tls-cert and --tls-key, and cuts a request that does not arrive in time there too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-risk-tls-'));
    try {
      const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
        '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      const ca = readFileSync(cert);
      const served = await serve(['--workers', '1', '--tls-cert', cert, '--tls-key', key, '--request-timeout-ms', '1000']);
      const { hostname, port, protocol } = new URL(served.url);
      expect(protocol).toBe('https:');
      // A whole request over TLS, the certificate checked against itself.
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const sent = request({ host: hostname, port, path: '/v1/parametric', method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
          response.on('end', () => resolve({ status: response.statusCode!, body }));
        });
        sent.on('error', reject);
        sent.end(JSON.stringify({ portfolio: PORTFOLIO }));
      });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ method: 'parametric', fallback: false });
      // A body sent a byte at a time over TLS: 408 and closed, as over plain HTTP.
      const slow = connect({ host: hostname, port: Number(port), ca });
      let received = '';
      slow.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
      slow.on('error', () => {});
      await once(slow, 'secureConnect');
      const started = performance.now();
      slow.write('POST /v1/parametric HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
      const trickle = setInterval(() => slow.write(' '), 200);
      try {
        await once(slow, 'close');
      } finally {
        clearInterval(trickle);
      }
      // Within the timeout and one of Node's checks (every second here, every 30 s by Node's default).
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
      expect(received).toContain('"code":"ERR_REQUEST_TIMEOUT"');
      // A connection that never finishes its TLS handshake (a ClientHello cut short) is closed within the timeout
      // too: the HTTP timeouts start only once the handshake is done, and TLS's own default waits 120 s.
      const silent = netConnect(Number(port), hostname);
      silent.on('error', () => {});
      await once(silent, 'connect');
      const opened = performance.now();
      silent.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
      await once(silent, 'close');
      expect(performance.now() - opened).toBeLessThan(10_000);
      child!.kill('SIGTERM');
      expect(await served.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
