// The language-runtime profiles (policies/python.json, js.json): each admits exactly what its runtime
// links, allows only what the sandbox answers harmlessly, links the rest (calls trap) and denies the
// network; they are chosen by name in the library's admission options and by `--policy`, and their
// `deterministic` setting reaches the sandbox.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditComponent, sandboxGrant } from '../../host/audit/admission.js';
import { decideImport, parsePolicy, SHIPPED_POLICY_NAMES, shippedPolicy } from '../../host/audit/capability-policy.js';
import type { ComponentExtern } from '../../host/audit/component-inspection.js';
import { admissionOptionsFrom } from '../../host/cli/admission-flags.js';
import { InvalidInputError } from '../../host/errors.js';
import { ENGINE } from '../support/fixtures.js';

function imported(name: string): ComponentExtern {
  const [, iface, version] = /^([^@]+)@(.+)$/.exec(name)!;
  return { name, interface: iface!, version: version!, sort: 'instance', functions: [] };
}

/** What a componentize-py 0.25 component imports (`wasm-risk audit` of components/fixtures-python/hostile). */
const COMPONENTIZE_PY_IMPORTS = {
  allow: [
    'wasi:io/poll@0.2.9', 'wasi:io/error@0.2.9', 'wasi:io/streams@0.2.9', 'wasi:clocks/monotonic-clock@0.2.9', 'wasi:clocks/wall-clock@0.2.9',
    'wasi:random/random@0.2.9', 'wasi:cli/stdout@0.2.9', 'wasi:cli/stderr@0.2.9', 'wasi:cli/environment@0.2.9', 'wasm-risk:risk/types@1.1.0',
  ],
  link: [
    'wasi:cli/stdin@0.2.9', 'wasi:cli/exit@0.2.9', 'wasi:cli/terminal-input@0.2.9', 'wasi:cli/terminal-output@0.2.9', 'wasi:cli/terminal-stdin@0.2.9',
    'wasi:cli/terminal-stdout@0.2.9', 'wasi:cli/terminal-stderr@0.2.9', 'wasi:filesystem/types@0.2.9', 'wasi:filesystem/preopens@0.2.9',
    'wasi:sockets/network@0.2.9', 'wasi:sockets/instance-network@0.2.9', 'wasi:sockets/udp@0.2.9', 'wasi:sockets/udp-create-socket@0.2.9',
    'wasi:sockets/tcp@0.2.9', 'wasi:sockets/tcp-create-socket@0.2.9', 'wasi:sockets/ip-name-lookup@0.2.9',
  ],
};

/** What a componentize-js 0.23 component built with its default WASI features imports, besides the risk types. */
const COMPONENTIZE_JS_IMPORTS = {
  allow: [
    'wasi:io/poll@0.2.12', 'wasi:io/error@0.2.12', 'wasi:io/streams@0.2.12', 'wasi:clocks/monotonic-clock@0.2.12', 'wasi:clocks/wall-clock@0.2.12',
    'wasi:random/random@0.2.12', 'wasi:cli/stdout@0.2.12', 'wasi:cli/stderr@0.2.12', 'wasm-risk:risk/types@1.1.0',
  ],
  link: [
    'wasi:cli/stdin@0.2.12', 'wasi:cli/terminal-input@0.2.12', 'wasi:cli/terminal-output@0.2.12', 'wasi:cli/terminal-stdin@0.2.12',
    'wasi:cli/terminal-stdout@0.2.12', 'wasi:cli/terminal-stderr@0.2.12', 'wasi:filesystem/types@0.2.12', 'wasi:filesystem/preopens@0.2.12',
  ],
  deny: ['wasi:http/types@0.2.10', 'wasi:http/outgoing-handler@0.2.10'],
};

