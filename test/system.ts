import { createServer, type Socket } from 'node:net';
import { composeSupergraph } from '../gateway/supergraph.ts';
import { defaultCachedSubgraphs } from '../gateway/read-mostly-cache.ts';
import { buildGateway } from '../gateway/server.ts';
import type { SubgraphEndpoint } from '../gateway/subgraphs.ts';
import { serviceClients, type ServiceName } from '../pipeline/services.ts';
import { buildCatalogService } from '../subgraphs/catalog/server.ts';
import { buildCustomersService } from '../subgraphs/customers/server.ts';
import { buildExceptionsService } from '../subgraphs/exceptions/server.ts';
import { buildInventoryService } from '../subgraphs/inventory/server.ts';
import { buildOrdersService } from '../subgraphs/orders/server.ts';
import { startOrdersWorker } from '../subgraphs/orders/worker.ts';
import { buildPaymentsService } from '../subgraphs/payments/server.ts';
import { startPaymentsWorker } from '../subgraphs/payments/worker.ts';
import { buildPickingService } from '../subgraphs/picking/server.ts';
import { startPickingWorker } from '../subgraphs/picking/worker.ts';
import { buildRebinService } from '../subgraphs/rebin/server.ts';
import { startRebinWorker } from '../subgraphs/rebin/worker.ts';
import { buildReceivingService } from '../subgraphs/receiving/server.ts';
import { startReceivingWorker } from '../subgraphs/receiving/worker.ts';
import { buildShippingService } from '../subgraphs/shipping/server.ts';
import { buildTrackingService } from '../subgraphs/tracking/server.ts';
import { startShippingWorker } from '../subgraphs/shipping/worker.ts';
import { buildVendorsService } from '../subgraphs/vendors/server.ts';
import { freePort } from '../scripts/ferretdb.ts';
import { expect } from 'vitest';
import { demo } from '../subgraphs/demo-data.ts';
import { gql, registerGateway, serve, silentLogger, testCredentials, testGatewayAuth, testTokens, TestDatabases, type RunningApp } from './harness.ts';

export { eventually } from './harness.ts';

export type WorkerName = 'orders' | 'payments' | 'picking' | 'rebin' | 'shipping' | 'receiving';

export interface SystemOptions {
  /** Which pipeline workers to start (in this process): all by default. */
  workers?: boolean | readonly WorkerName[];
  payments?: { latencyMs: number; failureRate: number };
  paymentsQueue?: { visibilityTimeoutMs?: number; maxAttempts?: number; refundMaxAttempts?: number };
  picking?: { batchSize: number; maxWaitMs: number };
  /** Where payments may call results back (PAYMENTS_CALLBACK_ALLOWLIST): nowhere by default. */
  callbackAllowList?: string[];
  /** How long a declined order waits to be paid again (DECLINED_ORDER_PAY_WITHIN_MS): 72 hours by default. */
  payWithinMs?: number;
  /**
   * How often the orders worker retries orders waiting for stock as it comes in (every 30 s in a
   * deployment). Off unless set: other tests' restocking would otherwise move their orders on.
   */
  restockCheckEveryMs?: number;
}

/**
 * Every service, each on its own fresh database and a free port, the gateway, and
 * one worker per pipeline stage, all in this process (a real deployment runs each
 * in its own process; the code is the same).
 */
