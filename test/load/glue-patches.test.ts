// The host's edits to jco's glue apply to what jco generates today, and change nothing else.
import { readFile } from 'node:fs/promises';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { describe, expect, it } from 'vitest';
import { ComponentLoadError } from '../../host/errors.js';
import { LIFTED_LEVELS_BOUND, patchGlue } from '../../host/load/glue-patches.js';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';

const ENV_READ = 'process?.env?.JCO_DEBUG';

describe('glue patches', () => {
  it("turn jco's per-call JCO_DEBUG lookup into a constant, bound every lifted list of report levels, and leave the rest of the glue alone", async () => {
    const { files } = await transpileBytes(await readFile(DEFAULT_COMPONENT), { name: 'component', instantiation: 'async', noComponentErrorWrapping: true });
    const glue = Buffer.from(files['component.js']!).toString('utf8');
    expect(glue).toContain(ENV_READ);
    const patched = patchGlue(glue);
    expect(patched).not.toContain(ENV_READ);
    expect(patched).not.toContain('process.env');
    const changedLines = patched.split('\n').filter((line, i) => line !== glue.split('\n')[i]);
    // One lift of a risk report's levels in each of monte-carlo, historical and parametric, and in each of
    // their factor-portfolio twins (contract 1.2).
    const levelLoop = expect.stringMatching(new RegExp(`^ +for \\(let i = 0; i < Math\\.min\\(len\\d+, ${LIFTED_LEVELS_BOUND}\\); i\\+\\+\\) \\{$`));
    expect(changedLines).toEqual(['    return;', ...new Array(6).fill(levelLoop)]);
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

  it('fail loudly when a list of report levels is lifted in a shape the bound does not match', () => {
    // jco's lift of list<level-risk>, written with an index instead of push: the bound would not apply.
    const lift = [
      'for (let i = 0; i < len12; i++) {',
      '  const base = base12 + i * 32;',
      '  result12[i] = {',
      '    confidence: dataView(memory0).getFloat64(base + 0, true),',
      '    var: dataView(memory0).getFloat64(base + 8, true),',
      '    es: dataView(memory0).getFloat64(base + 16, true),',
      '    stdError: dataView(memory0).getFloat64(base + 24, true),',
      '  };',
      '}',
    ].join('\n');
    expect(() => patchGlue(`${check}\n${lift}`)).toThrow(ComponentLoadError);
    expect(() => patchGlue(`${check}\n${lift}`)).toThrow(/matched 0 of jco's 1 level-risk lifts/);
  });
});
