// `npm run bench:order-parts`: where the composed order query's time goes. The same order is read
// through the gateway as a frontend's order page asks for it, and again with one part left out at a
// time (the lines' stock, the customer), and with orders' part alone, one request of each in turn,
// so that the machine's hour weighs on every variant alike (on this machine it moves latencies by
// a factor of two between runs, and a part's cost is the difference between variants of one run).
// It also counts the database requests and subgraph operations each variant's round costs, by
// process (bench/process-requests.ts). Workers are off: nothing else writes meanwhile.
// Not a test: it prints figures to record in docs/benchmarks.md.
//   BENCH_ROUNDS  rounds of the variants (default 400)   BENCH_BASE_PORT (default 14200)
import { stagesWithWorkers } from '../pipeline/services.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { machineSpeed } from './machine-speed.ts';
import { metricsEndpoints, operationsByProcess, requestsByProcess } from './process-requests.ts';
import { startLauncher } from './system.ts';

const rounds = Number(process.env.BENCH_ROUNDS ?? 400);
const basePort = Number(process.env.BENCH_BASE_PORT ?? 14200);

const productFields = 'product { sku title price { amount currency } vendor { name } stock { available } }';
const full = `query Bench($id: ID!) { order(id: $id) { id status total { amount currency } customer { name email } lines { quantity unitPrice { amount } ${productFields} } } }`;
const variants: Record<string, string> = {
  'the order page (as bench:lists asks)': full,
  "without the lines' stock (inventory)": full.replace(' stock { available }', ''),
  'without the customer (customers)': full.replace(' customer { name email }', ''),
  "orders' part alone": `query Bench($id: ID!) { order(id: $id) { id status total { amount currency } lines { quantity unitPrice { amount } product { sku } } } }`,
};

async function main() {
  process.stdout.write(`${machineSpeed()}\n`);
  const system = await startLauncher(basePort, Object.fromEntries(stagesWithWorkers.map((stage) => [`${stage.toUpperCase()}_WORKERS`, '0'])));
  try {
    const post = async (query: string, variables: Record<string, unknown>) => {
      const response = await fetch(system.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: system.authorization.ada }, body: JSON.stringify({ query, variables }) });
      const body = (await response.json()) as { data?: any; errors?: unknown[] };
      if (body.errors) throw new Error(`the benchmark's query failed: ${JSON.stringify(body.errors)}`);
      return body.data;
    };
    const placed = await post(`mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
      input: { customerId: demo.customers.ada, paymentMethodId: 'p00000000000000000000001', lines: [{ sku: 'BOOK-001', quantity: 1 }, { sku: 'MUG-001', quantity: 2 }, { sku: 'LAMP-001', quantity: 1 }] },
    });
    const variables = { id: placed.placeOrder.id as string };
    for (let i = 0; i < 200; i++) for (const query of Object.values(variants)) await post(query, variables); // warm-up
    const endpoints = metricsEndpoints(basePort, system.output());
    const [requestsBefore, operationsBefore] = await Promise.all([requestsByProcess(endpoints), operationsByProcess(endpoints)]);
    const times = new Map(Object.keys(variants).map((name) => [name, [] as number[]]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, query] of Object.entries(variants)) {
        const started = performance.now();
        await post(query, variables);
        times.get(name)!.push(performance.now() - started);
      }
    }
    const [requestsAfter, operationsAfter] = await Promise.all([requestsByProcess(endpoints), operationsByProcess(endpoints)]);
    process.stdout.write(`the composed order query and its parts, ${rounds} rounds of one request of each in turn, one connection\n`);
    process.stdout.write('| query | p50 ms | p90 ms | p50 less than the order page ms |\n|---|---|---|---|\n');
    const p50Of = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
    const p90Of = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length * 0.9)]!;
    const pageP50 = p50Of(times.get(Object.keys(variants)[0]!)!);
    for (const [name, list] of times) {
      process.stdout.write(`| ${name} | ${p50Of(list).toFixed(1)} | ${p90Of(list).toFixed(1)} | ${(pageP50 - p50Of(list)).toFixed(1)} |\n`);
    }
    const perRound = (before: Map<string, number>, after: Map<string, number>) =>
      [...after]
        .map(([key, count]) => [key, (count - (before.get(key) ?? 0)) / rounds] as const)
        .filter(([, count]) => count >= 0.05)
        .map(([key, count]) => `${key} ${count.toFixed(2)}`)
        .join(', ');
    process.stdout.write(`database requests per round of the ${Object.keys(variants).length} (the background's included): ${perRound(requestsBefore, requestsAfter)}\n`);
    process.stdout.write(`GraphQL operations per round: ${perRound(operationsBefore, operationsAfter)}\n`);
  } finally {
    await system.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
