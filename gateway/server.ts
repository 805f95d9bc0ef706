import type { Server } from 'node:http';
import { ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { corsFor, mayShowToken, useVaryByOrigin, type CorsOrigins } from './cors.ts';
import { createYoga, type Plugin } from 'graphql-yoga';
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import { refuseUnstorable, useStorableText } from '../kit/storable-text.ts';
import { isAuthenticated } from '../kit/auth/identity.ts';
import { AccessChecker, readAccessRules } from '../kit/auth/rules.ts';
import { serviceCredentials } from '../kit/auth/tokens.ts';
import { copyOf, createMaskError, useDocumentRequired, useNotAcceptableExplained, useValidationErrors } from '../kit/errors.ts';
import type { Logger } from '../kit/logger.ts';
import { useGraphQLMetrics } from '../kit/metrics.ts';
import { healthCheck, withProbes } from '../kit/probes.ts';
import { tracingEnabled, useTracing } from '../kit/telemetry.ts';
import { yogaLogging } from '../kit/subgraph.ts';
import { connectionAuthorization, serveGraphQLOverWebSocket, type Authorize } from '../kit/websocket.ts';
import { identityIn, type GatewayAuth } from './auth.ts';
import { useGatewayAuth } from './auth-plugin.ts';
import { addressKey, callerKey, defaultLimits, trustedDocuments, useGatewayLimits, type GatewayLimits } from './limits.ts';
import { limitBodySize } from '../kit/request-body.ts';
import { readListSizes } from './cost.ts';
import { createDataSource, createSubgraphAgent, type Answer } from './data-source.ts';
import { ReadMostlyCache, type CacheSettings } from './read-mostly-cache.ts';
import { RequestContexts, useApolloGatewayExecutor } from './executor-plugin.ts';
import { exampleQuery } from './example-query.ts';
import type { SubgraphEndpoint } from './subgraphs.ts';
import { FederatedSubscriptions } from './subscriptions/engine.ts';
import { SubscriptionPlanner } from './subscriptions/planner.ts';
import { orderFollowingCheck } from './subscriptions/ownership.ts';
import { useFederatedSubscriptions } from './subscriptions/plugin.ts';
import { UpstreamConnections } from './subscriptions/upstream.ts';
import { supergraphForExecution } from './supergraph.ts';
import { useTrackPage } from './track-page.ts';

export interface GatewayOptions {
  supergraphSdl: string;
  /** Where each subgraph is now; overrides the URLs recorded in the supergraph. */
  endpoints: readonly SubgraphEndpoint[];
  logger: Logger;
  isDev?: boolean;
  /** Verifies clients' tokens and signs the internal ones subgraphs verify. */
  auth: GatewayAuth;
  /** Development: GraphiQL opens with this token in its headers (only in a page the user opened: gateway/cors.ts). */
  graphiqlToken?: string;
  /** Origins whose pages may read answers (GATEWAY_CORS_ORIGINS); none by default. */
  corsOrigins?: CorsOrigins;
  /** Abuse limits; each unset one has its default. */
  limits?: Partial<GatewayLimits>;
  maxSubscriptionsPerConnection?: number;
  /** Events a subscriber may have waiting before it is ended as too slow. */
  maxQueuedPerSubscriber?: number;
  /** Read-mostly subgraphs whose answers are cached (default none), for how long and how much at most. */
  cache?: CacheSettings;
  /** false only in `npm run bench:gateway`, to measure what checking the schema's access rules costs. */
  checkAccess?: boolean;
  /** Whether clients may ask for the schema (`__schema`, `__type`); default: in development only (GATEWAY_INTROSPECTION). */
  introspection?: boolean;
}

/**
 * The federated gateway: Apollo Gateway plans and executes queries and mutations, the
 * federated subscription engine runs subscriptions, graphql-yoga serves HTTP, server-sent
 * events, GraphiQL and the /track page, and graphql-ws serves WebSockets on the same /graphql.
 */
export async function buildGateway(options: GatewayOptions) {
  const { supergraphSdl, endpoints, logger, isDev = true } = options;
  const urls = new Map(endpoints.map((endpoint) => [endpoint.name, endpoint.url]));
  const agent = createSubgraphAgent();
  const { auth } = options;
  const limits: GatewayLimits = { ...defaultLimits, ...options.limits };
  const authorizationFor = (context: unknown) => auth.internalAuthorization(identityIn(context));
  const dataSources = new Map<string, GraphQLDataSource>();
  const executableSdl = supergraphForExecution(supergraphSdl);
  // Apollo Gateway sends anonymous usage metrics to Apollo, and probes cloud metadata addresses
  // to describe the host, unless this is set: our gateway calls nobody it was not configured to.
  // APOLLO_TELEMETRY_DISABLED=false opts in.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({
    supergraphSdl: executableSdl,
    logger: { debug: logger.debug, info: logger.info, warn: logger.warn, error: logger.error },
    buildService: ({ name, url }) => {
      const cache = options.cache?.subgraphs.includes(name) ? new ReadMostlyCache<Answer>(options.cache) : undefined;
      const source = createDataSource(name, urls.get(name) ?? url!, agent, authorizationFor, cache, isDev, limits.subgraphTimeoutMs);
      dataSources.set(name, source);
      return source;
    },
  });
  const { schema } = await gateway.load();
  let trusted: ReturnType<typeof trustedDocuments>;
  try {
    trusted = trustedDocuments(limits, schema);
  } catch (error) {
    await gateway.stop();
    await agent.close();
    throw error;
  }

  const requests = new RequestContexts(logger);
  const ownCredentials = serviceCredentials('gateway', auth.tokens);
  const upstream = new UpstreamConnections(urls, () => ownCredentials.authorization());
  // The rules declared in the subgraphs' schemas, as composed: read once, checked per operation.
  const access = new AccessChecker(schema, readAccessRules(supergraphSdl));
  const subscriptions = new FederatedSubscriptions({
    planner: new SubscriptionPlanner(executableSdl),
    dataSources,
    upstream,
    requests,
    logger,
    maxQueuedPerSubscriber: options.maxQueuedPerSubscriber,
    eventTimeoutMs: limits.subscriptionEventTimeoutMs,
    maxPerCaller: limits.maxSubscriptionsPerCaller,
  });
  // A WebSocket proves who it is once, in connection_init; a bad token is refused with 4403, and the
  // connection is closed with 4403 when its token expires. No token: anonymous, public data only.
  const authorize: Authorize = (params) =>
    auth.identify(connectionAuthorization(params)).catch(() => false as const);
  const followingCheck = orderFollowingCheck(urls.get('orders') ?? '', agent, (identity) => auth.internalAuthorization(identity));

  const yoga = createYoga({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    // No field takes a file: a multipart request is refused whole, not half parsed.
    multipart: false,
    // Checked in front, by Content-Length, before yoga reads the body (kit/request-body.ts).
    maxRequestBodySize: false,
    landingPage: false,
    graphiql: isDev
      ? (request: Request) => ({
          title: 'Fulfilment graph',
          defaultQuery: exampleQuery,
          ...(options.graphiqlToken && mayShowToken(request) ? { headers: JSON.stringify({ Authorization: `Bearer ${options.graphiqlToken}` }) } : {}),
        })
      : false,
    cors: corsFor(options.corsOrigins ?? []),
    // GraphiQL's assets are served from the package, not a CDN: it works offline and behind firewalls.
    renderGraphiQL,
    // Subgraphs mask their own errors; what they chose to say (tagged with serviceName) reaches the client.
    maskedErrors: { maskError: createMaskError(logger, isDev, (error) => typeof error.extensions.serviceName === 'string') },
    logging: yogaLogging(logger),
    plugins: [
      // Tracing first: its request span is the parent of everything the request does.
      ...(tracingEnabled() ? [useTracing('gateway')] : []),
      useGraphQLMetrics('gateway'),
      useVaryByOrigin(options.corsOrigins ?? []),
      useStorableText(),
      useValidationErrors(),
      useNotAcceptableExplained(),
      ...(options.introspection ?? isDev ? [] : [useNoIntrospection()]),
      useTrackPage(),
      useGatewayAuth(auth, options.checkAccess === false ? undefined : access),
      useApolloGatewayExecutor(gateway, requests),
      // After the executor plugin: the time limit wraps Apollo's executor.
      useGatewayLimits(limits, trusted, readListSizes(supergraphSdl)),
      // After the limits: a trusted document's id has become its query there.
      useDocumentRequired(),
      useFederatedSubscriptions(
        subscriptions,
        (context) => callerKey(context, limits.trustedProxies),
        async (args, identity) => (isAuthenticated(identity) ? followingCheck(args, identity) : undefined),
      ),
    ],
  });

  const readiness = Object.fromEntries(endpoints.map((endpoint) => [endpoint.name, healthCheck(endpoint.url)]));
  return {
    yoga,
    /** GraphQL behind /health and /ready (every subgraph answers its /health): what clients reach. */
    handler: withProbes(limitBodySize(yoga, limits.maxBodyBytes), readiness, undefined, { metrics: false }),
    /**
     * /metrics (with /health and /ready), for a listener of its own that only operators reach: the
     * metrics name every client's operations, and how often each failed.
     */
    probes: withProbes(undefined, readiness),
    subscriptions,
    /** Serves GraphQL over WebSockets on the listening server's /graphql. */
    attach: (server: Server) =>
      serveGraphQLOverWebSocket(server, yoga, {
        logger,
        service: 'gateway',
        authorize,
        maxSubscriptionsPerConnection: options.maxSubscriptionsPerConnection ?? 100,
        connectionLimit: { max: limits.maxConnectionsPerAddress, keyOf: (req) => addressKey(req, limits.trustedProxies) },
        maxMessageBytes: limits.maxBodyBytes,
        // The same checks of a request's text as over HTTP, in the same order (its onParams hooks).
        paramChecks: [refuseUnstorable, ...(trusted ? [trusted] : [])],
      }),
    async stop() {
      subscriptions.close();
      await upstream.close();
      await gateway.stop();
      await agent.close();
    },
  };
}

/**
 * Refuses `__schema` and `__type` (GRAPHQL_VALIDATION_FAILED), as production gateways do by default:
 * a client's documents are written against the published schema, not discovered from the
 * gateway. `__typename` still works. graphql-js's suggestions (`Did you mean "order"?`) go too:
 * guessing with typos would otherwise spell the schema out.
 */
function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
      return ({ valid, result, setResult }) => {
        if (!valid && result.some((error) => SUGGESTION.test(error.message))) setResult(result.map(withoutSuggestion));
      };
    },
  };
}

/** How graphql-js ends a message with suggestions (its didYouMean). */
const SUGGESTION = / Did you mean (the enum value |to use an inline fragment on )?"[^]*\?$/;

function withoutSuggestion<E extends Error>(error: E): E | GraphQLError {
  if (!(error instanceof GraphQLError) || !SUGGESTION.test(error.message)) return error;
  return copyOf(error, { message: error.message.replace(SUGGESTION, '') });
}
