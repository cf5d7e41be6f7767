// The capability policy: the default allows the risk world's types and denies the rest, rules decide in
// order, versions must fall in range, and a malformed policy is refused naming the field.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validateAdmissionOptions } from '../../host/audit/admission.js';
import { capabilityPolicySchema, decideImport, defaultCapabilityPolicy, parsePolicy, type CapabilityPolicy } from '../../host/audit/capability-policy.js';
import type { ComponentExtern } from '../../host/audit/component-inspection.js';
import { InvalidInputError } from '../../host/errors.js';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';

function imported(name: string): ComponentExtern {
  const match = /^([^@]+)(?:@(.+))?$/.exec(name)!;
  return { name, interface: match[1]!.includes('/') ? match[1]! : null, version: match[2] ?? null, sort: 'instance', functions: [] };
}

const policy = await defaultCapabilityPolicy();

describe('the default policy', () => {
  it.each([
    ['wasm-risk:risk/types@1.0.0', 'allow', 1],
    ['wasm-risk:risk/types@1.4.2', 'allow', 1],
    ['wasm-risk:risk/types@2.0.0', 'deny', null],
    ['wasi:filesystem/types@0.2.12', 'deny', 2],
    ['wasi:filesystem/preopens@0.2.0', 'deny', 2],
    ['wasi:sockets/tcp@0.2.12', 'deny', 3],
    ['wasi:sockets/ip-name-lookup@0.3.0-rc-2025-09-16', 'deny', 3],
    ['wasi:http/outgoing-handler@0.2.12', 'deny', 4],
    ['wasi:cli/environment@0.2.12', 'deny', 5],
    ['wasi:random/random@0.2.12', 'deny', 6],
    ['wasi:clocks/wall-clock@0.2.12', 'deny', 7],
    ['wasi:io/streams@0.2.12', 'deny', null],
    ['evil:backdoor/exfiltrate@1.0.0', 'deny', null],
    ['exfiltrate', 'deny', null],
  ])('%s: %s (rule %s)', (name, verdict, rule) => {
    const decision = decideImport(policy, imported(name));
    expect(decision.verdict).toBe(verdict);
    expect(decision.rule?.number ?? null).toBe(rule);
    expect(decision.reason.length).toBeGreaterThan(0);
  });

  it('is policies/default-policy.json, which names the JSON Schema shipped beside it', () => {
    const file = JSON.parse(readFileSync(join(PROJECT_ROOT, 'policies', 'default-policy.json'), 'utf8')) as { $schema: string };
    expect(file.$schema).toBe('./capability-policy.schema.json');
    expect(parsePolicy(file)).toEqual(policy);
  });

  it('has a JSON Schema file generated from the policy schema itself', () => {
    const shipped = JSON.parse(readFileSync(join(PROJECT_ROOT, 'policies', 'capability-policy.schema.json'), 'utf8')) as unknown;
    // Regenerate after changing the schema: node -e "import('zod').then(async ({ z }) => console.log(JSON.stringify(
    //   z.toJSONSchema((await import('./dist/host/audit/capability-policy.js')).capabilityPolicySchema, { io: 'input' }), null, 2)))"
    //   > policies/capability-policy.schema.json
    expect(shipped).toEqual(z.toJSONSchema(capabilityPolicySchema, { io: 'input' }));
  });
});

