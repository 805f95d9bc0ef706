// `npm run bench`: throughput and latency of the federated gateway for the composed
// order query (orders → customers, catalog, inventory → vendors), with every service
// in its own process as under `npm start`, on the embedded database.
// Not a test: it prints figures to record in docs/benchmarks.md.
import { Pool } from 'undici';
import { stagesWithWorkers } from '../pipeline/services.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { startLauncher } from './system.ts';

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const concurrencies = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
const basePort = Number(process.env.BENCH_BASE_PORT ?? 14000);

const composedOrder = `query Bench($id: ID!) {
  order(id: $id) {
    id status total { amount currency }
    customer { name email }
    lines { quantity unitPrice { amount } product { sku title price { amount currency } vendor { name } stock { available } } }
  }
}`;

async function main() {
  // Workers off: the benchmark measures query composition, not the pipeline's background work.
  const system = await startLauncher(basePort, Object.fromEntries(stagesWithWorkers.map((stage) => [`${stage.toUpperCase()}_WORKERS`, '0'])));
  const gateway = new Pool(`http://127.0.0.1:${basePort}`, { connections: 128, pipelining: 1 });
  try {
    const post = async (query: string, variables: Record<string, unknown>) => {
      const res = await gateway.request({ path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      return (await res.body.json()) as { data?: any; errors?: unknown[] };
    };
    const placed = await post(
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
      { input: { customerId: demo.customers.ada, paymentMethodId: 'p00000000000000000000001', lines: [{ sku: 'BOOK-001', quantity: 1 }, { sku: 'MUG-001', quantity: 2 }, { sku: 'LAMP-001', quantity: 1 }] } },
    );
    const orderId = placed.data?.placeOrder?.id;
    if (!orderId) throw new Error(`could not place the benchmark order: ${JSON.stringify(placed)}`);
    const check = await post(composedOrder, { id: orderId });
    if (check.errors) throw new Error(`benchmark query fails: ${JSON.stringify(check.errors)}`);

    process.stdout.write(`gateway: composed order query (5 subgraphs, 3 lines), ${durationMs / 1000} s per run after 2 s warm-up\n`);
    process.stdout.write('| concurrency | requests/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|\n');
    for (const concurrency of concurrencies) {
      await load(post, orderId, concurrency, 2_000);
      const result = await load(post, orderId, concurrency, durationMs);
      process.stdout.write(`| ${concurrency} | ${result.rps.toFixed(0)} | ${result.p50.toFixed(1)} | ${result.p99.toFixed(1)} | ${result.errors} |\n`);
    }
  } finally {
    await gateway.close();
    await system.stop();
  }
}

async function load(post: (q: string, v: Record<string, unknown>) => Promise<{ errors?: unknown[] }>, orderId: string, concurrency: number, ms: number) {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const body = await post(composedOrder, { id: orderId });
          if (body.errors) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors };
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
