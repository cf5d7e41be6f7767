// JSON input files: a key given twice in one object is an error that names its path, at any depth and in
// every JSON input (portfolio, policy, lock file); values are exactly JSON.parse's.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { visit } from 'jsonc-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { admitComponent } from '../../host/audit/admission.js';
import { readPolicyFile } from '../../host/audit/capability-policy.js';
import { readPortfolioFile } from '../../host/cli/portfolio-file.js';
import { InvalidInputError } from '../../host/errors.js';
import { firstDuplicateKey, readJsonFile } from '../../host/files/json-file.js';
import { DEFAULT_COMPONENT } from '../../host/files/package-paths.js';

const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-json-file-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

const example = readFileSync('examples/portfolio.json', 'utf8');

describe('duplicate keys', () => {
  it.each([
    ['at the top level', example.replace('"riskFreeRate": 0.03,', '"riskFreeRate": 0.03, "riskFreeRate": 0.5,'), 'riskFreeRate'],
    ['in the second asset', example.replace('"spot": 410.0,', '"spot": -5, "spot": 410.0,'), 'assets[1].spot'],
    ['in the first position', example.replace('{ "asset": "AAPL", "type": "spot",', '{ "asset": "AAPL", "type": "call", "type": "spot",'), 'positions[0].type'],
    ['written with an escape', example.replace('"vol": 0.25 }', '"vol": 0.25, "\\u0076ol": 0.3 }'), 'assets[0].vol'],
  ])('in a portfolio, %s: an error naming the path', async (_name, text, path) => {
    const error = await readPortfolioFile(file('portfolio.json', text)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'portfolio', exitCode: 2 });
    expect((error as Error).message).toBe(`portfolio: ${path}: duplicate key in ${join(scratch, 'portfolio.json')}`);
  });

  it('in nested arrays of objects', async () => {
    const path = file('nested.json', '{"a": [[{"x": 1}, {"x": 1, "y": {"z": [], "z": {}}}]]}');
    await expect(readJsonFile(path, 'portfolio')).rejects.toThrow(/^portfolio: a\[0\]\[1\]\.y\.z: duplicate key in /);
  });

  it('in a policy rule', async () => {
    const policy = JSON.parse(readFileSync('policies/default-policy.json', 'utf8')) as { rules: unknown[] };
    const text = JSON.stringify(policy).replace(/"verdict":"deny"/, '"verdict":"deny","verdict":"allow"');
    await expect(readPolicyFile(file('policy.json', text))).rejects.toThrow(/^policy: rules\[1\]\.verdict: duplicate key in /);
  });

  it('in a lock file entry', async () => {
    const sha = 'a'.repeat(64);
    const lockFile = file('lock.json', `{"version": 1, "components": [{"name": "e", "version": "1.0.0", "sha256": "${sha}", "sha256": "${'b'.repeat(64)}"}]}`);
    const engine = readFileSync(DEFAULT_COMPONENT);
    await expect(admitComponent(engine, DEFAULT_COMPONENT, { strict: true, lockFile })).rejects.toThrow(/^lockFile: components\[0\]\.sha256: duplicate key in /);
  });

  it('are fine in different objects, and __proto__ is a key like any other', async () => {
    expect(firstDuplicateKey('[{"a": 1}, {"a": 1, "b": {"a": 1}}]')).toBeUndefined();
    expect(firstDuplicateKey('{"__proto__": 1, "__proto__": 2}')).toEqual(['__proto__']);
    const value = (await readJsonFile(file('proto.json', '{"__proto__": {"polluted": true}, "a": {"constructor": {"prototype": {"polluted": true}}}}'), 'policy')) as object;
    expect(Object.keys(value)).toEqual(['__proto__', 'a']);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

/** The obvious reference: jsonc-parser's full visitor, which tracks every path itself. */
function referenceFirstDuplicate(text: string): (string | number)[] | undefined {
  const keysOfOpenObjects: Set<string>[] = [];
  let duplicate: (string | number)[] | undefined;
  visit(text, {
    onObjectBegin: () => void keysOfOpenObjects.push(new Set()),
    onObjectEnd: () => void keysOfOpenObjects.pop(),
    onObjectProperty: (key, _offset, _length, _line, _column, pathToObject) => {
      const keys = keysOfOpenObjects[keysOfOpenObjects.length - 1]!;
      if (keys.has(key)) duplicate ??= [...pathToObject(), key];
      keys.add(key);
    },
  });
  return duplicate;
}

/** JSON text whose objects draw keys from a few names (one of them also written escaped), so duplicates are common. */
const jsonText = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('1', '-0.5e3', 'true', 'null', '"a"', '"{\\"a\\":1}"'),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(', ')}]`),
    fc
      .array(fc.tuple(fc.constantFrom('"a"', '"b"', '"\\u0061"', '""', '"__proto__"'), tie('value')), { maxLength: 4 })
      .map((members) => `{${members.map(([key, value]) => `${key}: ${value}`).join(', ')}}`),
  ),
})).value;

describe('firstDuplicateKey', () => {
  it('finds the same first duplicate as a full visitor, on any JSON', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        JSON.parse(text);
        expect(firstDuplicateKey(text)).toEqual(referenceFirstDuplicate(text));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('values', () => {
  it('are exactly what JSON.parse gives', async () => {
    const text = '{"numbers": [0.1, 1e-320, 9007199254740993, -0, 1E400, 123456789012345678901234567890, 0.30000000000000004], "s": "\\u00e9\\n"}';
    expect(Object.is(((await readJsonFile(file('numbers.json', text), 'portfolio')) as { numbers: number[] }).numbers[3], -0)).toBe(true);
    expect(await readJsonFile(file('numbers.json', text), 'portfolio')).toEqual(JSON.parse(text));
  });

  it('invalid JSON is still reported as such, before any duplicate', async () => {
    await expect(readJsonFile(file('bad.json', '{"a": 1, "a": 2'), 'lockFile')).rejects.toThrow(/^lockFile: .*bad\.json is not valid JSON: /);
  });
});
