// The package entry point (`import ... from 'wasm-risk'`, the built dist/) runs the README's example.
import { describe, expect, it } from 'vitest';

describe("the 'wasm-risk' package", () => {
  it('exports the engine, the registry, the audit and the typed errors', async () => {
    const api = await import('wasm-risk');
    expect(Object.keys(api)).toEqual(expect.arrayContaining(['RiskEngine', 'ComponentRegistry', 'auditComponent', 'checkCompatibility', 'InvalidInputError', 'TimeoutError', 'SwapAuditLog', 'verifySwapAuditLog', 'AuditLogTamperedError']));
    const engine = await api.RiskEngine.load();
    try {
      const portfolio = { assets: [{ id: 'X', spot: 100, drift: 0.05, vol: 0.2 }], correlation: [[1]], positions: [{ asset: 'X', type: 'spot' as const, quantity: 10 }] };
      const result = await engine.monteCarlo(portfolio, { paths: 10_000, seed: 7n, confidence: [0.99] });
      expect(result.levels[0]!.var).toBeGreaterThan(0);
      await expect(engine.parametric({ ...portfolio, assets: [] })).rejects.toBeInstanceOf(api.InvalidInputError);
    } finally {
      await engine.close();
    }
  });
});
