// The flags that say what a component must pass before it runs (policy, strict mode and its lock file,
// trusted signing keys), shared by every command that loads a component, and their translation into
// AdmissionOptions. `--policy python` names a shipped profile; anything else is a policy file's path.
import { Option } from 'commander';
import type { AdmissionOptions } from '../audit/admission.js';
import { isShippedPolicyName, readPolicyFile, SHIPPED_POLICY_NAMES } from '../audit/capability-policy.js';
import { DEFAULT_LOCK_FILE } from '../audit/provenance.js';
import type { RunInput } from './pnl-output.js';
import { InvalidInputError } from '../errors.js';
import { echoed, shortened } from '../report/echoed-input.js';
import { readInputFile } from '../files/input-files.js';

export interface AdmissionFlags {
  policy?: string;
  strict?: boolean;
  lockFile?: string;
  trustedKey?: string[];
  signature?: string;
}

export function admissionFlagOptions(): Option[] {
  return [
    new Option('--policy <name|file>', `capability policy: a shipped profile (${SHIPPED_POLICY_NAMES.join(', ')}) or a policy file (JSON); default: default`),
    new Option('--strict', 'refuse a component whose SHA-256 is not pinned in the lock file'),
    new Option('--lock-file <file>', 'approved components, for --strict (default ./components.lock.json)'),
    new Option('--trusted-key <pem-file>', 'Ed25519 public key whose signature the component must carry (repeatable)')
      .argParser((file: string, files: string[] | undefined) => [...(files ?? []), file]),
    new Option('--signature <file>', "the component's signature, for --trusted-key (default <component>.sig)"),
  ];
}

export async function admissionOptionsFrom(flags: AdmissionFlags): Promise<AdmissionOptions> {
  if (flags.lockFile !== undefined && !flags.strict) throw new InvalidInputError('--lock-file', 'applies only with --strict');
  const trustedKeyFiles = flags.trustedKey ?? [];
  if (flags.signature !== undefined && trustedKeyFiles.length === 0) throw new InvalidInputError('--signature', 'applies only with --trusted-key');
  return {
    policy: flags.policy === undefined ? undefined : await policyFlag(flags.policy),
    strict: flags.strict ?? false,
    lockFile: flags.lockFile,
    trustedKeys: await Promise.all(trustedKeyFiles.map(readKeyFile)),
    signatureFile: flags.signature,
  };
}

/** The files these flags make a run read for `component`, named as the flags name them: what a file the run
 *  writes (`--pnl-out --force`) must not replace. */
export function admissionInputFiles(flags: AdmissionFlags, component: string): RunInput[] {
  const files: RunInput[] = [];
  if (flags.policy !== undefined && !isShippedPolicyName(flags.policy)) files.push({ label: 'policy file (--policy)', path: flags.policy });
  if (flags.strict) files.push({ label: 'lock file (--lock-file)', path: flags.lockFile ?? DEFAULT_LOCK_FILE });
  for (const key of flags.trustedKey ?? []) files.push({ label: 'trusted key (--trusted-key)', path: key });
  if ((flags.trustedKey ?? []).length > 0) files.push({ label: "component's signature (--signature)", path: flags.signature ?? `${component}.sig` });
  return files;
}

/** A profile's name as it is (admission reads the shipped file); a word that names none is a typo, not a file. */
async function policyFlag(nameOrPath: string): Promise<AdmissionOptions['policy']> {
  if (isShippedPolicyName(nameOrPath)) return nameOrPath;
  if (/^[A-Za-z0-9_-]+$/.test(nameOrPath)) {
    throw new InvalidInputError('--policy', `${echoed(nameOrPath)} is not a shipped profile (${SHIPPED_POLICY_NAMES.join(', ')}); a policy file is given by its path (./${shortened(nameOrPath)})`);
  }
  return readPolicyFile(nameOrPath);
}

async function readKeyFile(path: string): Promise<string> {
  return (await readInputFile(path, 'trustedKey', '--trusted-key')).toString('utf8');
}
