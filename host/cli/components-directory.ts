// `--components-dir` of `serve` and `worker`: the folder whose .wasm files a server may register or a worker
// may run. Checked once at start, so a folder that is missing, not a folder, or open to others is refused
// naming the flag, not found out at the first registration or job.
import { stat } from 'node:fs/promises';
import { InvalidInputError, messageOf } from '../errors.js';
import { WRITABLE_BY_OTHERS } from '../files/private-files.js';

const FLAG = '--components-dir';

/** `dir` must be a directory that only its owner can change: whoever can write it chooses the code that may run. */
export async function assertComponentsDirectory(dir: string): Promise<void> {
  let stats;
  try {
    stats = await stat(dir);
  } catch (error) {
    throw new InvalidInputError(FLAG, `cannot read ${dir}: ${messageOf(error)}`);
  }
  if (!stats.isDirectory()) throw new InvalidInputError(FLAG, `${dir} is not a directory`);
  if ((stats.mode & WRITABLE_BY_OTHERS) !== 0) throw new InvalidInputError(FLAG, `${dir} is writable by group or others: anyone who can write it chooses the code that may run`);
}
