// A pool worker (loaded by piscina from dist/host/engine-worker.js): its own instances, never shared
// between threads, one engine call per task.
import { InstanceCache, type EngineTask, type EngineTaskOutcome } from './engine-calls.js';

const cache = new InstanceCache();

export default function runEngineTask(task: EngineTask): Promise<EngineTaskOutcome> {
  return cache.execute(task);
}
