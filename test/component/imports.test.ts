// The project's component imports nothing but the types of its own world: no WASI at all.
import { readFileSync } from 'node:fs';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { componentWit } from '@bytecodealliance/jco-transpile/wasm-tools';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';

describe('the risk-engine component', () => {
  const bytes = readFileSync(DEFAULT_COMPONENT);

  it('has no host imports as jco reports them', async () => {
    const { imports, exports } = await transpileBytes(bytes, { name: 'risk-engine', instantiation: 'async' });
    expect(imports).toEqual([]);
    expect(exports.map(([name]) => name)).toContain('wasm-risk:risk/engine@1.2.0');
  });

  it('imports only the type-only interface of its own world', async () => {
    const imports = (await componentWit(bytes)).split('\n').filter((line) => /^\s*import /.test(line)).map((line) => line.trim());
    expect(imports).toEqual(['import wasm-risk:risk/types@1.2.0;']);
  });
});
