// `npm run bench:pipeline`: orders per second from placement to SHIPPED, next to the raw
// write rate of the same database in the same run, and what an order costs: CPU time by process,
// database requests by command and (on the embedded PostgreSQL) by collection. Three runs, each
// its own `npm start`:
//   1. default settings (what `npm start` runs), BENCH_ORDERS orders placed BENCH_PLACERS at a time;
//   2. and 3. (unless BENCH_BOUND_ORDERS=0) a latency-bound charging stage (each charge takes BENCH_CHARGE_LATENCY_MS, with
//      BENCH_CHARGE_CONCURRENCY in flight per worker) with one and then two payments workers:
//      the manifesto's "scale a bottleneck by adding nodes".
// In run 1, BENCH_WARMUP_ORDERS orders are placed and shipped first, and left to settle, not
// measured: V8 compiles a process's hot paths over its first thousands of requests, and a running
// system is past that (its database then holds those orders too, as a running system's would).
// Not a test: it prints figures to record in docs/benchmarks.md.
import { MongoClient } from 'mongodb';
import { ErrorCode } from '../kit/errors.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { warmUpCount } from './closed-loop.ts';
import { startLauncher } from './system.ts';
import { machineSpeed } from './machine-speed.ts';
import { cpuOfTree, cpuPerUnit, cpuSince } from './process-cpu.ts';
import { activitySince, settleMs, tableActivity } from './table-activity.ts';
import { metricsEndpoints, operationsByProcess, requestsByProcess, requestsSince } from './process-requests.ts';

const orders = Number(process.env.BENCH_ORDERS ?? 300);
const boundOrders = Number(process.env.BENCH_BOUND_ORDERS ?? 80);
const latencyMs = Number(process.env.BENCH_CHARGE_LATENCY_MS ?? 1500);
const chargeConcurrency = Number(process.env.BENCH_CHARGE_CONCURRENCY ?? 2);
const placers = Number(process.env.BENCH_PLACERS ?? 32);
const pollMs = Number(process.env.BENCH_POLL_MS ?? 1000);
const warmUpOrders = warmUpCount('BENCH_WARMUP_ORDERS', 150);
const extraEnv = Object.fromEntries(
  (process.env.BENCH_ENV ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=') as [string, string]),
);

/** As the demo customer Ada, whose token the launcher prints: she places the orders and reads them. */
let authorization = '';

/** Receiving restocks as the warehouse. */
let warehouseAuthorization = '';

async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}, as: 'ada' | 'warehouse' = 'ada'): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: as === 'ada' ? authorization : warehouseAuthorization },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { extensions?: { code?: string } }[] };
  if (!body.data) throw new GraphQLErrors(body.errors ?? []);
  return body.data;
}

