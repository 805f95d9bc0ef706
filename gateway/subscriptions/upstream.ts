import type { ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { clientError, ErrorCode } from '../../kit/errors.ts';

/**
 * One graphql-ws connection per subgraph that owns subscription fields, opened when the first
 * stream starts and closed shortly after the last ends; every stream to that subgraph is
 * multiplexed over it. A stream that breaks is not silently restarted (that would skip what
 * happened while it was down): it ends with DEPENDENCY_UNAVAILABLE, and clients resubscribe
 * from their last cursor.
 */
export class UpstreamConnections {
  private readonly clients = new Map<string, Client>();

  constructor(
    private readonly urls: ReadonlyMap<string, string>,
    /** The gateway's own service credentials, presented in `connection_init` (each connection asks anew). */
    private readonly authorization: () => Promise<string>,
  ) {}

  stream(serviceName: string, query: string, variables: Record<string, unknown>): AsyncIterableIterator<ExecutionResult> {
    const upstream = this.client(serviceName).iterate({ query, variables });
    const unavailable = (error: unknown): ExecutionResult => ({
      errors: [
        clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, `The ${serviceName} service's event stream ended; subscribe again with your last cursor.`, {
          serviceName,
          reason: reasonOf(error),
        }),
      ],
    });
    let failed = false;
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        if (failed) return { done: true, value: undefined };
        try {
          return (await upstream.next()) as IteratorResult<ExecutionResult>;
        } catch (error) {
          failed = true;
          // The subgraph refused the subscription (its GraphQL errors, passed on) or the connection broke.
          return { done: false, value: Array.isArray(error) ? ({ errors: error } as ExecutionResult) : unavailable(error) };
        }
      },
      async return() {
        await upstream.return?.();
        return { done: true, value: undefined };
      },
    };
  }

  private client(serviceName: string): Client {
    let client = this.clients.get(serviceName);
    if (!client) {
      const url = this.urls.get(serviceName);
      if (!url) throw new Error(`no URL for subgraph ${serviceName}`);
      client = createClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        lazy: true,
        lazyCloseTimeout: 5_000,
        keepAlive: 10_000,
        retryAttempts: 0,
        connectionParams: async () => ({ authorization: await this.authorization() }),
      });
      this.clients.set(serviceName, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.dispose()));
    this.clients.clear();
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return error.map((e) => (e as { message?: string }).message ?? String(e)).join('; ');
  const event = error as { code?: number; reason?: string; type?: string };
  if (event?.code !== undefined) return `connection closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`;
  return event?.type ?? String(error);
}
