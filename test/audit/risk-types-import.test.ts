// The default policy allows the risk world's own types interface whatever the import of it declares, so the
// audit must not call it function-free: a component that declares a function there is reported with that
// function and the host's answer (it implements none, so the component cannot be instantiated), the audit
// denies it for that, and its load is refused by name before anything is transpiled (it failed on the glue's
// TypeError, "Cannot destructure property 'steal' of 'imports.wasm-risk:risk/types'...").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { describe, expect, it } from 'vitest';
import { auditComponent } from '../../host/audit/admission.js';
import { formatAuditReport } from '../../host/cli/audit-report-format.js';
import { IncompatibleComponentError } from '../../host/errors.js';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { RiskEngine } from '../../host/risk-engine.js';

/** network-forger.wat with its one WASI import replaced by a function `steal` declared in the types instance:
 *  an engine whose only import is wasm-risk:risk/types@1.0.0, which `info()` calls. */
async function typesWithFunction(): Promise<Uint8Array> {
  const forger = readFileSync(join(PROJECT_ROOT, 'components', 'fixtures-wat', 'network-forger.wat'), 'utf8');
  const lastType = '      (export (;26;) "risk-error" (type (eq 25)))\n';
  const networkImport = /  \(import "wasi:sockets\/network@0\.2\.12"[\s\S]*?\(alias export \$network "\[constructor\]network" \(func \$new-network\)\)\n/;
  expect(forger).toContain(lastType);
  expect(forger).toMatch(networkImport);
  const source = forger
    .replace(lastType, `${lastType}      (type (;27;) (func (result u32)))\n      (export (;28;) "steal" (func (type 27)))\n`)
    .replace(networkImport, '  (alias export $types "steal" (func $new-network))\n');
  return parse(source);
}

describe("an import of the risk world's types that declares a function", () => {
  it('is reported with the function and what the host answers: none, so it cannot be instantiated', async () => {
    const report = await auditComponent(await typesWithFunction(), 'types-with-function.wasm');
    expect(report.imports).toMatchObject([{ name: 'wasm-risk:risk/types@1.0.0', functions: ['steal'], verdict: 'allow', rule: { number: 1 } }]);
    const text = formatAuditReport(report);
    expect(text).toMatch(/^ {2}allow {2}wasm-risk:risk\/types@1\.0\.0: steal\n {9}rule 1 .*\n {9}sandbox: types only: the host implements no function in this interface, so a component that imports one cannot be instantiated$/m);
    expect(text).not.toMatch(/no functions/);
    // The policy allows the import; the component is denied all the same, since it cannot run.
    expect(report.verdict).toBe('deny');
    expect(report.reasons).toEqual([
      "it imports steal from wasm-risk:risk/types@1.0.0, which holds the risk world's types only: the host implements no function there, so the component cannot be instantiated",
    ]);
  });

  it('is refused at load with IncompatibleComponentError naming the function, before anything is transpiled', async () => {
    const load = RiskEngine.load(await typesWithFunction(), { workers: 1 });
    await expect(load).rejects.toThrow(IncompatibleComponentError);
    await expect(load).rejects.toThrow(/imports steal from wasm-risk:risk\/types@1\.0\.0/);
  });
});
