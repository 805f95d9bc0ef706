import { SpanKind } from '@opentelemetry/api';
import type { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInMemoryTracing } from '../kit/telemetry.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { gql, TestDatabases } from './harness.ts';
import { eventually, startSystem, type RunningSystem } from './system.ts';

const dbs = new TestDatabases();
let system: RunningSystem;
let exporter: InMemorySpanExporter;

beforeAll(async () => {
  // Before anything is built: apps install their tracing plugins only while tracing is on.
  exporter = startInMemoryTracing();
  system = await startSystem(dbs);
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

const spans = () => exporter.getFinishedSpans();
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
/** Whether `ancestor` is `span`'s parent, grandparent, ... within the finished spans. */
function descendsFrom(span: ReadableSpan, ancestor: ReadableSpan, all: ReadableSpan[]): boolean {
  const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
  for (let current: ReadableSpan | undefined = span; current; current = byId.get(parentOf(current) ?? '')) {
    if (parentOf(current) === ancestor.spanContext().spanId) return true;
  }
  return false;
}

async function placeOrder(): Promise<string> {
  const res = await gql(system.gatewayUrl, `mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
    input: { customerId: demo.customers.ada, paymentMethodId: 'p00000000000000000000001', lines: [{ sku: 'BOOK-002', quantity: 1 }] },
  });
  expect(res.errors).toBeUndefined();
  return res.data!.placeOrder.id as string;
}

describe('traces', () => {
  it("make one order's journey one trace across the gateway, the coordinator, stage workers and services, down to MongoDB", async () => {
    const id = await placeOrder();
    await eventually(
      async () => (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { status } }`, { id })).data?.order?.status,
      (status) => status === 'SHIPPED',
    );

    const request = await eventually(
      async () => spans().find((span) => span.instrumentationScope.name === 'gateway' && span.name === 'graphql PlaceOrder'),
      (span) => span !== undefined,
    );
    expect(request!.kind).toBe(SpanKind.SERVER);
    const traceId = request!.spanContext().traceId;
    const trace = () => spans().filter((span) => span.spanContext().traceId === traceId);

    // The gateway's fetch to orders is a child of the request span, and orders continues it.
    const fetch = trace().find((span) => span.name === 'fetch orders');
    expect(fetch?.kind).toBe(SpanKind.CLIENT);
    expect(descendsFrom(fetch!, request!, trace())).toBe(true);
    expect(trace().some((span) => span.name === 'gateway.plan' && descendsFrom(span, request!, trace()))).toBe(true);
    const ordersServer = trace().find((span) => span.instrumentationScope.name === 'orders' && parentOf(span) === fetch!.spanContext().spanId);
    expect(ordersServer?.kind).toBe(SpanKind.SERVER);
    const resolvers = trace().find((span) => span.instrumentationScope.name === 'orders' && span.name === 'resolve PlaceOrder__orders__0');
    expect(resolvers && descendsFrom(resolvers, ordersServer!, trace())).toBe(true);
    expect(trace().some((span) => span.name === 'mongodb insert' && descendsFrom(span, ordersServer!, trace()))).toBe(true);

    // The work it started carries the trace through queues and outboxes to the services it reaches.
    const reached = await eventually(
      async () => [...new Set(trace().filter((span) => span.kind === SpanKind.SERVER).map((span) => span.instrumentationScope.name))],
      (services) => ['gateway', 'orders', 'payments', 'inventory', 'picking', 'shipping', 'tracking'].every((name) => services.includes(name)),
    );
    expect(reached.length).toBeGreaterThanOrEqual(7);
    const workers = new Set(trace().filter((span) => span.kind === SpanKind.CONSUMER).map((span) => span.name));
    // The placement hands the charge to payments itself; the orders worker takes up its result.
    expect(workers).toContain('work charges');
    expect(workers).toContain('work charge-results');
    // Past the aggregation queue: picking's release and shipping's worker are in the order's trace.
    expect(workers).toContain('release picklist');
    expect(workers).toContain('work shipments');
    expect(trace().some((span) => span.kind === SpanKind.PRODUCER && span.name.startsWith('deliver orders'))).toBe(true);

    // From the order id, a person finds the trace: its history records it.
    const history = await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { history { to node traceId } } }`, { id });
    expect(history.errors).toBeUndefined();
    const transitions = history.data!.order.history as { to: string; node: string; traceId: string | null }[];
    expect(transitions.find((t) => t.to === 'PLACED')?.traceId).toBe(traceId);
    expect(transitions.find((t) => t.node === 'payments')?.traceId).toBe(traceId);
    expect(transitions.find((t) => t.to === 'SHIPPED')?.traceId).toBe(traceId);
  });
});
