// A policy allows an import by its interface's name and version, whatever functions the import declares. A
// component declaring a function the host does not link (one WASI does not have, a method as a static, an
// interface the host has nothing for) is refused by name with IncompatibleComponentError before its glue
// runs; jco's glue failed instead with "unexpectedly undefined instance import 'bogus'", printed on the
// host's own stderr. Built from network-forger.wat, whose one WASI import `info()` calls.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AdmissionOptions } from '../../host/audit/admission.js';
import { ComponentTrapError, IncompatibleComponentError } from '../../host/errors.js';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { RiskEngine } from '../../host/risk-engine.js';

const NETWORK_IMPORT = /  \(import "wasi:sockets\/network@0\.2\.12"[\s\S]*?\(alias export \$network "\[constructor\]network" \(func \$new-network\)\)\n/;

/** network-forger.wat with its import replaced by `name` declaring (beside a resource `pollable`) one function `fn` of type () -> u32. */
async function importing(name: string, fn: string): Promise<Uint8Array> {
  const forger = readFileSync(join(PROJECT_ROOT, 'components', 'fixtures-wat', 'network-forger.wat'), 'utf8');
  expect(forger).toMatch(NETWORK_IMPORT);
  const source = forger.replace(
    NETWORK_IMPORT,
    `  (import "${name}" (instance $imported\n    (export "pollable" (type (sub resource)))\n    (export "${fn}" (func (result u32)))))\n  (alias export $imported "${fn}" (func $new-network))\n`,
  );
  return parse(source);
}

/** The Python plugins' profile: it allows wasi:clocks, wasi:io and links wasi:cli/stdin. */
const PYTHON: AdmissionOptions = { policy: 'python' };
const ALLOW_ALL: AdmissionOptions = { policy: { version: 1, name: 'allow all (test)', rules: [{ interface: '*', verdict: 'allow', reason: 'test' }] } };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('an import of a function the host does not link', () => {
  it.each(['in-thread', 'workers'] as const)('is refused by name before the glue runs (%s), with nothing on stderr', async (isolation) => {
    const printed = vi.spyOn(console, 'error');
    const load = RiskEngine.load(await importing('wasi:clocks/monotonic-clock@0.2.0', 'bogus'), { admission: PYTHON, isolation, workers: 1 });
    await expect(load).rejects.toThrow(IncompatibleComponentError);
    await expect(load).rejects.toThrow(/: it imports bogus from wasi:clocks\/monotonic-clock@0\.2\.0, where the host does not implement it, so the component cannot be instantiated$/);
    expect(printed).not.toHaveBeenCalled();
  });

  it("is refused when a resource's method is declared as a static function", async () => {
    const load = RiskEngine.load(await importing('wasi:io/poll@0.2.0', '[static]pollable.block'), { admission: PYTHON, isolation: 'in-thread' });
    await expect(load).rejects.toThrow(/it imports \[static\]pollable\.block from wasi:io\/poll@0\.2\.0, where the host does not implement it/);
  });

  it('is refused when the host links nothing in its interface', async () => {
    const load = RiskEngine.load(await importing('acme:pricing/curves@1.0.0', 'discount'), { admission: ALLOW_ALL, isolation: 'in-thread' });
    await expect(load).rejects.toThrow(IncompatibleComponentError);
    await expect(load).rejects.toThrow(/it imports discount from acme:pricing\/curves@1\.0\.0, an interface the host does not link/);
  });

  it('lets a function WASI has through: past the check, the call the sandbox does not grant traps', async () => {
    // `get-stdin`, which the profile links only: instantiated, and the load's first call (`info`) fails in the
    // sandbox, not at the check.
    const load = RiskEngine.load(await importing('wasi:cli/stdin@0.2.0', 'get-stdin'), { admission: PYTHON, isolation: 'in-thread' });
    await expect(load).rejects.toThrow(ComponentTrapError);
    await expect(load).rejects.toThrow(/the sandbox does not grant wasi:cli\/stdin \(getStdin\)/);
  });
});
