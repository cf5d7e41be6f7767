// The capability policy: which interfaces a component may import, by name pattern and version range.
// Rules are tried in order and the first that matches an import decides; an import no rule matches is
// denied. The default policy (policies/default-policy.json) allows the risk world's own types only.
import { join } from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../request/validation.js';
import { readJsonFile } from '../files/json-file.js';
import { PROJECT_ROOT } from '../files/package-paths.js';
import type { ComponentExtern } from './component-inspection.js';
import semver from 'semver';

const DEFAULT_POLICY_FILE = join(PROJECT_ROOT, 'policies', 'default-policy.json');
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
    verdict: z.enum(['allow', 'deny']).describe('What the rule decides for the imports it matches.'),
    reason: z.string().min(1, { error: 'must say why' }).describe('Why: shown in the audit report next to every import the rule decides.'),
  })
  .describe('One rule; the first rule that matches an import decides its verdict.');

export const capabilityPolicySchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of this JSON Schema, for editors.'),
    version: z.literal(1, { error: 'must be 1 (the only policy format so far)' }).describe('Policy format version.'),
    name: z.string().min(1, { error: 'must name the policy' }).describe('Shown in every audit report.'),
    description: z.string().optional().describe('What the policy is for.'),
    rules: z.array(ruleSchema).max(MAX_RULES, { error: `must have at most ${MAX_RULES} rules` }),
  })
  .meta({
    title: 'wasm-risk capability policy',
    description: 'Which interfaces a WebAssembly component may import. Rules are tried in order; the first that matches an import decides. An import no rule matches is denied.',
  });

export type CapabilityPolicy = z.output<typeof capabilityPolicySchema>;
type PolicyRule = CapabilityPolicy['rules'][number];
export type Verdict = 'allow' | 'deny';

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

let defaultPolicy: Promise<CapabilityPolicy> | undefined;

/** The policy every load applies unless the caller gives another; read once. */
export function defaultCapabilityPolicy(): Promise<CapabilityPolicy> {
  defaultPolicy ??= readPolicyFile(DEFAULT_POLICY_FILE);
  return defaultPolicy;
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
