import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { Agent, fetch as undiciFetch } from 'undici';
import { clientError, ErrorCode } from '../kit/errors.ts';

/**
 * Subgraph fetches go through one undici Agent: keep-alive connections pooled
 * per subgraph and reused across requests.
 */
export function createSubgraphAgent(): Agent {
  return new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, connections: 64, headersTimeout: 10_000, bodyTimeout: 10_000 });
}

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/**
 * A subgraph that cannot be reached becomes a DEPENDENCY_UNAVAILABLE error naming
 * it, so the client gets the rest of its answer plus an error that says what is missing.
 */
export function createDataSource(name: string, url: string, agent: Agent, authorization: (context: unknown) => Promise<string>): RemoteGraphQLDataSource {
  const fetcher = (async (input: string, init: Record<string, unknown>) => {
    try {
      return await undiciFetch(input, { ...init, dispatcher: agent } as Parameters<typeof undiciFetch>[1]);
    } catch (error) {
      throw clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, `The ${name} service is unavailable; its fields are missing from this answer.`, {
        serviceName: name,
        reason: error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error),
      });
    }
  }) as unknown as Fetcher;
  // No subgraph sets cache hints, so skip reading them on every response.
  // Every fetch carries the client's identity as an internal token the subgraph verifies.
  return new RemoteGraphQLDataSource({
    url,
    honorSubgraphCacheControlHeader: false,
    fetcher,
    async willSendRequest({ request, context }) {
      request.http?.headers.set('authorization', await authorization(context));
    },
  });
}
