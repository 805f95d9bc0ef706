import { createSchema, createYoga } from 'graphql-yoga';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientError, ErrorCode } from './errors.ts';
import { serve, silentLogger, testCredentials, TestDatabases, type RunningApp } from '../test/harness.ts';
import { exceptionFor } from '../pipeline/exceptions.ts';
import { createGraphQLClient, type GraphQLClient } from './graphql-client.ts';
import { outboxDeliveries } from './metrics.ts';
import { DurableQueue, readItem } from './queue.ts';
import { startOutboxRelay } from './relay.ts';

// A finished element's hand-off that its target refuses (bad input, a conflict) is not retried by
// the relay: it is raised as an exception, and the element waits for a person to send it again or
// give it up. Real servers on both sides: the next service, and one standing for exceptions.

const dbs = new TestDatabases();
let db: Db;
const servers: RunningApp[] = [];
const clients: GraphQLClient[] = [];
/** What the next service took, and what it refuses while `refusing` is set. */
const taken: string[] = [];
let refusing = true;
/** The raises the exceptions service was sent, by element. */
const raises: { elementId: string; reason: string; occurrence: string }[] = [];
const stops: string[] = [];

beforeAll(async () => {
  db = await dbs.create('refused');
  const next = createYoga({
    schema: createSchema({
      typeDefs: 'type Query { ok: Boolean } type Mutation { take(id: ID!): Boolean! stop(id: ID!): Boolean! }',
      resolvers: {
        Mutation: {
          take: (_: unknown, { id }: { id: string }) => {
            if (refusing) throw clientError(ErrorCode.BAD_USER_INPUT, `${id} is not something I take`);
            taken.push(id);
            return true;
          },
          stop: (_: unknown, { id }: { id: string }) => (stops.push(id), true),
        },
      },
    }),
  });
  const exceptions = createYoga({
    schema: createSchema({
      typeDefs: `type Query { ok: Boolean }
        input RaiseExceptionInput { id: ID! occurrence: ID! service: String! queue: String! elementId: ID! orderId: ID reason: String! }
        type PipelineException { id: ID! }
        type Mutation { raiseException(input: RaiseExceptionInput!): PipelineException! }`,
      resolvers: { Mutation: { raiseException: (_: unknown, { input }: { input: (typeof raises)[number] & { id: string } }) => (raises.push(input), { id: input.id }) } },
    }),
  });
  for (const app of [next, exceptions]) servers.push(await serve(app, 0));
  clients.push(
    createGraphQLClient('next', servers[0]!.url, { credentials: testCredentials('test') }),
    createGraphQLClient('exceptions', servers[1]!.url, { credentials: testCredentials('test') }),
  );
});
afterAll(async () => {
  await Promise.all([...clients.map((client) => client.close()), ...servers.map((server) => server.close())]);
  await dbs.cleanup();
});

let counter = 0;
async function newQueue(withExceptions = true, archive?: boolean) {
  const name = `r${++counter}`;
  const queue = new DurableQueue<{ n: number }>(db, name, {
    archive,
    ...(withExceptions ? { exceptionMessage: (item, reason) => exceptionFor({ service: 'test', queue: name, elementId: item._id, reason }) } : {}),
  });
  await queue.ensureIndexes();
  return queue;
}

const take = 'mutation($id: ID!) { take(id: $id) }';
const stop = 'mutation($id: ID!) { stop(id: $id) }';

