// The secret that a distributed run's requesters and workers share and Redis never sees (`--results-key`):
// each chunk job and each chunk result carries an HMAC-SHA256 under it, so whoever can write the queue can
// neither make a worker run a job no requester wrote, nor make a requester merge a result no keyed worker
// computed for that very job. A result's MAC covers the whole job it answers (the run's random id, the
// chunk's paths, the request, the component's SHA-256): it cannot be replayed into another run or chunk.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ChunkForgedError, InvalidInputError, messageOf } from '../errors.js';
import { readSecretKey, SECRET_KEY_BYTES } from '../files/secret-keys.js';

/** What each MAC says it is, so a job's MAC is never taken for a result's. */
const JOB = 'wasm-risk chunk job 1';
const RESULT = 'wasm-risk chunk result 1';
const MAC_HEX = /^[0-9a-f]{64}$/;
/** Deeper than any job or result (a correlation entry is six levels into the MAC's message): a keyed worker
 *  canonicalized a job nested 200,000 deep (anyone who can write the queue can add one) into a stack overflow,
 *  an untyped failure that BullMQ retried, instead of refusing it as not authenticated. */
const MAX_DEPTH = 32;

/** The field of a job's or result's data that carries its MAC. */
export const MAC_FIELD = 'mac';

export class ResultsKey {
  private constructor(private readonly key: Buffer) {}

  /** The key in `file` (32 bytes, readable only by this user, in a folder only this user can write);
   *  InvalidInputError naming `field` otherwise. */
  static async read(file: string, field: string): Promise<ResultsKey> {
    let key: Buffer | undefined;
    try {
      key = await readSecretKey(file);
    } catch (error) {
      throw new InvalidInputError(field, messageOf(error));
    }
    if (!key) throw new InvalidInputError(field, `${file} does not exist (create ${SECRET_KEY_BYTES} random bytes there, mode 0600)`);
    return new ResultsKey(key);
  }

  /** A job's data with its MAC. */
  signJob<T extends object>(job: T): T & { mac: string } {
    return { ...job, mac: this.mac([JOB, job]) };
  }

  /** The job's data without its MAC, if the MAC is this key's; ChunkForgedError otherwise. */
  checkJob(data: unknown, jobName: string): object {
    const { mac, rest } = splitMac(data);
    if (mac === undefined) throw new ChunkForgedError(`job ${jobName} carries no MAC: its requester holds no results key, or someone else wrote it`);
    if (!this.matches(mac, [JOB, rest])) throw new ChunkForgedError(`job ${jobName} is not authenticated by this worker's results key`);
    return rest;
  }

  /** A result's data with its MAC, bound to the job (without its MAC) it answers. */
  signResult<T extends object>(job: object, result: T): T & { mac: string } {
    return { ...result, mac: this.mac([RESULT, job, result]) };
  }

  /** The result's data without its MAC, if it is this key's over `job` and this result; ChunkForgedError otherwise. */
  checkResult(job: object, data: unknown, chunk: string): object {
    const { mac, rest } = splitMac(data);
    if (mac === undefined) throw new ChunkForgedError(`${chunk}: its result carries no MAC: the worker holds no results key, or someone else wrote it`);
    if (!this.matches(mac, [RESULT, job, rest])) throw new ChunkForgedError(`${chunk}: its result is not authenticated by the results key (forged, or replayed from another run or chunk)`);
    return rest;
  }

  private mac(message: unknown[]): string {
    return createHmac('sha256', this.key).update(canonicalJson(message)).digest('hex');
  }

  private matches(mac: string, message: unknown[]): boolean {
    return MAC_HEX.test(mac) && nestedAtMost(message, MAX_DEPTH) && timingSafeEqual(Buffer.from(mac, 'hex'), Buffer.from(this.mac(message), 'hex'));
  }
}

let warned = false;

/** Once a process: a run or a worker without a results key trusts whatever is in Redis. */
export function warnUnauthenticatedChunks(): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    'no results key (--results-key): chunk jobs and results are not authenticated, so anyone who can write this Redis can make workers run jobs and make a run merge forged losses into its VaR and ES without an error',
    { code: 'WASM_RISK_UNAUTHENTICATED_CHUNKS' },
  );
}

function nestedAtMost(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  return depth > 0 && Object.values(value).every((member) => nestedAtMost(member, depth - 1));
}

function splitMac(data: unknown): { mac: string | undefined; rest: object } {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { mac: undefined, rest: {} };
  const { [MAC_FIELD]: mac, ...rest } = data as Record<string, unknown>;
  return { mac: typeof mac === 'string' ? mac : undefined, rest };
}

/** JSON with every object's keys sorted, and without undefined members (as JSON drops them): the same text
 *  for a value and for its copy read back from Redis as JSON, whatever order its keys came in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value).filter(([, member]) => member !== undefined);
    members.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${members.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
