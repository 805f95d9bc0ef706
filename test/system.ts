import { composeSupergraph } from '../gateway/supergraph.ts';
import { buildGateway } from '../gateway/server.ts';
import type { SubgraphEndpoint } from '../gateway/subgraphs.ts';
import { buildCatalogService } from '../subgraphs/catalog/server.ts';
import { buildCustomersService } from '../subgraphs/customers/server.ts';
import { buildInventoryService } from '../subgraphs/inventory/server.ts';
import { buildOrdersService } from '../subgraphs/orders/server.ts';
import { buildVendorsService } from '../subgraphs/vendors/server.ts';
import { serve, silentLogger, TestDatabases, type RunningApp } from './harness.ts';

export interface RunningSystem {
  gatewayUrl: string;
  apps: Record<'customers' | 'vendors' | 'catalog' | 'inventory' | 'orders', RunningApp>;
  ordersStore: Awaited<ReturnType<typeof buildOrdersService>>['store'];
  /** Stops one subgraph, as if its process died; `restart` brings it back on the same port. */
  stop(name: keyof RunningSystem['apps']): Promise<void>;
  restart(name: keyof RunningSystem['apps']): Promise<void>;
  close(): Promise<void>;
}

/** Every subgraph, each on its own fresh database and a free port, plus the gateway, with demo data. */
export async function startSystem(dbs: TestDatabases): Promise<RunningSystem> {
  const logger = silentLogger;
  const built = {
    customers: await buildCustomersService({ db: await dbs.create('customers'), logger }),
    vendors: await buildVendorsService({ db: await dbs.create('vendors'), logger }),
    catalog: await buildCatalogService({ db: await dbs.create('catalog'), logger }),
    inventory: await buildInventoryService({ db: await dbs.create('inventory'), logger }),
  };
  const apps = {} as RunningSystem['apps'];
  for (const [name, service] of Object.entries(built)) {
    await service.seed?.();
    apps[name as keyof typeof built] = await serve(service.handler);
  }
  const orders = await buildOrdersService({ db: await dbs.create('orders'), logger, customersUrl: apps.customers.url, catalogUrl: apps.catalog.url });
  apps.orders = await serve(orders.handler);
  const handlers = { ...built, orders };

  const endpoints: SubgraphEndpoint[] = Object.entries(apps).map(([name, app]) => ({ name, url: app.url }));
  const gateway = await buildGateway({ supergraphSdl: composeSupergraph(endpoints), endpoints, logger });
  const gatewayApp = await serve(gateway.handler);

  return {
    gatewayUrl: gatewayApp.url,
    apps,
    ordersStore: orders.store,
    stop: (name) => apps[name].close(),
    async restart(name) {
      apps[name] = await serve(handlers[name].handler, apps[name].port);
    },
    async close() {
      await gatewayApp.close();
      await gateway.stop();
      for (const app of Object.values(apps)) await app.close().catch(() => {});
      await orders.close();
    },
  };
}
