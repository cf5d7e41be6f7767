// The modules that talk to Redis, imported only when a distributed run or a worker needs them: BullMQ and
// ioredis are optional peer dependencies (about 15 MB with theirs), so a local install stays small and a
// local run loads neither.
import { MissingDependencyError } from '../errors.js';

export async function importDistributed<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new MissingDependencyError('bullmq ioredis', 'to split Monte Carlo runs across processes (--redis, wasm-risk worker)', { cause: error });
    }
    throw error;
  }
}
