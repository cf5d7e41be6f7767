// `wasm-risk serve`: the risk engine as a long-running HTTP service (host/service/server.ts), the component
// loaded and admitted as `var` loads it; with `--admin-token-file`, served through a ComponentRegistry that
// the admin API swaps and rolls back (host/service/admin.ts). SIGTERM, SIGINT or SIGHUP stops accepting, lets admitted requests finish
// within a grace period, closes the pool and returns (exit 0).
import { BlockList, type AddressInfo } from 'node:net';
import { InvalidInputError, messageOf } from '../errors.js';
import { firstStopSignal, keepInspectorShut } from './process-signals.js';
import { DEFAULT_COMPONENT } from '../files/package-paths.js';
import { validateEngineOptions, type EngineOptions } from '../request/engine-options.js';
import { RiskEngine } from '../risk-engine.js';
import { readAdminTokens, registerAdminRoutes } from '../service/admin.js';
import { EngineBackend } from '../service/engine-backend.js';
import { ReferenceFallback } from '../service/fallback.js';
import type { ServiceMetrics } from '../service/metrics.js';
import { DEFAULT_AUTO_ROLLBACK, RegistryBackend, type VersionChange } from '../service/registry-backend.js';
import { ComponentRegistry } from '../versions/registry.js';
import { MAX_CHUNKS } from '../distributed/distributed-options.js';
import { MAX_PATHS } from '../request/limits.js';
import { distributedFrom, type RedisFlags } from './redis-flags.js';
import { admissionOptionsFrom, type AdmissionFlags } from './admission-flags.js';
import { assertComponentsDirectory } from './components-directory.js';
import { httpsFrom, type TlsFlags } from './tls-flags.js';

export interface ServeCommandOptions extends AdmissionFlags, RedisFlags, TlsFlags {
  host: string;
  port: number;
  component?: string;
  workers?: number;
  maxQueue?: number;
  maxBatch?: number;
  maxBodyMb?: number;
  timeoutMs?: number;
  requestTimeoutMs?: number;
  maxConnections?: number;
  memoryLimitMb?: number;
  fallback: string;
  adminTokenFile?: string;
  componentsDir?: string;
  auditLog?: string;
  auditKey?: string;
  autoRollbackFailures?: number;
  autoRollbackRequests?: number;
  autoRollbackSeconds?: number;
}

export const FALLBACKS = ['none', 'reference'] as const;

/** How long admitted requests may take to finish once a stop signal arrives. */
const GRACE_MS = 30_000;

/** The audit log of the admin API's changes when `--audit-log` is not given (as for `swap`). */
const DEFAULT_AUDIT_LOG = 'swaps.log';

/** The flags that only mean something with the admin API. */
const ADMIN_ONLY_FLAGS = [
  ['componentsDir', '--components-dir'],
  ['auditLog', '--audit-log'],
  ['auditKey', '--audit-key'],
  ['autoRollbackFailures', '--auto-rollback-failures'],
  ['autoRollbackRequests', '--auto-rollback-requests'],
  ['autoRollbackSeconds', '--auto-rollback-seconds'],
] as const;

/** Smallest --chunk-paths that splits every Monte Carlo request a client may send into at most MAX_CHUNKS
 *  jobs: below it, the largest requests were refused 400 naming `chunkPaths`, a field no client sent. */
const MIN_SERVE_CHUNK_PATHS = Math.ceil(MAX_PATHS / MAX_CHUNKS);

/** The addresses only this machine reaches (127.0.0.0/8, ::1, and 127.0.0.0/8 mapped into IPv6). */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** Highest TCP port. */
const MAX_PORT = 65_535;

