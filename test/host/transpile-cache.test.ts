// The transpile cache: a second load skips jco, and a tampered entry is never executed.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ComponentInstance } from '../../host/component-instance.js';
import { ComponentImage } from '../../host/component-loader.js';
import { DEFAULT_COMPONENT } from '../../host/project-paths.js';

describe('transpile cache', () => {
  it('serves the second load from the cache, keyed by the component hash', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'wasm-risk-cache-'));
    const first = await ComponentImage.load(DEFAULT_COMPONENT, { cacheDir });
    const second = await ComponentImage.load(DEFAULT_COMPONENT, { cacheDir });
    expect(first.fromCache).toBe(false);
    expect(second.fromCache).toBe(true);
    expect(readdirSync(join(cacheDir, 'transpiled'))).toEqual([first.sha256]);
    expect((await ComponentInstance.create(second.payload)).engine.info().name).toBe('risk-engine');
  });

  it('transpiles again instead of running a tampered cache entry', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'wasm-risk-cache-'));
    const { sha256 } = await ComponentImage.load(DEFAULT_COMPONENT, { cacheDir });
    const glue = join(cacheDir, 'transpiled', sha256, 'component.js');
    writeFileSync(glue, `${readFileSync(glue, 'utf8')}\nglobalThis.__tampered = true;\n`);
    const reloaded = await ComponentImage.load(DEFAULT_COMPONENT, { cacheDir });
    expect(reloaded.fromCache).toBe(false);
    expect((globalThis as { __tampered?: boolean }).__tampered).toBeUndefined();
    expect(readFileSync(glue, 'utf8')).not.toMatch(/__tampered/);
  });

  it('transpiles again an entry whose glue carries other host edits (an older glue revision)', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'wasm-risk-cache-'));
    const { sha256 } = await ComponentImage.load(DEFAULT_COMPONENT, { cacheDir });
    const manifestFile = join(cacheDir, 'transpiled', sha256, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { glueRevision: number };
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, glueRevision: manifest.glueRevision - 1 }));
    expect((await ComponentImage.load(DEFAULT_COMPONENT, { cacheDir })).fromCache).toBe(false);
    expect((await ComponentImage.load(DEFAULT_COMPONENT, { cacheDir })).fromCache).toBe(true);
  });

  it('still loads when the cache directory cannot be written', async () => {
    const blocker = join(mkdtempSync(join(tmpdir(), 'wasm-risk-cache-')), 'file');
    writeFileSync(blocker, 'not a directory');
    const image = await ComponentImage.load(DEFAULT_COMPONENT, { cacheDir: blocker });
    expect(image.fromCache).toBe(false);
  });
});
