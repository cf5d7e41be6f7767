// The probation of a swapped-in version (registry-backend.ts, probation.ts): a failure a client's request
// can cause on any version (a timeout, a refusal of the input) counts towards the automatic rollback only if
// the version swapped out answers the same request within the same deadline. A version that loops or refuses
// what its predecessor computes is still rolled back; a good version under a client's oversized requests
// (a large Monte Carlo under a short deadline) or its legitimately refused input is not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError, TimeoutError } from '../../host/errors.js';
import { validateRiskRequest, type RiskRequest } from '../../host/request/risk-request.js';
import { ServiceMetrics } from '../../host/service/metrics.js';
import { RegistryBackend } from '../../host/service/registry-backend.js';
import { ComponentRegistry } from '../../host/versions/registry.js';
import { ENGINE, engineVersion, examplePortfolio, fixture } from '../support/fixtures.js';
import { until } from '../support/until.js';

const open: { registry: ComponentRegistry; dir: string }[] = [];
afterEach(async () => {
  for (const { registry, dir } of open.splice(0)) {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A backend serving the engine (1.2.0), swapped to `candidate` (registered without golden vectors, as a
 *  version whose fault the gates did not catch). */
async function swappedTo(candidate: string) {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-risk-probation-'));
  const registry = new ComponentRegistry({ auditLogPath: join(dir, 'swaps.log'), auditKeyPath: join(dir, 'key'), actor: 'test-suite', engine: { workers: 1 }, goldenVectors: { contract: '1.x', vectors: [] } });
  open.push({ registry, dir });
  await registry.register(ENGINE);
  const { version } = await registry.register(candidate);
  const metrics = new ServiceMetrics();
  const backend = new RegistryBackend(registry, { concurrency: 1, metrics, autoRollback: { failures: 3, requests: 100, seconds: 600 } });
  await backend.swap(version, 'alice');
  return { backend, metrics, version };
}

const judgements = async (metrics: ServiceMetrics) =>
  Object.fromEntries((await metrics.probationFailures.get()).values.filter(({ value }) => value > 0).map(({ labels, value }) => [`${labels.cause} ${labels.verdict}`, value]));

/** How many failures of `cause` were judged, whatever the verdict. */
const judged = (counts: Record<string, number>, cause: string) => Object.entries(counts).reduce((sum, [key, value]) => sum + (key.startsWith(`${cause} `) ? value : 0), 0);

const request = (fields: Partial<RiskRequest>) => validateRiskRequest({ method: 'parametric', portfolio: examplePortfolio(), ...fields } as RiskRequest);

describe('probation: timeouts are judged against the version swapped out', () => {
  it('a version that loops is rolled back: the version before it answers the same requests in time', async () => {
    const { backend, metrics } = await swappedTo(fixture('infinite-loop'));
    // A request that reaches a worker still starting (replacing the one stopped) fails as a wait, and says
    // nothing of the version: ask until three overran, each judged before the next.
    let overran = 0;
    for (let i = 0; i < 12 && overran < 3; i++) {
      const error = await backend.run(request({}), { timeoutMs: 1_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      if ((error as TimeoutError).workerStopped) overran++;
      await until(async () => judged(await judgements(metrics), 'timeout') === overran, 'the comparison');
    }
    await until(() => backend.version === '1.2.0', 'the automatic rollback');
    expect(await judgements(metrics)).toEqual({ 'timeout counted': 3 });
  });

  it('a good version is not rolled back for Monte Carlo runs too long for a client\'s deadline: the version before it times out too', async () => {
    const { backend, metrics, version } = await swappedTo(engineVersion('1.3.0'));
    const tooLong = request({ method: 'monte-carlo', paths: 50_000_000 } as Partial<RiskRequest>);
    let overran = 0;
    for (let i = 0; i < 12 && overran < 4; i++) {
      // The worker replacing the one stopped is ready (a request that waits for it says nothing of the version).
      await backend.run(request({}), { timeoutMs: 60_000 });
      const error = await backend.run(tooLong, { timeoutMs: 1_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      if ((error as TimeoutError).workerStopped) overran++;
      await until(async () => judged(await judgements(metrics), 'timeout') === overran, 'the comparison');
    }
    expect(overran).toBe(4);
    expect(backend.version).toBe(version);
    expect(await judgements(metrics)).toEqual({ 'timeout excused': 4 });
  });
});

describe('probation: refusals of the input are judged against the version swapped out', () => {
  it('a version that refuses what the version before it computes is rolled back', async () => {
    const { backend, metrics } = await swappedTo(fixture('parametric-only'));
    for (let i = 0; i < 3; i++) await expect(backend.run(request({ method: 'historical' } as Partial<RiskRequest>), {})).rejects.toBeInstanceOf(InvalidInputError);
    await until(() => backend.version === '1.2.0', 'the automatic rollback');
    expect(await judgements(metrics)).toEqual({ 'refusal counted': 3 });
  });

  it('a version that refuses what the version before it refuses too is not', async () => {
    const { backend, metrics, version } = await swappedTo(engineVersion('1.3.0'));
    // Spots and drifts whose P&L overflows: every version refuses the portfolio.
    const overflowing = validateRiskRequest({
      method: 'monte-carlo',
      paths: 100,
      portfolio: { assets: [{ id: 'X', spot: 100, drift: 1e308, vol: 0.2 }], correlation: [[1]], positions: [{ asset: 'X', type: 'spot', quantity: 1 }] },
    });
    // Each refusal judged before the next: with three comparisons still running, a fourth could not change
    // the outcome and would go unjudged (Probation#wantsComparison), which a slow machine makes likely.
    for (let i = 0; i < 4; i++) {
      await expect(backend.run(overflowing, {})).rejects.toBeInstanceOf(InvalidInputError);
      await until(async () => judged(await judgements(metrics), 'refusal') === i + 1, 'the comparison');
    }
    expect(backend.version).toBe(version);
    expect(await judgements(metrics)).toEqual({ 'refusal excused': 4 });
  });
});
