// `npm run bench:pipeline`: orders per second from placement to SHIPPED, with one and
// with two workers on a latency-bound charging stage (every other stage as under
// npm start, one worker each), next to the raw write rate of the same database.
// Not a test: it prints figures to record in docs/benchmarks.md.
import { MongoClient } from 'mongodb';
import { demo } from '../subgraphs/demo-data.ts';
import { startLauncher } from './system.ts';

const orders = Number(process.env.BENCH_ORDERS ?? 60);
const latencyMs = Number(process.env.BENCH_CHARGE_LATENCY_MS ?? 1500);
const chargeConcurrency = Number(process.env.BENCH_CHARGE_CONCURRENCY ?? 2);

async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function run(paymentsWorkers: number, chargeLatencyMs: number) {
  const system = await startLauncher(17000 + paymentsWorkers * 20 + (chargeLatencyMs === 0 ? 40 : 0), {
    PAYMENTS_WORKERS: String(paymentsWorkers),
    PAYMENTS_LATENCY_MS: String(chargeLatencyMs),
    PAYMENTS_CONCURRENCY: String(chargeConcurrency),
    PAYMENTS_FAILURE_RATE: '0',
    PICKING_BATCH_SIZE: '10',
    PICKING_MAX_WAIT_MS: '250',
    REBIN_WORK_MS: '0',
    SHIPPING_WORK_MS: '0',
  });
  try {
    const started = performance.now();
    const ids = await Promise.all(
      Array.from({ length: orders }, async (_, i) => {
        const { placeOrder } = await gql<{ placeOrder: { id: string } }>(system.gatewayUrl, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
          input: { customerId: demo.customers.ada, paymentMethodId: 'p00000000000000000000001', lines: [{ sku: i % 2 ? 'MUG-001' : 'BOOK-002', quantity: 1 }] },
        });
        return placeOrder.id;
      }),
    );
    const placedMs = performance.now() - started;
    const remaining = new Set(ids);
    while (remaining.size > 0) {
      const { orders: shipped } = await gql<{ orders: { id: string }[] }>(system.gatewayUrl, `{ orders(status: SHIPPED, first: 100) { id } }`);
      for (const { id } of shipped) remaining.delete(id);
      if (performance.now() - started > 300_000) throw new Error(`${remaining.size} orders not shipped after 300 s`);
      if (remaining.size > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    return { placedMs, seconds, perSecond: orders / seconds, mongoUri: system.mongoUri };
  } finally {
    await system.stop();
  }
}

async function rawWriteRate(): Promise<number> {
  const system = await startLauncher(17100, { PAYMENTS_WORKERS: '0', ORDERS_WORKERS: '0', PICKING_WORKERS: '0', REBIN_WORKERS: '0', SHIPPING_WORKERS: '0', RECEIVING_WORKERS: '0' });
  const client = await new MongoClient(system.mongoUri!).connect();
  try {
    const collection = client.db('bench_raw').collection('writes');
    let written = 0;
    const deadline = performance.now() + 5_000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (performance.now() < deadline) {
          await collection.insertOne({ at: new Date(), n: written });
          written++;
        }
      }),
    );
    return written / ((performance.now() - started) / 1000);
  } finally {
    await client.close();
    await system.stop();
  }
}

async function main() {
  process.stdout.write(`pipeline: ${orders} orders placed at once, charging latency ${latencyMs} ms, ${chargeConcurrency} charges in flight per payments worker\n`);
  process.stdout.write('| payments workers | charge latency ms | charging capacity orders/s | orders/s placed→SHIPPED | all shipped after s |\n|---|---|---|---|---|\n');
  for (const [workers, latency] of [[1, latencyMs], [2, latencyMs], [1, 0]] as const) {
    const result = await run(workers, latency);
    const capacity = latency === 0 ? 'unbounded' : ((workers * chargeConcurrency * 1000) / latency).toFixed(1);
    process.stdout.write(`| ${workers} | ${latency} | ${capacity} | ${result.perSecond.toFixed(1)} | ${result.seconds.toFixed(1)} |\n`);
  }
  const raw = await rawWriteRate();
  process.stdout.write(`\nraw database write rate (insertOne, 8 in flight, same FerretDB): ${raw.toFixed(0)} writes/s\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
