// `npm run bench:lists`: throughput and latency of the federated gateway for composed
// queries, with every service in its own process as under `npm start`, on the embedded
// database, as the orders collection grows: a customer's latest orders as a frontend shows
// them (orders → customers, catalog, inventory → vendors), one order by id, and the support
// staff's list of shipped orders (every seeded order is one), and the staff's view of one busy
// customer's orders (one seeded order in twenty is that customer's).
// Before the first run, the gateway serves BENCH_WARMUP_REQUESTS of both queries, one at a time
// (at once, the gateway would send identical fetches once for many callers, and the subgraphs
// would see few of them): V8 compiles a process's hot paths over its first thousands of
// requests, and a cold first size would make the ratio of the last size's p50 to the first's
// look flatter than it is.
// Not a test: it prints figures to record in docs/benchmarks.md.
//   BENCH_ORDER_COUNTS   orders in the database for each run (default 100,10000,100000)
//   BENCH_CONCURRENCY    connections (default 1,16)   BENCH_DURATION_MS per run (default 10000)
//   BENCH_WARMUP_REQUESTS (default 3000, 0 for none)   BENCH_CUSTOMER_ORDERS (default 20)
//   BENCH_SEED_PER_SECOND  seeded orders placed this many a second back from now (a busy shop's
//                          last hours) instead of over the past year
import { Pool } from 'undici';
import { stagesWithWorkers } from '../pipeline/services.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { BUSY_CUSTOMER, seedOrders } from './seed-orders.ts';
import { closedLoop, warmUpCount } from './closed-loop.ts';
import { startLauncher } from './system.ts';
import { machineSpeed } from './machine-speed.ts';
import { cpuOfTree, cpuPerUnit, cpuSince } from './process-cpu.ts';

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const concurrencies = (process.env.BENCH_CONCURRENCY ?? '1,16').split(',').map(Number);
const orderCounts = (process.env.BENCH_ORDER_COUNTS ?? '100,10000,100000').split(',').map(Number);
const basePort = Number(process.env.BENCH_BASE_PORT ?? 14000);
const warmUpRequests = warmUpCount('BENCH_WARMUP_REQUESTS', 3000);
/**
 * Orders the benchmark customer places through the graph, one after another, the same day (the rest
 * of the database is other customers'): BENCH_CUSTOMER_ORDERS, 20 unless said; a few hundred make
 * that customer's day a busy one (kit/slot-lists.ts, BusySlots).
 */
const customerOrders = Number(process.env.BENCH_CUSTOMER_ORDERS ?? 20);
/** Seeded orders a second, back from now (BENCH_SEED_PER_SECOND); unset: spread over the past year. */
const seedPerSecond = process.env.BENCH_SEED_PER_SECOND ? Number(process.env.BENCH_SEED_PER_SECOND) : undefined;
if (seedPerSecond !== undefined && !(seedPerSecond > 0)) throw new Error(`BENCH_SEED_PER_SECOND must be a number above 0, not ${process.env.BENCH_SEED_PER_SECOND}`);

/** The support staff's list (the others are Ada's): every seeded order is SHIPPED. */
const supportList = 'orders(status: SHIPPED, first: 20), as support';
/** The support staff's view of a customer who placed one seeded order in twenty. */
const busyCustomerList = 'orders(customerId: <busy>, first: 20), as support';
const asSupport = new Set([supportList, busyCustomerList]);
const productFields = 'product { sku title price { amount currency } vendor { name } stock { available } }';
const queries = {
  'customer(id) { orders(first: 3) }': `query Bench($id: ID!) {
  customer(id: $id) {
    name email
    orders(first: 3) {
      edges { cursor node { id status placedAt total { amount currency } lines { quantity unitPrice { amount } ${productFields} } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`,
  'order(id)': `query Bench($id: ID!) {
  order(id: $id) {
    id status total { amount currency }
    customer { name email }
    lines { quantity unitPrice { amount } ${productFields} }
  }
}`,
  [supportList]: `query Bench {
  orders(status: SHIPPED, first: 20) {
    edges { cursor node { id status placedAt total { amount currency } customer { name } } }
    pageInfo { hasNextPage endCursor }
  }
}`,
  [busyCustomerList]: `query Bench($customerId: ID!) {
  orders(customerId: $customerId, first: 20) {
    edges { cursor node { id status placedAt total { amount currency } customer { name } } }
    pageInfo { hasNextPage endCursor }
  }
}`,
};


