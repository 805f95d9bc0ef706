import type { Server } from 'node:http';
import { ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga } from 'graphql-yoga';
import { useStorableText } from '../kit/storable-text.ts';
import { createMaskError } from '../kit/errors.ts';
import type { Logger } from '../kit/logger.ts';
import { yogaLogging } from '../kit/subgraph.ts';
import { serveGraphQLOverWebSocket, type Authorize } from '../kit/websocket.ts';
import { createDataSource, createSubgraphAgent } from './data-source.ts';
import { RequestContexts, useApolloGatewayExecutor } from './executor-plugin.ts';
import { exampleQuery } from './example-query.ts';
import type { SubgraphEndpoint } from './subgraphs.ts';
import { FederatedSubscriptions } from './subscriptions/engine.ts';
import { SubscriptionPlanner } from './subscriptions/planner.ts';
import { useFederatedSubscriptions } from './subscriptions/plugin.ts';
import { UpstreamConnections } from './subscriptions/upstream.ts';
import { useTrackPage } from './track-page.ts';

export interface GatewayOptions {
  supergraphSdl: string;
  /** Where each subgraph is now; overrides the URLs recorded in the supergraph. */
  endpoints: readonly SubgraphEndpoint[];
  logger: Logger;
  isDev?: boolean;
  /** When set, subscribers must present it: `{ authorization: "Bearer <token>" }` on connect, or the Authorization header. */
  subscriptionToken?: string;
  maxSubscriptionsPerConnection?: number;
  /** Events a subscriber may have waiting before it is ended as too slow. */
  maxQueuedPerSubscriber?: number;
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
  const dataSources = new Map<string, GraphQLDataSource>();
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger: { debug: logger.debug, info: logger.info, warn: logger.warn, error: logger.error },
    buildService: ({ name, url }) => {
      const source = createDataSource(name, urls.get(name) ?? url!, agent);
      dataSources.set(name, source);
      return source;
    },
  });
  const { schema } = await gateway.load();

  const requests = new RequestContexts(logger);
  const upstream = new UpstreamConnections(urls);
  const subscriptions = new FederatedSubscriptions({
    planner: new SubscriptionPlanner(supergraphSdl),
    dataSources,
    upstream,
    requests,
    logger,
    maxQueuedPerSubscriber: options.maxQueuedPerSubscriber,
  });
  const authorize: Authorize | undefined = options.subscriptionToken
    ? (params) => params?.authorization === `Bearer ${options.subscriptionToken}`
    : undefined;

  const yoga = createYoga({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    graphiql: isDev ? { title: 'Fulfilment graph', defaultQuery: exampleQuery } : false,
    // GraphiQL's assets are served from the package, not a CDN: it works offline and behind firewalls.
    renderGraphiQL,
    // Subgraphs mask their own errors; what they chose to say (tagged with serviceName) reaches the client.
    maskedErrors: { maskError: createMaskError(logger, isDev, (error) => typeof error.extensions.serviceName === 'string') },
    logging: yogaLogging(logger),
    plugins: [useStorableText(), useTrackPage(), useApolloGatewayExecutor(gateway, requests), useFederatedSubscriptions(subscriptions, authorize)],
  });

  return {
    yoga,
    handler: yoga,
    subscriptions,
    /** Serves GraphQL over WebSockets on the listening server's /graphql. */
    attach: (server: Server) =>
      serveGraphQLOverWebSocket(server, yoga, { logger, authorize, maxSubscriptionsPerConnection: options.maxSubscriptionsPerConnection ?? 100 }),
    async stop() {
      subscriptions.close();
      await upstream.close();
      await gateway.stop();
      await agent.close();
    },
  };
}
