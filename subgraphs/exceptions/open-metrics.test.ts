import { describe, expect, it } from 'vitest';
import { gql } from '../../test/harness.ts';
import { scrape, total } from '../../test/prometheus.ts';
import type { RaiseInput } from './store.ts';
import { exceptionsServiceForTests } from './test-service.ts';

// What an operator's alert on forgotten exceptions reads (observability/alerts.yml,
// ExceptionsWaiting): how many wait for a person and how long the oldest has, on /metrics.

const exceptions = exceptionsServiceForTests('exceptions_metrics');

const input = (n: number) => ({ id: `orders:coordination:m${n}`, occurrence: `o${n}`, service: 'orders', queue: 'coordination', elementId: `m${n}`, reason: `failure ${n}` });
const raise = async (n: number) => {
  const res = await gql(exceptions.url, `mutation($input: RaiseExceptionInput!) { raiseException(input: $input) { id } }`, { input: input(n) });
  expect(res.errors).toBeUndefined();
};

describe('open exceptions on /metrics', () => {
  it('counts the exceptions waiting for a person, not those closed, and how long the oldest has waited', async () => {
    const started = Date.now();
    await raise(1);
    await raise(2);
    await raise(3);
    await exceptions.store.close(input(3) as RaiseInput, 'the order was cancelled'); // no longer waits
    await new Promise((resolve) => setTimeout(resolve, 200));

    const families = await scrape(exceptions.url);
    expect(total(families, 'exceptions_open')).toBe(2);
    const age = total(families, 'exceptions_oldest_open_age_seconds');
    expect(age).toBeGreaterThanOrEqual(0.2);
    expect(age).toBeLessThanOrEqual((Date.now() - started) / 1000);
  });
});