export async function serveCommand(options: ServeCommandOptions): Promise<void> {
  if (options.port > MAX_PORT) throw new InvalidInputError('--port', `must be in [0, ${MAX_PORT}] (0 picks a free one), not ${options.port}`);
  const https = await httpsFrom(options);
  if (options.adminTokenFile === undefined) {
    const given = ADMIN_ONLY_FLAGS.find(([key]) => options[key] !== undefined);
    if (given) throw new InvalidInputError(given[1], 'needs --admin-token-file (the admin API)');
  }
  for (const [value, flag] of [[options.autoRollbackRequests, '--auto-rollback-requests'], [options.autoRollbackSeconds, '--auto-rollback-seconds']] as const) {
    if (value === 0) throw new InvalidInputError(flag, 'must be at least 1 (--auto-rollback-failures 0 turns automatic rollback off)');
  }
  if (options.chunkPaths !== undefined && options.chunkPaths < MIN_SERVE_CHUNK_PATHS) {
    throw new InvalidInputError('--chunk-paths', `must be at least ${MIN_SERVE_CHUNK_PATHS} with serve: a request may ask for ${MAX_PATHS} paths, and a run is at most ${MAX_CHUNKS} chunk jobs`);
  }
  const { adminTokenFile } = options;
  const tokens = adminTokenFile === undefined ? undefined : await readAdminTokens(adminTokenFile);
  if (options.componentsDir !== undefined) await assertComponentsDirectory(options.componentsDir);
  // Loaded here, not at the CLI's start: fastify, prom-client and their plugins would slow every other command.
  const [{ createRiskServer }, { ServiceMetrics }] = await Promise.all([import('../service/server.js'), import('../service/metrics.js')]);
  const metrics = new ServiceMetrics();
  // The server's log, once there is a server: a version change is logged where the requests are.
  let log: ((change: VersionChange) => void) | undefined;
  const engineOptions: EngineOptions = {
    workers: options.workers,
    timeoutMs: options.timeoutMs,
    memoryLimitMb: options.memoryLimitMb,
    admission: await admissionOptionsFrom(options),
    // Monte Carlo requests go to `wasm-risk worker`s; the others still run in this server's pool.
    distributed: distributedFrom(options),
  };
  const registry = tokens ? await registryBackend(options, engineOptions, metrics, (change) => log?.(change)) : undefined;
  const backend = registry ?? new EngineBackend(await RiskEngine.load(options.component ?? DEFAULT_COMPONENT, engineOptions));
  const server = await createRiskServer({
    backend,
    metrics,
    // Read at start (a bad file stops the server there), then again at each admin request: an edit of the file
    // (a token revoked) takes effect at once.
    extend: registry && adminTokenFile !== undefined ? (app) => registerAdminRoutes(app, { backend: registry, tokens: () => readAdminTokens(adminTokenFile), componentsDir: options.componentsDir }) : undefined,
    fallback: options.fallback === 'reference' ? new ReferenceFallback(backend.concurrency) : undefined,
    maxQueue: options.maxQueue,
    maxBatch: options.maxBatch,
    maxBodyMb: options.maxBodyMb,
    timeoutMs: options.timeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    maxConnections: options.maxConnections,
    https,
  }).catch(async (error: unknown) => {
    await backend.close();
    throw error;
  });
  log = ({ error, ...change }) => {
    if (error === undefined) server.app.log.info(change, 'serving version changed');
    else server.app.log.error({ ...change, error: messageOf(error) }, 'automatic rollback failed');
  };

  const stopped = firstStopSignal();
  keepInspectorShut((message) => server.app.log.warn({ signal: 'SIGUSR1' }, message));
  try {
    await server.app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await server.close();
    throw listenError(error, options.host, options.port);
  }
  const bound = server.app.server.address() as AddressInfo;
  process.stderr.write(`listening on ${boundUrl(bound, https !== undefined)}\n`);
  // The admin API's bearer tokens cross the network in clear text unless the server is on loopback or HTTPS.
  if (adminTokenFile !== undefined && https === undefined && !LOOPBACK.check(bound.address, bound.family === 'IPv6' ? 'ipv6' : 'ipv4')) {
    process.emitWarning(`the admin API is open on ${bound.address} over plain HTTP: its bearer tokens cross the network in clear text; give --tls-cert and --tls-key, or --host 127.0.0.1`, { code: 'WASM_RISK_ADMIN_IN_CLEAR' });
  }

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

/** The registry the admin API acts on, its first version registered (and serving) from `--component`. */
async function registryBackend(
  options: ServeCommandOptions,
  engine: EngineOptions,
  metrics: ServiceMetrics,
  onChange: (change: VersionChange) => void,
): Promise<RegistryBackend> {
  const registry = new ComponentRegistry({ auditLogPath: options.auditLog ?? DEFAULT_AUDIT_LOG, auditKeyPath: options.auditKey, engine });
  try {
    await registry.register(options.component ?? DEFAULT_COMPONENT);
  } catch (error) {
    await registry.close();
    throw error;
  }
  return new RegistryBackend(registry, {
    concurrency: validateEngineOptions(engine).workers,
    metrics,
    autoRollback: {
      failures: options.autoRollbackFailures ?? DEFAULT_AUTO_ROLLBACK.failures,
      requests: options.autoRollbackRequests ?? DEFAULT_AUTO_ROLLBACK.requests,
      seconds: options.autoRollbackSeconds ?? DEFAULT_AUTO_ROLLBACK.seconds,
    },
    onChange,
  });
}

/** The address the server is bound to, as a URL: fastify's own answer for `--host 0.0.0.0` is
 *  http://127.0.0.1:PORT, which told the operator of a server open to every network that it was on loopback. */
function boundUrl({ address, family, port }: AddressInfo, https: boolean): string {
  return `${https ? 'https' : 'http'}://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}

/** Why the server could not listen, as bad input naming the flag to change: a port in use or reserved, or a
 *  host that does not resolve or is not an address of this machine. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES') return new InvalidInputError('--port', `cannot listen on ${host}:${port}: ${messageOf(error)}`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAFNOSUPPORT' || code === 'EINVAL') {
    return new InvalidInputError('--host', `cannot listen on ${host}: ${messageOf(error)}`);
  }
  return error;
}
