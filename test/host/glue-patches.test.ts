// The host's edits to jco's glue apply to what jco generates today, and change nothing else.
import { readFile } from 'node:fs/promises';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { describe, expect, it } from 'vitest';
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
