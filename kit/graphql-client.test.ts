import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphQLClient, isOutcomeUnknown } from './graphql-client.ts';

// A service that takes requests and never answers, as a stalled process does.
let stalled: Server;
let url: string;
beforeAll(async () => {
  stalled = createServer((request) => request.resume());
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  stalled.closeAllConnections();
  await new Promise((resolve) => stalled.close(resolve));
});

describe('a call that gets no answer in time', () => {
  const client = () => createGraphQLClient('customers', url, { credentials: { authorization: async () => 'Bearer test' }, timeoutMs: 200 });

  it('says a read changed nothing: it is simply to be tried again', async () => {
    const caller = client();
    try {
      for (const query of ['query Customer { customer(id: "c1") { id } }', '{ customer(id: "c1") { id } }']) {
        const error = await caller.request(query).catch((failure: unknown) => failure);
        expect(isOutcomeUnknown(error), query).toBe(false);
        expect((error as Error).message, query).toMatch(/^The customers service did not answer in time; nothing was changed, try again\./);
      }
    } finally {
      await caller.close();
    }
  });

  it('says a change may still take effect', async () => {
    const caller = client();
    try {
      const error = await caller.request('mutation { addAddress(customerId: "c1", input: {}) { id } }').catch((failure: unknown) => failure);
      expect(isOutcomeUnknown(error)).toBe(true);
      expect((error as Error).message).toMatch(/did not answer; the request may still take effect/);
    } finally {
      await caller.close();
    }
  });
});

describe('a call that the service answers with its own database unavailable', () => {
  let answering: Server;
  let answeringUrl: string;
  beforeAll(async () => {
    answering = createServer((request, response) => {
      request.resume();
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ errors: [{ message: 'The database is unavailable; try again.', extensions: { code: 'DEPENDENCY_UNAVAILABLE', unreachable: true } }], data: null }));
    });
    await new Promise<void>((resolve) => answering.listen(0, '127.0.0.1', resolve));
    answeringUrl = `http://127.0.0.1:${(answering.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    answering.closeAllConnections();
    await new Promise((resolve) => answering.close(resolve));
  });

  it('says nothing was changed only for a read: a change may have been written in part before its database failed', async () => {
    const caller = createGraphQLClient('inventory', answeringUrl, { credentials: { authorization: async () => 'Bearer test' } });
    try {
      const read = (await caller.request('{ stock(sku: "MUG-001") { onHand } }').catch((failure: unknown) => failure)) as Error;
      expect(read.message).toMatch(/^The inventory service is unavailable; nothing was changed, try again\. \(The database is unavailable; try again\.\)$/);
      const change = (await caller.request('mutation { reserveStock(orderId: "o1") { ok } }').catch((failure: unknown) => failure)) as Error;
      expect(change.message).toMatch(/^The inventory service is unavailable; try again\. \(The database is unavailable; try again\.\)$/);
    } finally {
      await caller.close();
    }
  });
});
