// The generated blocks of README.md and docs/ are what `make docs` would write now: a changed component
// hash, size or output fails here until `make docs` is rerun. Times, timestamps and load-dependent
// counts are masked on both sides.
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ESM tool without type declarations
import { DOC_FILES, generateBlocks, maskVolatile, readBlocks } from '../../tools/write-docs.mjs';

type Block = { name: string; text: string };

describe('generated blocks in the docs', () => {
  const fresh: Map<string, string> = generateBlocks();
  const written = (DOC_FILES as string[]).flatMap((file) => (readBlocks(file) as Block[]).map((block) => ({ file, ...block })));

  it('are all written by a generator, and every generator is shown somewhere', () => {
    expect(written.filter(({ name }) => !fresh.has(name))).toEqual([]);
    expect([...fresh.keys()].filter((name) => !written.some((block) => block.name === name))).toEqual([]);
  });

  it.each(written.map((block) => [`${block.file}: ${block.name}`, block] as const))('%s is current', (_, block) => {
    expect(maskVolatile(block.text)).toBe(maskVolatile(fresh.get(block.name)!));
  });
});
