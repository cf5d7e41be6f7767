// The flags that send Monte Carlo paths to `wasm-risk worker`s through Redis (`--redis` and its companions),
// shared by `var`, `batch` and `serve`, and their translation into the engine's `distributed` option.
import { Option } from 'commander';
import { InvalidInputError } from '../errors.js';
import type { EngineOptions } from '../request/engine-options.js';
import { parseInteger } from './option-parsers.js';

export interface RedisFlags {
  redis?: string;
  queue?: string;
  chunkPaths?: number;
  insecureRedis?: boolean;
  resultsKey?: string;
}

/** `what`: what goes to the workers, for --redis's help (`the Monte Carlo paths`, `each book`). */
export function redisFlagOptions(what: string): Option[] {
  return [
    new Option('--redis <url>', `run ${what} as chunk jobs for \`wasm-risk worker\`s on this Redis (docs/distributed.md)`),
    new Option('--queue <name>', 'BullMQ queue of --redis (default wasm-risk)'),
    new Option('--chunk-paths <n>', 'paths per chunk job, with --redis (default 1000000)').argParser(parseInteger('--chunk-paths')),
    new Option('--insecure-redis', 'accept a --redis off loopback with neither TLS (rediss://) nor a password'),
    new Option('--results-key <file>', 'secret shared with the workers (32 bytes, mode 0600) that authenticates each chunk job and result'),
  ];
}

/** The engine's `distributed` option, or undefined without --redis (whose companions are then refused). */
export function distributedFrom({ redis, queue, chunkPaths, insecureRedis, resultsKey }: RedisFlags): EngineOptions['distributed'] {
  if (redis === undefined) {
    for (const [value, flag] of [[queue, '--queue'], [chunkPaths, '--chunk-paths'], [insecureRedis, '--insecure-redis'], [resultsKey, '--results-key']] as const) {
      if (value !== undefined) throw new InvalidInputError(flag, 'applies only with --redis');
    }
    return undefined;
  }
  return { redis, queue, chunkPaths, insecureRedis, resultsKey };
}
