import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse, type DocumentNode } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { createMaskError } from './errors.ts';
import type { Logger } from './logger.ts';

export function loadSchema(url: URL): DocumentNode {
  return parse(readFileSync(url, 'utf8'));
}

export interface SubgraphAppOptions<C extends object> {
  name: string;
  typeDefs: DocumentNode;
  // Generated resolver types are stricter than Apollo's map; both describe the same object.
  resolvers: unknown;
  /** Builds the per-request context (fresh DataLoaders live here). */
  context: () => C;
  logger: Logger;
  isDev: boolean;
}

export type SubgraphApp<C extends object> = YogaServerInstance<Record<string, never>, C>;

/** A federation subgraph served by graphql-yoga at /graphql, with /health for probes. */
export function createSubgraphApp<C extends object>(options: SubgraphAppOptions<C>): SubgraphApp<C> {
  const { name, typeDefs, resolvers, context, logger, isDev } = options;
  const schema = buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
  return createYoga<Record<string, never>, C>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    graphiql: isDev ? { title: `${name} subgraph` } : false,
    maskedErrors: { maskError: createMaskError(logger, isDev) },
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error(args.map(String).join(' ')),
    },
    context: () => context(),
  });
}
