// `npm run bench:subscriptions`: latency from a transition being recorded by tracking to a
// subscriber at the gateway receiving it, composed with fields from the orders and customers
// subgraphs, for 1, 100 and 1,000 concurrent subscribers (one WebSocket each) on one gateway
// process, with every service in its own process as under `npm start`.
// Not a test: it prints figures to record in docs/benchmarks.md.
import { createClient, type Client } from 'graphql-ws';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { serviceNames, stagesWithWorkers } from '../pipeline/services.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { startLauncher } from './system.ts';

const counts = (process.env.BENCH_SUBSCRIBERS ?? '1,100,1000').split(',').map(Number);
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const ownRate = Number(process.env.BENCH_EVENTS_PER_S ?? 50);
const fanOutRate = Number(process.env.BENCH_FANOUT_EVENTS_PER_S ?? 5);
const basePort = Number(process.env.BENCH_BASE_PORT ?? 14100);
const trackingUrl = `http://127.0.0.1:${basePort + 1 + serviceNames.indexOf('tracking')}`;

const followOrder = `subscription($orderId: ID!, $after: String) {
  orderTransitions(orderId: $orderId, after: $after) { cursor transition { id at } order { status customer { name } } }
}`;
// Workers are off, so no node records anything but the benchmark, which records as receiving.
const followStage = `subscription {
  pipelineTransitions(stage: "receiving") { cursor transition { id at } order { status customer { name } } }
}`;

let sequence = 0;

async function main() {
  // Workers off: nothing but the benchmark's own transitions moves through tracking.
  const system = await startLauncher(basePort, Object.fromEntries(stagesWithWorkers.map((stage) => [`${stage.toUpperCase()}_WORKERS`, '0'])));
  const gateway = new Pool(`http://127.0.0.1:${basePort}`, { connections: 8 });
  const tracking = new Pool(trackingUrl, { connections: 8 });
  // Tracking is called as a service (recordTransitions), the gateway as support, or as Ada to place her orders.
  const post = async (pool: Pool, query: string, variables: Record<string, unknown>, as: 'support' | 'ada' = 'support') => {
    const authorization = pool === tracking ? await system.authorization.service() : system.authorization[as];
    const res = await pool.request({ path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query, variables }) });
    const body = (await res.body.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const recordTimes: number[] = [];
  const record = async (orderId: string) => {
    const t0 = performance.now();
    try {
      return await recordOnly(orderId);
    } finally {
      recordTimes.push(performance.now() - t0);
    }
  };
  const recordOnly = (orderId: string) =>
    post(tracking, `mutation($input: [TransitionInput!]!) { recordTransitions(input: $input) }`, {
      input: [{ id: `bench:${++sequence}`, elementType: 'ORDER', elementId: orderId, orderId, from: null, to: 'PLACED', node: 'receiving', at: new Date().toISOString() }],
    });

  try {
    const orderIds = await placeOrders((input) => post(gateway, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, { input }, 'ada'), Math.max(...counts));
    process.stdout.write(`subscriptions: latency from recordTransitions at tracking to delivery at a gateway subscriber, ${durationMs / 1000} s per run\n`);
    process.stdout.write('| subscribers | subscription | events/s recorded | deliveries | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|\n');
    // Each own-order subscriber resumes from the log's current position, so one whose stream
    // opens late still gets its warm-up event; the shared ones follow live from when they join.
    const now = async () => (await post(gateway, `query($id: ID!) { order(id: $id) { historyCursor } }`, { id: orderIds[0] })).order.historyCursor as string;
    for (const count of counts) {
      const ownFrom = await now();
      const own = await run(count, (i) => ({ query: followOrder, variables: { orderId: orderIds[i]!, after: ownFrom } }), ownRate, (tick) => record(orderIds[tick % count]!), count);
      process.stdout.write(row(count, 'own order each', ownRate, own));
      if (process.env.BENCH_DEBUG) process.stdout.write(`record ms p50 ${[...recordTimes].sort((a, b) => a - b)[recordTimes.length >> 1]?.toFixed(1)} max ${Math.max(...recordTimes).toFixed(1)}\n`);
      recordTimes.length = 0;
      const shared = await run(count, () => ({ query: followStage, variables: {} }), fanOutRate, () => record(orderIds[0]!), 1);
      process.stdout.write(row(count, 'one shared stream', fanOutRate, shared));
    }
  } finally {
    await gateway.close();
    await tracking.close();
    await system.stop();
  }

  /** Connects `count` subscribers, warms them up (`warmUpEvents` reach every one), then records events at `rate` and times every delivery. */
  async function run(
    count: number,
    subscription: (i: number) => { query: string; variables: Record<string, unknown> },
    rate: number,
    emit: (tick: number) => Promise<unknown>,
    warmUpEvents: number,
  ) {
    const latencies: number[] = [];
    let measuring = false;
    let failures = 0;
    const warmed = new Set<number>();
    const clients: Client[] = [];
    for (let i = 0; i < count; i++) {
      const client = createClient({
        url: `ws://127.0.0.1:${basePort}/graphql`,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: false,
        connectionParams: { authorization: system.authorization.support },
      });
      clients.push(client);
      client.subscribe(subscription(i), {
        next: (result) => {
          const at = (result.data as any)?.[Object.keys(result.data ?? {})[0]!]?.transition?.at;
          if (result.errors || !at) return void (failures += 1);
          warmed.add(i);
          if (measuring) latencies.push(Date.now() - Date.parse(at));
        },
        error: (error) => process.stderr.write(`subscriber ${i}: ${JSON.stringify(error)}\n`),
        complete: () => {},
      });
    }
    // Warm-up (unmeasured): until every subscriber has had an event.
    const warmUntil = Date.now() + 120_000;
    while (warmed.size < count) {
      for (let tick = 0; tick < warmUpEvents; tick++) await emit(tick);
      for (let wait = 0; wait < 20 && warmed.size < count; wait++) await new Promise((resolve) => setTimeout(resolve, 100));
      if (Date.now() > warmUntil) throw new Error(`only ${warmed.size} of ${count} subscribers received their warm-up event`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    measuring = true;
    const interval = 1_000 / rate;
    const started = performance.now();
    for (let tick = 0; performance.now() - started < durationMs; tick++) {
      const due = started + tick * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      void emit(tick);
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // the last events' deliveries
    measuring = false;
    await Promise.all(clients.map((client) => client.dispose()));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
    if (failures > 0) throw new Error(`${failures} events arrived with errors`);
    return { deliveries: latencies.length, p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? NaN };
  }
}

const row = (count: number, kind: string, rate: number, r: { deliveries: number; p50: number; p99: number; max: number }) =>
  `| ${count} | ${kind} | ${rate} | ${r.deliveries} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${r.max.toFixed(0)} |\n`;

/** Real orders (left PLACED: workers are off), so each event's order and customer resolve. */
async function placeOrders(place: (input: unknown) => Promise<{ placeOrder: { id: string } }>, count: number): Promise<string[]> {
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (ids.length < count) {
        ids.push('');
        const placed = await place({ customerId: demo.customers.ada, paymentMethodId: 'p00000000000000000000001', lines: [{ sku: 'BOOK-001', quantity: 1 }] });
        ids[ids.indexOf('')] = placed.placeOrder.id;
      }
    }),
  );
  return ids;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
