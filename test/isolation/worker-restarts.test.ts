// RiskEngine.workerRestarts: each component instance the engine discards is counted once, where it is
// discarded, in workers and in-thread alike (the service's worker_restarts_total reads these counts).
import { describe, expect, it } from 'vitest';
import { ComponentTrapError } from '../../host/errors.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { examplePortfolio, fixture } from '../support/fixtures.js';

describe.each(['workers', 'in-thread'] as const)('instances discarded (%s)', (isolation) => {
  it('a trap drops its instance: one count per trap, none for an answer', async () => {
    await using engine = await RiskEngine.load(fixture('panicker'), { isolation, workers: 1 });
    for (let i = 0; i < 2; i++) await expect(engine.historical(examplePortfolio())).rejects.toBeInstanceOf(ComponentTrapError);
    await engine.info();
    expect(engine.workerRestarts).toEqual({ timeout: 0, trap: 2, oom: 0, cancelled: 0 });
  });
});
