// The distributed tests' throwaway Redis and `wasm-risk worker` processes: the local setup of
// tools/local-cluster.ts, which `make demo-distributed` and `make bench-distributed` start too.
export { startRedis, startWorker, stopProcess, type LocalRedis as TestRedis } from '../../tools/local-cluster.js';
