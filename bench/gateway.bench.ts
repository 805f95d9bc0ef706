// `npm run bench:gateway`: our gateway raced against Hive Gateway over the same subgraphs.
// Starts the system once (`npm start` on its own ports and a throw-away database), then Hive
// Gateway's CLI on the same supergraph, and checks both give the same answers. Then, for each
// workload and connection count, rounds of BENCH_ROUND_MS each, alternating which gateway goes
// first, and prints requests/s, p50 and p99 per gateway plus our ratio, and each gateway's RSS;
// for the mix, also each of its operations' p50 and p99 on both gateways.
// A last run measures our gateway with authentication off (issue: what authentication costs).
// Before it is measured, each gateway serves BENCH_WARMUP_REQUESTS requests (the two racing,
// reads of the mix; the auth-off one, composed queries): V8 takes thousands of requests to
// compile a process's hot paths (a subgraph's CPU per request fell from 2.9-3.3 ms to 1.1-1.3 ms
// over its first 5,000), so a cold system measures the JIT, not the code.
// Not a test: it prints figures to record in docs/benchmarks.md.
//   BENCH_CONNECTIONS  (default 32,64)   BENCH_ROUNDS (default 3)   BENCH_ROUND_MS (default 12000)
//   BENCH_WORKLOADS    (default composed,mix)   BENCH_AUTH_OFF (default 1: include the auth-off run)
//   BENCH_WARMUP_REQUESTS (default 6000 per gateway, 0 for none)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { InternalTokens } from '../kit/auth/tokens.ts';
import { GatewayAuth } from '../gateway/auth.ts';
import { composeSupergraph, supergraphForExecution } from '../gateway/supergraph.ts';
import { serviceNames } from '../pipeline/services.ts';
import { clientSigning, devSecretsPath, devToken, readDevSecrets } from '../scripts/dev-secrets.ts';
import { projectRoot } from '../scripts/ferretdb.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { closedLoop, warmUpCount } from './closed-loop.ts';
import { startLauncher } from './system.ts';

const connectionCounts = (process.env.BENCH_CONNECTIONS ?? '32,64').split(',').map(Number);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const roundMs = Number(process.env.BENCH_ROUND_MS ?? 12_000);
const workloadNames = (process.env.BENCH_WORKLOADS ?? 'composed,mix').split(',');
const withAuthOff = process.env.BENCH_AUTH_OFF !== '0';
const warmUpRequests = warmUpCount('BENCH_WARMUP_REQUESTS', 6000);
const basePort = Number(process.env.BENCH_BASE_PORT ?? 15000);
const hivePort = basePort + 50;
const authOffPort = basePort + 51;

/** The query gateway benchmarks use: one customer's latest orders across six subgraphs. */
const composedQuery = `query Composed($id: ID!) {
  customer(id: $id) {
    name
    orders(first: 3) {
      edges { node { id status total { amount currency }
        lines { quantity product { title price { amount currency } stock { available } vendor { name } } }
        charge { outcome } } }
    }
  }
}`;