/** What the graph answered instead of data, with its error codes. */
class GraphQLErrors extends Error {
  readonly codes: string[];
  constructor(errors: { extensions?: { code?: string } }[]) {
    super(JSON.stringify(errors));
    this.codes = errors.map((error) => error.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
  }
}

/** Codes that a later attempt can get past (an outage, a limit, a timeout); a refusal of the input cannot. */
const transientCodes = new Set<string>([ErrorCode.DEPENDENCY_UNAVAILABLE, ErrorCode.RATE_LIMITED, ErrorCode.REQUEST_TIMEOUT, ErrorCode.INTERNAL_SERVER_ERROR]);
/** A network failure, or an answer that was not JSON or had no errors, is worth another attempt too. */
const worthRetrying = (error: unknown) => !(error instanceof GraphQLErrors) || error.codes.length === 0 || error.codes.some((code) => transientCodes.has(code));

const skus = ['BOOK-001', 'BOOK-002', 'MUG-001'] as const;

/** Enough stock for `count` orders spread over `skus`, received the way a distribution centre would. */
async function restock(gatewayUrl: string, count: number) {
  const receiptIds = await Promise.all(
    skus.map(async (sku) => {
      const input = { receiptId: `bench-${sku}-${Date.now()}`, sku, distributionCenter: 'LHR1', bin: `BENCH-${sku}`, quantity: count };
      await gql(gatewayUrl, `mutation($input: ReceiveItemsInput!) { receiveItems(input: $input) { id } }`, { input }, 'warehouse');
      return input.receiptId;
    }),
  );
  for (;;) {
    const data = await gql<Record<string, { status: string } | null>>(gatewayUrl, `{ ${receiptIds.map((id, i) => `r${i}: receipt(id: "${id}") { status }`).join(' ')} }`, {}, 'warehouse');
    if (receiptIds.every((_, i) => data[`r${i}`]?.status === 'DONE')) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Places `count` single-item orders at once and waits until every one is SHIPPED. */
async function placeAndShip(gatewayUrl: string, count: number) {
  await restock(gatewayUrl, count);
  const startedAt = Date.now();
  // Customers place orders from their own browsers: many at a time, not all in one instant.
  const ids: string[] = [];
  const placements: number[] = [];
  let failedAttempts = 0;
  let next = 0;
  const run = Date.now().toString(36);
  await Promise.all(
    Array.from({ length: Math.min(placers, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        // As a careful client does: a key per order, and the same key again when an attempt fails
        // (a placement that timed out may have been placed; the key makes the retry answer with it).
        const input = {
          customerId: demo.customers.ada,
          paymentMethodId: 'p00000000000000000000001',
          lines: [{ sku: skus[i % skus.length], quantity: 1 }],
          idempotencyKey: `bench-${run}-${i}`,
        };
        // Timed from the first attempt: what the client waited for, retries included.
        const sentAt = performance.now();
        for (let attempt = 1; ; attempt++) {
          try {
            const { placeOrder } = await gql<{ placeOrder: { id: string } }>(gatewayUrl, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, { input });
            placements.push(performance.now() - sentAt);
            ids.push(placeOrder.id);
            break;
          } catch (error) {
            failedAttempts++;
            if (attempt === 5 || !worthRetrying(error)) throw error;
            await new Promise((resolve) => setTimeout(resolve, 1_000));
          }
        }
      }
    }),
  );
  const placedSeconds = (Date.now() - startedAt) / 1000;
  placements.sort((a, b) => a - b);
  const at = (q: number) => (placements[Math.min(placements.length - 1, Math.ceil(q * placements.length) - 1)] ?? Number.NaN).toFixed(0);
  const placement = `placeOrder while placing (from a first attempt to its success): p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms; failed attempts (retried with the same key) ${failedAttempts}`;
  // Waits until every order is SHIPPED, reading the 5 oldest not yet seen SHIPPED every second
  // (BENCH_POLL_MS), and the next 5 at once when those all are: orders ship roughly in the order
  // they were placed. When each shipped does not matter here (it is read from the histories
  // afterwards), only when the last one has. The poller's reads are load the pipeline it measures
  // must serve: reading every remaining order each time was about 9 database requests per order,
  // the 25 oldest each second about 13 at 2 orders/s.
  let remaining = ids;
  while (remaining.length > 0) {
    const chunk = remaining.slice(0, 5);
    const data = await gql<Record<string, { status: string } | null>>(gatewayUrl, `{ ${chunk.map((id, j) => `o${j}: order(id: "${id}") { status }`).join(' ')} }`);
    const statuses = chunk.map((_, j) => data[`o${j}`]?.status ?? 'MISSING');
    const failed = chunk.filter((_, i) => /DECLINED|OUT_OF_STOCK|CANCELLED/.test(statuses[i]!));
    if (failed.length) throw new Error(`${failed.length} orders did not ship (e.g. ${failed[0]})`);
    const shipped = new Set(chunk.filter((_, i) => statuses[i] === 'SHIPPED'));
    remaining = remaining.filter((id) => !shipped.has(id));
    if (Date.now() - startedAt > 600_000) throw new Error(`${remaining.length} orders not shipped after 600 s`);
    if (shipped.size < chunk.length) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return { ids, startedAt, placedSeconds, placement };
}

/** When each order became SHIPPED, from its history (read after the run, so not part of its load). */
async function shippedTimes(gatewayUrl: string, { ids, startedAt, placedSeconds }: Awaited<ReturnType<typeof placeAndShip>>) {
  const shippedAt: number[] = [];
  // An order reads SHIPPED as soon as orders moves it; the move reaches tracking (and so the
  // history) a delivery later. Its time is when it moved, so waiting for it changes no figure.
  const waitUntil = Date.now() + 60_000;
  for (let i = 0; i < ids.length; ) {
    const chunk = ids.slice(i, i + 25);
    type History = { history: { elementType: string; to: string; at: string }[] } | null;
    const data = await gql<Record<string, History>>(gatewayUrl, `{ ${chunk.map((id, j) => `o${j}: order(id: "${id}") { history { elementType to at } }`).join(' ')} }`);
    const shipped = chunk.map((_, j) => data[`o${j}`]?.history.find((transition) => transition.elementType === 'ORDER' && transition.to === 'SHIPPED'));
    const missing = chunk.filter((_, j) => !shipped[j]);
    if (missing.length > 0) {
      if (Date.now() > waitUntil) throw new Error(`order ${missing[0]} has no SHIPPED in its history 60 s after it read SHIPPED`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    shippedAt.push(...shipped.map((transition) => Date.parse(transition!.at)));
    i += chunk.length;
  }
  shippedAt.sort((a, b) => a - b);
  const seconds = (shippedAt.at(-1)! - startedAt) / 1000;
  // The steady rate leaves out the time the first order takes to cross the pipeline: orders
  // shipped after the first one, over the time from the first to the last.
  const steady = shippedAt.length > 1 ? (shippedAt.length - 1) / ((shippedAt.at(-1)! - shippedAt[0]!) / 1000) : Number.NaN;
  return { placedSeconds, seconds, perSecond: ids.length / seconds, steady };
}

/** insertOne with 8 in flight for 5 s, on the database the run used. */
async function rawWriteRate(mongoUri: string): Promise<number> {
  const client = await new MongoClient(mongoUri).connect();
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
  }
}

/** FerretDB's own count of requests by command (served on FERRETDB_DEBUG_ADDR). */
async function databaseRequests(debugAddr: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://${debugAddr}/debug/metrics`)).text();
  const counts = new Map<string, number>();
  for (const [, command, value] of text.matchAll(/^ferretdb_client_requests_total\{command="(\w+)",opcode="OP_MSG"\} (\d+)$/gm)) counts.set(command!, Number(value));
  return counts;
}

const difference = (after: Map<string, number>, before: Map<string, number>) =>
  new Map([...after].map(([command, n]) => [command, n - (before.get(command) ?? 0)] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]));

const row = (cells: (string | number)[]) => process.stdout.write(`| ${cells.join(' | ')} |\n`);

async function main() {
  const settings = Object.keys(extraEnv).length ? ` with ${process.env.BENCH_ENV}` : '';
  process.stdout.write(`pipeline, default settings${settings}: ${orders} single-item orders placed through the gateway, ${placers} at a time\n`);
  process.stdout.write(`${machineSpeed()}\n`);
  const debugAddr = '127.0.0.1:17099';
  const system = await startLauncher(17000, { PAYMENTS_FAILURE_RATE: '0', FERRETDB_DEBUG_ADDR: debugAddr, ...extraEnv });
  authorization = system.authorization.ada;
  warehouseAuthorization = system.authorization.warehouse;
  try {
    // What the system asks of its database while nobody uses it (workers polling, relays), after
    // its start-up work is over: the first seconds after the launcher is up read 16-33 requests
    // and 40-64% of a core from one run to the next.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const idleFrom = await databaseRequests(debugAddr);
    const idleCpuFrom = cpuOfTree(system.pid);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const idle = difference(await databaseRequests(debugAddr), idleFrom);
    const idleCpu = cpuSince(cpuOfTree(system.pid), idleCpuFrom).reduce((sum, [, seconds]) => sum + seconds, 0) / 5;
    if (warmUpOrders > 0) {
      const warm = await shippedTimes(system.gatewayUrl, await placeAndShip(system.gatewayUrl, warmUpOrders));
      process.stdout.write(`(warm-up, not measured: ${warmUpOrders} orders shipped after ${warm.seconds.toFixed(1)} s, ${warm.perSecond.toFixed(1)} orders/s)\n`);
      // What follows SHIPPED (tracking, reports, archiving) belongs to the warm-up, not the run.
      await new Promise((resolve) => setTimeout(resolve, settleMs));
    }
    const before = await databaseRequests(debugAddr);
    const endpoints = metricsEndpoints(17000, system.output());
    const byProcessBefore = await requestsByProcess(endpoints);
    const operationsBefore = await operationsByProcess(endpoints);
    const onPostgres = (extraEnv.EMBEDDED_DB ?? process.env.EMBEDDED_DB ?? 'postgresql') === 'postgresql' && !process.env.MONGODB_URI;
    const tablesBefore = onPostgres ? await tableActivity(system.dataDir) : undefined;
    const cpuBefore = cpuOfTree(system.pid);
    const run = await placeAndShip(system.gatewayUrl, orders);
    const cpu = cpuSince(cpuOfTree(system.pid), cpuBefore);
    const used = difference(await databaseRequests(debugAddr), before);
    const byProcess = requestsSince(await requestsByProcess(endpoints), byProcessBefore);
    const operations = requestsSince(await operationsByProcess(endpoints), operationsBefore);
    if (tablesBefore) await new Promise((resolve) => setTimeout(resolve, settleMs));
    const tables = tablesBefore && activitySince(await tableActivity(system.dataDir), tablesBefore);
    const result = await shippedTimes(system.gatewayUrl, run);
    const raw = await rawWriteRate(system.mongoUri!);
    process.stdout.write('| orders | placed in s | all shipped after s | orders/s placed→SHIPPED | steady orders/s | raw writes/s, same database |\n|---|---|---|---|---|---|\n');
    row([orders, result.placedSeconds.toFixed(1), result.seconds.toFixed(1), result.perSecond.toFixed(1), result.steady.toFixed(1), raw.toFixed(0)]);
    const total = [...used.values()].reduce((a, b) => a + b, 0);
    const idleTotal = [...idle.values()].reduce((a, b) => a + b, 0);
    process.stdout.write(
      `\n${run.placement}\n` +
        `database requests per order, restocking and polling included: ${(total / orders).toFixed(0)} (${[...used].map(([c, n]) => `${c} ${(n / orders).toFixed(1)}`).join(', ')})\n` +
        `database requests per second while idle: ${(idleTotal / 5).toFixed(0)} (${[...idle].map(([c, n]) => `${c} ${(n / 5).toFixed(1)}`).join(', ')}); CPU while idle: ${(idleCpu * 100).toFixed(0)}% of a core\n`,
    );
    // CPU per order: every process of the system, from restocking for the run (three receipts)
    // until the last order was seen SHIPPED.
    const perOrder = cpuPerUnit(cpu, orders);
    const ms = (value: number) => value.toFixed(0);
    process.stdout.write(
      `CPU per order: ${ms(perOrder.all)} ms (FerretDB ${ms(perOrder.ferretdb)}, PostgreSQL ${ms(perOrder.postgres)}, Node.js ${ms(perOrder.node)}: ` +
        `${perOrder.byProcess.map(([name, value]) => `${name} ${ms(value)}`).join(', ')})\n`,
    );
    process.stdout.write('\nper order, by the process that sent them (its /metrics)\n| process | command | requests |\n|---|---|---|\n');
    for (const [key, n] of byProcess) row([...key.split(' '), (n / orders).toFixed(1)]);
    const operationTotal = operations.reduce((sum, [, n]) => sum + n, 0);
    process.stdout.write(`\nGraphQL operations per order, by the process that answered them: ${(operationTotal / orders).toFixed(1)}\n| process | operation | per order |\n|---|---|---|\n`);
    for (const [key, n] of operations) row([...key.split(' '), (n / orders).toFixed(2)]);
    if (tables) {
      process.stdout.write('\nper order, by collection (PostgreSQL table statistics, the run and the 11 s after it; a read is a scan of the table, also the read half of an update or delete; rows read: every row a sequential scan passes, or each fetched through an index; many per read on a large collection is a scan that an index should serve)\n| collection | reads | rows read | inserts | updates | deletes |\n|---|---|---|---|---|---|\n');
      for (const [name, a] of tables) row([name, (a.reads / orders).toFixed(1), (a.rowsRead / orders).toFixed(1), (a.inserted / orders).toFixed(1), (a.updated / orders).toFixed(1), (a.deleted / orders).toFixed(1)]);
    }
  } finally {
    await system.stop();
  }

  // BENCH_BOUND_ORDERS=0 skips the latency-bound runs (a quicker run, for tracing's overhead say).
  if (boundOrders > 0) await latencyBound();
}

async function latencyBound() {
  process.stdout.write(
    `\nlatency-bound charging: ${boundOrders} orders, each charge ${latencyMs} ms, ${chargeConcurrency} in flight per payments worker\n` +
      '| payments workers | charging capacity orders/s | orders/s placed→SHIPPED | steady orders/s | all shipped after s |\n|---|---|---|---|---|\n',
  );
  const perWorkers: number[] = [];
  for (const workers of [1, 2]) {
    const bound = await startLauncher(17100 + workers * 20, {
      PAYMENTS_WORKERS: String(workers),
      PAYMENTS_LATENCY_MS: String(latencyMs),
      PAYMENTS_CONCURRENCY: String(chargeConcurrency),
      PAYMENTS_FAILURE_RATE: '0',
      ...extraEnv,
    });
    authorization = bound.authorization.ada;
    warehouseAuthorization = bound.authorization.warehouse;
    try {
      const result = await shippedTimes(bound.gatewayUrl, await placeAndShip(bound.gatewayUrl, boundOrders));
      perWorkers.push(result.steady);
      row([workers, ((workers * chargeConcurrency * 1000) / latencyMs).toFixed(1), result.perSecond.toFixed(2), result.steady.toFixed(2), result.seconds.toFixed(1)]);
    } finally {
      await bound.stop();
    }
  }
  process.stdout.write(`\ntwo payments workers / one (steady orders/s): ${(perWorkers[1]! / perWorkers[0]!).toFixed(2)}×\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
