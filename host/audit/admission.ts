// Admission: the gate between reading a component and running any of it. The audit inspects the
// component, decides each import by the capability policy and checks provenance; `admitComponent` (the
// loader's call, before anything is transpiled or instantiated) turns a denial into a typed error, and
// `wasm-risk audit` prints the same report.
import { z } from 'zod';
import { sha256Hex } from '../files/content-hash.js';
import { bytesName } from '../load/component-format.js';
import { IncompatibleComponentError, PolicyDeniedError, ProvenanceError, SignatureError, type WasmRiskError } from '../errors.js';
import { parseOrThrow, validated, validateOnce, type Validated } from '../request/validation.js';
import { describeSandboxAnswer, type SandboxOptions } from '../run/sandbox-grant.js';
import {
  capabilityPolicySchema,
  decideImport,
  defaultCapabilityPolicy,
  describeDecision,
  SHIPPED_POLICY_NAMES,
  shippedPolicy,
  type ImportDecision,
} from './capability-policy.js';
import { inspectComponent, type ComponentExtern, type ComponentInspection } from './component-inspection.js';
import { DEFAULT_LOCK_FILE, checkProvenance, lockProblem, signatureProblem, type ProvenanceReport } from './provenance.js';

export const admissionOptionsSchema = z.strictObject({
  /** The capability policy, or the name of a profile shipped in policies/ (default: policies/default-policy.json). */
  policy: z
    .union([z.enum(SHIPPED_POLICY_NAMES), capabilityPolicySchema], {
      error: `must be a shipped profile's name (${SHIPPED_POLICY_NAMES.map((name) => `'${name}'`).join(', ')}) or a policy object`,
    })
    .optional(),
  /** Refuse a component whose SHA-256 is not pinned in the lock file. */
  strict: z.boolean().default(false),
  /** The lock file strict mode reads (default `components.lock.json` in the working directory). */
  lockFile: z.string().min(1).default(DEFAULT_LOCK_FILE),
  /** Ed25519 public keys (PEM); when any is given, a valid signature by one of them is required. */
  trustedKeys: z.array(z.string()).default([]),
  /** The component's signature: 64 raw bytes or their base64 (default `<component>.sig`; required for
   *  a component given as bytes). */
  signatureFile: z.string().min(1).optional(),
});

export type AdmissionOptions = z.input<typeof admissionOptionsSchema>;
export type ValidAdmissionOptions = Validated<z.output<typeof admissionOptionsSchema>>;

/** Admission options as the audit uses them; a value validated once (by the engine's options) is not parsed again. */
export function validateAdmissionOptions(options: AdmissionOptions): ValidAdmissionOptions {
  return validated(parseOrThrow(admissionOptionsSchema, options, 'admission'));
}

export type AuditedImport = ComponentExtern &
  ImportDecision & {
    /** What the sandbox answers its calls: null where that is the component's own world (its types). */
    answer: string | null;
  };

/** Everything `wasm-risk audit` reports; `--json` prints it as it is. */
export interface AuditReport extends Omit<ComponentInspection, 'imports'> {
  policy: string;
  /** Whether the sandbox answers allowed random and clock imports from a fixed seed and a frozen clock. */
  deterministic: boolean;
  imports: AuditedImport[];
  provenance: ProvenanceReport;
  verdict: 'allow' | 'deny';
  /** Why the verdict: every problem when denied, what was checked when allowed. */
  reasons: string[];
}

/** `path` is the file the bytes were read from; without one the report names them by their hash. */
export async function auditComponent(bytes: Uint8Array, path?: string, options: AdmissionOptions = {}): Promise<AuditReport> {
  return audit(bytes, path, options, 'report');
}

/**
 * The audit, throwing the typed error of its first failed check: a denied component never goes further.
 * Provenance comes first and fails before any parser reads the bytes: in strict mode, bytes nobody
 * approved are not even inspected.
 */
export async function admitComponent(bytes: Uint8Array, path: string | undefined, options: AdmissionOptions = {}): Promise<AuditReport> {
  const report = await audit(bytes, path, options, 'admit');
  const error = refusal(report);
  if (error) throw error;
  return report;
}

