// Cold start, in a fresh Node process (bench/run.mjs spawns it): import the library, load the component
// and make a first tiny call; then load it a second time in the same process (a cache hit; with workers,
// the second engine takes over the first one's parked workers, host/run/parked-pools.ts) and call again;
// then, with workers, a third load whose workers cannot be taken over (another memory limit): what new
// worker threads cost in a process where everything else is warm.
// Usage: node bench/cold-start.mjs <cacheDir> <in-thread|workers>; prints one JSON object (milliseconds).
const started = performance.now();
const { RiskEngine } = await import('../dist/host/risk-engine.js');
const imported = performance.now();

const [cacheDir, isolation] = process.argv.slice(2);
const tiny = { assets: [{ id: 'X', spot: 100, drift: 0.05, vol: 0.2 }], correlation: [[1]], positions: [{ asset: 'X', type: 'spot', quantity: 1 }] };

async function loadAndCall(memoryLimitMb) {
  const t0 = performance.now();
  const engine = await RiskEngine.load(undefined, { cacheDir, isolation, workers: 1, memoryLimitMb });
  const t1 = performance.now();
  await engine.monteCarlo(tiny, { paths: 100 });
  const t2 = performance.now();
  await engine.close();
  return { loadMs: t1 - t0, firstCallMs: t2 - t1, totalMs: t2 - t0 };
}

const first = await loadAndCall();
const second = await loadAndCall();
const newWorkers = isolation === 'workers' ? await loadAndCall(256) : undefined;
console.log(JSON.stringify({ importMs: imported - started, first, second, newWorkers }));
