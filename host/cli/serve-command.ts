// `wasm-risk serve`: the risk engine as a long-running HTTP service (host/service/server.ts), the component
// loaded and admitted as `var` loads it. SIGTERM or SIGINT stops accepting, lets admitted requests finish
// within a grace period, closes the pool and returns (exit 0).
import { readFile } from 'node:fs/promises';
import { InvalidInputError, messageOf } from '../errors.js';
import { DEFAULT_COMPONENT } from '../files/package-paths.js';
import { DEFAULT_MEMORY_LIMIT_MB } from '../load/component-image.js';
import { RiskEngine } from '../risk-engine.js';
import { EngineBackend } from '../service/engine-backend.js';
import { ReferenceFallback } from '../service/fallback.js';
import { admissionOptionsFrom, type AdmissionFlags } from './admission-flags.js';

export interface ServeCommandOptions extends AdmissionFlags {
  host: string;
  port: number;
  component?: string;
  workers?: number;
  maxQueue?: number;
  maxBatch?: number;
  maxBodyMb?: number;
  timeoutMs?: number;
  memoryLimitMb?: number;
  fallback: string;
  tlsCert?: string;
  tlsKey?: string;
}

export const FALLBACKS = ['none', 'reference'] as const;

/** How long admitted requests may take to finish once a stop signal arrives. */
const GRACE_MS = 30_000;

export async function serveCommand(options: ServeCommandOptions): Promise<void> {
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new InvalidInputError(options.tlsCert === undefined ? '--tls-key' : '--tls-cert', 'needs --tls-cert and --tls-key together');
  }
  const https = options.tlsCert !== undefined && options.tlsKey !== undefined ? { cert: await readTlsFile(options.tlsCert, '--tls-cert'), key: await readTlsFile(options.tlsKey, '--tls-key') } : undefined;
  const engine = await RiskEngine.load(options.component ?? DEFAULT_COMPONENT, {
    workers: options.workers,
    timeoutMs: options.timeoutMs,
    memoryLimitMb: options.memoryLimitMb,
    admission: await admissionOptionsFrom(options),
  });
  // Loaded here, not at the CLI's start: fastify and its plugins would slow every other command.
  const { createRiskServer } = await import('../service/server.js');
  const server = await createRiskServer({
    backend: new EngineBackend(engine),
    fallback: options.fallback === 'reference' ? new ReferenceFallback(engine.concurrency) : undefined,
    maxQueue: options.maxQueue,
    maxBatch: options.maxBatch,
    maxBodyMb: options.maxBodyMb,
    timeoutMs: options.timeoutMs,
    memoryLimitMb: options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB,
    https,
  }).catch(async (error: unknown) => {
    await engine.close();
    throw error;
  });

  const stopped = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const address = await server.app.listen({ host: options.host, port: options.port });
  process.stderr.write(`listening on ${address}\n`);

  const signal = await stopped;
  server.app.log.info({ signal }, 'stopping: finishing admitted requests');
  const grace = setTimeout(() => {
    server.app.log.warn({ graceMs: GRACE_MS }, 'grace period over: closing the remaining connections');
    server.app.server.closeAllConnections();
  }, GRACE_MS);
  try {
    await server.close();
  } finally {
    clearTimeout(grace);
  }
  server.app.log.info('stopped');
}

async function readTlsFile(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new InvalidInputError(flag, `cannot read ${path}: ${messageOf(error)}`);
  }
}
