import { MongoClient } from 'mongodb';
import { describe, expect, inject, it } from 'vitest';
import { renderMetrics } from '../../kit/metrics.ts';
import { silentLogger, testTokens } from '../../test/harness.ts';
import { buildExceptionsService } from './server.ts';
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

  it("are left out of the scrape as soon as the service's database does not answer, though counted only every 30 s, and scrape_probe_answered says so", async () => {
    // Its own client, closed as a process's is when its database is gone.
    const own = await new MongoClient(inject('mongoUri'), { serverSelectionTimeoutMS: 500 }).connect();
    const db = own.db(`t_exceptions_down_${Date.now()}`);
    const service = await buildExceptionsService({ db, logger: silentLogger, tokens: testTokens });
    const shown = (page: string) => page.split('\n').filter((line) => line.includes(db.databaseName) && /^(exceptions_|scrape_probe_answered)/.test(line));
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_100)); // past a scrape another test started
      expect(shown(await renderMetrics()).sort()).toEqual([
        `exceptions_oldest_open_age_seconds{database="${db.databaseName}"} 0`,
        `exceptions_open{database="${db.databaseName}"} 0`,
        `scrape_probe_answered{probe="exceptions/open/${db.databaseName}"} 1`,
      ]);
      await own.close();
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      // Counted a second ago, and counted again only every 30 s: not shown all the same, as the database does not answer.
      expect(shown(await renderMetrics())).toEqual([`scrape_probe_answered{probe="exceptions/open/${db.databaseName}"} 0`]);
    } finally {
      await service.close();
    }
    expect(shown(await renderMetrics())).toEqual([]); // a stopped service leaves no series behind
  });
});
