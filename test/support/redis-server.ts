// A throwaway Redis for the distributed tests: Debian's redis-server on a free loopback port, nothing saved
// to disk, stopped by the test that started it; and `wasm-risk worker` processes against it.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';

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
  });
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await printed(server, 'stdout', /Ready to accept connections/);
  return { url: `redis://127.0.0.1:${port}`, stop: () => stopProcess(server) };
}

/** A `wasm-risk worker` process, once it listens to its queue. */
export async function startWorker(args: string[]): Promise<ChildProcess & { output: () => string }> {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist', 'host', 'cli', 'main.js'), 'worker', ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await printed(child, 'stderr', /worker on queue/);
  return Object.assign(child, { output: () => output });
}