describe('rules', () => {
  const withRules = (rules: CapabilityPolicy['rules']): CapabilityPolicy => parsePolicy({ version: 1, name: 'test', rules });

  it('are tried in order: the first match decides', () => {
    const rules = withRules([
      { interface: 'wasi:random/insecure-seed', verdict: 'deny', reason: 'seeded hash maps only' },
      { interface: 'wasi:random/*', verdict: 'allow', reason: 'entropy is fine here' },
    ]);
    expect(decideImport(rules, imported('wasi:random/insecure-seed@0.2.12'))).toMatchObject({ verdict: 'deny', rule: { number: 1 } });
    expect(decideImport(rules, imported('wasi:random/random@0.2.12'))).toMatchObject({ verdict: 'allow', rule: { number: 2, interface: 'wasi:random/*' } });
  });

  it('with a version range match only versions in it, and never an unversioned import', () => {
    const rules = withRules([{ interface: 'wasi:clocks/*', versions: '^0.2.0', verdict: 'allow', reason: 'timing' }]);
    expect(decideImport(rules, imported('wasi:clocks/monotonic-clock@0.2.3')).verdict).toBe('allow');
    expect(decideImport(rules, imported('wasi:clocks/monotonic-clock@0.3.0')).verdict).toBe('deny');
    expect(decideImport(rules, imported('wasi:clocks/monotonic-clock')).verdict).toBe('deny');
  });

  it('match a prerelease only when the range names a prerelease of that version', () => {
    const prerelease = imported('wasi:sockets/tcp@0.3.0-rc-2025-09-16');
    const any = withRules([{ interface: 'wasi:sockets/*', versions: '>=0.2.0', verdict: 'allow', reason: 'network' }]);
    expect(decideImport(any, prerelease).verdict).toBe('deny');
    const named = withRules([{ interface: 'wasi:sockets/*', versions: '>=0.3.0-rc-2025-09-01 <0.3.0', verdict: 'allow', reason: 'network' }]);
    expect(decideImport(named, prerelease).verdict).toBe('allow');
  });

  it("'*' matches world-level functions by name too", () => {
    const rules = withRules([{ interface: '*', verdict: 'allow', reason: 'anything' }]);
    expect(decideImport(rules, imported('log')).verdict).toBe('allow');
  });
});

describe('a malformed policy', () => {
  const base = { version: 1, name: 'p', rules: [{ interface: 'wasi:random/*', verdict: 'allow', reason: 'r' }] };

  it.each([
    ['a wrong format version', { ...base, version: 2 }, /^policy\.version: must be 1/],
    ['an unknown field', { ...base, default: 'allow' }, /^policy.default: is not a known field/],
    ['a bad pattern', { ...base, rules: [{ ...base.rules[0], interface: 'wasi random' }] }, /^policy\.rules\[0\]\.interface: must be an interface pattern/],
    ['a bad range', { ...base, rules: [{ ...base.rules[0], versions: 'newest' }] }, /^policy\.rules\[0\]\.versions: must be a version range/],
    ['a bad verdict', { ...base, rules: [{ ...base.rules[0], verdict: 'maybe' }] }, /^policy\.rules\[0\]\.verdict: must be 'allow', 'link' or 'deny'$/],
    ['no reason', { ...base, rules: [{ ...base.rules[0], reason: '' }] }, /^policy\.rules\[0\]\.reason: must say why/],
  ])('%s is refused naming the field', (_name, json, message) => {
    expect(() => parsePolicy(json)).toThrow(InvalidInputError);
    expect(() => parsePolicy(json)).toThrow(message);
  });
});

describe("a library caller's admission.policy", () => {
  const base = { version: 1, name: 'p', rules: [{ interface: 'wasi:random/*', verdict: 'allow', reason: 'r' }] };
  // A union of the profiles' names and the policy's schema: zod said only `Invalid input` for any bad value.
  it.each([
    ['an unknown profile name', 'strict', /^admission\.policy: must be a shipped profile's name \('default', 'python', 'js'\) or a policy object$/],
    ['null', null, /^admission\.policy: must be a shipped profile's name/],
    ['a policy without its version', { name: 'p', rules: [] }, /^admission\.policy\.version: must be 1/],
    ['a policy with an unknown field', { ...base, default: 'allow' }, /^admission\.policy\.default: is not a known field$/],
    ['a policy with a bad verdict', { ...base, rules: [{ ...base.rules[0], verdict: 'maybe' }] }, /^admission\.policy\.rules\[0\]\.verdict: must be 'allow', 'link' or 'deny'$/],
  ])('%s is refused naming the field and what it must be', (_name, policy, message) => {
    expect(() => validateAdmissionOptions({ policy: policy as never })).toThrow(InvalidInputError);
    expect(() => validateAdmissionOptions({ policy: policy as never })).toThrow(message);
  });
});
