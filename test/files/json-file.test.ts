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

/** A one-asset book whose asset is `id` and whose position is on the asset `held`, both as raw bytes. */
function book(id: Buffer, held: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from('{"assets": [{"id": "'),
    id,
    Buffer.from('", "spot": 100, "drift": 0, "vol": 0.2}], "correlation": [[1]], "positions": [{"asset": "'),
    held,
    Buffer.from('", "type": "spot", "quantity": 1}]}'),
  ]);
}

describe('text that is not UTF-8', () => {
  // A Latin-1 file: 'SOCIÉTÉ' and 'SOCIÈTÉ' differ in one byte; decoded with replacement characters both read
  // as 'SOCI\uFFFDT\uFFFD', so a position on the one that is not in the book used to value the other.
  const latin1 = (text: string) => Buffer.from(text, 'latin1');

  it('is refused naming the file and the first bad byte, not read with replacement characters', async () => {
    const path = join(scratch, 'latin1.json');
    writeFileSync(path, book(latin1('SOCIÉTÉ'), latin1('SOCIÈTÉ')));
    const error = await readPortfolioFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    const offset = readFileSync(path).indexOf(0xc9);
    expect(error).toMatchObject({ field: 'portfolio', message: `portfolio: ${path} is not UTF-8 text: byte ${offset} is 0xc9; save it as UTF-8` });
  });

  it.each([
    ['a UTF-16 file (its byte-order mark)', Buffer.from('\ufeff{}', 'utf16le'), 0, 'ff'],
    ['a character cut off at the end', Buffer.from([0x7b, 0x7d, 0x20, 0xe2, 0x82]), 3, 'e2'],
    ['an encoded surrogate', Buffer.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]), 2, 'ed'],
  ])('%s: the byte named is where it goes wrong', async (_name, bytes, offset, hex) => {
    const path = join(scratch, 'bytes.json');
    writeFileSync(path, bytes);
    await expect(readJsonFile(path, 'portfolio')).rejects.toThrow(`portfolio: ${path} is not UTF-8 text: byte ${offset} is 0x${hex}; save it as UTF-8`);
  });

  it('in UTF-8, the same ids are two assets, and a byte-order mark is allowed', async () => {
    const path = join(scratch, 'utf8.json');
    writeFileSync(path, Buffer.concat([Buffer.from('\ufeff'), book(Buffer.from('SOCIÉTÉ'), Buffer.from('SOCIÈTÉ'))]));
    await expect(readPortfolioFile(path)).rejects.toThrow(/^positions\[0\]\.asset: unknown asset "SOCIÈTÉ"$/);
  });
});

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

const whitespace = fc.constantFrom('', '', ' ', '\n  ', '\t', '\r\n');
/**
 * Keys from a few names, so duplicates are common; a name may be written in two ways (`"\u0061"` is `"a"`,
 * `"\""` is `"\u0022"`), and some hold JSON's own punctuation.
 */
const key = fc.constantFrom('"a"', '"\\u0061"', '"\\""', '"\\u0022"', '"\\\\"', '"\\u005c"', '"{/"', '"{\\/"', '""', '"__proto__"', '"a,b:}"');
/** Value strings that look like structure: braces, quotes, backslashes, commas and colons (`"\"a\": 1"` ends like a key). */
const stringValue = fc.constantFrom('"a"', '"{\\"a\\":1}"', '"}"', '"{"', '"\\\\"', '"\\\\\\""', '"[,]"', '":"', '"\\"a\\": 1"', '","');

/** JSON text: nested arrays and objects (empty ones included), with whitespace anywhere it may go. */
const jsonText = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('1', '-0.5e3', 'true', 'null'),
    stringValue,
    fc
      .tuple(whitespace, fc.array(fc.tuple(whitespace, tie('value'), whitespace), { maxLength: 4 }))
      .map(([inside, items]) => `[${inside}${items.map(([before, value, after]) => before + value + after).join(',')}]`),
    fc
      .tuple(whitespace, fc.array(fc.tuple(whitespace, key, whitespace, whitespace, tie('value'), whitespace), { maxLength: 4 }))
      .map(([inside, members]) => `{${inside}${members.map(([a, name, b, c, value, d]) => `${a}${name}${b}:${c}${value}${d}`).join(',')}}`),
  ),
})).value;

