// Parked pools (host/run/parked-pools.ts): a closed engine's idle workers wait a few seconds for the next
// engine whose workers would hold the same payload, and only for it; then they are destroyed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ComponentImage } from '../../host/load/component-image.js';
import { PoolParking, poolKey } from '../../host/run/parked-pools.js';
import { ENGINE, fixture } from '../support/fixtures.js';

class FakePool {
  destroyed = 0;
  async destroy(): Promise<void> {
    this.destroyed++;
  }
}

describe('PoolParking', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives a parked pool once, to its key only', () => {
    const parking = new PoolParking<FakePool>();
    const pool = new FakePool();
    parking.park('a', pool);
    expect(parking.take('b')).toBeUndefined();
    expect(parking.take('a')).toBe(pool);
    expect(parking.take('a')).toBeUndefined();
    expect(pool.destroyed).toBe(0);
  });

  it('destroys a pool nobody took within its time, and then gives it to no one', () => {
    vi.useFakeTimers();
    const parking = new PoolParking<FakePool>(1_000);
    const pool = new FakePool();
    parking.park('a', pool);
    vi.advanceTimersByTime(999);
    expect(pool.destroyed).toBe(0);
    vi.advanceTimersByTime(1);
    expect(pool.destroyed).toBe(1);
    expect(parking.take('a')).toBeUndefined();
    expect(parking.size).toBe(0);
  });

  it('does not destroy a pool that was taken before its time ran out', () => {
    vi.useFakeTimers();
    const parking = new PoolParking<FakePool>(1_000);
    const pool = new FakePool();
    parking.park('a', pool);
    expect(parking.take('a')).toBe(pool);
    vi.advanceTimersByTime(5_000);
    expect(pool.destroyed).toBe(0);
  });

  it('keeps one pool a key and a bounded number in all, destroying the ones it drops', () => {
    const parking = new PoolParking<FakePool>(60_000, 2);
    const [first, second, third, fourth] = [new FakePool(), new FakePool(), new FakePool(), new FakePool()];
    parking.park('a', first);
    parking.park('a', second);
    expect(first.destroyed).toBe(1);
    parking.park('b', third);
    parking.park('c', fourth);
    // 'a' was parked longest.
    expect(second.destroyed).toBe(1);
    expect(parking.size).toBe(2);
    expect(parking.take('b')).toBe(third);
    expect(parking.take('c')).toBe(fourth);
    for (const pool of [parking.take('b'), parking.take('c')]) expect(pool).toBeUndefined();
  });
});

describe('poolKey', () => {
  it('is the same for two loads of one component with the same options and workers', async () => {
    const [a, b] = await Promise.all([ComponentImage.load(ENGINE), ComponentImage.load(ENGINE)]);
    expect(poolKey(a.payload, 2)).toBe(poolKey(b.payload, 2));
  });

  it('differs with the component, the memory limit, the sandbox grant or the worker count', async () => {
    const engine = await ComponentImage.load(ENGINE);
    const key = poolKey(engine.payload, 2);
    const other = await ComponentImage.load(fixture('infinite-loop'));
    const smaller = await ComponentImage.load(ENGINE, { memoryLimitMb: 64 });
    const moreGranted = { ...engine.payload, sandbox: { ...engine.payload.sandbox, grantedInterfaces: [...engine.payload.sandbox.grantedInterfaces, 'wasi:sockets/tcp'] } };
    const otherGlue = { ...engine.payload, glue: `${engine.payload.glue}\n` };
    for (const different of [poolKey(other.payload, 2), poolKey(smaller.payload, 2), poolKey(moreGranted, 2), poolKey(otherGlue, 2), poolKey(engine.payload, 1)]) {
      expect(different).not.toBe(key);
    }
  });
});
