import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGraphQLClient, RejectedByService } from './graphql-client.ts';
import { mergingRequests } from './merged-requests.ts';

const record = 'mutation Record($input: [String!]!) { record(input: $input) }';

// A service that takes a list item by item, slowly enough for calls to pile up behind a request:
// it refuses a whole request holding the item "bad", and cannot reach its database for "down".
let server: Server;
let url: string;
let received: { query: string; variables: { input?: string[] } }[] = [];
beforeAll(async () => {
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const body = JSON.parse(text) as { query: string; variables: { input?: string[] } };
      received.push(body);
      const items = body.variables.input ?? [];
      const answer = items.includes('bad')
        ? { errors: [{ message: 'an item is bad', extensions: { code: 'BAD_USER_INPUT' } }], data: null }
        : items.includes('down')
          ? { errors: [{ message: 'The database is unavailable; try again.', extensions: { code: 'DEPENDENCY_UNAVAILABLE' } }], data: null }
          : { data: { record: items.length } };
      setTimeout(() => response.setHeader('content-type', 'application/json').end(JSON.stringify(answer)), 30);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
});

const merging = (maxItems = 100) => mergingRequests(createGraphQLClient('tracking', url, { credentials: { authorization: async () => 'Bearer test' } }), { operation: record, variable: 'input', maxItems });

describe('requests merged while one is under way', () => {
  it('sends the first at once and those made meanwhile together, and answers every caller', async () => {
    const client = merging();
    try {
      const answers = await Promise.all([['a'], ['b', 'c'], ['d'], ['e']].map((input) => client.request<{ record: number }>(record, { input })));
      expect(received.map((request) => request.variables.input)).toEqual([['a'], ['b', 'c', 'd', 'e']]);
      expect(answers.map((answer) => answer.record)).toEqual([1, 4, 4, 4]);
    } finally {
      await client.close();
    }
  });

  it('sends no more items in one request than allowed, and one call larger than that alone', async () => {
    const client = merging(3);
    try {
      await Promise.all([['a'], ['b', 'c'], ['d'], ['e', 'f'], ['g', 'h', 'i', 'j']].map((input) => client.request(record, { input })));
      expect(received.map((request) => request.variables.input)).toEqual([['a'], ['b', 'c', 'd'], ['e', 'f'], ['g', 'h', 'i', 'j']]);
    } finally {
      await client.close();
    }
  });

  it('refuses only the call whose item the service refused: the others are sent again on their own and taken', async () => {
    const client = merging();
    try {
      const outcomes = await Promise.allSettled([['a'], ['b'], ['bad'], ['c']].map((input) => client.request(record, { input })));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(RejectedByService);
      const taken = received.filter((request) => !request.variables.input!.includes('bad')).flatMap((request) => request.variables.input);
      expect(taken.sort()).toEqual(['a', 'b', 'c']);
    } finally {
      await client.close();
    }
  });

  it('fails every call of a request that failed, as each would have failed alone, and goes on with the next', async () => {
    const client = merging();
    try {
      const first = client.request(record, { input: ['a'] });
      const merged = [client.request(record, { input: ['b'] }), client.request(record, { input: ['down'] })];
      await first;
      const outcomes = await Promise.allSettled(merged);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
      expect(((outcomes[0] as PromiseRejectedResult).reason as Error).message).toMatch(/The tracking service is unavailable/);
      expect(await client.request<{ record: number }>(record, { input: ['b'] })).toEqual({ record: 1 });
    } finally {
      await client.close();
    }
  });

  it('passes any other request through as it is, never merged', async () => {
    const client = merging();
    try {
      const other = 'mutation Other($input: [String!]!) { record(input: $input) }';
      await Promise.all([client.request(other, { input: ['a'] }), client.request(other, { input: ['b'] }), client.request(record, { input: ['c'], extra: 1 })]);
      expect(received.map((request) => request.variables.input).sort()).toEqual([['a'], ['b'], ['c']]);
    } finally {
      await client.close();
    }
  });
});
