// Starting an engine on workers (host/run/worker-pool.ts, parked-pools.ts): every worker starts with the
// engine; an engine closed idle hands its running workers to the next engine of the same component and of
// no other; and an engine's first call, on fresh workers or on handed-over ones, still has the deadline,
// the memory limit and the typed errors of any call.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { CancelledError, ComponentLoadError, OutOfMemoryError, PolicyDeniedError, QueueTimeoutError, TimeoutError } from '../../host/errors.js';
import { RiskEngine } from '../../host/risk-engine.js';
import type { AdmissionOptions } from '../../host/audit/admission.js';
import { ComponentImage } from '../../host/load/component-image.js';
import { EnginePool, startWorkersEarly } from '../../host/run/worker-pool.js';
import { RequestClock } from '../../host/run/executor.js';
import type { ComponentPayload } from '../../host/run/component-instance.js';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { ENGINE, examplePortfolio, fixture } from '../support/fixtures.js';

const portfolio = examplePortfolio();
/** Admits any import, so that a component importing WASI loads. */
const ALLOW_ALL: AdmissionOptions = { policy: { version: 1, name: 'allow all (test)', rules: [{ interface: '*', verdict: 'allow', reason: 'test' }] } };

/** The id the next thread of this process gets: thread ids count every thread ever started (a pool worker's
 *  own helper threads too), so the difference between two readings, less one, is the threads started
 *  between them. */
async function nextThreadId(): Promise<number> {
  const probe = new Worker('', { eval: true });
  const id = probe.threadId;
  await probe.terminate();
  return id;
}

/** Threads `action` starts (its own pool workers, and their helpers). */
async function threadsStartedBy(action: () => Promise<unknown>): Promise<number> {
  const before = await nextThreadId();
  await action();
  return (await nextThreadId()) - before - 1;
}

