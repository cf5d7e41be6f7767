// Worker pools whose engine was closed while idle, kept for a few seconds so that the next engine of the
// same component starts on threads that are already running, with their modules imported and the
// component instantiated: starting a worker thread costs far more than a call (bench/worker-start.mjs).
// A parked pool is taken whole by one engine at a time, and only by an engine whose workers would get
// the same payload byte for byte (`poolKey`): the same component and glue, the same memory limit (and so
// the same worker heap), the same sandbox grant and worker count. Engines of different components never
// share a thread, let alone an instance. Parked workers are unreferenced by piscina while idle, and the
// timer that destroys them is too, so a parked pool never keeps the process alive.
import type { ComponentPayload } from './component-instance.js';

/** How long a closed engine's idle pool waits for the next engine of its component. */
export const PARKED_POOL_MS = 5_000;
/** Parked pools at most; parking one more destroys the longest parked. */
export const MAX_PARKED_POOLS = 4;

/** Each pool is parked under its key, at most one a key. */
export class PoolParking<Pool extends { destroy(): Promise<void> }> {
  private readonly parked = new Map<string, { pool: Pool; timer: NodeJS.Timeout }>();

  constructor(
    private readonly parkedMs = PARKED_POOL_MS,
    private readonly maxParked = MAX_PARKED_POOLS,
  ) {}

  /** Keeps `pool` for the next engine with the same key, for `parkedMs`; then destroys it. */
  park(key: string, pool: Pool): void {
    this.evict(key);
    if (this.parked.size >= this.maxParked) this.evict(this.parked.keys().next().value!);
    const timer = setTimeout(() => this.evict(key), this.parkedMs);
    timer.unref();
    this.parked.set(key, { pool, timer });
  }

  /** The pool parked under `key`, no longer parked; or undefined. */
  take(key: string): Pool | undefined {
    const entry = this.parked.get(key);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.parked.delete(key);
    return entry.pool;
  }

  /** Whether any parked pool satisfies `predicate`. */
  some(predicate: (pool: Pool) => boolean): boolean {
    for (const { pool } of this.parked.values()) if (predicate(pool)) return true;
    return false;
  }

  /** How many pools are parked. */
  get size(): number {
    return this.parked.size;
  }

  private evict(key: string): void {
    // Destroying idle workers cannot fail a caller: there is none.
    void this.take(key)?.destroy().catch(() => undefined);
  }
}

/** What a pool's workers hold: equal keys mean interchangeable workers. Every field of the payload counts
 *  (a field added later too) but the compiled modules, which the others determine: the component's core
 *  modules, as its transpilation extracted them, capped by the memory limit. */
export function poolKey(component: ComponentPayload, workers: number): string {
  const { modules: _compiledFromTheRest, ...identity } = component;
  return JSON.stringify([workers, identity]);
}
