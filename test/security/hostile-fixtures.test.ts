// Hostile components (components/fixtures) against the whole host. Under the default policy each is
// refused before any of it is transpiled or instantiated; with the policy relaxed on purpose the sandbox
// still gives it nothing (no file, no connection, no environment) and the host keeps serving.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdmissionOptions } from '../../host/audit/admission.js';
import type { EngineOptions } from '../../host/request/engine-options.js';
import { ComponentTrapError, IncompatibleComponentError, InvalidInputError, PolicyDeniedError } from '../../host/errors.js';
import type { PortfolioSpec } from '../../host/request/portfolio.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';
import { EXAMPLE_PORTFOLIO, fixture } from '../support/fixtures.js';

const EXAMPLE = EXAMPLE_PORTFOLIO;
const portfolio = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as PortfolioSpec;
const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-hostile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Lets everything through the audit, so that what stops the fixtures is the sandbox alone. */
const RELAXED: AdmissionOptions = {
  policy: { version: 1, name: 'relaxed on purpose', rules: [{ interface: '*', verdict: 'allow', reason: 'test: the sandbox must hold on its own' }] },
};
const relaxedPolicyFile = join(scratch, 'relaxed.json');
writeFileSync(relaxedPolicyFile, JSON.stringify(RELAXED.policy));

const HOSTILE: [string, string][] = [
  ['fs-reader', 'wasi:filesystem/preopens@0.2.12'],
  ['socket-opener', 'wasi:sockets/tcp-create-socket@0.2.12'],
  ['env-reader', 'wasi:cli/environment@0.2.12'],
  ['unknown-import', 'evil:backdoor/exfiltrate@1.0.0'],
];

describe.each(HOSTILE)('under the default policy, %s', (name, offending) => {
  it('is refused by the library before it is transpiled, so before it could be instantiated', async () => {
    const cacheDir = mkdtempSync(join(scratch, 'cache-'));
    const refused = RiskEngine.load(fixture(name), { cacheDir, workers: 1 });
    await expect(refused).rejects.toBeInstanceOf(PolicyDeniedError);
    await expect(refused).rejects.toThrow(offending);
    expect(existsSync(join(cacheDir, 'transpiled')) ? readdirSync(join(cacheDir, 'transpiled')) : []).toEqual([]);
  });

  it('is refused by `var --component` with exit code 1 and one line naming the import', () => {
    const run = runCli(['var', EXAMPLE, '--component', fixture(name), '--paths', '1000']);
    expectOneLineFailure(run, 1, /^wasm-risk: ERR_POLICY_DENIED: /);
    expect(run.stderr).toContain(offending);
  });
});

describe.each<EngineOptions['isolation']>(['workers', 'in-thread'])('with the policy relaxed on purpose (%s)', (isolation) => {
  const load = (name: string) => RiskEngine.load(fixture(name), { admission: RELAXED, isolation, workers: 1 });

  it('fs-reader finds no preopened directory, so no file to read', async () => {
    const engine = await load('fs-reader');
    try {
      expect(engine.component.name).toBe('fs-reader: preopens=0');
      await expect(engine.parametric(portfolio)).rejects.toThrow(new InvalidInputError('fs-reader', 'preopens=0'));
    } finally {
      await engine.close();
    }
  });

  it('env-reader sees no environment variable, argument or working directory', async () => {
    process.env.WASM_RISK_TEST_SECRET = 'hunter2';
    const engine = await load('env-reader');
    try {
      expect(engine.component.name).toBe('env-reader: env=0 first=none args=0 cwd=none');
    } finally {
      await engine.close();
      delete process.env.WASM_RISK_TEST_SECRET;
    }
  });

  describe('socket-opener', () => {
    let server: Server;
    let port: number;
    let connections = 0;
    beforeAll(async () => {
      server = createServer((socket) => {
        connections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('resolves no name and reaches no listener, even one on the loopback', async () => {
      const engine = await load('socket-opener');
      try {
        // The fixture connects to the port given as the low 16 bits of the seed.
        const refused = engine.monteCarlo(portfolio, { paths: 10, seed: BigInt(port) });
        await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
        const message = ((await refused.catch((e: unknown) => e)) as Error).message;
        expect(message).toBe(`socket-opener: lookup(localhost)=permanent-resolver-failure connect(127.0.0.1:${port})=start access-denied`);
        expect(connections).toBe(0);
      } finally {
        await engine.close();
      }
    });
  });

  it.each<[string, AdmissionOptions, string]>([
    ['relaxed on purpose', RELAXED, "the sandbox makes no Network for a component: WASI's wasi:sockets/network has no constructor for it"],
    ['python, which links wasi:sockets', { policy: 'python' }, 'the sandbox does not grant wasi:sockets/network (new Network)'],
  ])('network-forger cannot make itself a network of its own (policy %s)', async (_, admission, trap) => {
    // Its import type declares `[constructor]network`, which jco's glue would answer with `new Network()`:
    // a network the sandbox never denied anything, from which a socket reaches any listener.
    const refused = RiskEngine.load(fixture('network-forger'), { admission, isolation, workers: 1 });
    await expect(refused).rejects.toBeInstanceOf(ComponentTrapError);
    await expect(refused).rejects.toThrow(trap);
  });

  it('unknown-import cannot be instantiated: the host implements no such interface', async () => {
    const refused = load('unknown-import');
    await expect(refused).rejects.toBeInstanceOf(IncompatibleComponentError);
    await expect(refused).rejects.toThrow(/it imports send from evil:backdoor\/exfiltrate@1\.0\.0, an interface the host does not link/);
  });

  it('the host keeps serving afterwards', async () => {
    const engine = await RiskEngine.load(undefined, { isolation, workers: 1 });
    try {
      const result = await engine.monteCarlo(portfolio, { paths: 2_000, seed: 5n });
      expect(result.levels[1]!.var).toBeGreaterThan(result.levels[0]!.var);
    } finally {
      await engine.close();
    }
  });
});

describe('the CLI with the policy relaxed on purpose', () => {
  it('runs fs-reader, which reports that it found nothing, and prints no file content', () => {
    const run = runCli(['var', EXAMPLE, '--component', fixture('fs-reader'), '--policy', relaxedPolicyFile, '--method', 'parametric']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('wasm-risk: ERR_INVALID_INPUT: fs-reader: preopens=0\n');
  });
});