describe('workers at engine start', () => {
  it('all start with the engine, so a run split over them starts no thread', async () => {
    let engine: RiskEngine | undefined;
    try {
      const started = await threadsStartedBy(async () => (engine = await RiskEngine.load(ENGINE, { workers: 2, memoryLimitMb: 96 })));
      expect(started).toBeGreaterThanOrEqual(2);
      // Let the second worker finish starting (its modules, its helper thread): the run below waits for it.
      await engine!.monteCarlo(portfolio, { paths: 40_000, seed: 1n });
      expect(await threadsStartedBy(() => engine!.monteCarlo(portfolio, { paths: 40_000, seed: 2n }))).toBe(0);
    } finally {
      await engine?.close();
    }
  });

  it('of a component that imports no WASI are its only threads: the WASI implementation (and its helper thread) is loaded only for one that does', async () => {
    let plain: RiskEngine | undefined;
    let wasi: RiskEngine | undefined;
    try {
      // The run below is split over both workers, so both have instantiated the component when it ends.
      const plainThreads = await threadsStartedBy(async () => {
        plain = await RiskEngine.load(ENGINE, { workers: 2, memoryLimitMb: 104 });
        await plain.monteCarlo(portfolio, { paths: 40_000, seed: 1n });
      });
      expect(plainThreads).toBe(2);
      const wasiThreads = await threadsStartedBy(async () => {
        wasi = await RiskEngine.load(fixture('env-reader'), { workers: 1, memoryLimitMb: 104, admission: ALLOW_ALL });
        // It reports what its WASI calls saw: the sandbox's empty environment.
        await expect(wasi.parametric(portfolio)).rejects.toThrow('env-reader: env=0');
      });
      // Its worker, and the helper thread(s) of the WASI implementation.
      expect(wasiThreads).toBeGreaterThan(1);
    } finally {
      await Promise.all([plain?.close(), wasi?.close()]);
    }
  });

  it('of an engine closed idle are taken over by the next engine of the same component, which starts none', async () => {
    const options = { workers: 1, memoryLimitMb: 80 };
    const first = await RiskEngine.load(ENGINE, options);
    const expected = await first.monteCarlo(portfolio, { paths: 5_000, seed: 7n });
    await first.close();
    let second: RiskEngine | undefined;
    try {
      expect(await threadsStartedBy(async () => (second = await RiskEngine.load(ENGINE, options)))).toBe(0);
      const result = await second!.monteCarlo(portfolio, { paths: 5_000, seed: 7n });
      expect(result.levels).toEqual(expected.levels);
    } finally {
      await second?.close();
    }
  });

  it('of an engine closed idle are not taken by an engine of another component, memory limit or worker count', async () => {
    const first = await RiskEngine.load(ENGINE, { workers: 1, memoryLimitMb: 72 });
    await first.close();
    for (const [source, options] of [
      [fixture('panicker'), { workers: 1, memoryLimitMb: 72 }],
      [ENGINE, { workers: 1, memoryLimitMb: 88 }],
      [ENGINE, { workers: 2, memoryLimitMb: 72 }],
    ] as const) {
      let other: RiskEngine | undefined;
      try {
        expect(await threadsStartedBy(async () => (other = await RiskEngine.load(source, options)))).toBeGreaterThanOrEqual(options.workers);
      } finally {
        await other?.close();
      }
    }
  });

  it('of an engine closed idle keep nothing alive: the process can end at once', () => {
    const library = pathToFileURL(join(PROJECT_ROOT, 'dist', 'host', 'risk-engine.js')).href;
    const script = `import { RiskEngine } from '${library}';
      const engine = await RiskEngine.load(undefined, { workers: 2 });
      await engine.info();
      await engine.close();
      // Its stdout and stderr, pipes to this process, are the only handles that may remain. A worker's port is
      // unref'd a moment after the close (piscina's own bookkeeping): up to a second is given for that, far
      // less than the parked pool's 5 s, whose timer or threads would still be there.
      const holding = () => process.getActiveResourcesInfo().filter((resource) => resource !== 'PipeWrap');
      for (let waited = 0; holding().length > 0 && waited < 1000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      console.log(JSON.stringify(holding()));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual([]);
  });

  it('of an engine closed with a call running are stopped, not handed over; the call is cancelled', async () => {
    const options = { workers: 1, timeoutMs: 30_000, memoryLimitMb: 40 };
    const first = await RiskEngine.load(fixture('infinite-loop'), options);
    const running = first.monteCarlo(portfolio, { paths: 100 }).catch((e: unknown) => e);
    // Long enough for the call to reach its worker.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await first.close();
    expect(await running).toBeInstanceOf(CancelledError);
    let second: RiskEngine | undefined;
    try {
      expect(await threadsStartedBy(async () => (second = await RiskEngine.load(fixture('infinite-loop'), options)))).toBeGreaterThanOrEqual(1);
    } finally {
      await second?.close();
    }
  });
});

describe("an engine's first call on workers", () => {
  it('is stopped at its deadline, on fresh workers and on handed-over ones', async () => {
    const options = { workers: 1, timeoutMs: 1_000, memoryLimitMb: 48 };
    for (let engineIndex = 0; engineIndex < 2; engineIndex++) {
      const engine = await RiskEngine.load(fixture('infinite-loop'), options);
      try {
        const error = await engine.monteCarlo(portfolio, { paths: 100 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TimeoutError);
        expect((error as TimeoutError).workerStopped).toBe(true);
      } finally {
        await engine.close();
      }
    }
  });

  it("waits for the workers to start as a load, not within a request's deadline: an engine with a 1 ms timeout loads", async () => {
    // A fresh thread takes far longer than 1 ms to start; the load failed with "call exceeded its 1 ms
    // deadline; the worker was terminated" though no call had run. A distinct memory limit: no parked pool fits.
    for (const isolation of ['workers', 'in-thread'] as const) {
      const engine = await RiskEngine.load(ENGINE, { isolation, workers: 1, timeoutMs: 1, memoryLimitMb: 80 });
      try {
        expect(engine.component.name).toBe('risk-engine');
      } finally {
        await engine.close();
      }
    }
  });

  it('is held to the memory limit, on fresh workers and on handed-over ones', async () => {
    const options = { workers: 1, memoryLimitMb: 64 };
    for (let engineIndex = 0; engineIndex < 2; engineIndex++) {
      const engine = await RiskEngine.load(fixture('memory-bomb'), options);
      try {
        const error = await engine.monteCarlo(portfolio, { paths: 100 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OutOfMemoryError);
        expect((error as Error).message).toMatch(/of its 64 MiB limit$/);
      } finally {
        await engine.close();
      }
    }
  });

  it('start while the component is admitted, and a component the audit refuses leaves none running', async () => {
    /** The threads of this process now (Linux ids): a stopped worker's thread is gone. Compared by id, not
     *  counted: parked workers of the tests before may end meanwhile (PARKED_POOL_MS). */
    const liveThreads = () => new Set(readdirSync('/proc/self/task'));
    const before = liveThreads();
    const started = await threadsStartedBy(() => expect(RiskEngine.load(fixture('socket-opener'), { workers: 2, memoryLimitMb: 112 })).rejects.toThrow(PolicyDeniedError));
    // The two workers were started before the audit's verdict (they got nothing of the component)...
    expect(started).toBeGreaterThanOrEqual(2);
    // ...and are stopped with the refusal: no thread that was not there before is left.
    const newThreads = () => [...liveThreads()].filter((id) => !before.has(id));
    for (let waited = 0; newThreads().length > 0 && waited < 5_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(newThreads()).toEqual([]);
  });

  it('started early are used by one engine only, and only if they fit its worker count and memory limit', async () => {
    // Early workers of another worker count (or heap) are stopped, and the engine starts its own.
    const unfit = startWorkersEarly(1, 120 * 2 ** 20)!;
    const { payload } = await ComponentImage.load(ENGINE, { memoryLimitMb: 120 });
    const pool = new EnginePool(payload, { workers: 2, early: unfit });
    try {
      const info = await pool.run({ method: 'info' }, { clock: new RequestClock(30_000) });
      expect(info.name).toBeTypeOf('string');
    } finally {
      await pool.close();
    }
    // The same early workers cannot be handed a component twice.
    const fit = startWorkersEarly(1, 120 * 2 ** 20)!;
    const first = new EnginePool(payload, { workers: 1, early: fit });
    try {
      expect(() => new EnginePool(payload, { workers: 1, early: fit }).close()).not.toThrow();
      expect((await first.run({ method: 'info' }, { clock: new RequestClock(30_000) })).name).toBeTypeOf('string');
    } finally {
      await first.close();
    }
  });

  it('of a component that traps as it starts is the typed load error, on fresh workers and on handed-over ones', async () => {
    // The glue of a component whose core start function traps: instantiating it throws what V8 throws.
    const payload: ComponentPayload = {
      path: 'traps-at-start.wasm',
      sha256: '1'.repeat(64),
      glue: "export async function instantiate() { throw new WebAssembly.RuntimeError('unreachable'); }",
      modules: [],
      memoryLimitBytes: 16 * 2 ** 20,
      sandbox: { grantedInterfaces: [] },
      imports: [],
    };
    for (let engineIndex = 0; engineIndex < 2; engineIndex++) {
      const pool = new EnginePool(payload, { workers: 1 });
      try {
        const error = await pool.run({ method: 'info' }, { clock: new RequestClock(30_000) }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ComponentLoadError);
        expect((error as Error).message).toBe('cannot instantiate traps-at-start.wasm: unreachable');
      } finally {
        await pool.close();
      }
    }
  });
});

describe('a replaced worker', () => {
  it('is left to start: calls with a deadline shorter than its start-up fail as a wait does, and it then serves', async () => {
    const engine = await RiskEngine.load(ENGINE, { workers: 1, memoryLimitMb: 88 });
    try {
      // Overruns its 50 ms deadline (one call of 2,000,000 paths: 0.4 s here): the worker is stopped and a new one
      // starts. Not 1 ms, nor several calls: a call not yet begun, or one waiting behind another, at its deadline
      // fails as a wait does and stops nothing, and the hop to a worker alone can take a millisecond.
      const stopped = await engine.monteCarlo(portfolio, { paths: 2_000_000, timeoutMs: 50 }).catch((e: unknown) => e);
      expect(stopped).toMatchObject({ code: 'ERR_TIMEOUT', workerStopped: true });
      // A thread takes far longer than 1 ms to start: these calls never run. They were each reported as a call
      // that overran ("the worker was terminated"), and each stopped the starting worker for another.
      for (let i = 0; i < 3; i++) {
        const waited = await engine.parametric(portfolio, { timeoutMs: 1 }).catch((e: unknown) => e);
        expect(waited).toBeInstanceOf(QueueTimeoutError);
      }
      expect((await engine.parametric(portfolio)).component.name).toBe('risk-engine');
    } finally {
      await engine.close();
    }
  });
});

describe("a new worker's modules", () => {
  /** The packages and builtins the compiled module at `file` reaches through its static imports. */
  function externalImports(file: string, seen = new Set<string>(), external = new Set<string>()): Set<string> {
    if (seen.has(file)) return external;
    seen.add(file);
    for (const [, from, bare] of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|^import\s+'([^']+)'/gms)) {
      const specifier = (from ?? bare)!;
      if (specifier.startsWith('.')) externalImports(resolve(dirname(file), specifier), seen, external);
      else external.add(specifier);
    }
    return external;
  }

  it('are the host\'s own and builtins: not the piscina package (its worker script has loaded what it needs), not semver', () => {
    const external = [...externalImports(join(PROJECT_ROOT, 'dist', 'host', 'run', 'pool-worker.js'))];
    expect(external.filter((specifier) => !specifier.startsWith('node:'))).toEqual([]);
  });

  it("mark a result movable as piscina's pinned version reads it: its buffers are transferred, not copied", async () => {
    const require = createRequire(import.meta.url);
    const common = require(join(dirname(require.resolve('piscina')), 'common.js')) as { markMovable(value: object): void; isMovable(value: unknown): boolean };
    const { Piscina } = await import('piscina');
    const result = { [Symbol.for('Piscina.transferable')]: [new ArrayBuffer(8)], [Symbol.for('Piscina.valueOf')]: {} };
    expect(Symbol.for('Piscina.transferable')).toBe(Piscina.transferableSymbol);
    expect(Symbol.for('Piscina.valueOf')).toBe(Piscina.valueSymbol);
    expect(common.isMovable(result)).toBe(false);
    common.markMovable(result);
    expect(common.isMovable(result)).toBe(true);
  });
});
