// The admin API's token check: a presented bearer token is compared, by its SHA-256 digest and with
// crypto.timingSafeEqual, with every token of the file, whichever matches and wherever it differs, so the
// time an answer takes says nothing about the tokens (docs/service.md, "The token file").
import { createHash, timingSafeEqual } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { UnauthorizedError } from '../../host/errors.js';
import { authenticate, type AdminTokens } from '../../host/service/admin.js';

vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return { ...crypto, timingSafeEqual: vi.fn(crypto.timingSafeEqual) };
});

const TOKENS = ['a-token-of-at-least-32-characters-1111', 'another-token-of-32-characters-or-more-22', 'a-third-token-of-32-characters-or-more-333'];
const tokens: AdminTokens = {
  digests: TOKENS.map((token, i) => ({ actor: `actor-${i}`, digest: createHash('sha256').update(token).digest() })),
};
const compared = vi.mocked(timingSafeEqual);

describe('authenticate', () => {
  it.each([
    ['the first token', `Bearer ${TOKENS[0]}`, 'actor-0'],
    ['the last token', `Bearer ${TOKENS[2]}`, 'actor-2'],
    ['a token the file does not name', `Bearer ${TOKENS[0]!.slice(0, -1)}2`, undefined],
  ])('compares %s with every token of the file in constant time, digest against digest', (_, authorization, actor) => {
    compared.mockClear();
    if (actor) expect(authenticate(tokens, [authorization])).toBe(actor);
    else expect(() => authenticate(tokens, [authorization])).toThrow(UnauthorizedError);
    expect(compared).toHaveBeenCalledTimes(TOKENS.length);
    for (const [presented, known] of compared.mock.calls) {
      expect([presented.byteLength, known.byteLength]).toEqual([32, 32]);
    }
  });
});