async function until(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An element of `queue`, done, handing `id` on to the next service; and a relay delivering its queue. */
async function handedOn(queue: DurableQueue<{ n: number }>, id: string) {
  await queue.enqueue(id, { n: 1 });
  const [lease] = await queue.lease('w', 1);
  await queue.complete(lease!, { messages: [{ id: `take:${id}`, target: 'next', operation: take, variables: { id } }] });
  const byName = new Map(clients.map((client, i) => [['next', 'exceptions'][i]!, client]));
  return startOutboxRelay({ queues: [queue], clients: (name) => byName.get(name), logger: silentLogger, pollMs: 20 });
}

describe('a hand-off its target refuses', () => {
  for (const archive of [false, true]) it(`is raised as an exception, once, and the element waits, not archived, until a person sends it again; then it is delivered (a queue that ${archive ? 'archives' : 'keeps finished elements'})`, async () => {
    refusing = true;
    const queue = await newQueue(true, archive);
    const e1 = `e1-${archive}`;
    const relay = await handedOn(queue, e1);
    try {
      await until(async () => raises.some((raise) => raise.elementId === e1));
      const raise = raises.find((r) => r.elementId === e1)!;
      expect(raise.reason).toMatch(/^its hand-off to next was refused: .* is not something I take/);
      // The relay does not try a refused hand-off again by itself, and the element is not archived.
      await new Promise((r) => setTimeout(r, 300));
      const waiting = readItem((await queue.items.findOne({ _id: e1 }))!);
      expect(waiting.status).toBe('DONE');
      expect(waiting.outbox.find((m) => m.id === `take:${e1}`)).toMatchObject({ delivered: false, abandoned: true, refused: true, attempts: 1 });
      expect(waiting.outboxPending).toBe(false);
      expect(raises.filter((r) => r.elementId === e1)).toHaveLength(1);
      expect(await queue.finished.findOne({ _id: e1 })).toBeNull();
      expect(await queue.items.findOne({ _id: e1 })).not.toBeNull();

      refusing = false;
      expect(await queue.resolveRefused(e1, 'RETRY')).toBe(true);
      await until(async () => !!(await queue.get(e1))!.outbox.find((m) => m.id === `take:${e1}`)!.delivered);
      expect(taken).toContain(e1);
      // Settled, it goes where this queue's finished elements go.
      expect(await queue.finished.countDocuments({ _id: e1 })).toBe(archive ? 1 : 0);
      expect((await queue.get(e1))!.outbox.find((m) => m.id === `take:${e1}`)).toMatchObject({ delivered: true, refused: false });
      // A second decision finds nothing waiting.
      expect(await queue.resolveRefused(e1, 'RETRY')).toBe(false);
    } finally {
      await relay.stop();
    }
  });

  it('refused again after a retry, it is raised again as a new occurrence', async () => {
    refusing = true;
    const queue = await newQueue();
    const relay = await handedOn(queue, 'e2');
    try {
      await until(async () => raises.filter((raise) => raise.elementId === 'e2').length === 1);
      expect(await queue.resolveRefused('e2', 'RETRY')).toBe(true);
      await until(async () => raises.filter((raise) => raise.elementId === 'e2').length === 2);
      const [first, second] = raises.filter((raise) => raise.elementId === 'e2');
      expect(second!.occurrence).not.toBe(first!.occurrence);
      expect(readItem((await queue.items.findOne({ _id: 'e2' }))!).outbox.find((m) => m.id === 'take:e2')).toMatchObject({ refused: true, attempts: 1 });
    } finally {
      await relay.stop();
    }
  });

  it('given up by a person, it is never sent, and what they say goes in the same write', async () => {
    refusing = true;
    const queue = await newQueue();
    const relay = await handedOn(queue, 'e3');
    try {
      await until(async () => raises.some((raise) => raise.elementId === 'e3'));
      expect(await queue.resolveRefused('e3', 'CANCEL', [{ id: 'stop:e3', target: 'next', operation: stop, variables: { id: 'e3' } }])).toBe(true);
      await until(async () => stops.includes('e3'));
      await until(async () => !(await queue.get('e3'))!.outboxPending);
      refusing = false;
      await new Promise((r) => setTimeout(r, 300));
      expect(taken).not.toContain('e3');
      expect((await queue.get('e3'))!.outbox.find((m) => m.id === 'take:e3')).toMatchObject({ delivered: false, abandoned: true, refused: false });
    } finally {
      await relay.stop();
    }
  });

  it('raises nothing where nobody could act on it: a queue without exceptions gives it up, as before', async () => {
    refusing = true;
    const queue = await newQueue(false);
    const relay = await handedOn(queue, 'e4');
    try {
      await until(async () => (await queue.get('e4'))!.outbox[0]!.attempts > 0 && !(await queue.get('e4'))!.outboxPending);
      expect((await queue.get('e4'))!.outbox).toEqual([expect.objectContaining({ id: 'take:e4', abandoned: true, delivered: false })]);
      expect((await queue.get('e4'))!.outbox[0]!.refused).toBeUndefined();
      expect(raises.some((raise) => raise.elementId === 'e4')).toBe(false);
      expect(await queue.resolveRefused('e4', 'RETRY')).toBe(false);
    } finally {
      await relay.stop();
    }
  });

  it('to a target that is only written like a URL (`HTTP://…`: callbacks are lower-case http(s) URLs) is counted as what it is, a target with no route, not as a callback', async () => {
    const queue = await newQueue();
    await queue.enqueue('e5', { n: 1 });
    const [lease] = await queue.lease('w', 1);
    await queue.complete(lease!, { messages: [{ id: 'take:e5', target: 'HTTP://127.0.0.1:9/x', operation: take, variables: { id: 'e5' } }] });
    const byName = new Map(clients.map((client, i) => [['next', 'exceptions'][i]!, client]));
    const relay = startOutboxRelay({ queues: [queue], clients: (name) => byName.get(name), logger: silentLogger, pollMs: 20 });
    try {
      await until(async () => raises.some((raise) => raise.elementId === 'e5'));
      expect(raises.find((raise) => raise.elementId === 'e5')!.reason).toBe('its hand-off to HTTP://127.0.0.1:9/x was refused: no route to HTTP://127.0.0.1:9/x');
      const counted = (await outboxDeliveries.get()).values.filter((value) => value.labels.queue === queue.name && value.labels.outcome === 'refused');
      expect(counted.map((value) => [value.labels.target, value.value])).toEqual([['other', 1]]);
    } finally {
      await relay.stop();
    }
  });
});
