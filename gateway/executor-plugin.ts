import type { ApolloGateway } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { getOperationAST, print, type DocumentNode, type ExecutionArgs, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../kit/logger.ts';

/**
 * Hands each parsed and validated query or mutation to Apollo Gateway's executor, which
 * plans it (plans are cached by query text) and fetches from the subgraphs.
 * Yoga keeps doing parsing, validation, error masking and HTTP.
 */
export function useApolloGatewayExecutor(gateway: ApolloGateway, requests: RequestContexts): Plugin {
  return {
    onExecute({ args, setExecuteFn }) {
      const request = requests.of(args);
      if (!request) return;
      setExecuteFn(() => gateway.executor(request));
    },
  };
}

/** Builds the request context Apollo Gateway's executor and query-plan execution expect. */
export class RequestContexts {
  // Yoga caches parsed documents, so the same query text yields the same DocumentNode:
  // print it once, not once per request.
  private readonly sources = new WeakMap<DocumentNode, string>();
  private readonly logger: GatewayGraphQLRequestContext['logger'];

  constructor(logger: Logger) {
    this.logger = { debug: logger.debug, info: logger.info, warn: logger.warn, error: logger.error };
  }

  sourceOf(document: DocumentNode, query?: string): string {
    let source = this.sources.get(document);
    if (!source) {
      source = query ?? print(document);
      this.sources.set(document, source);
    }
    return source;
  }

  of(args: ExecutionArgs): (GatewayGraphQLRequestContext & { operation: OperationDefinitionNode }) | undefined {
    const context = args.contextValue as { params?: { query?: string } };
    const source = this.sourceOf(args.document, context.params?.query);
    const operation = getOperationAST(args.document, args.operationName ?? undefined);
    if (!operation) return undefined;
    return {
      document: args.document,
      request: { query: source, operationName: args.operationName ?? undefined, variables: args.variableValues ?? undefined },
      source,
      queryHash: source,
      operation,
      operationName: args.operationName ?? null,
      schema: args.schema,
      context: args.contextValue as Record<string, unknown>,
      logger: this.logger,
      metrics: {},
      overallCachePolicy: noCachePolicy,
      cache: undefined as unknown as GatewayGraphQLRequestContext['cache'],
    } as GatewayGraphQLRequestContext & { operation: OperationDefinitionNode };
  }
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