const orderQuery = `query Order($id: ID!) {
  order(id: $id) { id status placedAt total { amount currency } customer { name } lines { quantity unitPrice { amount } product { sku title vendor { name } } } }
}`;
const productQuery = `query Product($sku: String!) { product(sku: $sku) { sku title price { amount currency } stock { available } vendor { name } } }`;
const catalogueQuery = `query Catalogue { products(first: 10) { edges { node { sku title price { amount currency } vendor { name } } } } }`;
const placeOrder = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`;

type Caller = 'ada' | 'grace' | 'anonymous';
interface Request {
  query: string;
  variables: Record<string, unknown>;
  as: Caller;
}

/** A contender: where it listens and how a caller's credentials are presented to it. */
interface Contender {
  name: string;
  pool: Pool;
  authorization: Record<Caller, string>;
  pid: () => number | undefined;
}

async function main() {
  const system = await startLauncher(basePort);
  const secrets = readDevSecrets(devSecretsPath({ FERRETDB_DATA_DIR: system.dataDir }));
  const userTokens = clientSigning(process.env, () => secrets.users);
  const grace = `Bearer ${await devToken(userTokens, { role: 'customer', customerId: demo.customers.grace })}`;
  const ours: Record<Caller, string> = { ada: system.authorization.ada, grace, anonymous: '' };
  // What our gateway signs for each caller, valid for the whole run: Hive Gateway passes it on.
  const signer = new GatewayAuth(userTokens, new InternalTokens(secrets.internal, 3600));
  const internal = {} as Record<Caller, string>;
  for (const caller of Object.keys(ours) as Caller[]) internal[caller] = await signer.internalAuthorization(await signer.identify(ours[caller] || undefined));

  const dataDir = mkdtempSync(join(tmpdir(), 'fulfilment-hive-'));
  const children: ChildProcess[] = [];
  const contenders: Contender[] = [];
  try {
    const endpoints = serviceNames.map((name, i) => ({ name, url: `http://127.0.0.1:${basePort + 1 + i}/graphql` }));
    const supergraphPath = join(dataDir, 'supergraph.graphql');
    writeFileSync(supergraphPath, supergraphForExecution(composeSupergraph(endpoints)));
    const hive = spawn(join(projectRoot, 'node_modules/.bin/hive-gateway'), ['supergraph', supergraphPath, '--port', String(hivePort), '--host', '127.0.0.1', '-c', join(projectRoot, 'bench/hive-gateway.config.ts')], {
      cwd: dataDir,
      env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'error' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(hive);
    await waitForHttp(`http://127.0.0.1:${hivePort}/healthcheck`);

    contenders.push({ name: 'ours', pool: pool(basePort), authorization: ours, pid: () => pidListeningOn(basePort) });
    contenders.push({ name: 'Hive Gateway', pool: pool(hivePort), authorization: internal, pid: () => hive.pid });

    const fixtures = await prepare(contenders[0]!);
    await sameAnswers(contenders, fixtures);
    const workloads: Record<string, () => Request> = {
      composed: () => ({ query: composedQuery, variables: { id: demo.customers.ada }, as: 'ada' }),
      mix: mixOf(fixtures),
    };

    // The mix's reads only: orders placed here would keep the pipeline busy through the rounds.
    const reads = () => {
      for (;;) {
        const request = workloads.mix!();
        if (request.query !== placeOrder) return request;
      }
    };
    for (const contender of contenders) await warmUp(contender, reads, 'reads of the mix');

    // What one subgraph fetch costs, as the gateway would send it (the gateway's share is the rest).
    const entities = await subgraphFetchMs(endpoints.find((e) => e.name === 'catalog')!.url, await system.authorization.service());
    process.stdout.write(`catalog \`_entities\` fetch of 3 products, sequential, straight to the subgraph: p50 ${entities.p50.toFixed(2)} ms, p99 ${entities.p99.toFixed(2)} ms\n\n`);

    process.stdout.write(`gateway race: ${rounds} rounds of ${roundMs / 1000} s per gateway, alternating; RSS read after each round\n`);
    process.stdout.write('| workload | connections | gateway | requests/s | p50 ms | p99 ms | errors | max RSS MiB |\n|---|---|---|---|---|---|---|---|\n');
    const summary: string[] = [];
    const breakdown: string[] = [];
    for (const workload of workloadNames) {
      const next = workloads[workload];
      if (!next) throw new Error(`BENCH_WORKLOADS: no workload "${workload}" (use composed, mix)`);
      for (const connections of connectionCounts) {
        const results = await race(contenders, next, connections);
        for (const [name, result] of results) {
          process.stdout.write(`| ${workload} | ${connections} | ${name} | ${result.rps.toFixed(0)} | ${result.p50.toFixed(1)} | ${result.p99.toFixed(1)} | ${result.errors} | ${result.rssMiB.toFixed(0)} |\n`);
        }
        // Which of a workload's operations a gateway is faster or slower at (the mix has five).
        if (results.get('ours')!.operations.size > 1) {
          for (const [op, mine] of results.get('ours')!.operations) {
            const theirs = results.get('Hive Gateway')!.operations.get(op);
            breakdown.push(`| ${workload} | ${connections} | ${op} | ${mine.count} / ${theirs?.count ?? 0} | ${mine.p50.toFixed(0)} / ${theirs?.p50.toFixed(0) ?? '-'} | ${mine.p99.toFixed(0)} / ${theirs?.p99.toFixed(0) ?? '-'} |`);
          }
        }
        const [a, b] = [results.get('ours')!, results.get('Hive Gateway')!];
        summary.push(`${workload} at ${connections}: ours/Hive throughput ${(a.rps / b.rps).toFixed(2)}×, p99 ${a.p99.toFixed(0)} vs ${b.p99.toFixed(0)} ms, RSS ${a.rssMiB.toFixed(0)} vs ${b.rssMiB.toFixed(0)} MiB`);
      }
    }
    process.stdout.write(`\n${summary.join('\n')}\n`);
    if (breakdown.length) process.stdout.write(`\nper operation, ours / Hive Gateway\n| workload | connections | operation | answered | p50 ms | p99 ms |\n|---|---|---|---|---|---|\n${breakdown.join('\n')}\n`);

    if (withAuthOff) {
      const off = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(projectRoot, 'bench/gateway-auth-off.ts')], {
        env: { ...process.env, ...launcherEnv(system.dataDir, endpoints), GATEWAY_PORT: String(authOffPort), BENCH_IDENTITY: JSON.stringify(await signer.identify(ours.ada)) },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(off);
      await waitForHttp(`http://127.0.0.1:${authOffPort}/health`);
      const offContender: Contender = { name: 'ours, auth off', pool: pool(authOffPort), authorization: { ada: '', grace: '', anonymous: '' }, pid: () => off.pid };
      // Its identity is always Ada's, so it is warmed with her composed query, as warm as ours.
      await warmUp(offContender, workloads.composed!, 'composed queries');
      const connections = connectionCounts[0]!;
      const results = await race([contenders[0]!, offContender], workloads.composed!, connections);
      const [on, offResult] = [results.get('ours')!, results.get('ours, auth off')!];
      process.stdout.write(`\nauthentication on against off, composed query as Ada, ${connections} connections\n| gateway | requests/s | p50 ms | p99 ms |\n|---|---|---|---|\n`);
      for (const [name, result] of results) process.stdout.write(`| ${name} | ${result.rps.toFixed(0)} | ${result.p50.toFixed(1)} | ${result.p99.toFixed(1)} |\n`);
      process.stdout.write(`authentication costs ${((1 - on.rps / offResult.rps) * 100).toFixed(1)}% of throughput\n`);
    }
  } finally {
    for (const contender of contenders) await contender.pool.close();
    for (const child of children) child.kill('SIGTERM');
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The environment the launcher gave our gateway, for a second copy of it (auth off) on another port. */
function launcherEnv(dataDir: string, endpoints: { name: string; url: string }[]): Record<string, string> {
  const secrets = readDevSecrets(devSecretsPath({ FERRETDB_DATA_DIR: dataDir }));
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    GATEWAY_RATE_LIMIT_PER_MINUTE: '100000000',
    INTERNAL_AUTH_SECRET: secrets.internal,
    AUTH_JWT_SECRET: secrets.users,
    ...Object.fromEntries(endpoints.map(({ name, url }) => [`${name.toUpperCase()}_URL`, url])),
  };
}

const pool = (port: number) => new Pool(`http://127.0.0.1:${port}`, { connections: 128, pipelining: 1 });

/** Orders, products and customers the mix draws from, made through our gateway. */
async function prepare(contender: Contender) {
  const orders: Record<'ada' | 'grace', string[]> = { ada: [], grace: [] };
  for (const who of ['ada', 'grace'] as const) {
    for (let i = 0; i < 6; i++) {
      const body = await post(contender, { query: placeOrder, variables: { input: orderInput(who, i) }, as: who });
      const id = (body.data as { placeOrder?: { id: string } } | undefined)?.placeOrder?.id;
      if (!id) throw new Error(`could not place a benchmark order: ${JSON.stringify(body)}`);
      orders[who].push(id);
    }
  }
  return { orders };
}

const paymentMethods = { ada: 'p00000000000000000000001', grace: 'p00000000000000000000003' } as const;
function orderInput(who: 'ada' | 'grace', i: number) {
  const sku = demo.skus[i % demo.skus.length]!;
  return { customerId: demo.customers[who], paymentMethodId: paymentMethods[who], lines: [{ sku, quantity: 1 }, ...(i % 2 ? [{ sku: demo.skus[(i + 1) % demo.skus.length]!, quantity: 2 }] : [])] };
}

/**
 * What a shop's frontend sends: customers looking at their orders list and at one order,
 * shoppers (signed in or not) at products and the catalogue, and now and then an order placed.
 */
function mixOf(fixtures: Awaited<ReturnType<typeof prepare>>): () => Request {
  let n = 0;
  return () => {
    n++;
    const who = n % 2 ? 'ada' : 'grace';
    const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)]!;
    const roll = n % 20;
    if (roll === 0) return { query: placeOrder, variables: { input: orderInput(who, n) }, as: who };
    if (roll < 7) return { query: composedQuery, variables: { id: demo.customers[who] }, as: who };
    if (roll < 12) return { query: orderQuery, variables: { id: pick(fixtures.orders[who]) }, as: who };
    if (roll < 17) return { query: productQuery, variables: { sku: pick(demo.skus) }, as: roll % 2 ? who : 'anonymous' };
    return { query: catalogueQuery, variables: {}, as: 'anonymous' };
  };
}

