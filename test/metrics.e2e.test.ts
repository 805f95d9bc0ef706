import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, TestDatabases } from './harness.ts';
import { samples, scrape, total } from './prometheus.ts';
import { collect, wsClient } from './subscriber.ts';
import { eventually, placeOrder, startSystem, type RunningSystem } from './system.ts';

const dbs = new TestDatabases();
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem(dbs);
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

const lines = [{ sku: 'BOOK-002', quantity: 1 }];
const statusOf = async (id: string) => (await gql(system.gatewayUrl, `query OrderStatus($id: ID!) { order(id: $id) { status } }`, { id })).data?.order?.status as string;
// The payments stage's queue of charge requests, in its own database.
const charges = { queue: 'charges', database: /^t_payments_/ };

describe('/metrics', () => {
  it("is not served on the gateway's public port, where clients would read every client's operation names", async () => {
    const response = await fetch(new URL('/metrics', system.gatewayUrl));
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('graphql_requests_total');
    // Its own listener serves it, with the probes.
    expect((await fetch(new URL('/metrics', system.gatewayMetricsUrl))).status).toBe(200);
    expect((await fetch(new URL('/health', system.gatewayUrl))).status).toBe(200);
  });

  it("shows a stage's queue depth rise while its worker is stopped, and fall once it is back", async () => {
    const before = await scrape(system.urls.payments);
    expect(total(before, 'queue_depth', { ...charges, status: 'READY' })).toBe(0);

    await system.stopWorkers('payments');
    const ids = await Promise.all([placeOrder(system.gatewayUrl, lines), placeOrder(system.gatewayUrl, lines), placeOrder(system.gatewayUrl, lines)]);
    // The orders coordinator hands each charge to payments, where it now waits.
    const backedUp = await eventually(
      () => scrape(system.urls.payments),
      (families) => total(families, 'queue_depth', { ...charges, status: 'READY' }) >= 3,
    );
    expect(total(backedUp, 'queue_oldest_ready_age_seconds', charges)).toBeGreaterThan(0);
    expect(total(backedUp, 'queue_leases_in_flight', charges)).toBe(0);

    system.addWorker('payments');
    // The gauges are counted by queries side by side, not from one snapshot: one scrape can see an
    // element as neither READY nor LEASED and still as the oldest ready. Wait for a scrape that agrees.
    const drained = await eventually(
      () => scrape(system.urls.payments),
      (families) =>
        total(families, 'queue_depth', { ...charges, status: 'READY' }) === 0 &&
        total(families, 'queue_depth', { ...charges, status: 'LEASED' }) === 0 &&
        total(families, 'queue_oldest_ready_age_seconds', charges) === 0,
    );
    expect(total(drained, 'queue_oldest_ready_age_seconds', charges)).toBe(0);
    // Each waited at least as long as the worker was stopped: the wait histogram saw them.
    expect(total(drained, 'queue_wait_seconds_count', charges)).toBeGreaterThanOrEqual(3);
    expect(total(drained, 'queue_completed_total', charges)).toBeGreaterThanOrEqual(3);
    for (const id of ids) await eventually(() => statusOf(id), (status) => status === 'SHIPPED');
    // Tracking counts orders placed and shipped, each once.
    const tracked = await eventually(
      () => scrape(system.urls.tracking),
      (families) => total(families, 'tracking_transitions_recorded_total', { element_type: 'ORDER', state: 'SHIPPED' }) >= 3,
    );
    expect(total(tracked, 'tracking_transitions_recorded_total', { element_type: 'ORDER', state: 'PLACED' })).toBe(3);
    expect(total(tracked, 'tracking_transitions_recorded_total', { element_type: 'ORDER', state: 'SHIPPED' })).toBe(3);

    // Results went on through the outbox; its delivery latency is measured per target.
    const delivered = await scrape(system.urls.payments);
    expect(total(delivered, 'outbox_delivery_seconds_count', { ...charges, target: 'orders' })).toBeGreaterThanOrEqual(3);
    expect(total(delivered, 'outbox_deliveries_total', { ...charges, outcome: 'delivered' })).toBeGreaterThanOrEqual(3);
  });

  it('counts GraphQL operations by name and outcome, with latency, at the gateway and in subgraphs, and subgraph fetches per subgraph', async () => {
    const id = await placeOrder(system.gatewayUrl, lines);
    await statusOf(id);
    const invalid = await gql(system.gatewayUrl, `query BadQuestion { order(id: "x") { noSuchField } }`);
    expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const ghost = await fetch(system.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query Real { __typename }', operationName: 'Ghost' }) });
    expect(((await ghost.json()) as { errors?: unknown[] }).errors).toHaveLength(1);

    const gateway = await scrape(system.gatewayMetricsUrl);
    expect(total(gateway, 'graphql_requests_total', { service: 'gateway', operation: 'OrderStatus', type: 'query', outcome: 'OK' })).toBeGreaterThanOrEqual(1);
    // A document that does not validate is counted, but its name labels nothing: anyone can send one.
    expect(total(gateway, 'graphql_requests_total', { service: 'gateway', operation: '(invalid)', outcome: 'GRAPHQL_VALIDATION_FAILED' })).toBeGreaterThanOrEqual(1);
    expect(samples(gateway, 'graphql_requests_total', { operation: 'BadQuestion' })).toEqual([]);
    // Nor does an operationName the document does not define.
    expect(samples(gateway, 'graphql_requests_total', { operation: /Ghost|Real/ })).toEqual([]);
    const latency = { service: 'gateway', operation: 'OrderStatus', outcome: 'OK' };
    expect(total(gateway, 'graphql_request_duration_seconds_count', latency)).toBe(total(gateway, 'graphql_requests_total', latency));
    expect(total(gateway, 'graphql_request_duration_seconds_sum', latency)).toBeGreaterThan(0);
    expect(samples(gateway, 'graphql_request_duration_seconds_bucket', latency).length).toBeGreaterThan(5);
    expect(total(gateway, 'gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'orders', outcome: '200' })).toBeGreaterThanOrEqual(1);

    // The subgraph counts what the gateway sent it, under its own name.
    const orders = await scrape(system.urls.orders);
    expect(total(orders, 'graphql_requests_total', { service: 'orders', type: 'mutation', outcome: 'OK' })).toBeGreaterThanOrEqual(1);
    // Every database command is timed (command monitoring).
    expect(total(orders, 'mongodb_command_duration_seconds_count', { command: 'insert', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
  });

  it('counts an operation whose name is too long to be one a person gave as `other` in a subgraph, and labels names as long as the gateway takes', async () => {
    // The gateway refuses such a name (limits.e2e.test.ts); a subgraph called directly takes it, and labels it `other`.
    const name = `Q${'x'.repeat(20_000)}`;
    const direct = await gql(system.urls.catalog, `query ${name} { product(sku: "BOOK-002") { title } }`);
    expect(direct.errors).toBeUndefined();
    const text = await (await fetch(new URL('/metrics', system.urls.catalog))).text();
    expect(text).not.toContain('x'.repeat(200));
    expect(total(await scrape(system.urls.catalog), 'graphql_requests_total', { service: 'catalog', operation: 'other', outcome: 'OK' })).toBeGreaterThanOrEqual(1);
    // The longest name the gateway takes is a label of its own.
    const longest = `L${'y'.repeat(99)}`;
    expect((await gql(system.gatewayUrl, `query ${longest} { product(sku: "BOOK-002") { title } }`)).errors).toBeUndefined();
    expect(total(await scrape(system.gatewayMetricsUrl), 'graphql_requests_total', { service: 'gateway', operation: longest, outcome: 'OK' })).toBe(1);
  });

  it("counts a subgraph that cannot be reached against that subgraph, and the gateway's /ready names it", async () => {
    await system.stop('vendors');
    try {
      const res = await gql(system.gatewayUrl, `{ vendors(first: 1) { edges { node { id } } } }`);
      expect(res.errors?.[0]?.extensions?.code).toBe('DEPENDENCY_UNAVAILABLE');
      const gateway = await scrape(system.gatewayMetricsUrl);
      expect(total(gateway, 'gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'vendors', outcome: 'unavailable' })).toBeGreaterThanOrEqual(1);
      expect(total(gateway, 'gateway_subgraph_errors_total', { subgraph: 'vendors', code: 'DEPENDENCY_UNAVAILABLE' })).toBeGreaterThanOrEqual(1);

      // /ready answers from checks at most a second old.
      const readiness = async () => {
        const response = await fetch(new URL('/ready', system.gatewayUrl));
        return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
      };
      const { body } = await eventually(readiness, (answer) => answer.status === 503);
      expect(body.checks.vendors).not.toBe('ok');
      expect(body.checks.orders).toBe('ok');
      expect((await fetch(new URL('/health', system.gatewayUrl))).status).toBe(200);
    } finally {
      await system.restart('vendors');
    }
    await eventually(async () => (await fetch(new URL('/ready', system.gatewayUrl))).status, (status) => status === 200);
    const ready = await fetch(new URL('/ready', system.urls.orders));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  it('counts WebSocket connections, running subscriptions and the events delivered to them', async () => {
    const client = wsClient(system.gatewayUrl);
    try {
      const sub = collect(client, `subscription { pipelineTransitions(state: "SHIPPED", elementType: ORDER) { transition { elementId } } }`);
      const open = await eventually(
        () => scrape(system.gatewayMetricsUrl),
        (families) => total(families, 'graphql_subscriptions_active', { service: 'gateway' }) === 1,
      );
      expect(total(open, 'websocket_connections', { service: 'gateway' })).toBe(1);
      const deliveredBefore = total(open, 'graphql_subscription_deliveries_total', { service: 'gateway' });

      await placeOrder(system.gatewayUrl, lines);
      await sub.until((collected) => collected.events.length >= 1);
      const after = await scrape(system.gatewayMetricsUrl);
      expect(total(after, 'graphql_subscription_deliveries_total', { service: 'gateway' })).toBeGreaterThanOrEqual(deliveredBefore + 1);
      sub.stop();
      await eventually(
        () => scrape(system.gatewayMetricsUrl),
        (families) => total(families, 'graphql_subscriptions_active', { service: 'gateway' }) === 0,
      );
    } finally {
      await client.dispose();
    }
    await eventually(
      () => scrape(system.gatewayMetricsUrl),
      (families) => total(families, 'websocket_connections', { service: 'gateway' }) === 0,
    );
  });
});
