// What the service counts and logs of version changes (swaps_total, "serving version changed") is what the
// registry changed, not versions read around the change: swaps and rollbacks that run at the same time are
// each counted once, from the version that served when each was made, and one that changed nothing is not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceMetrics } from '../../host/service/metrics.js';
import { RegistryBackend, type VersionChange } from '../../host/service/registry-backend.js';
import { ComponentRegistry } from '../../host/versions/registry.js';
import { ENGINE, engineVersion } from '../support/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'wasm-risk-registry-backend-'));
const registry = new ComponentRegistry({ auditLogPath: join(dir, 'swaps.log'), auditKeyPath: join(dir, 'key', 'audit-log.key'), actor: 'test-suite', engine: { workers: 1 } });
const metrics = new ServiceMetrics();
const changes: VersionChange[] = [];
const backend = new RegistryBackend(registry, { concurrency: 1, metrics, onChange: (change) => changes.push(change) });

beforeAll(async () => {
  await registry.register(ENGINE);
  await registry.register(engineVersion('1.3.0'));
}, 120_000);
afterAll(async () => {
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

const counted = async () => Object.fromEntries((await metrics.swaps.get()).values.map(({ labels, value }) => [labels.kind, value]));

describe('version changes at the same time', () => {
  it('two swaps to one version: one swap, counted and logged once', async () => {
    await Promise.all([backend.swap('1.3.0', 'alice'), backend.swap('1.3.0', 'bob')]);
    expect(changes).toEqual([{ kind: 'swap', actor: 'alice', from: '1.2.0', to: '1.3.0' }]);
    expect(await counted()).toMatchObject({ swap: 1 });
  });

  it('a swap and a rollback: both counted, each from the version serving when it was made', async () => {
    changes.length = 0;
    await Promise.all([backend.swap('1.2.0', 'alice'), backend.rollback('bob')]);
    expect(changes).toEqual([
      { kind: 'swap', actor: 'alice', from: '1.3.0', to: '1.2.0' },
      { kind: 'rollback', actor: 'bob', from: '1.2.0', to: '1.3.0' },
    ]);
    expect(await counted()).toMatchObject({ swap: 2, rollback: 1 });
    expect(backend.version).toBe('1.3.0');
  });
});