/** JSON text hundreds of levels deep in arrays and objects, around any JSON text. */
const deepText = fc
  .tuple(fc.array(fc.constantFrom('[', '{"a": ', '{"b": 1, "a":', '[{}, [], {"a": 1}, '), { minLength: 100, maxLength: 400 }), jsonText)
  .map(([levels, inner]) => levels.join('') + inner + [...levels].reverse().map((level) => (level.startsWith('[') ? ']' : '}')).join(''));

/** One object with up to 40 keys (more than are compared one by one), each holding an object with the same key, and maybe one key again (escaped). */
const largeObject = fc
  .tuple(fc.uniqueArray(fc.nat(99), { maxLength: 40, size: 'max' }), fc.option(fc.tuple(fc.nat(), fc.nat()), { nil: undefined }))
  .map(([names, again]) => {
    const members = names.map((name) => `"k${name}": {"k${name}": [{"k${name}": 1}]}`);
    if (again !== undefined && names.length > 0) {
      const first = again[0] % names.length;
      members.splice(first + 1 + (again[1] % (names.length - first)), 0, `"\\u006b${names[first]!}": 2`);
    }
    return `{"before": {}, "large": {${members.join(', ')}}, "after": 1}`;
  });

describe('firstDuplicateKey', () => {
  it.each([
    ['any JSON', jsonText],
    ['deeply nested JSON', deepText],
    ['a large object', largeObject],
  ])('finds the same first duplicate as a full visitor, in %s', (_name, texts) => {
    fc.assert(
      fc.property(texts, (text) => {
        JSON.parse(text);
        expect(firstDuplicateKey(text)).toEqual(referenceFirstDuplicate(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it('ends on a string left open, in a text JSON.parse refuses', () => {
    expect(firstDuplicateKey('{"a": 1, "a": "x')).toEqual(['a']);
    expect(firstDuplicateKey('{"a": "x, "b": 1}')).toBeUndefined();
  });

  it('finds a duplicate in an object of 100,000 keys (a quadratic scan would take the test past its timeout)', () => {
    const text = `{${Array.from({ length: 100_000 }, (_, index) => `"k${index}": ${index}`).join(', ')}, "k99999": 0}`;
    expect(firstDuplicateKey(text)).toEqual(['k99999']);
  });
});

describe('values', () => {
  it('are exactly what JSON.parse gives', async () => {
    const text = '{"numbers": [0.1, 1e-320, 9007199254740993, -0, 1E400, 123456789012345678901234567890, 0.30000000000000004], "s": "\\u00e9\\n"}';
    expect(Object.is(((await readJsonFile(file('numbers.json', text), 'portfolio')) as { numbers: number[] }).numbers[3], -0)).toBe(true);
    expect(await readJsonFile(file('numbers.json', text), 'portfolio')).toEqual(JSON.parse(text));
  });

  it('a UTF-8 byte-order mark at the start (some editors write one) is not part of the JSON', async () => {
    expect(await readPortfolioFile(file('bom.json', `\uFEFF${example}`))).toEqual(await readPortfolioFile(file('plain.json', example)));
    // Anywhere else it is a character like any other, which JSON does not allow between tokens.
    await expect(readJsonFile(file('inner-bom.json', '{"a":\uFEFF 1}'), 'portfolio')).rejects.toThrow(/is not valid JSON/);
  });

  it("invalid JSON is reported with the parser's message, the text it quotes escaped and the whole bounded", async () => {
    const error = (await readJsonFile(file('bidi.json', `[\u202e${'A'.repeat(1_000_000)}]`), 'portfolio').catch((caught: unknown) => caught)) as Error;
    expect(error.message).toMatch(/is not valid JSON: .*\\u202e/);
    expect(error.message).not.toMatch(/\u202e/);
  });

  it('invalid JSON is still reported as such, before any duplicate', async () => {
    await expect(readJsonFile(file('bad.json', '{"a": 1, "a": 2'), 'lockFile')).rejects.toThrow(/^lockFile: .*bad\.json is not valid JSON: /);
  });
});
