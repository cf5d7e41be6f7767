// The test run's temporary folder (run-scratch.ts): what the tests make goes into it, and a leftover fails the run.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import setupRunScratch from './run-scratch.js';

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

describe('the test run temporary folder', () => {
  it('is where this run puts os.tmpdir() and its transpile cache', () => {
    expect(tmpdir()).toMatch(/wasm-risk-test-run-/);
    expect(process.env.WASM_RISK_CACHE_DIR).toBe(join(tmpdir(), 'cache'));
  });

  it('is removed at the end, and fails the run naming what a test left in it', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const environment = { ...process.env };
    const teardown = setupRunScratch();
    const root = tmpdir();
    const leftover = mkdtempSync(join(root, 'wasm-risk-forgotten-'));
    teardown();
    expect(existsSync(root)).toBe(false);
    expect(process.env).toEqual(environment);
    expect(process.exitCode).toBe(1);
    expect(error).toHaveBeenCalledWith(expect.stringContaining(leftover.slice(root.length + 1)));
  });

  it('passes a run that left only its cache', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const teardown = setupRunScratch();
    const root = tmpdir();
    teardown();
    expect(existsSync(root)).toBe(false);
    expect(process.exitCode).toBeUndefined();
    expect(error).not.toHaveBeenCalled();
  });
});
