// The host's edits to jco's glue apply to what jco generates today, and change nothing else.
import { readFile } from 'node:fs/promises';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { describe, expect, it } from 'vitest';
import { ComponentLoadError } from '../../host/errors.js';
import { patchGlue } from '../../host/glue-patches.js';
import { DEFAULT_COMPONENT } from '../../host/project-paths.js';

const ENV_READ = 'process?.env?.JCO_DEBUG';

describe('glue patches', () => {
  it("turn jco's per-call JCO_DEBUG lookup into a constant, and leave the rest of the glue alone", async () => {
    const { files } = await transpileBytes(await readFile(DEFAULT_COMPONENT), { name: 'component', instantiation: 'async', noComponentErrorWrapping: true });
    const glue = Buffer.from(files['component.js']!).toString('utf8');
    expect(glue).toContain(ENV_READ);
    const patched = patchGlue(glue);
    expect(patched).not.toContain(ENV_READ);
    expect(patched).not.toContain('process.env');
    const changedLines = patched.split('\n').filter((line, i) => line !== glue.split('\n')[i]);
    expect(changedLines).toEqual(['    return;']);
  });
});

describe('glue patches refuse glue they do not fit', () => {
  const check = 'if (!globalThis?.process?.env?.JCO_DEBUG) { return; }';

  it('fail loudly when the edited text is missing (a jco upgrade changed it)', () => {
    const changed = 'function _debugLog() {\n  if (!process.env.JCO_DEBUG) return;\n  console.debug(...arguments);\n}';
    expect(() => patchGlue(changed)).toThrow(ComponentLoadError);
    expect(() => patchGlue(changed)).toThrow(/matched jco's glue 0 times/);
  });

  it('fail loudly when the edited text appears more than once', () => {
    expect(() => patchGlue(`${check}\n${check}`)).toThrow(/matched jco's glue 2 times/);
  });

  it('fail loudly when the glue still reads JCO_DEBUG elsewhere after the edit', () => {
    expect(() => patchGlue(`${check}\nif (process.env.JCO_DEBUG) console.debug('x');`)).toThrow(/still reads JCO_DEBUG/);
  });
});
