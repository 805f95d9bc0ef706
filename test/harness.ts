import { randomBytes } from 'node:crypto';
import type { RequestListener, Server } from 'node:http';
import { MongoClient, type Db } from 'mongodb';
import { inject } from 'vitest';
import { closeServer, listen } from '../kit/http.ts';
import { createLogger } from '../kit/logger.ts';

export const silentLogger = createLogger('test', { level: 'silent' });

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/** A fresh, uniquely named database on the test server; dropped by `cleanup`. */
export class TestDatabases {
  private client: MongoClient | undefined;
  private created: Db[] = [];

  async create(name: string): Promise<Db> {
    this.client ??= await new MongoClient(inject('mongoUri')).connect();
    const db = this.client.db(`t_${name}_${randomBytes(4).toString('hex')}`);
    this.created.push(db);
    return db;
  }

  async cleanup(): Promise<void> {
    for (const db of this.created) await db.dropDatabase().catch(() => {});
    this.created = [];
    await this.client?.close();
    this.client = undefined;
  }
}

export interface RunningApp {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves a handler (and its WebSockets, if it has them) on a free port, the way index.ts would. */
export async function serve(handler: RequestListener, port = 0, attach?: (server: Server) => { close(): Promise<void> }): Promise<RunningApp> {
  const { server, port: bound } = await listen(handler, port, '127.0.0.1');
  const attached = attach?.(server);
  return {
    url: `http://127.0.0.1:${bound}/graphql`,
    port: bound,
    async close() {
      await attached?.close();
      await closeServer(server);
    },
  };
}

export async function gql<T = Record<string, any>>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}

export function codes(response: GraphQLResponse): unknown[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}

/** Probes until `accept` holds for what it returns, or fails after `timeoutMs` with the last value. */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!accept(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await probe();
  }
  return last;
}