describe.each([
  ['python', COMPONENTIZE_PY_IMPORTS],
  ['js', COMPONENTIZE_JS_IMPORTS],
] as const)('the %s profile', (name, expected) => {
  it.each(Object.entries(expected).flatMap(([verdict, names]) => names.map((item) => [item, verdict])))('%s: %s', async (item, verdict) => {
    const decision = decideImport(await shippedPolicy(name), imported(item));
    expect(decision.verdict).toBe(verdict);
    expect(decision.rule).not.toBeNull();
  });

  it('denies the network and whatever no rule names', async () => {
    const policy = await shippedPolicy(name);
    for (const item of ['wasi:http/outgoing-handler@0.2.0', 'evil:backdoor/exfiltrate@1.0.0', 'wasi:keyvalue/store@0.2.0', 'wasm-risk:risk/types@2.0.0']) {
      expect(decideImport(policy, imported(item)).verdict).toBe('deny');
    }
    expect(['deny', 'link']).toContain(decideImport(policy, imported('wasi:sockets/tcp@0.2.0')).verdict);
  });

  it('gives every rule a reason, answers deterministically and validates against the schema', async () => {
    const policy = await shippedPolicy(name);
    expect(policy.deterministic).toBe(true);
    for (const rule of policy.rules) expect(rule.reason.length).toBeGreaterThan(20);
  });
});

describe('choosing a profile', () => {
  it('by name in the admission options: the audit applies it and the sandbox is told to be deterministic', async () => {
    const report = await auditComponent(readFileSync(ENGINE), ENGINE, { policy: 'python' });
    expect(report.policy).toBe('wasm-risk python');
    expect(report.deterministic).toBe(true);
    expect(sandboxGrant(report)).toEqual({ grantedInterfaces: ['wasm-risk:risk/types'], deterministic: true, importsWasi: false });
  });

  it.each(SHIPPED_POLICY_NAMES)('--policy %s names the shipped profile', async (name) => {
    expect((await admissionOptionsFrom({ policy: name })).policy).toBe(name);
  });

  it('--policy with a word that names no profile says so, instead of looking for a file of that name', async () => {
    await expect(admissionOptionsFrom({ policy: 'pyhton' })).rejects.toThrow(new InvalidInputError('--policy', '"pyhton" is not a shipped profile (default, python, js); a policy file is given by its path (./pyhton)'));
  });

  it('--policy with a long word quotes it bounded, in the hint too', async () => {
    const error = (await admissionOptionsFrom({ policy: 'a'.repeat(100_000) }).catch((caught: unknown) => caught)) as Error;
    expect(error.message).toBe(`--policy: "${'a'.repeat(64)}…" (100000 characters) is not a shipped profile (default, python, js); a policy file is given by its path (./${'a'.repeat(64)}…)`);
  });

  it('refuses an unknown name in the library options', async () => {
    await expect(auditComponent(readFileSync(ENGINE), ENGINE, { policy: 'ruby' as 'python' })).rejects.toThrow(InvalidInputError);
  });
});

describe("the 'link' verdict and 'deterministic'", () => {
  const policy = parsePolicy({
    version: 1,
    name: 'linking',
    deterministic: false,
    rules: [
      { interface: 'wasm-risk:risk/types', verdict: 'allow', reason: 'the world' },
      { interface: 'wasi:random/*', verdict: 'allow', reason: 'entropy' },
      { interface: 'wasi:sockets/*', verdict: 'link', reason: 'linked by libc' },
    ],
  });

  it('admit a linked import but leave it out of what the sandbox grants, so its calls trap', () => {
    const decisions = ['wasi:random/random@0.2.0', 'wasi:sockets/tcp@0.2.0'].map((item) => decideImport(policy, imported(item)).verdict);
    expect(decisions).toEqual(['allow', 'link']);
  });

  it('reach the sandbox through the audit', async () => {
    const report = await auditComponent(readFileSync(ENGINE), ENGINE, { policy });
    expect(report.deterministic).toBe(false);
    expect(sandboxGrant(report).deterministic).toBe(false);
  });

  it('default to deterministic when a policy does not say', () => {
    expect(parsePolicy({ version: 1, name: 'p', rules: [] }).deterministic).toBe(true);
    expect(() => parsePolicy({ version: 1, name: 'p', deterministic: 'yes', rules: [] })).toThrow(/deterministic/);
  });
});
