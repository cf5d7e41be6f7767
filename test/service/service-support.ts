// A real risk server on 127.0.0.1 (port 0) for the service tests, and a real HTTP client (fetch): only
// loopback traffic. Fixture paths and the example portfolio live here, once.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';
import type { PortfolioSpec } from '../../host/request/portfolio.js';
import { RiskEngine } from '../../host/risk-engine.js';
import type { EngineOptions } from '../../host/request/engine-options.js';
import { EngineBackend } from '../../host/service/engine-backend.js';
import type { RiskBackend } from '../../host/service/evaluation.js';
import { createRiskServer, type RiskServer, type RiskServerOptions } from '../../host/service/server.js';
import { EXAMPLE_PORTFOLIO } from '../support/fixtures.js';

export { fixture } from '../support/fixtures.js';

export const ENGINE = DEFAULT_COMPONENT;
export const PORTFOLIO: PortfolioSpec = JSON.parse(readFileSync(EXAMPLE_PORTFOLIO, 'utf8'));

export interface TestServer extends RiskServer {
  url: string;
  /** The structured log lines written so far. */
  logs: Record<string, unknown>[];
}

/** Starts a server over `component` on 127.0.0.1:0 with its logs captured; `stop` it in afterAll. */
export async function startServer(
  component: string = ENGINE,
  engine: EngineOptions = {},
  options: Omit<RiskServerOptions, 'backend'> = {},
): Promise<TestServer> {
  const loaded = await RiskEngine.load(component, { workers: 2, ...engine });
  return serveBackend(new EngineBackend(loaded), { timeoutMs: engine.timeoutMs, ...options });
}

/** Starts a server over `backend` on 127.0.0.1:0 with its logs captured; `stop` it in afterAll. */
export async function serveBackend(backend: RiskBackend, options: Omit<RiskServerOptions, 'backend'> = {}): Promise<TestServer> {
  const logs: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const server = await createRiskServer({ backend, logger: { stream }, ...options });
  const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  return Object.assign(server, { url, logs });
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** POSTs `body` as JSON (a string is sent as is) and reads the answer as JSON. */
export async function post(server: { url: string }, path: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export async function get(server: { url: string }, path: string): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`${server.url}${path}`);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received: () => string;
  closed: Promise<unknown>;
}

/** A raw TCP connection to the server, for what fetch cannot send; added to `opened`, for the test to destroy. */
export async function openRaw(url: string, opened: Socket[]): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  opened.push(socket);
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
  });
  socket.on('error', () => {});
  const closed = once(socket, 'close');
  await once(socket, 'connect');
  return { socket, received: () => received, closed };
}

/** Every sample line of a Prometheus text exposition, by `name{labels}`; throws on a line that is not one
 *  (values as Prometheus reads them: Go's ParseFloat, so prom-client's `Nan` is NaN). */
export function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (-?[0-9.e+-]+|[Nn]a[Nn]|[+-]Inf)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}