export async function startSystem(dbs: TestDatabases, options: SystemOptions = {}) {
  const logger = silentLogger;
  const names: ServiceName[] = ['customers', 'vendors', 'catalog', 'inventory', 'orders', 'payments', 'picking', 'rebin', 'shipping', 'receiving', 'exceptions', 'tracking'];
  const ports = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await freePort()] as const))) as Record<ServiceName, number>;
  const urls = Object.fromEntries(names.map((name) => [name, `http://127.0.0.1:${ports[name]}/graphql`])) as Record<ServiceName, string>;
  // Each worker and service calls others with its own service credentials, as in production.
  const allClients: ReturnType<typeof serviceClients>[] = [];
  const clientsOf = (service: string) => {
    const made = serviceClients(testCredentials(service), urls);
    allClients.push(made);
    return made;
  };
  const tokens = testTokens;

  const services = {
    customers: await buildCustomersService({ db: await dbs.create('customers'), logger, tokens }),
    vendors: await buildVendorsService({ db: await dbs.create('vendors'), logger, tokens }),
    catalog: await buildCatalogService({ db: await dbs.create('catalog'), logger, tokens, vendorsUrl: urls.vendors }),
    inventory: await buildInventoryService({ db: await dbs.create('inventory'), logger, tokens, catalogUrl: urls.catalog }),
    orders: await buildOrdersService({ db: await dbs.create('orders'), logger, tokens, customersUrl: urls.customers, catalogUrl: urls.catalog, stageUrls: urls, trackingUrl: urls.tracking, paymentsUrl: urls.payments }),
    payments: await buildPaymentsService({ db: await dbs.create('payments'), logger, tokens, processor: options.payments ?? { latencyMs: 5, failureRate: 0 }, queue: options.paymentsQueue, callbackAllowList: options.callbackAllowList }),
    picking: await buildPickingService({ db: await dbs.create('picking'), logger, tokens }),
    rebin: await buildRebinService({ db: await dbs.create('rebin'), logger, tokens }),
    shipping: await buildShippingService({ db: await dbs.create('shipping'), logger, tokens }),
    receiving: await buildReceivingService({ db: await dbs.create('receiving'), logger, tokens, catalogUrl: urls.catalog, vendorsUrl: urls.vendors, ordersUrl: urls.orders, inventoryUrl: urls.inventory }),
    exceptions: await buildExceptionsService({ db: await dbs.create('exceptions'), logger, tokens, clients: clientsOf('exceptions') }),
    tracking: await buildTrackingService({ db: await dbs.create('tracking'), logger, tokens }),
  };
  for (const service of Object.values(services)) await service.seed?.();
  const apps = {} as Record<ServiceName, RunningApp>;
  const attachOf = (name: ServiceName) => (services[name] as { attach?: Parameters<typeof serve>[2] }).attach;
  for (const name of names) apps[name] = await serve(services[name].handler, ports[name], attachOf(name));

  const endpoints: SubgraphEndpoint[] = names.map((name) => ({ name, url: urls[name] }));
  const auth = testGatewayAuth;
  // As `npm start` runs it: catalogue answers cached.
  const gateway = await buildGateway({ supergraphSdl: composeSupergraph(endpoints), endpoints, logger, auth: auth(), cache: defaultCachedSubgraphs });
  const gatewayApp = await serve(gateway.handler, 0, gateway.attach);
  registerGateway(gatewayApp.url);
  // Its /metrics, on a listener of its own as the gateway process serves it (not on the port clients reach).
  const gatewayMetrics = await serve(gateway.probes, 0);

  const startWorkerFor = (name: WorkerName): { stop(): Promise<void> } => {
    switch (name) {
      case 'orders':
        return startOrdersWorker(services.orders.store, clientsOf('orders'), logger, { payWithinMs: options.payWithinMs, restockCheckEveryMs: options.restockCheckEveryMs ?? null });
      case 'payments':
        return startPaymentsWorker(services.payments.store, services.payments.processor, clientsOf('payments'), logger, { callbacks: services.payments.callbacks });
      case 'picking':
        return startPickingWorker(services.picking.store, clientsOf('picking'), logger, options.picking ?? { batchSize: 3, maxWaitMs: 150 });
      case 'rebin':
        return startRebinWorker(services.rebin.store, clientsOf('rebin'), logger);
      case 'shipping':
        return startShippingWorker(services.shipping.store, clientsOf('shipping'), logger);
      case 'receiving':
        return startReceivingWorker(services.receiving.store, clientsOf('receiving'), logger, 20);
    }
  };
  const workers = new Map<WorkerName, { stop(): Promise<void> }[]>();
  const addWorker = (name: WorkerName) => workers.set(name, [...(workers.get(name) ?? []), startWorkerFor(name)]);
  const initialWorkers = options.workers === false ? [] : options.workers === true || options.workers === undefined ? (['orders', 'payments', 'picking', 'rebin', 'shipping', 'receiving'] as const) : options.workers;
  for (const name of initialWorkers) addWorker(name);

  const extraGateways: { close(): Promise<void> }[] = [];
  /** Another gateway process's worth of gateway over the same subgraphs (several can serve at once). */
  const startGateway = async (options: Partial<Parameters<typeof buildGateway>[0]> = {}) => {
    const extra = await buildGateway({ supergraphSdl: composeSupergraph(endpoints), endpoints, logger, auth: auth(), ...options });
    const app = await serve(extra.handler, 0, extra.attach);
    registerGateway(app.url);
    const running = {
      url: app.url,
      gateway: extra,
      async close() {
        await app.close();
        await extra.stop();
      },
    };
    extraGateways.push(running);
    return running;
  };

  return {
    gatewayUrl: gatewayApp.url,
    /** Where the gateway serves /metrics. */
    gatewayMetricsUrl: gatewayMetrics.url,
    startGateway,
    gateway,
    urls,
    apps,
    services,
    ordersStore: services.orders.store,
    /** Stops one service's HTTP interface, as if its server process died; `restart` brings it back on the same port. */
    stop: (name: ServiceName) => apps[name].close(),
    async restart(name: ServiceName) {
      apps[name] = await serve(services[name].handler, ports[name], attachOf(name));
    },
    /**
     * Stops one service's HTTP interface and puts in its place one that takes requests and never
     * answers, as a stalled process does; the returned function ends that (then `restart`).
     */
    async hang(name: ServiceName): Promise<() => Promise<void>> {
      await apps[name].close();
      const sockets = new Set<Socket>();
      const stalled = createServer((socket) => {
        sockets.add(socket);
        socket.resume(); // reads the request, answers nothing
      });
      await new Promise<void>((resolve) => stalled.listen(ports[name], '127.0.0.1', resolve));
      return async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => stalled.close(resolve));
      };
    },
    /** Starts one more worker for a stage (scale a bottleneck by adding nodes). */
    addWorker,
    async stopWorkers(name: WorkerName) {
      await Promise.all((workers.get(name) ?? []).map((worker) => worker.stop()));
      workers.set(name, []);
    },
    async close() {
      for (const list of workers.values()) await Promise.all(list.map((worker) => worker.stop()));
      await gatewayApp.close();
      await gatewayMetrics.close();
      await gateway.stop();
      for (const extra of extraGateways) await extra.close().catch(() => {});
      for (const app of Object.values(apps)) await app.close().catch(() => {});
      await services.tracking.close();
      await services.customers.close();
      await services.orders.close();
      await services.receiving.close();
      await services.catalog.close();
      await services.inventory.close();
      await services.exceptions.close();
      await services.payments.close();
      await Promise.all(allClients.map((made) => made.close()));
    },
  };
}

export type RunningSystem = Awaited<ReturnType<typeof startSystem>>;

/** Places an order for the demo customer with her good card, through the gateway; returns its id. */
export async function placeOrder(gatewayUrl: string, lines: { sku: string; quantity: number }[]): Promise<string> {
  const res = await gql(gatewayUrl, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
    input: { customerId: demo.customers.ada, paymentMethodId: 'p00000000000000000000001', lines },
  });
  expect(res.errors).toBeUndefined();
  return res.data!.placeOrder.id as string;
}
