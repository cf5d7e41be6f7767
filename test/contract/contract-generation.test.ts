// The contract the host compiles against comes from wit/ and nothing else: host/contract/generated/ is what
// the generator writes from wit/ today, host and engine limits are wit/limits.json's, and the compatibility
// check asks a component only for the functions its own minor version had.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWithContract, type ContractView } from '../../host/contract/compatibility.js';
import type { ContractDescription, EngineExports, FactorPortfolio, Portfolio, Simulation } from '../../host/contract/types.js';
import { DEFAULT_COMPONENT, PROJECT_ROOT } from '../../host/files/package-paths.js';
import { ComponentImage } from '../../host/load/component-image.js';
import * as hostLimits from '../../host/request/limits.js';
import { ComponentInstance } from '../../host/run/component-instance.js';
import { engineVersion } from '../support/fixtures.js';

const GENERATOR = join(PROJECT_ROOT, 'tools', 'generate-contract.mjs');
const GENERATED = join(PROJECT_ROOT, 'host', 'contract', 'generated');
const V1_3 = engineVersion('1.3.0');
const LIMITS = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'wit', 'limits.json'), 'utf8')) as { limits: Record<string, { value: number }> }).limits;

const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-contract-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the generator as `make` does, in its own process (jco's WASI preopens are process-wide). */
function generate(outDir: string, witDir = join(PROJECT_ROOT, 'wit')): void {
  execFileSync(process.execPath, [GENERATOR, outDir, witDir], { stdio: 'pipe' });
}

/** Every file under `dir`, by relative path. */
function filesUnder(dir: string): Map<string, string> {
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  return new Map(entries.map((entry) => [join(entry.parentPath, entry.name).slice(dir.length + 1), readFileSync(join(entry.parentPath, entry.name), 'utf8')]));
}

describe('the generated contract', () => {
  it('is exactly what the generator writes from wit/ (run `npm run generate-contract` after editing wit/)', () => {
    const fresh = join(scratch, 'fresh');
    generate(fresh);
    const expected = filesUnder(fresh);
    expect([...filesUnder(GENERATED).keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, text] of expected) expect(readFileSync(join(GENERATED, path), 'utf8'), path).toBe(text);
  });
});

describe('request limits', () => {
  it('are wit/limits.json\'s in the host', () => {
    for (const [name, { value }] of Object.entries(LIMITS)) expect((hostLimits as Record<string, unknown>)[name], name).toBe(value);
  });

  describe('are wit/limits.json\'s in the engine (build.rs), which refuses one past each', () => {
    let engine: EngineExports;
    beforeAll(async () => {
      engine = (await ComponentInstance.create((await ComponentImage.load(DEFAULT_COMPONENT)).payload)).engine;
    });
    const asset = { spot: 100, drift: 0, vol: 0.2 };
    const position = { assetIndex: 0, quantity: 1, instrument: { tag: 'spot' as const } };
    const portfolio: Portfolio = { assets: [asset], correlation: [Float64Array.of(1)], riskFreeRate: 0, positions: [position] };
    const factorPortfolio: FactorPortfolio = { assets: [asset], factorLoadings: [Float64Array.of(0.5)], riskFreeRate: 0, positions: [position] };
    const run: Simulation = { seed: 1n, horizonDays: 1, antithetic: false, firstPath: 0n, pathCount: 10n };
    const levels = Float64Array.of(0.99);
    const past = (name: string) => LIMITS[name]!.value + 1;
    const calls: Record<string, () => unknown> = {
      MAX_ASSETS: () => engine.parametric({ ...portfolio, assets: Array(past('MAX_ASSETS')).fill(asset), correlation: [] }, 1, levels),
      MAX_FACTOR_ASSETS: () => engine.parametricFactors!({ ...factorPortfolio, assets: Array(past('MAX_FACTOR_ASSETS')).fill(asset), factorLoadings: [] }, 1, levels),
      MAX_FACTORS: () => engine.parametricFactors!({ ...factorPortfolio, factorLoadings: [new Float64Array(past('MAX_FACTORS'))] }, 1, levels),
      MAX_POSITIONS: () => engine.parametric({ ...portfolio, positions: Array(past('MAX_POSITIONS')).fill(position) }, 1, levels),
      MAX_PATHS_PER_CALL: () => engine.simulatePnl(portfolio, { ...run, pathCount: BigInt(past('MAX_PATHS_PER_CALL')) }),
      MAX_HISTORY_ROWS: () => engine.historical(portfolio, Array.from({ length: past('MAX_HISTORY_ROWS') }, () => Float64Array.of(0)), 1, levels),
      MAX_CONFIDENCE_LEVELS: () => engine.parametric(portfolio, 1, new Float64Array(past('MAX_CONFIDENCE_LEVELS')).fill(0.5)),
      MAX_HORIZON_DAYS: () => engine.parametric(portfolio, past('MAX_HORIZON_DAYS'), levels),
    };

    it('covers every limit of the file', () => expect(Object.keys(calls).sort()).toEqual(Object.keys(LIMITS).sort()));

    it.each(Object.keys(LIMITS))('%s', (name) => {
      let thrown: unknown;
      try {
        calls[name]!();
      } catch (error) {
        thrown = error;
      }
      const value = LIMITS[name]!.value;
      // Horizon is a range of the input, the others are sizes.
      expect(thrown).toMatchObject(
        name === 'MAX_HORIZON_DAYS' ? { tag: 'invalid-input', val: expect.stringContaining(`(0, ${value}]`) } : { tag: 'too-large', val: expect.stringContaining(`limit of ${value}`) },
      );
    });
  });
});

describe('a function added in a later minor version', () => {
  /** The contract generated from wit/ moved to 1.3.0 with a new `capabilities` function, gated or not. */
  async function contract13(gate: string): Promise<ContractDescription> {
    const witDir = join(scratch, `wit-${gate ? 'gated' : 'ungated'}`);
    const outDir = join(scratch, `contract-${gate ? 'gated' : 'ungated'}`);
    const wit = readFileSync(join(PROJECT_ROOT, 'wit', 'risk.wit'), 'utf8')
      .replace(/^package wasm-risk:risk@1\.2\.0;/m, 'package wasm-risk:risk@1.3.0;')
      .replace(/\n}\n\nworld risk/, `\n    ${gate}capabilities: func() -> list<string>;\n}\n\nworld risk`);
    mkdirSync(witDir, { recursive: true });
    writeFileSync(join(witDir, 'risk.wit'), wit);
    writeFileSync(join(witDir, 'limits.json'), readFileSync(join(PROJECT_ROOT, 'wit', 'limits.json')));
    generate(outDir, witDir);
    return (await import(join(outDir, 'contract.ts'))) as ContractDescription;
  }
  const viewOf = async (path: string): Promise<ContractView> => (await ComponentImage.load(path)).contract;

  it('is not required of an engine built against an earlier one, and is of one built against its version', async () => {
    const contract = await contract13('@since(version = 1.3.0)\n    ');
    expect(contract.ENGINE_FUNCTION_SINCE).toMatchObject({ info: '1.0.0', sortedLosses: '1.1.0', sortedLossesFactors: '1.2.0', capabilities: '1.3.0' });
    expect(compareWithContract(contract, await viewOf(DEFAULT_COMPONENT))).toEqual({ compatible: true, contractVersion: '1.2.0', differences: [] });
    const v13 = await viewOf(V1_3);
    expect(compareWithContract(contract, v13)).toEqual({ compatible: true, contractVersion: '1.3.0', differences: [] });
    const engineFile = 'wasm-risk-risk-engine.d.ts';
    const withoutCapabilities = new Map(v13.interfaceDeclarations);
    withoutCapabilities.set(engineFile, withoutCapabilities.get(engineFile)!.replace(/^export function capabilities\(.*\n/m, ''));
    expect(compareWithContract(contract, { ...v13, interfaceDeclarations: withoutCapabilities }).differences).toEqual(['missing function capabilities']);
  });

  it('without its @since gate counts as 1.0 and is required of every engine', async () => {
    const contract = await contract13('');
    expect(compareWithContract(contract, await viewOf(DEFAULT_COMPONENT)).differences).toEqual(['missing function capabilities']);
  });
});
