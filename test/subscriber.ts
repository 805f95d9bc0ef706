import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually, operator } from './harness.ts';

/** A graphql-ws client to a gateway's /graphql, as any application would use it; by default with the tests' operator token (see harness). */
export function wsClient(httpUrl: string, connectionParams?: Record<string, unknown>): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: connectionParams ?? (async () => ({ authorization: `Bearer ${await operator()}` })),
  });
}

export interface Collected<T> {
  results: FormattedExecutionResult<T, unknown>[];
  /** The data of every result that had some. */
  readonly events: T[];
  readonly completed: boolean;
  readonly error: unknown;
  stop(): void;
  /** Resolves once `accept` holds for what was received, or rejects after `timeoutMs`. */
  until(accept: (collected: Collected<T>) => boolean, timeoutMs?: number): Promise<Collected<T>>;
}

/** Subscribes and keeps everything the server sends. */
export function collect<T = Record<string, any>>(client: Client, query: string, variables: Record<string, unknown> = {}): Collected<T> {
  let completed = false;
  let error: unknown;
  const collected: Collected<T> = {
    results: [],
    get events() {
      return collected.results.flatMap((r) => (r.data ? [r.data as T] : []));
    },
    get completed() {
      return completed;
    },
    get error() {
      return error;
    },
    stop: () => stop(),
    async until(accept, timeoutMs = 20_000) {
      await eventually(async () => collected, accept, timeoutMs);
      return collected;
    },
  };
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => void collected.results.push(result),
      error: (e) => {
        error = e;
      },
      complete: () => {
        completed = true;
      },
    },
  );
  return collected;
}
