// The audit of real components: what the project's engine asks for (nothing but its own types), what
// each hostile fixture asks for (denied, by name), and the report's shape.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { admitComponent, auditComponent, sandboxGrant } from '../../host/audit/admission.js';
import { PolicyDeniedError } from '../../host/errors.js';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';
import { fixture } from '../support/fixtures.js';


describe("the project's own component", () => {
  it('is allowed, imports no filesystem, sockets or HTTP, and implements the risk world', async () => {
    const report = await auditComponent(readFileSync(DEFAULT_COMPONENT), DEFAULT_COMPONENT);
    expect(report.verdict).toBe('allow');
    expect(report.imports.map((item) => item.name)).toEqual(['wasm-risk:risk/types@1.2.0']);
    expect(report.imports.some((item) => /^wasi:(filesystem|sockets|http)\//.test(item.name))).toBe(false);
    expect(report.world.packages).toEqual([{ name: 'wasm-risk:risk', version: '1.2.0' }]);
    expect(report.world.wit).toMatch(/export wasm-risk:risk\/engine@1\.2\.0;/);
    expect(report.exports).toEqual([
      { name: 'wasm-risk:risk/engine@1.2.0', interface: 'wasm-risk:risk/engine', version: '1.2.0', sort: 'instance', functions: ['info', 'monte-carlo', 'simulate-pnl', 'sorted-losses', 'historical', 'parametric', 'monte-carlo-factors', 'simulate-pnl-factors', 'sorted-losses-factors', 'historical-factors', 'parametric-factors'] },
    ]);
    expect(report.producers['processed-by']).toEqual(expect.arrayContaining([expect.stringMatching(/^rustc /), expect.stringMatching(/^wit-component /)]));
    expect(report.policy).toBe('wasm-risk default');
    expect(report.provenance).toEqual({ lock: { status: 'not-checked' }, signature: { status: 'not-checked' } });
    expect(sandboxGrant(report)).toEqual({ grantedInterfaces: ['wasm-risk:risk/types'], deterministic: true, importsWasi: false });
  });
});

describe.each([
  ['fs-reader', ['wasi:filesystem/types@0.2.12', 'wasi:filesystem/preopens@0.2.12'], /rule 2 \(wasi:filesystem\/\*\)/],
  ['socket-opener', ['wasi:sockets/tcp@0.2.12', 'wasi:sockets/ip-name-lookup@0.2.12', 'wasi:io/streams@0.2.12'], /rule 3 \(wasi:sockets\/\*\)/],
  ['env-reader', ['wasi:cli/environment@0.2.12'], /rule 5 \(wasi:cli\/environment\)/],
  ['unknown-import', ['evil:backdoor/exfiltrate@1.0.0'], /default: no rule matches it/],
])('the hostile fixture %s', (name, offending, rule) => {
  const bytes = readFileSync(fixture(name));

  it('is denied by the audit, the offending imports named with the rule that decided', async () => {
    const report = await auditComponent(bytes, fixture(name));
    expect(report.verdict).toBe('deny');
    const denied = report.imports.filter((item) => item.verdict === 'deny').map((item) => item.name);
    expect(denied).toEqual(expect.arrayContaining(offending));
    expect(report.reasons.join('\n')).toMatch(rule);
    for (const name of offending) expect(report.reasons.join('\n')).toContain(name);
  });

  it('is refused by admission with a PolicyDeniedError listing them', async () => {
    const refused = admitComponent(bytes, fixture(name));
    await expect(refused).rejects.toBeInstanceOf(PolicyDeniedError);
    const error = (await refused.catch((e: unknown) => e)) as PolicyDeniedError;
    expect(error.imports).toEqual(expect.arrayContaining(offending));
    expect(error.exitCode).toBe(1);
    expect(error.message).not.toMatch(/\n/);
  });
});
