// Provenance: is this exactly a component someone approved? A lock file pins approved components by
// SHA-256 (with their name and version), and Ed25519 signatures over the component's bytes, checked
// against trusted public keys, say who built it.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { readInputFileIfPresent } from '../files/input-files.js';
import { parseOrThrow } from '../request/validation.js';
import { readJsonFile } from '../files/json-file.js';

/** Where strict mode looks for pins unless told otherwise (relative to the working directory). */
export const DEFAULT_LOCK_FILE = 'components.lock.json';
const ED25519_SIGNATURE_BYTES = 64;

const lockFileSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1 (the only lock file format so far)' }),
  components: z.array(
    z.strictObject({
      name: z.string().min(1, { error: 'must name the component' }),
      version: z.string().min(1, { error: 'must give the component version' }),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lowercase hex digits' }),
      /** Where the approved file lives, relative to the lock file: lets a modified file be told from an unknown one. */
      path: z.string().min(1).optional(),
    }),
  ),
});

type ComponentsLock = z.output<typeof lockFileSchema>;

export interface ProvenanceOptions {
  /** Strict mode: the lock file whose pins the component must match. */
  lockFile?: string;
  /** Ed25519 public keys (PEM); when given, a valid signature by one of them is required. */
  trustedKeys?: string[];
  /** The signature (64 raw bytes, or their base64); default `<component>.sig`, required for bytes without a file. */
  signatureFile?: string;
}

export type LockCheck =
  | { status: 'not-checked' }
  | { status: 'pinned'; lockFile: string; name: string; version: string }
  | { status: 'unpinned'; lockFile: string; actual: string }
  | { status: 'modified'; lockFile: string; name: string; version: string; expected: string; actual: string };

export type SignatureCheck =
  | { status: 'not-checked' }
  | { status: 'verified'; signatureFile: string; key: string }
  | { status: 'missing' | 'malformed'; signatureFile: string }
  | { status: 'invalid'; signatureFile: string; keys: string[] };

export interface ProvenanceReport {
  lock: LockCheck;
  signature: SignatureCheck;
}

/** `path` is the file the bytes were read from, if any: the default signature sits beside it, and a lock
 *  entry's path can tell a modified file from an unknown one. */
export async function checkProvenance(bytes: Uint8Array, sha256: string, path: string | undefined, options: ProvenanceOptions): Promise<ProvenanceReport> {
  const [lock, signature] = await Promise.all([
    options.lockFile === undefined ? ({ status: 'not-checked' } as const) : checkLock(sha256, path, options.lockFile),
    options.trustedKeys === undefined || options.trustedKeys.length === 0
      ? ({ status: 'not-checked' } as const)
      : checkSignature(bytes, options.signatureFile ?? defaultSignatureFile(path), options.trustedKeys),
  ]);
  return { lock, signature };
}

/** Why the lock file refuses the component, if it does, in one line. */
export function lockProblem(lock: LockCheck, path: string): string | undefined {
  switch (lock.status) {
    case 'unpinned':
      return `${path} is not pinned in ${lock.lockFile}: no entry has its sha256 ${lock.actual}`;
    case 'modified':
      return `${path} does not match its pin in ${lock.lockFile} (${lock.name} ${lock.version}): expected sha256 ${lock.expected}, actual ${lock.actual}`;
    default:
      return undefined;
  }
}

/** Why the signature check refuses the component, if it does, in one line. */
export function signatureProblem(signature: SignatureCheck): string | undefined {
  switch (signature.status) {
    case 'missing':
      return `no signature: ${signature.signatureFile} does not exist`;
    case 'malformed':
      return `${signature.signatureFile} is not an Ed25519 signature (64 bytes, raw or base64)`;
    case 'invalid':
      return `the signature in ${signature.signatureFile} does not verify with any trusted key (${signature.keys.join(', ')})`;
    default:
      return undefined;
  }
}

function defaultSignatureFile(path: string | undefined): string {
  if (path === undefined) throw new InvalidInputError('admission.signatureFile', 'required for a component given as bytes: no <component>.sig sits beside it');
  return `${path}.sig`;
}

async function checkLock(sha256: string, path: string | undefined, lockFile: string): Promise<LockCheck> {
  const lock = await readLockFile(lockFile);
  const pinned = lock.components.find((entry) => entry.sha256 === sha256);
  if (pinned) return { status: 'pinned', lockFile, name: pinned.name, version: pinned.version };
  if (path === undefined) return { status: 'unpinned', lockFile, actual: sha256 };
  const here = resolve(path);
  const pinnedHere = lock.components.find((entry) => entry.path !== undefined && resolve(dirname(lockFile), entry.path) === here);
  if (!pinnedHere) return { status: 'unpinned', lockFile, actual: sha256 };
  return { status: 'modified', lockFile, name: pinnedHere.name, version: pinnedHere.version, expected: pinnedHere.sha256, actual: sha256 };
}

async function readLockFile(lockFile: string): Promise<ComponentsLock> {
  return parseOrThrow(lockFileSchema, await readJsonFile(lockFile, 'lockFile'), 'lockFile');
}

async function checkSignature(bytes: Uint8Array, signatureFile: string, trustedKeys: string[]): Promise<SignatureCheck> {
  const keys = trustedKeys.map(parseTrustedKey);
  const content = await readInputFileIfPresent(signatureFile, 'signatureFile');
  if (content === undefined) return { status: 'missing', signatureFile };
  const signature = content.length === ED25519_SIGNATURE_BYTES ? content : Buffer.from(content.toString('ascii').trim(), 'base64');
  if (signature.length !== ED25519_SIGNATURE_BYTES) return { status: 'malformed', signatureFile };
  const signer = keys.find(({ key }) => verify(null, bytes, key, signature));
  return signer ? { status: 'verified', signatureFile, key: signer.fingerprint } : { status: 'invalid', signatureFile, keys: keys.map((k) => k.fingerprint) };
}

function parseTrustedKey(pem: string, index: number): { key: KeyObject; fingerprint: string } {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new InvalidInputError(`trustedKeys[${index}]`, `is not a PEM public key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new InvalidInputError(`trustedKeys[${index}]`, `is a ${key.asymmetricKeyType} key, not Ed25519`);
  return { key, fingerprint: keyFingerprint(key) };
}

/** `SHA256:` and the first 16 hex digits of the key's DER encoding: enough to tell keys apart in a report. */
function keyFingerprint(key: KeyObject): string {
  return `SHA256:${createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16)}`;
}
