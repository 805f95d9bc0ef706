// `npm run bench:queue`: how fast workers drain a backlog from one durable queue (kit/queue.ts)
// on the embedded database, and what it costs the database: BENCH_QUEUE_BACKLOG elements
// (default 300) enqueued first, then drained by one and then two workers (each with its own
// connection pool, as two processes would have), 8 elements in flight each, 5 ms of work per
// element. CPU is read from /proc for FerretDB and PostgreSQL (its postmaster and backends).
// Not a test: it prints figures to record in docs/benchmarks.md.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { createLogger } from '../kit/logger.ts';
import { DurableQueue } from '../kit/queue.ts';
import { startWorker } from '../kit/worker.ts';
import { runBenchmark, withThrowAwayDatabase } from './throw-away-database.ts';

const backlog = Number(process.env.BENCH_QUEUE_BACKLOG ?? 300);
const logger = createLogger('bench', { level: 'silent' });

/** A shipment as picking and shipping carry it. */
const payload = {
  shipmentId: '6b0db092a5446dc12320a1cc-LHR1',
  orderId: '6b0db092a5446dc12320a1cc',
  distributionCenter: 'LHR1',
  shippingMethod: 'STANDARD',
  lines: [{ sku: 'BOOK-001', title: 'The Analytical Engine', quantity: 1, weightGrams: 500, bin: 'A-01-01' }],
  address: { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postcode: 'SW1Y 4JH', country: 'GB' },
  addressVersion: 0,
};

/** CPU time (ms) of a process and, with `children`, of the processes it started. */
function cpuMs(pid: number, children = false): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const own = Number(entry) === pid;
      if (own || (children && Number(fields[1]) === pid)) total += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

async function drain(uri: string, database: string, workers: number, ferretdbPid: number, postmasterPid: number | undefined) {
  const clients = await Promise.all(Array.from({ length: workers }, () => new MongoClient(uri).connect()));
  try {
    const queues = clients.map((client) => new DurableQueue<typeof payload>(client.db(database), 'work'));
    await queues[0]!.ensureIndexes();
    for (let i = 0; i < backlog; i++) await queues[0]!.enqueue(`element-${String(i).padStart(6, '0')}`, payload);
    const cpuBefore = { ferretdb: cpuMs(ferretdbPid), postgres: postmasterPid ? cpuMs(postmasterPid, true) : 0 };
    let done = 0;
    const started = performance.now();
    const running = queues.map((queue) =>
      startWorker({
        queue,
        logger,
        concurrency: 8,
        handle: async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          done++;
          return {};
        },
      }),
    );
    while (done < backlog) await new Promise((resolve) => setTimeout(resolve, 20));
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(running.map((worker) => worker.stop()));
    const ferretdb = (cpuMs(ferretdbPid) - cpuBefore.ferretdb) / backlog;
    const postgres = postmasterPid ? (cpuMs(postmasterPid, true) - cpuBefore.postgres) / backlog : Number.NaN;
    return { seconds, perSecond: backlog / seconds, ferretdb, postgres };
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

async function main() {
  await withThrowAwayDatabase('queue-bench', async (database, dataDir) => {
    const postmasterPid = database.postgresUrl ? Number(readFileSync(join(dataDir, 'postgresql', 'postmaster.pid'), 'utf8').split('\n')[0]) : undefined;
    process.stdout.write(`queue: ${backlog} elements waiting, drained by workers with 8 in flight each (${database.handler} handler)\n`);
    process.stdout.write('| workers | drained in s | elements/s | FerretDB CPU ms per element | PostgreSQL CPU ms per element |\n|---|---|---|---|---|\n');
    for (const workers of [1, 2]) {
      const result = await drain(database.uri, `queue_bench_${workers}`, workers, database.process.pid!, postmasterPid);
      process.stdout.write(`| ${workers} | ${result.seconds.toFixed(1)} | ${result.perSecond.toFixed(0)} | ${result.ferretdb.toFixed(1)} | ${result.postgres.toFixed(1)} |\n`);
    }
  });
}

runBenchmark(main);
