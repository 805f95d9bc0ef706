import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, silentLogger, testCredentials, testTokens, TestDatabases, type RunningApp } from '../test/harness.ts';
import { Doorbell, doorbell, doorbellUrl, hearServiceDoorbell, ringKey, serveDoorbell, type Rings } from './doorbell.ts';
import { doorbellHearing, doorbellRingsHeard } from './metrics.ts';
import { startLoop } from './loop.ts';
import { withProbes } from './probes.ts';
import { DurableQueue } from './queue.ts';
import { startOutboxRelay } from './relay.ts';
import { startWorker } from './worker.ts';

// Work a subgraph stores wakes the workers of its service at once, in their own processes, instead
// of at their next poll. Against the real database and a real HTTP server.

const dbs = new TestDatabases();
let db: Db;
let subgraph: RunningApp;
const subgraphBell = () => new URL('/doorbell', subgraph.url);

beforeAll(async () => {
  db = await dbs.create('doorbell');
  subgraph = await serve(withProbes(undefined, {}, { service: 'orders', tokens: testTokens }));
});
afterAll(async () => {
  await subgraph.close();
  await dbs.cleanup();
});

const askAs = async (service: string | null, query = '') =>
  fetch(`${subgraphBell()}${query}`, { headers: service ? { authorization: await testCredentials(service).authorization() } : {} });

