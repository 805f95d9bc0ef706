import { serviceCredentials } from '../../kit/auth/tokens.ts';
import { createGraphQLClient } from '../../kit/graphql-client.ts';
import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { createContext } from './context.ts';
import { HomeCopy, replicaServiceName, ReplicaCopy, type CustomersCopy } from './replication.ts';
import { ReplicationStore } from './replication-store.ts';
import { resolvers } from './resolvers.ts';
import { seedCustomers } from './seed.ts';
import { CustomerStore, type RegionCode } from './store.ts';

const typeDefs = loadSchema(new URL('./schema.graphql', import.meta.url));

/** Which copy of the customer domain to serve (see env.ts); the home copy in the US by default. */
export type CopySettings =
  | { role: 'home'; region?: RegionCode }
  | { role: 'replica'; region: RegionCode; homeUrl: string; pollIntervalMs?: number; writeWaitMs?: number };

export interface CustomersDeps extends SubgraphDeps {
  copy?: CopySettings;
}

/** The customers service: the home copy of the domain, or a regional replica of it with the same interface. */
export async function buildCustomersService({ copy: settings = { role: 'home' }, ...deps }: CustomersDeps) {
  let copy!: CustomersCopy;
  const built = await buildSubgraph(
    {
      name: 'customers',
      typeDefs,
      createStore: (db) => {
        const store = new CustomerStore(db);
        const replication = new ReplicationStore(db);
        const logger = deps.logger.child({ region: settings.region ?? 'US', role: settings.role });
        copy =
          settings.role === 'home'
            ? new HomeCopy(settings.region ?? 'US', store, replication, logger)
            : new ReplicaCopy(store, replication, {
                region: settings.region,
                home: createGraphQLClient('customers (home copy)', settings.homeUrl, { credentials: serviceCredentials(replicaServiceName(settings.region), deps.tokens) }),
                pollIntervalMs: settings.pollIntervalMs ?? 200,
                writeWaitMs: settings.writeWaitMs ?? 2_000,
                logger,
              });
        return store;
      },
      resolvers,
      createContext: (store) => createContext(store, copy),
      // A replica's data comes from home, demo data included.
      seed:
        settings.role === 'home'
          ? async (store) => {
              await seedCustomers(store);
              await (copy as HomeCopy).repair(true); // demo customers go into the replication log too
            }
          : undefined,
    },
    deps,
  );
  await copy.start();
  return { ...built, copy, close: () => copy.stop() };
}