async function main() {
  process.stdout.write(`${machineSpeed()}\n`);
  // Workers off: the benchmark measures query composition, not the pipeline's background work.
  const system = await startLauncher(basePort, Object.fromEntries(stagesWithWorkers.map((stage) => [`${stage.toUpperCase()}_WORKERS`, '0'])));
  const gateway = new Pool(`http://127.0.0.1:${basePort}`, { connections: 128, pipelining: 1 });
  try {
    if (!system.mongoUri) throw new Error('the launcher did not say where its database is');
    const post = async (query: string, variables: Record<string, unknown>, authorization = system.authorization.ada) => {
      const res = await gateway.request({ path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query, variables }) });
      return (await res.body.json()) as { data?: any; errors?: unknown[] };
    };
    let orderId = '';
    for (let i = 0; i < customerOrders; i++) {
      const placed = await post(`mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
        input: { customerId: demo.customers.ada, paymentMethodId: 'p00000000000000000000001', lines: [{ sku: 'BOOK-001', quantity: 1 }, { sku: 'MUG-001', quantity: 2 }, { sku: 'LAMP-001', quantity: 1 }] },
      });
      orderId = placed.data?.placeOrder?.id;
      if (!orderId) throw new Error(`could not place a benchmark order: ${JSON.stringify(placed)}`);
    }
    const variablesOf = (name: string) =>
      name === supportList ? {} : name === busyCustomerList ? { customerId: BUSY_CUSTOMER } : { id: name === 'order(id)' ? orderId : demo.customers.ada };
    const postFor = (name: string) => (query: string, variables: Record<string, unknown>) =>
      post(query, variables, asSupport.has(name) ? system.authorization.support : system.authorization.ada);
    for (const [name, query] of Object.entries(queries)) {
      const check = await postFor(name)(query, variablesOf(name));
      if (check.errors) throw new Error(`benchmark query ${name} fails: ${JSON.stringify(check.errors)}`);
    }

    for (const [name, query] of Object.entries(queries)) {
      const warm = await load(postFor(name), query, variablesOf(name), 1, Number.POSITIVE_INFINITY, Math.ceil(warmUpRequests / 2));
      if (warm.errors > 0) throw new Error(`benchmark query ${name} failed ${warm.errors} times while warming up`);
    }
    process.stdout.write(`gateway: composed queries (5 subgraphs, 3 lines per order), ${durationMs / 1000} s per run after 2 s warm-up (${warmUpRequests} requests before the first);\n`);
    process.stdout.write(`the customer has ${customerOrders} orders, the rest belong to other customers (about 10 each; the busy one, one in 20)\n`);
    // CPU per request: every process of the system while the run lasted (the gateway, the subgraphs
    // it asks, the database, and whatever the idle ones do meanwhile), divided among the requests.
    // On two cores a request's parts run side by side, so it can exceed the latency at one connection.
    process.stdout.write(
      '| orders in database | query | concurrency | requests/s | p50 ms | p99 ms | errors | CPU per request ms (FerretDB / PostgreSQL / Node.js) |\n|---|---|---|---|---|---|---|---|\n',
    );
    const p50s = new Map<string, number[]>();
    for (const total of orderCounts) {
      const seeded = await seedOrders(system.mongoUri, process.env.ORDERS_DB_NAME ?? 'orders', orderId, total, seedPerSecond);
      if (seeded.added > 0) process.stderr.write(`(seeded ${seeded.added} orders in ${seeded.seconds.toFixed(1)} s)\n`);
      for (const [name, query] of Object.entries(queries)) {
        for (const concurrency of concurrencies) {
          await load(postFor(name), query, variablesOf(name), concurrency, 2_000);
          const cpuFrom = cpuOfTree(system.pid);
          const result = await load(postFor(name), query, variablesOf(name), concurrency, durationMs);
          const cpu = cpuPerUnit(cpuSince(cpuOfTree(system.pid), cpuFrom), result.requests);
          const split = `${cpu.all.toFixed(1)} (${[cpu.ferretdb, cpu.postgres, cpu.node].map((ms) => ms.toFixed(1)).join(' / ')})`;
          process.stdout.write(`| ${total} | \`${name}\` | ${concurrency} | ${result.rps.toFixed(0)} | ${result.p50.toFixed(1)} | ${result.p99.toFixed(1)} | ${result.errors} | ${split} |\n`);
          if (concurrency === concurrencies[0]) p50s.set(name, [...(p50s.get(name) ?? []), result.p50]);
        }
      }
    }
    for (const [name, figures] of p50s) {
      process.stdout.write(`p50 at ${orderCounts.at(-1)} orders / p50 at ${orderCounts[0]}, ${name}, ${concurrencies[0]} connection(s): ${(figures.at(-1)! / figures[0]!).toFixed(2)}×\n`);
    }
  } finally {
    await gateway.close();
    await system.stop();
  }
}

/** `concurrency` callers sending the query until `ms` have passed or `requests` were sent. */
async function load(post: (q: string, v: Record<string, unknown>) => Promise<{ errors?: unknown[] }>, query: string, variables: Record<string, unknown>, concurrency: number, ms: number, requests = Number.POSITIVE_INFINITY) {
  const { latencies, errors, seconds } = await closedLoop(concurrency, ms, async () => Boolean((await post(query, variables)).errors), requests);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: latencies.length, rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99), errors };
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
