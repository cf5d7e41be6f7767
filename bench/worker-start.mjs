// Where a new worker's start goes: a pool worker's steps timed one by one in fresh threads of one process,
// the component already loaded (cached) in the parent. Steps: the thread starts and runs its first line;
// it imports the host's modules a pool worker imports (host/run/pool-worker.ts: neither the piscina package
// nor, for the project's engine, which imports no WASI, preview2-shim); imports the component's glue;
// instantiates it; calls `info`; the answer reaches the parent. piscina's own worker script and its
// start-up message come on top in a pool (bench/cold-start.mjs times the whole).
// Usage: node bench/worker-start.mjs [threads, default 10]; prints the best time of each step (ms) as JSON.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const now = () => performance.timeOrigin + performance.now();

if (isMainThread) {
  const { ComponentImage } = await import('../dist/host/load/component-image.js');
  const { DEFAULT_COMPONENT } = await import('../dist/host/files/package-paths.js');
  const threads = Number(process.argv[2] ?? 10);
  const { payload } = await ComponentImage.load(DEFAULT_COMPONENT);
  const best = {};
  for (let i = 0; i < threads; i++) {
    const created = now();
    const worker = new Worker(new URL(import.meta.url), { workerData: payload });
    const marks = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
    const answered = now();
    await worker.terminate();
    let previous = created;
    for (const [step, at] of [...Object.entries(marks), ['answerReachesParent', answered]]) {
      best[step] = Math.min(best[step] ?? Infinity, at - previous);
      previous = at;
    }
    best.total = Math.min(best.total ?? Infinity, answered - created);
  }
  console.log(JSON.stringify(Object.fromEntries(Object.entries(best).map(([step, ms]) => [step, Number(ms.toFixed(1))]))));
} else {
  const marks = { threadStart: now() };
  const [{ ComponentInstance }] = await Promise.all(
    ['component-instance', 'engine-calls', 'call-transport', 'task-progress'].map((name) => import(`../dist/host/run/${name}.js`)),
  );
  marks.importHostModules = now();
  await import(`data:text/javascript;base64,${Buffer.from(workerData.glue).toString('base64')}`);
  marks.importGlue = now();
  const instance = await ComponentInstance.create(workerData);
  marks.instantiate = now();
  instance.engine.info();
  marks.info = now();
  parentPort.postMessage(marks);
}
