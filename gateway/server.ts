import { ApolloGateway } from '@apollo/gateway';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga } from 'graphql-yoga';
import { createMaskError } from '../kit/errors.ts';
import type { Logger } from '../kit/logger.ts';
import { yogaLogging } from '../kit/subgraph.ts';
import { createDataSource, createSubgraphAgent } from './data-source.ts';
import { useApolloGatewayExecutor } from './executor-plugin.ts';
import { exampleQuery } from './example-query.ts';
import type { SubgraphEndpoint } from './subgraphs.ts';

export interface GatewayOptions {
  supergraphSdl: string;
  /** Where each subgraph is now; overrides the URLs recorded in the supergraph. */
  endpoints: readonly SubgraphEndpoint[];
  logger: Logger;
  isDev?: boolean;
}

/** The federated gateway: Apollo Gateway plans and executes, graphql-yoga serves HTTP and GraphiQL. */
export async function buildGateway({ supergraphSdl, endpoints, logger, isDev = true }: GatewayOptions) {
  const urls = new Map(endpoints.map((endpoint) => [endpoint.name, endpoint.url]));
  const agent = createSubgraphAgent();
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger: { debug: logger.debug, info: logger.info, warn: logger.warn, error: logger.error },
    buildService: ({ name, url }) => createDataSource(name, urls.get(name) ?? url!, agent),
  });
  const { schema } = await gateway.load();

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
    plugins: [useApolloGatewayExecutor(gateway, logger)],
  });

  return {
    yoga,
    handler: yoga,
    async stop() {
      await gateway.stop();
      await agent.close();
    },
  };
}
