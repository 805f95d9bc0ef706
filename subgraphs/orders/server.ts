import { serviceCredentials, type InternalTokens } from '../../kit/auth/tokens.ts';
import { createGraphQLClient, type GraphQLClient } from '../../kit/graphql-client.ts';
import type { Logger } from '../../kit/logger.ts';
import { addressChangeSubscribers } from '../../pipeline/address-changes.ts';
import type { ShippingCountries } from '../../pipeline/postal-address.ts';
import { serviceUrl } from '../../pipeline/services.ts';
import type { StageClients } from './address-changes.ts';
import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { contextFactory } from './context.ts';
import { graphqlDirectory, type Directory } from './dependencies.ts';
import { resolvers } from './resolvers.ts';
import { OrderStore } from './store.ts';

const typeDefs = loadSchema(new URL('./schema.graphql', import.meta.url));

export const ordersSubgraph = (
  directory: Directory,
  stages: StageClients,
  logger: Logger,
  tokens: InternalTokens,
  clients: { tracking?: GraphQLClient; payments?: GraphQLClient } = {},
  shippingCountries: ShippingCountries = null,
) => ({
  name: 'orders',
  typeDefs,
  createStore: (db: SubgraphDeps['db']) => new OrderStore(db, clients),
  resolvers,
  createContext: contextFactory(directory, stages, logger, tokens, shippingCountries),
});

export interface OrdersDeps extends SubgraphDeps {
  customersUrl: string;
  catalogUrl: string;
  /** Where the stages subscribed to address changes listen (synchronous changes call them); `<STAGE>_URL` by default. */
  stageUrls?: Partial<Record<string, string>>;
  /** Where tracking listens (the order's transitions are sent there at once when it answers); `TRACKING_URL` by default. */
  trackingUrl?: string;
  /** Where payments listens (an order's first charge request is sent there as it is placed); `PAYMENTS_URL` by default. */
  paymentsUrl?: string;
  /** The countries orders ship to (SHIPPING_COUNTRIES); every one by default. */
  shippingCountries?: ShippingCountries;
}

/** The orders service, wired to the customers and catalog services and the pipeline's stages by URL. */
export async function buildOrdersService({
  customersUrl,
  catalogUrl,
  stageUrls = {},
  trackingUrl = serviceUrl('tracking'),
  paymentsUrl = serviceUrl('payments'),
  shippingCountries = null,
  ...deps
}: OrdersDeps) {
  const credentials = serviceCredentials('orders', deps.tokens);
  const customers = createGraphQLClient('customers', customersUrl, { credentials });
  const catalog = createGraphQLClient('catalog', catalogUrl, { credentials });
  // A synchronous change waits for every stage: a short timeout keeps a hung one from holding the caller.
  const stages = new Map(
    addressChangeSubscribers.map((stage) => [stage, createGraphQLClient(stage, stageUrls[stage] ?? serviceUrl(stage), { credentials, timeoutMs: 3_000, connections: 4 })]),
  );
  // Short: an order's move waits for it, and whatever tracking does not take in time goes through the outbox.
  const tracking = createGraphQLClient('tracking', trackingUrl, { credentials, timeoutMs: 2_000, connections: 16 });
  // Short too: a placement waits for it, and a request not taken in time goes through the coordinator's outbox.
  const payments = createGraphQLClient('payments', paymentsUrl, { credentials, timeoutMs: 2_000, connections: 16 });
  const directory = graphqlDirectory(customers, catalog);
  const built = await buildSubgraph(ordersSubgraph(directory, (stage) => stages.get(stage as never), deps.logger, deps.tokens, { tracking, payments }, shippingCountries), deps);
  return {
    ...built,
    close: async () => {
      await Promise.all([customers.close(), catalog.close(), tracking.close(), payments.close(), ...[...stages.values()].map((client) => client.close())]);
    },
  };
}
