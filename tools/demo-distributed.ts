// `make demo-distributed`: one Monte Carlo run split across two `wasm-risk worker` processes through a
// local Redis (loopback, a free port, nothing saved), printed as `var` prints it; every process it started
// is stopped at the end, on a failure or a Ctrl-C too.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { CLI, startRedis, startWorker, stopProcess, type LocalRedis } from './local-cluster.js';

const WORKERS = 2;
const portfolio = process.argv[2] ?? 'examples/portfolio.json';

let redis: LocalRedis | undefined;
const workers: ChildProcess[] = [];
// A Ctrl-C reaches the children too (one process group): they stop, and the cleanup below runs.
process.on('SIGINT', () => undefined);
try {
  redis = await startRedis();
  workers.push(...(await Promise.all(Array.from({ length: WORKERS }, () => startWorker(['--redis', redis!.url])))));
  const args = ['var', portfolio, '--redis', redis.url, '--paths', '1000000', '--chunk-paths', '250000'];
  process.stdout.write(`redis-server on ${redis.url}, ${WORKERS} workers (pids ${workers.map((w) => w.pid).join(', ')})\n$ wasm-risk ${args.join(' ')}\n`);
  const run = spawn(process.execPath, [CLI, ...args], { stdio: 'inherit' });
  const [code] = (await once(run, 'exit')) as [number | null];
  process.exitCode = code ?? 1;
} catch (error) {
  process.stderr.write(`demo-distributed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await Promise.all(workers.map((worker) => stopProcess(worker)));
  await redis?.stop();
}
