import { readFileSync } from 'node:fs';
import type { RequestListener, Server } from 'node:http';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { GraphQLError, parse, type DocumentNode } from 'graphql';
import type { Db } from 'mongodb';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { hasScope } from './auth/identity.ts';
import { readAccessRules } from './auth/rules.ts';
import { useSubgraphAuth } from './auth/subgraph-auth.ts';
import { bearerToken, type InternalTokens } from './auth/tokens.ts';
import { limitBodySize, SUBGRAPH_MAX_BODY_BYTES } from './request-body.ts';
import { refuseUnstorable, useStorableText } from './storable-text.ts';
import { useBlankIdsRefused } from './blank-ids.ts';
import { createMaskError, useDocumentRequired, useNotAcceptableExplained, useValidationErrors } from './errors.ts';
import type { Logger } from './logger.ts';
import { useGraphQLMetrics } from './metrics.ts';
import { databaseCheck, withProbes } from './probes.ts';
import { tracingEnabled, useTracing } from './telemetry.ts';
import { connectionAuthorization, serveGraphQLOverWebSocket, type Authorize } from './websocket.ts';

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
  /** Verifies the internal tokens every request must carry. */
  tokens: InternalTokens;
}

export type SubgraphApp<C extends object> = YogaServerInstance<Record<string, never>, C>;

/** A federation subgraph served by graphql-yoga at /graphql (buildSubgraph puts /health, /ready and /metrics in front). */
export function createSubgraphApp<C extends object>(options: SubgraphAppOptions<C>): SubgraphApp<C> {
  const { name, typeDefs, resolvers, context, logger, isDev, tokens } = options;
  const schema = buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
  const rules = readAccessRules(typeDefs);
  return createYoga<Record<string, never>, C>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    graphiql: isDev ? { title: `${name} subgraph` } : false,
    // Only the gateway and the services call a subgraph; no web page may read its answers.
    cors: false,
    // No field takes a file: a multipart request is refused whole, not half parsed.
    multipart: false,
    // Checked in front, by Content-Length, before yoga reads the body (kit/request-body.ts).
    maxRequestBodySize: false,
    maskedErrors: { maskError: createMaskError(logger, isDev) },
    logging: yogaLogging(logger),
    context: () => context(),
    plugins: [...(tracingEnabled() ? [useTracing(name)] : []), useGraphQLMetrics(name), useStorableText(), useValidationErrors(), useNotAcceptableExplained(), useDocumentRequired(), useSubgraphAuth(tokens, rules, () => schema), useBlankIdsRefused()],
  });
}

/**
 * A subgraph's WebSocket connections present an internal token in `connection_init`, as HTTP
 * requests do in their header. A service's connection (the gateway's: the subscriptions of many
 * clients over one socket, each ended at the gateway when its own client's credential ends,
 * gateway/subscriptions/expiry.ts) stays open once its short-lived token has expired: closing it
 * then ended every client's subscription at once, every few minutes. Any other identity's
 * connection is closed when its token expires.
 */
export function internalTokenAuthorize(tokens: InternalTokens): Authorize {
  return async (params) => {
    const token = bearerToken(connectionAuthorization(params));
    if (!token) return false;
    const identity = await tokens.verify(token).catch(() => false as const);
    return identity && hasScope(identity, 'service') ? { ...identity, expiresAt: undefined } : identity;
  };
}

/** graphql-yoga's logger, writing through ours. */
export function yogaLogging(logger: Logger) {
  const line = (args: unknown[]) => args.map(String).join(' ');
  return {
    debug: (...args: unknown[]) => logger.debug(line(args)),
    info: (...args: unknown[]) => logger.info(line(args)),
    warn: (...args: unknown[]) => logger.warn(line(args)),
    // Yoga logs at this level every error the mask replaced. The mask has logged already what is
    // the service's fault (kit/errors.ts); the rest is the client's (a GraphQL error, or JSON that
    // does not parse in a GET's variables), and its text can quote what the client sent (a card
    // number in a refused variable): not for the logs, and not at a level operators are paged for.
    error: (...args: unknown[]) =>
      args[0] instanceof GraphQLError || args[0] instanceof SyntaxError
        ? logger.debug('a request error was answered', { code: args[0] instanceof GraphQLError ? String(args[0].extensions.code ?? '') : 'BAD_REQUEST' })
        : logger.error(line(args)),
  };
}

export interface SubgraphDeps {
  db: Db;
  logger: Logger;
  isDev?: boolean;
  /** The internal secret's tokens: verifies callers, and signs this service's own calls. */
  tokens: InternalTokens;
}

/** Everything that makes one subgraph: its schema, its data access, its resolvers. */
export interface SubgraphDefinition<S extends { ensureIndexes(): Promise<void> }, C extends object> {
  name: string;
  typeDefs: DocumentNode;
  createStore(db: Db): S;
  resolvers: unknown;
  createContext(store: S): C;
  /** Idempotent demo data. */
  seed?(store: S): Promise<void>;
}

export interface BuiltSubgraph<S, C extends object> {
  app: SubgraphApp<C>;
  store: S;
  /** The app behind /health, /ready (its database answers) and /metrics. */
  handler: RequestListener;
  seed?: () => Promise<void>;
  /** For a subgraph with subscriptions: serves them over WebSockets on the listening server. */
  attach?: (server: Server) => { close(): Promise<void> };
}

/** Creates the store and its indexes, then the app; index.ts listens, tests call it directly. */
export async function buildSubgraph<S extends { ensureIndexes(): Promise<void> }, C extends object>(
  definition: SubgraphDefinition<S, C>,
  { db, logger, isDev = true, tokens }: SubgraphDeps,
): Promise<BuiltSubgraph<S, C>> {
  const store = definition.createStore(db);
  await store.ensureIndexes();
  const app = createSubgraphApp({
    name: definition.name,
    typeDefs: definition.typeDefs,
    resolvers: definition.resolvers,
    logger,
    isDev,
    tokens,
    context: () => definition.createContext(store),
  });
  const seed = definition.seed?.bind(definition);
  const hasSubscriptions = definition.typeDefs.definitions.some((d) => 'name' in d && d.name?.value === 'Subscription');
  return {
    app,
    store,
    handler: withProbes(limitBodySize(app, SUBGRAPH_MAX_BODY_BYTES), { database: databaseCheck(db) }, { service: definition.name, tokens }),
    seed: seed ? () => seed(store) : undefined,
    attach: hasSubscriptions ? (server) => serveGraphQLOverWebSocket(server, app, { logger, service: definition.name, authorize: internalTokenAuthorize(tokens), paramChecks: [refuseUnstorable] }) : undefined,
  };
}
