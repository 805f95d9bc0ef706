import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, TestDatabases } from '../test/harness.ts';
import { startLoop } from './loop.ts';
import { DurableQueue } from './queue.ts';
import { startOutboxRelay } from './relay.ts';
import { startWorker } from './worker.ts';

// A process being stopped (a deploy, Ctrl-C) waits for its workers, relays and loops. Stopped in
// the middle of a poll, each used to begin its next wait afterwards, and the process hung for that
// wait: up to 2 s by default, a minute in the doorbell tests that made this visible.

const dbs = new TestDatabases();
let db: Db;
beforeAll(async () => {
  db = await dbs.create('stopping');
});
afterAll(() => dbs.cleanup());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A queue whose reads take `ms` longer, so that stop() lands while one is in flight. */
async function slowQueue(name: string, ms: number) {
  const queue = new DurableQueue<{ n: number }>(db, name);
  await queue.ensureIndexes();
  const lease = queue.lease.bind(queue);
  const withPendingOutbox = queue.withPendingOutbox.bind(queue);
  queue.lease = async (...args) => (await sleep(ms), lease(...args));
  queue.withPendingOutbox = async (...args) => (await sleep(ms), withPendingOutbox(...args));
  return queue;
}

async function stopsWithin(stop: () => Promise<void>): Promise<number> {
  const started = Date.now();
  await stop();
  return Date.now() - started;
}

describe('stopping in the middle of a poll', () => {
  it('a worker stops as soon as its poll returns', async () => {
    const queue = await slowQueue('worker-stop', 300);
    const worker = startWorker({ queue, logger: silentLogger, pollMs: 60_000, maxPollMs: 60_000, handle: async () => ({}) });
    await sleep(100); // its first poll is in flight
    expect(await stopsWithin(() => worker.stop())).toBeLessThan(2_000);
  });

  it('an outbox relay stops as soon as its pass returns', async () => {
    const queue = await slowQueue('relay-stop', 300);
    const relay = startOutboxRelay({ queues: [queue], clients: () => undefined, logger: silentLogger, pollMs: 60_000, maxPollMs: 60_000 });
    await sleep(100);
    expect(await stopsWithin(() => relay.stop())).toBeLessThan(2_000);
  });

  it('a background loop stops as soon as its pass returns', async () => {
    const loop = startLoop(() => sleep(300).then(() => 'idle' as const), { intervalMs: 60_000, logger: silentLogger, what: 'a slow pass' });
    await sleep(100);
    expect(await stopsWithin(() => loop.stop())).toBeLessThan(2_000);
  });
});
