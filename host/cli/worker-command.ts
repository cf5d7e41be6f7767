// `wasm-risk worker`: takes chunk jobs of distributed Monte Carlo runs off a BullMQ queue in Redis and runs
// them in this process's sandboxed engines, one per component it holds, until SIGTERM, SIGINT or SIGHUP (which let
// the running chunks finish) or until Redis is lost for good (ERR_REDIS_UNAVAILABLE).
import { HeldComponents } from '../distributed/held-components.js';
import { DEFAULT_QUEUE, QUEUE_NAME, QUEUE_NAME_RULE } from '../distributed/distributed-options.js';
import { importDistributed } from '../distributed/import-distributed.js';
import { ResultsKey, warnUnauthenticatedChunks } from '../distributed/results-key.js';
import { InvalidInputError, type RedisUnavailableError } from '../errors.js';
import { validateEngineOptions } from '../request/engine-options.js';
import { admissionOptionsFrom, type AdmissionFlags } from './admission-flags.js';
import { assertComponentsDirectory } from './components-directory.js';
import { firstStopSignal, keepInspectorShut } from './process-signals.js';

export interface WorkerCommandOptions extends AdmissionFlags {
  redis: string;
  queue?: string;
  concurrency?: number;
  componentsDir?: string;
  insecureRedis?: boolean;
  resultsKey?: string;
  lockMs?: number;
  timeoutMs?: number;
  memoryLimitMb?: number;
}

/** BullMQ's default: a killed worker's chunk goes to another within about this long. */
const DEFAULT_LOCK_MS = 30_000;

export async function workerCommand(options: WorkerCommandOptions): Promise<void> {
  const concurrency = options.concurrency ?? 1;
  if (concurrency < 1 || concurrency > 256) throw new InvalidInputError('--concurrency', 'must be in [1, 256]');
  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  if (lockMs < 1000) throw new InvalidInputError('--lock-ms', 'must be at least 1000');
  // The name every requester accepts: one it would refuse leaves the worker on a queue no run reaches.
  const queue = options.queue ?? DEFAULT_QUEUE;
  if (!QUEUE_NAME.test(queue)) throw new InvalidInputError('--queue', QUEUE_NAME_RULE);
  if (options.componentsDir !== undefined) await assertComponentsDirectory(options.componentsDir);
  const engine = { admission: await admissionOptionsFrom(options), workers: concurrency, timeoutMs: options.timeoutMs, memoryLimitMb: options.memoryLimitMb };
  // Checked now, not when the first job loads an engine: a bad limit would fail every job, and each run
  // with it, as if the requester's input were bad.
  validateEngineOptions(engine);
  const resultsKey = options.resultsKey === undefined ? undefined : await ResultsKey.read(options.resultsKey, '--results-key');
  const [{ RedisLink }, { startChunkWorker }] = await importDistributed(() => Promise.all([import('../distributed/redis-connection.js'), import('../distributed/chunk-worker.js')]));
  const components = await HeldComponents.scan(options.componentsDir, engine);
  const link = await new RedisLink(options.redis, options.insecureRedis).open();
  if (!resultsKey) warnUnauthenticatedChunks();
  const worker = startChunkWorker(link, components, { queue, concurrency, lockMs, resultsKey });
  // Errors of its connections: reported once Redis is given up, below.
  worker.on('error', () => undefined);
  keepInspectorShut((message) => process.stderr.write(`wasm-risk: ${message}\n`));
  let lost: RedisUnavailableError | undefined;
  try {
    await new Promise<void>((resolve) => {
      void firstStopSignal().then(() => resolve());
      link.whenLost((error) => {
        lost = error;
        resolve();
      });
      process.stderr.write(`wasm-risk: worker on queue ${worker.name}, ${concurrency} at a time, components ${components.hashes.map((h) => h.slice(0, 16)).join(', ')}\n`);
    });
  } finally {
    await (lost ? worker.close(true) : worker.close());
    await components.close();
    await link.close();
  }
  if (lost) throw lost;
}
