// The package's own component runs from the glue shipped beside it (written by `make build` / prepack),
// never from jco or the cache, and only for exactly the bytes that glue was made from; a damaged shipped
// glue is reported and passed over, never run.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { componentWit } from '@bytecodealliance/jco-transpile/wasm-tools';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { inspectComponent } from '../../host/audit/component-inspection.js';
import { sha256Hex } from '../../host/files/content-hash.js';
import { DEFAULT_COMPONENT, SHIPPED_GLUE_DIR } from '../../host/files/package-paths.js';
import { ComponentImage } from '../../host/load/component-image.js';
import { readShippedGlue } from '../../host/load/shipped-glue.js';
import { transpile } from '../../host/load/transpile-cache.js';
import { ComponentInstance } from '../../host/run/component-instance.js';

const engine = readFileSync(DEFAULT_COMPONENT);
const sha256 = sha256Hex(engine);
const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-shipped-glue-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
});

/** A copy of the shipped glue to damage. */
function shippedCopy(name: string): string {
  const dir = join(scratch, name);
  cpSync(SHIPPED_GLUE_DIR, dir, { recursive: true });
  return dir;
}

function captureWarnings(): () => (string | undefined)[] {
  const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  return () => emitWarning.mock.calls.map(([, options]) => (typeof options === 'object' ? options.code : undefined));
}

describe('the shipped glue', () => {
  it('is what `make build` wrote for the engine as it is now', async () => {
    const shipped = await readShippedGlue(sha256);
    expect(shipped?.origin, `${SHIPPED_GLUE_DIR} is not the glue of ${DEFAULT_COMPONENT}: run \`make build\``).toBe('package');
    const fresh = await transpile(engine);
    expect(shipped?.glue).toBe(fresh.glue);
    const hashes = (modules: Map<string, Uint8Array> | undefined) => [...(modules ?? [])].map(([name, bytes]) => [name, sha256Hex(bytes)]);
    expect(hashes(shipped?.coreModules)).toEqual(hashes(fresh.coreModules));
    expect(shipped?.interfaceDeclarations).toEqual(fresh.interfaceDeclarations);
  });

  it('loads the engine without the transpile cache, by its bytes wherever they are', async () => {
    const cacheDir = join(scratch, 'cache');
    const copy = join(scratch, 'elsewhere.wasm');
    writeFileSync(copy, engine);
    for (const source of [DEFAULT_COMPONENT, copy, engine]) {
      const image = await ComponentImage.load(source, { cacheDir });
      expect(image.origin).toBe('package');
      expect((await ComponentInstance.create(image.payload)).engine.info().name).toBe('risk-engine');
    }
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('is not used for any other bytes', async () => {
    const other = Buffer.concat([engine, Buffer.from([0, 2, 1, 0x78])]);
    expect(await readShippedGlue(sha256Hex(other))).toBeUndefined();
    expect((await ComponentImage.load(other, { cacheDir: join(scratch, 'other-cache') })).origin).toBe('jco');
  });

  it('gives the audit the WIT and producers wasm-tools decodes', async () => {
    const report = await inspectComponent(engine, DEFAULT_COMPONENT, 'full');
    expect(report.world.wit).toBe(await componentWit(engine));
    expect(report.producers.language).toEqual(['Rust']);
  });

  it('is passed over, silently, when it was made with other glue edits', async () => {
    const dir = shippedCopy('older-revision');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { glueRevision: number };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, glueRevision: manifest.glueRevision - 1 }));
    const warnings = captureWarnings();
    expect(await readShippedGlue(sha256, dir)).toBeUndefined();
    expect(warnings()).toEqual([]);
  });

  it.each([
    ['glue edited', (dir: string) => writeFileSync(join(dir, 'component.js'), `globalThis.edited = true;\n${readFileSync(join(dir, 'component.js'), 'utf8')}`)],
    ['core module missing', (dir: string) => rmSync(join(dir, 'component.core.wasm'))],
    ['manifest unreadable', (dir: string) => writeFileSync(join(dir, 'manifest.json'), '{"component":')],
  ])('is reported once and not run when damaged (%s)', async (name, damage) => {
    const dir = shippedCopy(name);
    damage(dir);
    const warnings = captureWarnings();
    expect(await readShippedGlue(sha256, dir)).toBeUndefined();
    expect(await readShippedGlue(sha256, dir)).toBeUndefined();
    expect(warnings()).toEqual(['WASM_RISK_SHIPPED_GLUE_DAMAGED']);
  });
});
