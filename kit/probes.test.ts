import { afterAll, describe, expect, it } from 'vitest';
import { serve, TestDatabases } from '../test/harness.ts';
import { scrape, total } from '../test/prometheus.ts';
import { DurableQueue } from './queue.ts';
import { databaseCheck, withProbes } from './probes.ts';

const dbs = new TestDatabases();
afterAll(() => dbs.cleanup());

describe("a worker's listener (no GraphQL, only the operator's endpoints)", () => {
  it('answers /health, /ready with its database, and /metrics with its queue; nothing else', async () => {
    const db = await dbs.create('probes');
    const queue = new DurableQueue<{ n: number }>(db, 'work');
    await queue.ensureIndexes();
    await queue.enqueue('a', { n: 1 });
    await queue.enqueue('b', { n: 2 });
    const app = await serve(withProbes(undefined, { database: databaseCheck(db) }));
    try {
      const base = app.url;
      expect(await (await fetch(new URL('/health', base))).json()).toEqual({ status: 'alive' });
      const ready = await fetch(new URL('/ready', base));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
      expect((await fetch(base)).status).toBe(404);

      const labels = { database: db.databaseName, queue: 'work' };
      const metrics = await scrape(base);
      expect(total(metrics, 'queue_depth', { ...labels, status: 'READY' })).toBe(2);
      expect(total(metrics, 'queue_enqueued_total', labels)).toBe(2);
      const [lease] = await queue.lease('me', 1);
      await queue.fail(lease!, 'try again');
      const after = await scrape(base);
      expect(total(after, 'queue_depth', { ...labels, status: 'READY' })).toBe(2);
      expect(total(after, 'queue_retries_total', labels)).toBe(1);
      expect(total(after, 'queue_wait_seconds_count', labels)).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('runs its checks at most once a second, however often /ready is asked', async () => {
    let runs = 0;
    const app = await serve(withProbes(undefined, { slow: () => new Promise((resolve) => setTimeout(() => resolve(++runs), 50)) }));
    try {
      const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await fetch(new URL('/ready', app.url))).status));
      expect(statuses).toEqual(Array(20).fill(200));
      expect((await fetch(new URL('/ready', app.url))).status).toBe(200);
      expect(runs).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await fetch(new URL('/ready', app.url));
      expect(runs).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('is not ready, and says why, while a dependency does not answer', async () => {
    const app = await serve(withProbes(undefined, { database: () => Promise.reject(new Error('connection refused')), other: async () => {} }));
    try {
      const ready = await fetch(new URL('/ready', app.url));
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not ready', checks: { database: 'connection refused', other: 'ok' } });
      expect((await fetch(new URL('/health', app.url))).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