/** `admit` refuses unproven bytes before parsing them and reads only the boundary; `report` reads it all. */
async function audit(bytes: Uint8Array, path: string | undefined, options: AdmissionOptions, purpose: 'admit' | 'report'): Promise<AuditReport> {
  const settings = validateOnce(options, validateAdmissionOptions);
  const sha256 = sha256Hex(bytes);
  const name = path ?? bytesName(bytes);
  const provenance = await checkProvenance(bytes, sha256, path, {
    lockFile: settings.strict ? settings.lockFile : undefined,
    trustedKeys: settings.trustedKeys,
    signatureFile: settings.signatureFile,
  });
  const unproven = provenanceRefusal(provenance, name);
  if (unproven && purpose === 'admit') throw unproven;
  let inspection: ComponentInspection;
  try {
    inspection = await inspectComponent(bytes, name, purpose === 'admit' ? 'boundary' : 'full');
  } catch (error) {
    // A tampered file is first of all not the approved file, whatever else is wrong with it.
    throw unproven ?? error;
  }
  const policy = typeof settings.policy === 'string' ? await shippedPolicy(settings.policy) : (settings.policy ?? (await defaultCapabilityPolicy()));
  const imports = inspection.imports.map((item) => audited(item, decideImport(policy, item), policy.deterministic));
  const problems = [lockProblem(provenance.lock, name), signatureProblem(provenance.signature), ...denials(imports), ...unimplemented(imports)].filter(
    (problem) => problem !== undefined,
  );
  return {
    ...inspection,
    policy: policy.name,
    deterministic: policy.deterministic,
    imports,
    provenance,
    verdict: problems.length > 0 ? 'deny' : 'allow',
    reasons: problems.length > 0 ? problems : approvals(policy.name, imports, provenance),
  };
}

function audited(item: ComponentExtern, decision: ImportDecision, deterministic: boolean): AuditedImport {
  const name = item.interface ?? item.name;
  const answer = decision.verdict === 'link' ? 'linked only: every call traps' : decision.verdict === 'allow' ? describeSandboxAnswer(name, deterministic) : undefined;
  return { ...item, ...decision, answer: answer ?? null };
}

/** The error a denied report stands for: provenance first (if these are not the approved bytes, nothing else matters). */
export function refusal(report: AuditReport): WasmRiskError | undefined {
  const unproven = provenanceRefusal(report.provenance, report.path);
  if (unproven) return unproven;
  const denied = report.imports.filter((item) => item.verdict === 'deny');
  if (denied.length > 0) {
    return new PolicyDeniedError(`${report.path} denied by policy '${report.policy}': ${denials(denied).join('; ')}`, denied.map((item) => item.name));
  }
  const missing = unimplemented(report.imports);
  return missing.length > 0 ? new IncompatibleComponentError(`${report.path}: ${missing.join('; ')}`) : undefined;
}

/** The interface of the risk world's own types: the contract declares no function in it, and the host links
 *  it with none. */
const RISK_TYPES_INTERFACE = 'wasm-risk:risk/types';

/** Functions a component imports from the risk world's types, which the host does not implement: such a
 *  component cannot be instantiated, whatever the policy allows (its rule reads names and versions only).
 *  Refused here, by name, rather than by the glue's TypeError when it is instantiated. */
function unimplemented(imports: AuditedImport[]): string[] {
  return imports
    .filter((item) => item.interface === RISK_TYPES_INTERFACE && item.verdict !== 'deny' && item.functions.length > 0)
    .map((item) => `it imports ${item.functions.join(', ')} from ${item.name}, which holds the risk world's types only: the host implements no function there, so the component cannot be instantiated`);
}

function provenanceRefusal(provenance: ProvenanceReport, path: string): WasmRiskError | undefined {
  const lock = lockProblem(provenance.lock, path);
  if (lock) return new ProvenanceError(lock);
  const signature = signatureProblem(provenance.signature);
  return signature ? new SignatureError(signature) : undefined;
}

/** What the sandbox gives the admitted component: the interfaces its audit allowed (a linked one is not
 *  granted: its calls trap), nothing more, answered as its policy says. */
export function sandboxGrant(report: AuditReport): SandboxOptions {
  return {
    grantedInterfaces: report.imports.filter((item) => item.verdict === 'allow').map((item) => item.interface ?? item.name),
    deterministic: report.deterministic,
    importsWasi: report.imports.some((item) => (item.interface ?? item.name).startsWith('wasi:')),
  };
}

/** One line per deciding rule, naming the denied imports it decided. */
function denials(imports: AuditedImport[]): string[] {
  const byDecision = new Map<string, string[]>();
  for (const item of imports) {
    if (item.verdict === 'deny') byDecision.set(describeDecision(item), [...(byDecision.get(describeDecision(item)) ?? []), item.name]);
  }
  return [...byDecision].map(([decision, names]) => `${names.join(', ')} denied by ${decision}`);
}

function approvals(policy: string, imports: AuditedImport[], provenance: ProvenanceReport): string[] {
  const linked = imports.filter((item) => item.verdict === 'link').length;
  const reasons = [
    imports.length === 0
      ? 'it imports nothing'
      : `policy '${policy}' allows all ${imports.length} import${imports.length === 1 ? '' : 's'}${linked > 0 ? ` (${linked} of them linked only: their calls trap)` : ''}`,
  ];
  if (provenance.lock.status === 'pinned') reasons.push(`pinned in ${provenance.lock.lockFile} as ${provenance.lock.name} ${provenance.lock.version}`);
  if (provenance.signature.status === 'verified') reasons.push(`signed by trusted key ${provenance.signature.key}`);
  return reasons;
}
