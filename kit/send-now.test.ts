import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphQLClient } from './graphql-client.ts';
import { sendNow } from './send-now.ts';

// A target that takes requests and never answers (a stalled process), and one that answers at once.
let stalled: Server;
let answering: Server;
let requestsToStalled = 0;
const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
const listen = (server: Server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

beforeAll(async () => {
  stalled = createServer((request) => {
    requestsToStalled++;
    request.resume();
  });
  answering = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { recordTransitions: true } })));
  });
  await Promise.all([listen(stalled), listen(answering)]);
});
afterAll(async () => {
  for (const server of [stalled, answering]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const message = { id: 'm1', target: 'tracking', operation: 'mutation { recordTransitions(input: []) }', variables: {} };
const countedAs = { labels: { database: 'test', queue: 'test' } };
const clientOf = (server: Server) => createGraphQLClient('tracking', urlOf(server), { credentials: { authorization: async () => 'Bearer test' }, timeoutMs: 1_000, connections: 2 });

describe('sending a message at once', () => {
  it('says a target that answers took it', async () => {
    const client = clientOf(answering);
    try {
      expect(await sendNow(client)(message, countedAs)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('keeps no caller waiting past its deadline for a target that hangs, also those queued for a connection, and then does not try it for a while', async () => {
    const client = clientOf(stalled);
    const send = sendNow(client, 200);
    try {
      // Six callers on two connections: queued, each would wait for its turn and then its own 1 s
      // timeout (3 s for the last). Each hears "not taken" once the first deadline passes.
      const startedAt = Date.now();
      const answers = await Promise.all(Array.from({ length: 6 }, () => send(message, countedAs)));
      expect(answers).toEqual([false, false, false, false, false, false]);
      expect(Date.now() - startedAt).toBeLessThan(900);

      // Paused: a new caller is answered without a request.
      const before = requestsToStalled;
      expect(await send(message, countedAs)).toBe(false);
      expect(requestsToStalled).toBe(before);
    } finally {
      stalled.closeAllConnections();
      await client.close();
    }
  });
});
