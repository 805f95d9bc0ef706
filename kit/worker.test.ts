import { createSchema, createYoga } from 'graphql-yoga';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serve, silentLogger, testCredentials, TestDatabases, type RunningApp } from '../test/harness.ts';
import { freePort } from '../scripts/ferretdb.ts';
import { createGraphQLClient } from './graphql-client.ts';
import { doorbell, ringKey } from './doorbell.ts';
import { createLogger } from './logger.ts';
import { DurableQueue, readItem } from './queue.ts';
import { startOutboxRelay } from './relay.ts';
import { PermanentFailure, startWorker } from './worker.ts';

const dbs = new TestDatabases();
let db: Db;
beforeAll(async () => {
  db = await dbs.create('worker');
});
afterAll(() => dbs.cleanup());

let counter = 0;
async function newQueue(options: ConstructorParameters<typeof DurableQueue>[2] = {}) {
  const queue = new DurableQueue<{ n: number }, { doubled: number }>(db, `w${++counter}`, options);
  await queue.ensureIndexes();
  return queue;
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('workers', () => {
  it('two workers share a queue and no element is completed twice', async () => {
    const queue = await newQueue();
    for (let i = 0; i < 60; i++) await queue.enqueue(`e${i}`, { n: i });
    const completions: string[] = [];
    const inFlight = new Set<string>();
    const overlapping: string[] = [];
    const handle = async (lease: { id: string; payload: { n: number } }) => {
      if (inFlight.has(lease.id)) overlapping.push(lease.id);
      inFlight.add(lease.id);
      await new Promise((r) => setTimeout(r, 5));
      inFlight.delete(lease.id);
      completions.push(lease.id);
      return { result: { doubled: lease.payload.n * 2 } };
    };
    // Delivery is at least once: an element runs again only after its completion failed to be
    // recorded (the database timed out under load), which the worker logs.
    const lines: string[] = [];
    const logger = createLogger('test', { level: 'info', write: (line) => lines.push(line) });
    const workers = [startWorker({ queue, handle, logger, concurrency: 4 }), startWorker({ queue, handle, logger, concurrency: 4 })];
    // Every element handled, and recorded DONE. (A depth read alone can count an element twice
    // for a moment: DONE among the live ones, then again among the finished ones it was moved to.)
    await until(async () => new Set(completions).size === 60 && (await queue.depth()).DONE === 60);
    await Promise.all(workers.map((worker) => worker.stop()));
    expect(overlapping).toEqual([]);
    expect(new Set(completions).size).toBe(60);
    const unrecorded = lines.filter((line) => /element failed|lease lost/.test(line)).length;
    expect(completions.length).toBeLessThanOrEqual(60 + unrecorded);
    expect((await queue.get('e7'))!.result).toEqual({ doubled: 14 });
  });

  it('an element put back with a backoff is tried again when it falls due, not at the next idle poll', async () => {
    const queue = await newQueue({ backoffBaseMs: 200 });
    await queue.enqueue('flaky', { n: 1 });
    const tries: number[] = [];
    // Its polls a minute apart once idle: only the retry falling due can bring the element back in time.
    const worker = startWorker({
      queue,
      logger: silentLogger,
      pollMs: 60_000,
      maxPollMs: 60_000,
      handle: async (lease) => {
        tries.push(Date.now());
        if (lease.attempts === 1) throw new Error('the card network timed out');
        return {};
      },
    });
    try {
      await until(async () => (await queue.get('flaky'))!.status === 'DONE', 5_000);
      expect(tries).toHaveLength(2);
      // Backoff 100-200 ms; then the ring's 100 ms slot.
      expect(tries[1]! - tries[0]!).toBeLessThan(2_000);
    } finally {
      await worker.stop();
    }
  });

  it('an element held by a worker that died is delivered again after its lease expires', async () => {
    const queue = await newQueue({ visibilityTimeoutMs: 200 });
    await queue.enqueue('orphan', { n: 1 });
    const [dead] = await queue.lease('worker-that-died', 1);
    expect(dead).toBeDefined();
    const seen: number[] = [];
    const worker = startWorker({ queue, logger: silentLogger, handle: async (lease) => (seen.push(lease.attempts), {}) });
    await until(async () => (await queue.get('orphan'))!.status === 'DONE');
    await worker.stop();
    expect(seen).toEqual([2]);
  });

  it('a service the work needs being down uses up no attempts: the element waits for it and completes once it is back', async () => {
    const queue = await newQueue({ maxAttempts: 2, backoffBaseMs: 20 });
    await queue.enqueue('needs-inventory', { n: 4 });
    const port = await freePort();
    const inventory = createGraphQLClient('inventory', `http://127.0.0.1:${port}/graphql`, { credentials: testCredentials('orders') });
    let calls = 0;
    const worker = startWorker({ queue, logger: silentLogger, handle: async (lease) => {
      calls++;
      const { double } = await inventory.request<{ double: number }>('query($n: Int!) { double(n: $n) }', { n: lease.payload.n });
      return { result: { doubled: double } };
    } });
    let service: RunningApp | undefined;
    try {
      // Far more failed calls than the two attempts allowed, and the element is still waiting.
      await until(async () => calls > 4);
      expect(await queue.get('needs-inventory')).toMatchObject({ status: expect.stringMatching(/READY|LEASED/), lastError: expect.stringMatching(/inventory service is unavailable/) });
      service = await serve(createYoga({ schema: createSchema({ typeDefs: 'type Query { double(n: Int!): Int! }', resolvers: { Query: { double: (_: unknown, { n }: { n: number }) => n * 2 } } }) }), port);
      await until(async () => (await queue.get('needs-inventory'))!.status === 'DONE');
      expect(await queue.get('needs-inventory')).toMatchObject({ result: { doubled: 8 }, attempts: 1 });
    } finally {
      await worker.stop();
      await inventory.close();
      await service?.close();
    }
  });

  it('a permanent failure skips the retries and goes to exceptions at once', async () => {
    const queue = await newQueue({ maxAttempts: 5, exceptionMessage: (item, reason) => ({ target: 'exceptions', operation: 'x', variables: { id: item._id, reason } }) });
    await queue.enqueue('declined', { n: 1 });
    const worker = startWorker({ queue, logger: silentLogger, handle: async () => {
      throw new PermanentFailure('card declined');
    } });
    await until(async () => (await queue.get('declined'))!.status === 'FAILED');
    await worker.stop();
    expect(await queue.get('declined')).toMatchObject({ attempts: 1, lastError: 'card declined', outboxPending: true });
  });
});

describe('outbox relay', () => {
  let target: RunningApp | undefined;
  const received: string[] = [];
  let inbox: Awaited<ReturnType<typeof newQueue>>;

  async function startTarget(port = 0) {
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: 'type Query { ok: Boolean } type Mutation { accept(id: ID!, n: Int!): Boolean! }',
        resolvers: { Mutation: { accept: async (_: unknown, { id, n }: { id: string; n: number }) => (received.push(id), (await inbox.enqueue(id, { n })).created || true) } },
      }),
    });
    target = await serve(yoga, port);
    return target;
  }
  afterAll(() => target?.close());

  const accept = 'mutation($id: ID!, $n: Int!) { accept(id: $id, n: $n) }';
  /**
   * An element of `queue` completed with a hand-off to `next`, which is down (its port is kept,
   * to start it again on: `startTarget(port)`); and a client for `next`.
   */
  async function handOffToDownTarget(queue: Awaited<ReturnType<typeof newQueue>>, id: string, n: number) {
    inbox = await newQueue();
    const port = (await startTarget(await freePort())).port;
    await target!.close();
    await queue.enqueue(id, { n: 1 });
    const [lease] = await queue.lease('w', 1);
    await queue.complete(lease!, { messages: [{ target: 'next', operation: accept, variables: { id, n } }] });
    const client = createGraphQLClient('next', `http://127.0.0.1:${port}/graphql`, { credentials: testCredentials('test'), timeoutMs: 500 });
    return { port, client, clients: (name: string) => (name === 'next' ? client : undefined) };
  }

  it('holds a hand-off while the next stage is down and delivers it, once, when it is back', async () => {
    const queue = await newQueue();
    const { port, client, clients } = await handOffToDownTarget(queue, 'e', 42);
    const relay = startOutboxRelay({ queues: [queue], clients, logger: silentLogger, pollMs: 20 });
    try {
      await until(async () => ((await queue.get('e'))!.outbox[0]!.attempts ?? 0) >= 1);
      expect((await queue.get('e'))!.outboxPending).toBe(true);
      expect(received).toEqual([]);

      await startTarget(port);
      await until(async () => !(await queue.get('e'))!.outboxPending, 15_000);
      expect(await inbox.get('e')).toMatchObject({ payload: { n: 42 }, status: 'READY' });

      // A second delivery of the same element (a relay that died before recording) changes nothing.
      await client.request(accept, { id: 'e', n: 99 });
      expect(await inbox.items.countDocuments()).toBe(1);
      expect((await inbox.get('e'))!.payload).toEqual({ n: 42 });
    } finally {
      await relay.stop();
      await client.close();
    }
  });

  /**
   * A running target, and a queue holding `model`: an element completed with a hand-off of `id`
   * to it, as it is used (the starting point of elements stored by other versions).
   */
  async function modelHandOff(id: string) {
    inbox = await newQueue();
    await startTarget();
    const queue = await newQueue();
    await queue.enqueue('model', { n: 1 });
    const [lease] = await queue.lease('w', 1);
    await queue.complete(lease!, { messages: [{ target: 'next', operation: accept, variables: { id, n: 1 } }] });
    return { queue, model: readItem((await queue.items.findOne({ _id: 'model' }))!) };
  }

  it('delivers a hand-off stored by an earlier version, with its variables as an object', async () => {
    const { queue, model } = await modelHandOff('new');
    // The same element as the version before stored it: its message's variables an object, not text.
    const { variablesJson: _, ...message } = model.outbox[0]!;
    const stored = { ...model, _id: 'old', outbox: [{ ...message, id: 'next:old', variables: { id: 'old', n: 7 } }] };
    await queue.items.insertOne(stored);
    const client = createGraphQLClient('next', `${target!.url}`, { credentials: testCredentials('test'), timeoutMs: 2_000 });
    const relay = startOutboxRelay({ queues: [queue], clients: (name) => (name === 'next' ? client : undefined), logger: silentLogger, pollMs: 20 });
    try {
      await until(async () => !(await queue.get('old'))!.outboxPending);
      expect((await queue.get('old'))!.outbox[0]).toMatchObject({ delivered: true, attempts: 1, variables: { id: 'old', n: 7 } });
      expect(await inbox.get('old')).toMatchObject({ payload: { n: 7 } });
      expect(await inbox.get('new')).toMatchObject({ payload: { n: 1 } });
    } finally {
      await relay.stop();
      await client.close();
      await target!.close();
    }
  });

  it('delivers hand-offs stored with the outbox as an array of objects, as earlier versions stored it, and writes them back as JSON text', async () => {
    const { queue, model } = await modelHandOff('model');
    const [message] = model.outbox;
    // Finished, its hand-off not yet delivered, the outbox an array.
    const finished = { ...model, _id: 'objects', outbox: [{ ...message!, id: 'next:objects', variablesJson: JSON.stringify({ id: 'objects', n: 7 }) }] };
    await queue.items.insertOne(finished);
    // Waiting, with a message delivered before (its amendment's report): it is not sent again.
    const delivered = { ...message!, id: 'next:before', variablesJson: JSON.stringify({ id: 'before', n: 5 }), delivered: true, attempts: 1 };
    const waiting = { ...model, _id: 'live', status: 'READY' as const, availableAt: new Date(0), leaseToken: null, outboxPending: false, outboxFresh: false, outboxDueAt: null, outbox: [delivered] };
    await queue.items.insertOne(waiting);
    const [live] = await queue.lease('w', 1);
    expect(live!.id).toBe('live');
    await queue.complete(live!, { messages: [{ target: 'next', operation: accept, variables: { id: 'live', n: 8 } }] });

    const client = createGraphQLClient('next', `${target!.url}`, { credentials: testCredentials('test'), timeoutMs: 2_000 });
    const relay = startOutboxRelay({ queues: [queue], clients: (name) => (name === 'next' ? client : undefined), logger: silentLogger, pollMs: 20 });
    try {
      await until(async () => !(await queue.get('objects'))!.outboxPending && !(await queue.get('live'))!.outboxPending);
      expect(await inbox.get('objects')).toMatchObject({ payload: { n: 7 } });
      expect(await inbox.get('live')).toMatchObject({ payload: { n: 8 } });
      expect(await inbox.get('before')).toBeNull();
      // Written back in this version's form, the array dropped, each message's times as they were.
      for (const id of ['objects', 'live']) {
        const stored = (await queue.items.findOne({ _id: id })) ?? (await queue.finished.findOne({ _id: id }));
        expect(stored!.outbox, id).toBeUndefined();
        const written = JSON.parse(stored!.outboxJson!) as { id: string; delivered: boolean; recordedAt: string }[];
        expect(written.map((m) => [m.id, m.delivered, typeof m.recordedAt]), id).toEqual(
          id === 'objects' ? [['next:objects', true, 'string']] : [['next:before', true, 'string'], [expect.any(String), true, 'string']],
        );
      }
      const read = (await queue.get('objects'))!;
      expect(read.outbox[0]!.recordedAt).toEqual(message!.recordedAt);
    } finally {
      await relay.stop();
      await client.close();
      await target!.close();
    }
  });

  it('a failed delivery is tried again when its retry falls due, not at the next poll', async () => {
    const queue = await newQueue();
    const { port, client, clients } = await handOffToDownTarget(queue, 'r', 1);
    // Its polls, after the first, are a minute apart: only the retry's own due time brings it back.
    const relay = startOutboxRelay({ queues: [queue], clients, logger: silentLogger, pollMs: 60_000, gapMs: 25, maxPollMs: 60_000 });
    try {
      await until(async () => ((await queue.get('r'))!.outbox[0]!.attempts ?? 0) >= 1);
      await startTarget(port);
      await until(async () => !(await queue.get('r'))!.outboxPending, 8_000);
      expect(received).toContain('r');
    } finally {
      await relay.stop();
      await client.close();
    }
  });

  it('delivers what a worker of its process completes without reading the queue for it, and retries what fails', async () => {
    inbox = await newQueue();
    const port = (await startTarget(await freePort())).port;
    const queue = await newQueue();
    for (let i = 0; i < 6; i++) await queue.enqueue(`direct${i}`, { n: i });
    const client = createGraphQLClient('next', `http://127.0.0.1:${port}/graphql`, { credentials: testCredentials('test'), timeoutMs: 2_000 });
    // Polls a minute apart once its first has run: nothing but the hand-over brings it to an element.
    const relay = startOutboxRelay({ queues: [queue], clients: (name) => (name === 'next' ? client : undefined), logger: silentLogger, pollMs: 60_000, gapMs: 25, maxPollMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const reads = vi.spyOn(queue, 'withPendingOutbox');
    const worker = startWorker({ queue, logger: silentLogger, handle: async (lease) => ({ messages: [{ target: 'next', operation: accept, variables: { id: lease.id, n: lease.payload.n } }] }) });
    try {
      await until(async () => (await Promise.all([0, 1, 2, 3, 4, 5].map((i) => inbox.get(`direct${i}`)))).every(Boolean));
      await until(async () => (await Promise.all([0, 1, 2, 3, 4, 5].map(async (i) => (await queue.get(`direct${i}`))!.outboxPending))).every((pending) => !pending));
      expect(reads).not.toHaveBeenCalled();

      // The next stage down: a hand-off that fails is read back to be tried again, and goes once it is up.
      await target!.close();
      await queue.enqueue('later', { n: 9 });
      await until(async () => ((await queue.get('later'))?.outbox[0]?.attempts ?? 0) >= 1);
      expect((await queue.get('later'))!.outboxPending).toBe(true);
      await startTarget(port);
      await until(async () => !(await queue.get('later'))!.outboxPending, 8_000);
      expect(await inbox.get('later')).toMatchObject({ payload: { n: 9 } });
      expect(reads).toHaveBeenCalled();
    } finally {
      await worker.stop();
      await relay.stop();
      await client.close();
    }
  });

  it("a retry nobody rings for is delivered while the relay's other queue is rung all the time", async () => {
    const [busy, quiet] = [await newQueue(), await newQueue()];
    const { port, client, clients } = await handOffToDownTarget(quiet, 'q', 1);
    const relay = startOutboxRelay({ queues: [busy, quiet], clients, logger: silentLogger, pollMs: 20, maxPollMs: 500 });
    // Under load something is recorded in the other queue every few milliseconds: each wakes the relay for that queue.
    const ringing = setInterval(() => doorbell.ring(ringKey(busy.labels, 'outbox')), 5);
    try {
      await until(async () => ((await quiet.get('q'))!.outbox[0]!.attempts ?? 0) >= 1);
      await startTarget(port);
      await until(async () => !(await quiet.get('q'))!.outboxPending, 15_000);
      expect(received).toContain('q');
    } finally {
      clearInterval(ringing);
      await relay.stop();
      await client.close();
    }
  });

  it('a target that times out holds up only its own messages: every other hand-off is delivered, however many elements wait', async () => {
    const queue = await newQueue();
    // Each element hands on to a service that answers and to one that never does in time; more
    // elements than the relay delivers at once.
    const fast: string[] = [];
    const answering = await serve(
      createYoga({ schema: createSchema({ typeDefs: 'type Query { ok: Boolean } type Mutation { note(id: ID!): Boolean! }', resolvers: { Mutation: { note: (_: unknown, { id }: { id: string }) => (fast.push(id), true) } } }) }),
    );
    const hanging = await serve((_request, _response) => {
      // accepts the request and never answers
    });
    const clients = {
      fast: createGraphQLClient('fast', answering.url, { credentials: testCredentials('test') }),
      slow: createGraphQLClient('slow', hanging.url, { credentials: testCredentials('test'), timeoutMs: 1_000 }),
    };
    const ids = Array.from({ length: 30 }, (_, i) => `h${i}`);
    for (const id of ids) {
      await queue.enqueue(id, { n: 1 });
      const [lease] = await queue.lease('w', 1);
      await queue.complete(lease!, {
        messages: ['fast', 'slow'].map((target) => ({ id: `${target}:${id}`, target, operation: 'mutation($id: ID!) { note(id: $id) }', variables: { id } })),
      });
    }
    const relay = startOutboxRelay({ queues: [queue], clients: (name) => clients[name as keyof typeof clients], logger: silentLogger, pollMs: 20, batch: 10 });
    try {
      // The old relay took the same first elements again and again while their slow messages kept
      // failing, and the rest waited for ever.
      await until(async () => new Set(fast).size >= ids.length, 25_000);
      expect(new Set(fast)).toEqual(new Set(ids));
      // Each once: a pass that read an element just before its delivery was recorded does not send it again.
      expect(fast.length).toBe(ids.length);
    } finally {
      await relay.stop();
      await Promise.all(Object.values(clients).map((client) => client.close()));
      await answering.close();
      await hanging.close();
    }
  });

  it("a queue whose read fails does not hold up the relay's other queues, and is read again soon", async () => {
    const [failing, other] = [await newQueue(), await newQueue()];
    for (const [queue, id] of [[failing, 'f1'], [other, 'o1']] as const) {
      await queue.enqueue(id, { n: 1 });
      const [lease] = await queue.lease('w', 1);
      await queue.complete(lease!, { messages: [{ target: 'next', operation: accept, variables: { id, n: 1 } }] });
    }
    inbox = await newQueue();
    await target?.close().catch(() => undefined);
    const client = createGraphQLClient('next', (await startTarget()).url, { credentials: testCredentials('test') });
    // A database hiccup on the first queue's first read.
    const read = vi.spyOn(failing, 'withPendingOutbox').mockRejectedValueOnce(new Error('connection reset'));
    // Idle polls a minute apart, and nothing rings: what the first poll misses, only its retry reads.
    const relay = startOutboxRelay({ queues: [failing, other], clients: (name) => (name === 'next' ? client : undefined), logger: silentLogger, pollMs: 60_000, gapMs: 25, maxPollMs: 60_000 });
    try {
      await until(async () => received.includes('o1') && received.includes('f1'), 5_000);
      expect(read.mock.calls.length).toBeGreaterThanOrEqual(2);
    } finally {
      await relay.stop();
      await client.close();
    }
  });

  it('backs off while its reads keep failing (the database down), instead of reading and logging without pause', async () => {
    const queue = await newQueue();
    const read = vi.spyOn(queue, 'withPendingOutbox').mockRejectedValue(new Error('connection refused'));
    let errors = 0;
    const counting = createLogger('test', { level: 'error', format: 'json', write: (line) => void (JSON.parse(line).level === 'error' && errors++) });
    const relay = startOutboxRelay({ queues: [queue], clients: () => undefined, logger: counting });
    try {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      // 0.1, 0.2, 0.4, 0.8 s apart: a handful, where a relay stuck at its 25 ms poll read 80 times.
      expect(read.mock.calls.length).toBeLessThanOrEqual(8);
      expect(errors).toBe(read.mock.calls.length);
    } finally {
      await relay.stop();
      read.mockRestore();
    }
  });

  it("backs off a queue whose reads keep failing while the relay's other queue rings all the time", async () => {
    const [failing, busy] = [await newQueue(), await newQueue()];
    const read = vi.spyOn(failing, 'withPendingOutbox').mockRejectedValue(new Error('connection refused'));
    const relay = startOutboxRelay({ queues: [failing, busy], clients: () => undefined, logger: silentLogger });
    const ringing = setInterval(() => doorbell.ring(ringKey(busy.labels, 'outbox')), 5);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(read.mock.calls.length).toBeLessThanOrEqual(8);
    } finally {
      clearInterval(ringing);
      await relay.stop();
      read.mockRestore();
    }
  });

  it('a new hand-off is delivered at once while many elements wait on a target that never answers', async () => {
    const queue = await newQueue();
    const hanging = await serve(() => {
      // accepts the request and never answers
    });
    const slow = createGraphQLClient('slow', hanging.url, { credentials: testCredentials('test'), timeoutMs: 3_000 });
    // Two hundred reports for the hanging target, and one hand-off to a healthy one.
    for (let i = 0; i < 200; i++) await queue.post(`stuck${i}`, [{ target: 'slow', operation: accept, variables: { id: `stuck${i}`, n: 1 } }]);
    await queue.post('healthy', [{ target: 'next', operation: accept, variables: { id: 'healthy', n: 3 } }]);
    inbox = await newQueue();
    await target?.close().catch(() => undefined);
    const next = createGraphQLClient('next', (await startTarget()).url, { credentials: testCredentials('test') });
    // Eleven messages in flight at once: a relay that took eleven elements of the 201 at random,
    // whatever their target, left the healthy one waiting for the timeouts 19 times in 20.
    const relay = startOutboxRelay({ queues: [queue], clients: (name) => (name === 'slow' ? slow : name === 'next' ? next : undefined), logger: silentLogger, pollMs: 20, batch: 11 });
    try {
      await until(async () => received.includes('healthy'), 2_000);
    } finally {
      await relay.stop();
      await Promise.all([slow.close(), next.close(), hanging.close()]);
    }
  });

  it('a new hand-off is delivered at once while more elements than a pass reads wait for a target that never answers, their other messages sent', async () => {
    const queue = await newQueue();
    const hanging = await serve(() => {
      // accepts the request and never answers
    });
    const slow = createGraphQLClient('slow', hanging.url, { credentials: testCredentials('test'), timeoutMs: 5_000 });
    inbox = await newQueue();
    await target?.close().catch(() => undefined);
    const next = createGraphQLClient('next', (await startTarget()).url, { credentials: testCredentials('test') });
    // Each element reports to the hanging service (as every stage reports to tracking) and hands on to a healthy one.
    const handOff = (id: string) => queue.post(id, ['slow', 'next'].map((to) => ({ target: to, operation: accept, variables: { id: `${to}:${id}`, n: 1 } })));
    for (let i = 0; i < 30; i++) await handOff(`busy${i}`);
    // One message in flight per target, so a pass reads 20.
    const relay = startOutboxRelay({ queues: [queue], clients: (name) => (name === 'slow' ? slow : name === 'next' ? next : undefined), logger: silentLogger, pollMs: 20, batch: 1 });
    try {
      await until(async () => received.filter((id) => id.startsWith('next:busy')).length === 30, 15_000);
      // Thirty elements still wait for the hanging service; a new one hands on at once all the same.
      await handOff('new');
      await until(async () => received.includes('next:new'), 2_000);
    } finally {
      await relay.stop();
      await Promise.all([slow.close(), next.close(), hanging.close()]);
    }
  });

  /** After a long outage: 25 elements that have failed ten times on a target that is down, not tried again for 30 s. */
  async function backingOff(queue: Awaited<ReturnType<typeof newQueue>>) {
    for (let i = 0; i < 25; i++) {
      await queue.post(`down${i}`, [{ id: `m-down${i}`, target: 'down', operation: accept, variables: { id: `down${i}`, n: 1 } }]);
      for (let attempt = 0; attempt < 10; attempt++) await queue.recordDeliveries(`down${i}`, new Map([[`m-down${i}`, 'connection refused']]));
    }
  }

  /** Waits until `id` reaches a healthy `next` through a relay with one message in flight per target (a pass reads 20). */
  async function deliveredBehindBacklog(queue: Awaited<ReturnType<typeof newQueue>>, id: string) {
    inbox = await newQueue();
    await target?.close().catch(() => undefined);
    const client = createGraphQLClient('next', (await startTarget()).url, { credentials: testCredentials('test') });
    const relay = startOutboxRelay({ queues: [queue], clients: (name) => (name === 'next' ? client : undefined), logger: silentLogger, pollMs: 20, batch: 1 });
    try {
      await until(async () => received.includes(id), 5_000);
    } finally {
      await relay.stop();
      await client.close();
    }
  }

  it('a retry to a target that is back is delivered while more elements than a pass reads back off on a target that is down', async () => {
    const queue = await newQueue();
    await backingOff(queue);
    // A message whose target was down a moment: tried once, due again in 0.2 s.
    await queue.post('blip', [{ id: 'm-blip', target: 'next', operation: accept, variables: { id: 'blip', n: 1 } }]);
    await queue.recordDeliveries('blip', new Map([['m-blip', 'connection refused']]));
    await deliveredBehindBacklog(queue, 'blip');
  });

  it('a new hand-off is delivered at once while more elements than a pass reads back off on a target that is down', async () => {
    const queue = await newQueue();
    await backingOff(queue);
    await queue.enqueue('fresh', { n: 1 });
    const [lease] = await queue.lease('w', 1);
    await queue.complete(lease!, { messages: [{ target: 'next', operation: accept, variables: { id: 'fresh', n: 7 } }] });
    await deliveredBehindBacklog(queue, 'fresh');
  });
});
