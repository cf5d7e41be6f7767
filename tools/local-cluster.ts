// A throwaway distributed setup on this machine: Debian's redis-server on a free loopback port with nothing
// saved to disk, and `wasm-risk worker` processes against it. Used by the distributed tests, `make
// demo-distributed` and `make bench-distributed`; whoever starts a process stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../host/files/package-paths.js';

export const CLI = join(PROJECT_ROOT, 'dist', 'host', 'cli', 'main.js');

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Resolves when `child` prints `pattern` on `stream`; rejects if it exits first. */
function printed(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    child[stream]!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}) before printing ${pattern}: ${text}`)));
    child.once('error', reject);
  });
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

export interface LocalRedis {
  url: string;
  /** Its loopback port. */
  port: number;
  /** SIGTERM by default; SIGKILL for a Redis that goes away with no goodbye. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A redis-server on a free loopback port (or `port`: one a stopped Redis had, to bring it back), saving
 *  nothing; with `password`, clients must give it (the URL does). */
export async function startRedis({ password, port: wanted }: { password?: string; port?: number } = {}): Promise<LocalRedis> {
  const port = wanted ?? (await freePort());
  const auth = password === undefined ? [] : ['--requirepass', password];
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...auth], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await printed(server, 'stdout', /Ready to accept connections/);
  } catch (error) {
    await stopProcess(server);
    throw error;
  }
  const credentials = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  return { url: `redis://${credentials}127.0.0.1:${port}`, port, stop: (signal) => stopProcess(server, signal) };
}

/** A `wasm-risk worker` process, once it listens to its queue; `output()` is what it printed on stderr. */
export async function startWorker(args: string[]): Promise<ChildProcess & { output: () => string }> {
  const child = spawn(process.execPath, [CLI, 'worker', ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await printed(child, 'stderr', /worker on queue/);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return Object.assign(child, { output: () => output });
}
