// What a requester accepts of a chunk's result, read from Redis (a trust boundary): whatever is wrong with
// it, malformed or for other paths, is the worker's broken contract (ERR_COMPONENT_CONTRACT, exit 3), never
// bad input from the one who asked (ERR_INVALID_INPUT, exit 2).
import { describe, expect, it } from 'vitest';
import { chunkResultData, maxChunkResultBytes, parseChunkResult } from '../../host/distributed/chunk-result.js';
import { MAX_ESCAPED_INFO_LENGTH } from '../../host/contract/checked-results.js';
import { SCALE_BITS } from '../../host/report/exact-sum.js';
import { ComponentContractError, InvalidInputError } from '../../host/errors.js';
import { lossMoments, summarizeLossTail } from '../../host/report/risk-statistics.js';
import { terminalText } from '../../host/report/terminal-text.js';

const expected = { firstPath: 0, pathCount: 4, tailLength: 2 };
const valid = chunkResultData({
  component: { name: 'risk-engine', version: '1.2.0', sha256: 'ab'.repeat(32) },
  firstPath: 0,
  pathCount: 4,
  tail: new Float64Array([1, 2]),
  moments: { count: 4, sum: 10n, squares: 30n },
});

describe('parseChunkResult', () => {
  it('takes a well-formed result for the chunk asked for', () => {
    expect(Array.from(parseChunkResult(valid, expected).tail)).toEqual([1, 2]);
  });

  it('takes the name and version of any component, however long they are once escaped', () => {
    const version = terminalText(`1.0.0${'\u202e'.repeat(195)}`);
    expect(version).toHaveLength(1_175);
    const component = { ...valid.component, version };
    expect(parseChunkResult({ ...valid, component }, expected).component.version).toBe(version);
  });

  it('fits, at its largest, in the bytes a requester reads of it (maxChunkResultBytes)', () => {
    // Names at their longest, all escapes once in JSON; squares with every digit the format allows, and the
    // longest sum whose square is below theirs times the paths (a variance not negative); 1,000 losses.
    const name = '\u0001'.repeat(MAX_ESCAPED_INFO_LENGTH);
    const digits = 'f'.repeat(Math.ceil((SCALE_BITS + 2048 + 64) / 4) + 8);
    const sumDigits = 'f'.repeat(Math.floor((52 + 4 * digits.length + SCALE_BITS) / 8));
    const largest = {
      ...chunkResultData({
        component: { ...valid.component, name, version: name },
        firstPath: 0,
        pathCount: Number.MAX_SAFE_INTEGER,
        tail: new Float64Array(1_000).fill(-1),
        moments: { count: 0, sum: 0n, squares: 0n },
      }),
      firstPath: Number.MAX_SAFE_INTEGER,
      sum: `-${sumDigits}`,
      squares: digits,
    };
    expect(parseChunkResult(largest, { firstPath: Number.MAX_SAFE_INTEGER, pathCount: Number.MAX_SAFE_INTEGER, tailLength: 1_000 }).tail).toHaveLength(1_000);
    expect(Buffer.byteLength(JSON.stringify(largest))).toBeLessThanOrEqual(maxChunkResultBytes(1_000));
  });

  it.each([
    ['not an object', null, /chunk result: /],
    ['a wrong type', { ...valid, firstPath: '0' }, /chunk result\.firstPath: /],
    ['an unknown field', { ...valid, extra: 1 }, /chunk result\.extra: is not a known field/],
    ['a sum that is no integer', { ...valid, sum: '1.5' }, /chunk result\.sum: /],
    ['losses that are not base64', { ...valid, tail: '!!!' }, /chunk result\.tail: /],
    ['another chunk', { ...valid, firstPath: 4 }, /answers for other paths/],
    ['too many losses', { ...valid, tail: Buffer.alloc(24).toString('base64') }, /sends 24 bytes of losses, not 16/],
    // Sums no losses have: the run's mean outside its losses, or its standard deviation NaN (ERR_INVALID_INPUT).
    ['a mean loss above its largest loss', { ...valid, sum: (9n << BigInt(SCALE_BITS)).toString(16), squares: (81n << BigInt(SCALE_BITS)).toString(16) }, /its losses cannot have: a mean loss above its largest/],
    ['a negative variance', { ...valid, squares: '0' }, /its losses cannot have: a negative variance/],
  ])('refuses %s as the worker\'s broken contract', (_what, data, message) => {
    let thrown: unknown;
    try {
      parseChunkResult(data, expected);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ComponentContractError);
    expect((thrown as Error).message).toMatch(/^chunk at path 0: /);
    expect((thrown as Error).message).toMatch(message);
  });

  // Their squares outgrew the sum's digits: the run failed as the worker's broken contract (exit 3) where a
  // local run says the portfolio is too extreme (ERR_INVALID_INPUT, exit 2), as this one still does once merged.
  it('takes the sums of losses too large for a report, as a local run computes them', () => {
    const losses = new Float64Array([1e200, 1e300]);
    const honest = chunkResultData({ ...valid, pathCount: 2, tail: losses, moments: lossMoments(losses) });
    const { moments } = parseChunkResult(honest, { firstPath: 0, pathCount: 2, tailLength: 2 });
    expect(() => summarizeLossTail(losses, moments, [0.95])).toThrow(InvalidInputError);
  });

  it('refuses, of a chunk that sends all its losses, sums outside them', () => {
    const scaled = (value: bigint) => (value << BigInt(SCALE_BITS)).toString(16);
    const whole = { ...valid, pathCount: 2 };
    const asked = { firstPath: 0, pathCount: 2, tailLength: 2 };
    expect(parseChunkResult({ ...whole, sum: scaled(3n), squares: scaled(5n) }, asked).moments.count).toBe(2);
    expect(() => parseChunkResult({ ...whole, sum: scaled(1n), squares: scaled(5n) }, asked)).toThrow(/a mean loss below its smallest loss/);
    expect(() => parseChunkResult({ ...whole, sum: scaled(3n), squares: scaled(9n) }, asked)).toThrow(/a mean square above its largest square/);
  });
});