describe("a service's doorbell", () => {
  it("answers only the service's own processes", async () => {
    expect((await askAs(null)).status).toBe(401);
    expect((await fetch(subgraphBell(), { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
    expect((await askAs('payments')).status).toBe(403);
    expect((await askAs('orders')).status).toBe(200);
  });

  it('answers at once with what rang so far, then as soon as something rings', async () => {
    const first = (await (await askAs('orders')).json()) as Rings;
    const waiting = askAs('orders', `?seen=${first.epoch}:${first.total}`).then(async (response) => (await response.json()) as Rings);
    let answered = false;
    void waiting.then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false);
    doorbell.ring('orders/w/work');
    const rings = await waiting;
    expect(rings.epoch).toBe(first.epoch);
    expect(rings.total).toBe(first.total + 1);
    expect(rings.counts['orders/w/work']).toBe((first.counts['orders/w/work'] ?? 0) + 1);
    // A listener that has not heard this life of the service (only others): answered at once, whatever the count.
    expect(((await (await askAs('orders', `?seen=old:${rings.total + 5}`)).json()) as Rings).epoch).toBe(first.epoch);
    // A listener of the doorbell's first version says what it has seen as `epoch` and `total`: it waits too.
    const waitingOld = askAs('orders', `?epoch=${rings.epoch}&total=${rings.total}`).then(async (response) => (await response.json()) as Rings);
    let answeredOld = false;
    void waitingOld.then(() => (answeredOld = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answeredOld).toBe(false);
    doorbell.ring('orders/w/work');
    expect((await waitingOld).total).toBe(rings.total + 1);
  });

  it('wakes a worker waiting out a long poll when its queue is given work', async () => {
    const queue = new DurableQueue<{ n: number }>(db, 'woken');
    await queue.ensureIndexes();
    const handled: string[] = [];
    // It polls once at start and then would wait a minute: only a ring can bring it back sooner.
    const worker = startWorker({ queue, logger: silentLogger, pollMs: 60_000, maxPollMs: 60_000, handle: async (lease) => (handled.push(lease.id), {}) });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await queue.enqueue('e1', { n: 1 });
      await expect.poll(() => handled, { timeout: 10_000 }).toEqual(['e1']);
    } finally {
      await worker.stop();
    }
  });

  it('wakes an outbox relay waiting out a long poll when a report is posted', async () => {
    const queue = new DurableQueue<{ n: number }>(db, 'reports');
    await queue.ensureIndexes();
    const delivered: unknown[] = [];
    const target = { request: async (_operation: string, variables: unknown) => void delivered.push(variables) };
    const relay = startOutboxRelay({ queues: [queue], clients: () => target as never, logger: silentLogger, pollMs: 60_000, gapMs: 25, maxPollMs: 60_000 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await queue.post('report-1', [{ target: 'somewhere', operation: 'mutation { noted }', variables: { report: 1 } }]);
      await expect.poll(() => delivered, { timeout: 10_000 }).toEqual([{ report: 1 }]);
    } finally {
      await relay.stop();
    }
  });

  it('wakes an outbox relay when an element is completed or parked with messages by anyone, not only a worker', async () => {
    const queue = new DurableQueue<{ n: number }>(db, 'completed-elsewhere', {
      maxAttempts: 1,
      exceptionMessage: (item) => ({ target: 'exceptions', operation: 'mutation { parked }', variables: { parked: item._id } }),
    });
    await queue.ensureIndexes();
    const delivered: unknown[] = [];
    const target = { request: async (_operation: string, variables: unknown) => void delivered.push(variables) };
    const relay = startOutboxRelay({ queues: [queue], clients: () => target as never, logger: silentLogger, pollMs: 60_000, gapMs: 25, maxPollMs: 60_000 });
    try {
      await queue.enqueue('done', { n: 1 });
      await queue.enqueue('parked', { n: 2 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      // As picking's aggregation and the receiving loop do: no worker, so no nudge.
      const leases = await queue.lease('someone', 2);
      for (const lease of leases) {
        if (lease.id === 'done') await queue.complete(lease, { messages: [{ target: 'next', operation: 'mutation { done }', variables: { done: 1 } }] });
        else await queue.fail(lease, 'broken', { permanent: true });
      }
      await expect.poll(() => delivered, { timeout: 10_000 }).toHaveLength(2);
      expect(delivered).toEqual(expect.arrayContaining([{ done: 1 }, { parked: 'parked' }]));
    } finally {
      await relay.stop();
    }
  });

  it('wakes a background loop (aggregation, sequential receiving) waiting out its idle back-off', async () => {
    let passes = 0;
    const loop = startLoop(async () => (passes++, 'idle' as const), { intervalMs: 60_000, logger: silentLogger, what: 'test pass', wakeOn: ['orders/loop/work'] });
    try {
      await expect.poll(() => passes, { timeout: 10_000 }).toBe(1);
      doorbell.ring('orders/loop/work');
      await expect.poll(() => passes, { timeout: 10_000 }).toBe(2);
    } finally {
      await loop.stop();
    }
  });

  it('is heard through a load balancer in front of two instances, without asking over and over', async () => {
    const bells = [new Doorbell(), new Doorbell()];
    const instances = await Promise.all(bells.map((bell) => serve((request, response) => void serveDoorbell(request, response, { service: 'orders', tokens: testTokens }, bell))));
    // Round robin, as a load balancer would: each request to the next instance.
    let asked = 0;
    const balancer = await serve((request, response) => {
      const target = new URL(request.url ?? '/', instances[asked++ % 2]!.url);
      void fetch(target, { headers: { authorization: request.headers.authorization ?? '' } }).then(
        async (answer) => response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()),
        () => response.destroy(),
      );
    });
    let woken = 0;
    const stopHearing = doorbell.subscribe('orders/balanced/work', () => woken++);
    const ear = hearServiceDoorbell(balancer.url, testCredentials('orders'), silentLogger);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      // Once to each instance to learn where it is, a third time to wake everyone for the
      // instance it had not heard from; then both wait.
      expect(asked).toBeLessThanOrEqual(4);
      expect(woken).toBeLessThanOrEqual(1);
      // It waits on one instance at a time: a ring there is heard (a ring at the other waits for
      // the workers' next poll, or for the next request to land there).
      const before = woken;
      for (const bell of bells) bell.ring('orders/balanced/work');
      await expect.poll(() => woken, { timeout: 5_000 }).toBeGreaterThan(before);
    } finally {
      ear.stop();
      stopHearing();
      await balancer.close();
      for (const instance of instances) await instance.close();
    }
  });

  it('does not ask over and over behind more instances than it remembers, nor of an instance that answers at once', async () => {
    // Forty instances behind one round-robin URL (more lives than a listener keeps), then one of
    // an older version that ignores what the listener has seen and answers every request at once.
    const many = Array.from({ length: 40 }, () => new Doorbell());
    const oldVersion = new Doorbell();
    const fleets: [string, (request: IncomingMessage, response: ServerResponse, asked: number) => void][] = [
      ['forty instances', (request, response, asked) => void serveDoorbell(request, response, { service: 'orders', tokens: testTokens }, many[asked % many.length])],
      ['an older version', (_request, response) => void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(oldVersion.rings()))],
    ];
    for (const [fleet, answer] of fleets) {
      let asked = 0;
      const balancer = await serve((request, response) => answer(request, response, asked++));
      let woken = 0;
      const stopHearing = doorbell.subscribe('orders/spinning/work', () => woken++);
      const ear = hearServiceDoorbell(balancer.url, testCredentials('orders'), silentLogger);
      try {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect({ fleet, asked: asked <= 8, woken: woken <= 1 }).toEqual({ fleet, asked: true, woken: true });
        // What rings there is still heard (at the next ask, which has paused at most two seconds).
        if (fleet === 'an older version') {
          const before = woken;
          oldVersion.ring('orders/spinning/work');
          await expect.poll(() => woken, { timeout: 5_000 }).toBeGreaterThan(before);
        }
      } finally {
        ear.stop();
        stopHearing();
        await balancer.close();
      }
    }
  });

  it('wakes everyone for each new instance of a rolling deploy, the second at most two seconds after the first', async () => {
    const [a, b, c] = [new Doorbell(), new Doorbell(), new Doorbell()];
    // The balancer sends every request to the instance `live` names, as a deploy moves on.
    let live = a;
    const balancer = await serve((request, response) => void serveDoorbell(request, response, { service: 'orders', tokens: testTokens }, live));
    let woken = 0;
    const stopHearing = doorbell.subscribe('orders/deploy/work', () => woken++);
    const ear = hearServiceDoorbell(balancer.url, testCredentials('orders'), silentLogger);
    // Moves the balancer on; a ring at the instance the listener waits on makes it ask again.
    const moveTo = async (next: Doorbell) => {
      const waitingOn = live;
      live = next;
      waitingOn.ring('orders/elsewhere/work');
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(woken).toBe(0);
      await moveTo(b);
      await expect.poll(() => woken, { timeout: 2_000 }).toBe(1);
      // C's first answer comes well within two seconds of B's: what C was given before the
      // listener heard of it is unknown, so everyone must look once more, soon.
      await moveTo(c);
      await expect.poll(() => woken, { timeout: 3_000 }).toBe(2);
    } finally {
      ear.stop();
      stopHearing();
      await balancer.close();
    }
  });

  it('asks a few dozen times a second at most while its service rings all the time, and hears every key', async () => {
    const bell = new Doorbell();
    let asked = 0;
    const instance = await serve((request, response) => (asked++, void serveDoorbell(request, response, { service: 'orders', tokens: testTokens }, bell)));
    let woken = 0;
    const stopHearing = doorbell.subscribe('orders/busy/work', () => woken++);
    const ear = hearServiceDoorbell(instance.url, testCredentials('orders'), silentLogger);
    const ringing = setInterval(() => bell.ring('orders/busy/work'), 2);
    const started = Date.now();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // Under load every ring used to cost each worker process a round trip: hundreds a second.
      expect(asked).toBeLessThanOrEqual((Date.now() - started) / 25 + 5);
      expect(woken).toBeGreaterThan(5);
    } finally {
      clearInterval(ringing);
      ear.stop();
      stopHearing();
      await instance.close();
    }
  });

  it('is found beside the GraphQL endpoint, path prefix kept', () => {
    expect(doorbellUrl('http://gateway.internal/orders/graphql').href).toBe('http://gateway.internal/orders/doorbell');
    expect(doorbellUrl('http://127.0.0.1:4001/graphql').href).toBe('http://127.0.0.1:4001/doorbell');
    expect(doorbellUrl('http://127.0.0.1:4001/').href).toBe('http://127.0.0.1:4001/doorbell');
    expect(doorbellUrl('http://gateway.internal/orders/').href).toBe('http://gateway.internal/orders/doorbell');
    expect(doorbellUrl('http://gateway.internal/orders/graphql/?x=1#f').href).toBe('http://gateway.internal/orders/doorbell');
  });

  it("is heard by a worker process from its service's subgraph, and says so in its metrics", async () => {
    const key = ringKey({ database: 'orders', queue: 'heard' }, 'work');
    const heardBefore = await count(doorbellRingsHeard, { database: 'orders', queue: 'heard', kind: 'work' });
    const ear = hearServiceDoorbell(subgraph.url, testCredentials('orders'), silentLogger);
    try {
      await expect.poll(() => count(doorbellHearing, { service: 'orders' }), { timeout: 10_000 }).toBe(1);
      doorbell.ring(key);
      await expect.poll(() => count(doorbellRingsHeard, { database: 'orders', queue: 'heard', kind: 'work' }), { timeout: 10_000 }).toBe(heardBefore + 1);
    } finally {
      ear.stop();
    }
  });
});

async function count(metric: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }, labels: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  return values.find((value) => Object.entries(labels).every(([name, wanted]) => value.labels[name] === wanted))?.value ?? 0;
}
