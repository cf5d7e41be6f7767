// The capability policy: which interfaces a component may import, by name pattern and version range.
// Rules are tried in order and the first that matches an import decides; an import no rule matches is
// denied. A rule allows an import (the sandbox answers it, harmlessly: run/sandbox.ts), links it (the
// component may import it, so a language runtime that links all of WASI loads, but every call traps), or
// denies it (the component is refused). The default policy (policies/default-policy.json) allows the risk
// world's own types only; the language profiles (python.json, js.json) what those runtimes import.
// A policy is named by its path, or by the name of a profile shipped in policies/ (`python`).
import { join } from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../request/validation.js';
import { readJsonFile } from '../files/json-file.js';
import { PROJECT_ROOT } from '../files/package-paths.js';
import type { ComponentExtern } from './component-inspection.js';
import semver from 'semver';

const POLICY_DIR = join(PROJECT_ROOT, 'policies');
const DEFAULT_POLICY_FILE = join(POLICY_DIR, 'default-policy.json');
/** The profiles shipped in policies/, by the name `--policy` and the admission options take. */
export const SHIPPED_POLICY_NAMES = ['default', 'python', 'js'] as const;
export type ShippedPolicyName = (typeof SHIPPED_POLICY_NAMES)[number];
const SHIPPED_POLICY_FILES: Record<ShippedPolicyName, string> = {
  default: DEFAULT_POLICY_FILE,
  python: join(POLICY_DIR, 'python.json'),
  js: join(POLICY_DIR, 'js.json'),
};
const MAX_RULES = 1_000;

/** `*` matches any run of characters; everything else literally. */
const PATTERN = /^(\*|[A-Za-z0-9][A-Za-z0-9-]*)([:/][A-Za-z0-9*-]+|\*)*$/;

const ruleSchema = z
  .strictObject({
    interface: z
      .string()
      .regex(PATTERN, { error: "must be an interface pattern such as 'wasi:random/random', 'wasi:sockets/*' or '*'" })
      .describe("Interface the rule applies to, without version: 'wasi:filesystem/types', 'wasi:sockets/*', '*'. '*' matches any run of characters."),
    versions: z
      .string()
      .refine((range) => semver.validRange(range) !== null, { error: 'must be a version range such as ^0.2.0, >=0.2.0 <0.3.0 or 1.x' })
      .optional()
      .describe("Semver range the import's version must satisfy for the rule to apply (npm syntax: '^0.2.0', '>=0.2.0 <0.3.0', '1.x || 2.x'). Without it the rule applies to every version, and to unversioned imports."),
    verdict: z
      .enum(['allow', 'link', 'deny'], { error: "must be 'allow', 'link' or 'deny'" })
      .describe(
        "What the rule decides for the imports it matches: 'allow' (the sandbox answers it, harmlessly), 'link' (the component may import it, but every call traps), 'deny' (the component is refused).",
      ),
    reason: z.string().min(1, { error: 'must say why' }).describe('Why: shown in the audit report next to every import the rule decides.'),
  })
  .describe('One rule; the first rule that matches an import decides its verdict.');

export const capabilityPolicySchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of this JSON Schema, for editors.'),
    version: z.literal(1, { error: 'must be 1 (the only policy format so far)' }).describe('Policy format version.'),
    name: z.string().min(1, { error: 'must name the policy' }).describe('Shown in every audit report.'),
    description: z.string().optional().describe('What the policy is for.'),
    deterministic: z
      .boolean()
      .default(true)
      .describe(
        'Answer allowed wasi:random and wasi:clocks imports from a fixed seed, a frozen wall clock and a monotonic clock that advances one microsecond per read, all restarted before every call, so results follow from the inputs alone (default). false: the host\'s entropy and time.',
      ),
    rules: z.array(ruleSchema).max(MAX_RULES, { error: `must have at most ${MAX_RULES} rules` }),
  })
  .meta({
    title: 'wasm-risk capability policy',
    description: 'Which interfaces a WebAssembly component may import. Rules are tried in order; the first that matches an import decides. An import no rule matches is denied.',
  });

export type CapabilityPolicy = z.output<typeof capabilityPolicySchema>;
type PolicyRule = CapabilityPolicy['rules'][number];
export type Verdict = PolicyRule['verdict'];

/** How the policy decided one import: the rule (by its position, from 1) or the default denial. */
export interface ImportDecision {
  verdict: Verdict;
  rule: { number: number; interface: string; versions: string | null } | null;
  reason: string;
}

export function parsePolicy(json: unknown): CapabilityPolicy {
  return parseOrThrow(capabilityPolicySchema, json, 'policy');
}

export async function readPolicyFile(path: string): Promise<CapabilityPolicy> {
  return parsePolicy(await readJsonFile(path, 'policy'));
}

export function isShippedPolicyName(name: string): name is ShippedPolicyName {
  return (SHIPPED_POLICY_NAMES as readonly string[]).includes(name);
}

const shippedPolicies = new Map<ShippedPolicyName, Promise<CapabilityPolicy>>();

/** A profile shipped in policies/, read once. */
export function shippedPolicy(name: ShippedPolicyName): Promise<CapabilityPolicy> {
  let policy = shippedPolicies.get(name);
  if (!policy) shippedPolicies.set(name, (policy = readPolicyFile(SHIPPED_POLICY_FILES[name])));
  return policy;
}

/** The policy every load applies unless the caller gives another. */
export function defaultCapabilityPolicy(): Promise<CapabilityPolicy> {
  return shippedPolicy('default');
}

export function decideImport(policy: CapabilityPolicy, item: ComponentExtern): ImportDecision {
  const subject = item.interface ?? item.name;
  const index = policy.rules.findIndex((rule) => ruleMatches(rule, subject, item.version));
  const rule = policy.rules[index];
  if (!rule) return { verdict: 'deny', rule: null, reason: 'no rule matches it, and what a policy does not allow is denied' };
  return { verdict: rule.verdict, rule: { number: index + 1, interface: rule.interface, versions: rule.versions ?? null }, reason: rule.reason };
}

/** `rule 2 (wasi:filesystem/*): host files: ...`, or `default: ...` when no rule matched. */
export function describeDecision({ rule, reason }: ImportDecision): string {
  return rule ? `rule ${rule.number} (${rule.interface}${rule.versions ? ` ${rule.versions}` : ''}): ${reason}` : `default: ${reason}`;
}

function ruleMatches(rule: PolicyRule, subject: string, version: string | null): boolean {
  if (!globToRegExp(rule.interface).test(subject)) return false;
  if (rule.versions === undefined) return true;
  // An import whose version cannot be compared is outside every range (semver's npm semantics: a
  // prerelease only satisfies a range that names a prerelease of the same version).
  return version !== null && semver.valid(version) !== null && semver.satisfies(version, rule.versions);
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`);
}
