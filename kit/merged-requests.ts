import { RejectedByService, type GraphQLClient } from './graphql-client.ts';
import { runInTraceOfCaller } from './telemetry.ts';

/** An operation whose one variable is a list that the service takes item by item, whoever sent it. */
export interface MergeableOperation {
  /** The operation's text, as callers send it. */
  operation: string;
  /** The list variable (`input` in `recordTransitions(input: [...])`). */
  variable: string;
  /** At most this many items in one request: a burst waits for the next rather than growing one without bound. */
  maxItems: number;
}

interface Waiting {
  items: readonly unknown[];
  resolve: (data: unknown) => void;
  reject: (error: unknown) => void;
  /** Runs the request in the trace of the call it carries first. */
  inTrace: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * `client`, with the requests of `mergeable` made while one of them is under way sent together in
 * the next one, instead of one request each; alone, a request is sent at once. Every other request
 * passes through. Each caller gets the merged request's answer, or its error, as it would have alone;
 * when the service refuses a merged request (one item it cannot take), each call is sent again on
 * its own, so that only the call carrying that item is refused.
 *
 * For an operation the service applies item by item and idempotently (a delivery may carry an item
 * twice), so that what one caller sent cannot change what another's items do. Why: under load every
 * worker and service tells tracking of moves many times a second; each request costs the sender and
 * tracking a round trip over HTTP and a GraphQL execution, and tracking a write per request.
 */
export function mergingRequests(client: GraphQLClient, mergeable: MergeableOperation): GraphQLClient {
  const waiting: Waiting[] = [];
  let sending = false;

  const alone = (call: Waiting) => call.inTrace(() => client.request(mergeable.operation, { [mergeable.variable]: call.items })).then(call.resolve, call.reject);

  const send = async () => {
    sending = true;
    while (waiting.length > 0) {
      let count = 0;
      const over = waiting.findIndex((call) => (count += call.items.length) > mergeable.maxItems);
      const batch = waiting.splice(0, over <= 0 ? (over === 0 ? 1 : waiting.length) : over);
      if (batch.length === 1) {
        await alone(batch[0]!);
        continue;
      }
      try {
        const data = await batch[0]!.inTrace(() => client.request(mergeable.operation, { [mergeable.variable]: batch.flatMap((call) => call.items) }));
        for (const call of batch) call.resolve(data);
      } catch (error) {
        if (error instanceof RejectedByService) await Promise.all(batch.map(alone));
        else for (const call of batch) call.reject(error);
      }
    }
    sending = false;
  };

  return {
    request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const items = variables[mergeable.variable];
      if (query !== mergeable.operation || !Array.isArray(items) || Object.keys(variables).length !== 1) return client.request<T>(query, variables);
      return new Promise<T>((resolve, reject) => {
        waiting.push({ items, resolve: resolve as (data: unknown) => void, reject, inTrace: runInTraceOfCaller() });
        if (!sending) void send();
      });
    },
    close: () => client.close(),
  };
}
