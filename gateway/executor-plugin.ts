import type { ApolloGateway } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { getOperationAST, print, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../kit/logger.ts';

/**
 * Hands each parsed and validated operation to Apollo Gateway's executor, which
 * plans it (plans are cached by query text) and fetches from the subgraphs.
 * Yoga keeps doing parsing, validation, error masking and HTTP.
 */
export function useApolloGatewayExecutor(gateway: ApolloGateway, logger: Logger): Plugin {
  // Yoga caches parsed documents, so the same query text yields the same DocumentNode:
  // print it once, not once per request.
  const sources = new WeakMap<DocumentNode, string>();
  const sourceOf = (document: DocumentNode, query: string | undefined) => {
    let source = sources.get(document);
    if (!source) {
      source = query ?? print(document);
      sources.set(document, source);
    }
    return source;
  };
  const gatewayLogger = { debug: logger.debug, info: logger.info, warn: logger.warn, error: logger.error };

  return {
    onExecute({ args, setExecuteFn }) {
      const context = args.contextValue as { params?: { query?: string } };
      const source = sourceOf(args.document, context.params?.query);
      const operation = getOperationAST(args.document, args.operationName ?? undefined);
      if (!operation) return;
      setExecuteFn(() =>
        gateway.executor({
          document: args.document,
          request: { query: source, operationName: args.operationName ?? undefined, variables: args.variableValues ?? undefined },
          source,
          queryHash: source,
          operation,
          operationName: args.operationName ?? null,
          schema: args.schema,
          context: args.contextValue as unknown as Record<string, unknown>,
          logger: gatewayLogger,
          metrics: {},
          overallCachePolicy: noCachePolicy,
          cache: undefined as unknown as GatewayGraphQLRequestContext['cache'],
        } as GatewayGraphQLRequestContext),
      );
    },
  };
}

// The gateway records cache hints here; this system sets no HTTP cache headers.
const noCachePolicy = {
  maxAge: undefined,
  scope: undefined,
  restrict() {},
  replace() {},
  policyIfCacheable() {
    return null;
  },
};