async function subgraphFetchMs(url: string, authorization: string) {
  const body = JSON.stringify({
    query: 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { title price { amount currency } vendor { id } } } }',
    variables: { representations: ['BOOK-001', 'MUG-001', 'LAMP-001'].map((sku) => ({ __typename: 'Product', sku })) },
  });
  const latencies: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
    const answer = (await response.json()) as { errors?: unknown };
    if (answer.errors) throw new Error(`the catalog refused an _entities fetch: ${JSON.stringify(answer.errors)}`);
    if (i >= 50) latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  return { p50: latencies[Math.floor(latencies.length / 2)]!, p99: latencies[Math.floor(latencies.length * 0.99)]! };
}

/** Every read of the mix gives the same JSON from every contender. */
async function sameAnswers(contenders: Contender[], fixtures: Awaited<ReturnType<typeof prepare>>) {
  const reads: Request[] = [
    { query: composedQuery, variables: { id: demo.customers.ada }, as: 'ada' },
    { query: composedQuery, variables: { id: demo.customers.grace }, as: 'grace' },
    { query: orderQuery, variables: { id: fixtures.orders.ada[0] }, as: 'ada' },
    { query: productQuery, variables: { sku: 'BOOK-001' }, as: 'anonymous' },
    { query: catalogueQuery, variables: {}, as: 'anonymous' },
  ];
  for (const read of reads) {
    // The orders placed while preparing are still moving through the pipeline (stock, status):
    // two answers read a moment apart can differ for that alone, so ask again for a while.
    for (let attempt = 1; ; attempt++) {
      const answers = await Promise.all(contenders.map(async (c) => JSON.stringify(await post(c, read))));
      if (answers[0]!.includes('"errors"')) throw new Error(`${contenders[0]!.name} fails a benchmark query: ${answers[0]}`);
      const different = answers.findIndex((answer) => answer !== answers[0]);
      if (different < 0) break;
      if (attempt === 30) throw new Error(`${contenders[different]!.name} answers differently:\n${answers[different]}\n${contenders[0]!.name}:\n${answers[0]}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

async function post(contender: Contender, request: Request): Promise<{ data?: unknown; errors?: unknown[] }> {
  const authorization = contender.authorization[request.as];
  const res = await contender.pool.request({
    path: '/graphql',
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query: request.query, variables: request.variables }),
  });
  return (await res.body.json()) as { data?: unknown; errors?: unknown[] };
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  rssMiB: number;
  /** Per operation of the workload: how many were answered, p50 and p99 ms. */
  operations: Map<string, { count: number; p50: number; p99: number }>;
}

/** Alternating rounds; each contender's figures are over all its rounds. */
async function race(contenders: Contender[], next: () => Request, connections: number): Promise<Map<string, Result>> {
  const samples = new Map(contenders.map((c) => [c.name, { latencies: [] as number[], seconds: 0, errors: 0, rss: 0, byOperation: new Map<string, number[]>() }]));
  for (const contender of contenders) await load(contender, next, connections, 2_000); // warm-up
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...contenders].reverse() : contenders;
    for (const contender of order) {
      const sample = samples.get(contender.name)!;
      const result = await load(contender, next, connections, roundMs);
      sample.latencies.push(...result.latencies);
      sample.seconds += result.seconds;
      sample.errors += result.errors;
      for (const [name, latencies] of result.byOperation) sample.byOperation.set(name, (sample.byOperation.get(name) ?? []).concat(latencies));
      sample.rss = Math.max(sample.rss, rssMiB(contender.pid()));
    }
  }
  const results = new Map<string, Result>();
  for (const [name, sample] of samples) {
    sample.latencies.sort((a, b) => a - b);
    const operations = new Map([...sample.byOperation].sort().map(([op, latencies]) => {
      latencies.sort((a, b) => a - b);
      return [op, { count: latencies.length, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) }] as const;
    }));
    results.set(name, { rps: sample.latencies.length / sample.seconds, p50: quantile(sample.latencies, 0.5), p99: quantile(sample.latencies, 0.99), errors: sample.errors, rssMiB: sample.rss, operations });
  }
  return results;
}

/** Runs a gateway in before it is measured: `warmUpRequests` requests at 16 connections. */
async function warmUp(contender: Contender, next: () => Request, what: string) {
  if (warmUpRequests === 0) return;
  const warm = await load(contender, next, 16, Number.POSITIVE_INFINITY, warmUpRequests);
  process.stdout.write(`warm-up: ${contender.name} answered ${warm.latencies.length - warm.errors} ${what} in ${warm.seconds.toFixed(0)} s (${warm.errors} errors)\n`);
  // A gateway that answered with errors was not run in: its figures would measure something else.
  if (warm.errors > warm.latencies.length / 100) throw new Error(`${contender.name} answered ${warm.errors} of ${warm.latencies.length} warm-up requests with errors`);
}

/** `connections` callers sending `next()` requests until `ms` have passed or `requests` were sent. */
async function load(contender: Contender, next: () => Request, connections: number, ms: number, requests = Number.POSITIVE_INFINITY) {
  const byOperation = new Map<string, number[]>();
  const result = await closedLoop(
    connections,
    ms,
    async () => {
      const request = next();
      const t0 = performance.now();
      const failed = Boolean((await post(contender, request)).errors);
      const name = operationName(request.query);
      const latencies = byOperation.get(name) ?? byOperation.set(name, []).get(name)!;
      latencies.push(performance.now() - t0);
      return failed;
    },
    requests,
  );
  return { ...result, byOperation };
}

const operationName = (query: string) => /^(?:query|mutation) (\w+)/.exec(query)?.[1] ?? 'anonymous';

/** The value at quantile `q` of ascending `values`. */
const quantile = (values: readonly number[], q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? 0;

function rssMiB(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const kib = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib ? Number(kib) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The process listening on a local port (our gateway, a child of the launcher). */
function pidListeningOn(port: number): number | undefined {
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[3] !== '0A' || Number.parseInt(fields[1]!.split(':')[1]!, 16) !== port) continue;
    return pidOfSocket(fields[9]!);
  }
  return undefined;
}

function pidOfSocket(inode: string): number | undefined {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return Number(pid);
      }
    } catch {
      // not ours to read, or gone
    }
  }
  return undefined;
}

async function waitForHttp(url: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up in ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
