// `npm run bench:waits`: what `stageWaits(minutes: 60)` costs the tracking process on a busy
// hour, on the embedded database: BENCH_WAITS_ORDERS orders (default 10,000), placed evenly over
// the last hour, each with 10 moves a second apart, stored as tracking stores them (with their
// hour). Read twice: whole, as before (every transition of the window in memory, then added up),
// and an hour at a time as `stageWaits` reads it now (subgraphs/tracking/waits.ts).
// Not a test: it prints figures to record in docs/benchmarks.md.
import { MongoClient } from 'mongodb';
import { hourOf, TrackingStore, type TransitionDoc } from '../subgraphs/tracking/store.ts';
import { sharedStageWaits, stageWaits } from '../subgraphs/tracking/waits.ts';
import { machineSpeed } from './machine-speed.ts';
import { runBenchmark, withThrowAwayDatabase } from './throw-away-database.ts';

const orders = Number(process.env.BENCH_WAITS_ORDERS ?? 10_000);
const STATES = ['PLACED', 'CHARGING', 'CHARGED', 'RESERVING', 'RESERVED', 'PICKING', 'PACKED', 'SHIPPING', 'IN_TRANSIT', 'SHIPPED'];
const HOUR_MS = 3_600_000;

async function seed(store: TrackingStore, now: number): Promise<number> {
  let stored = 0;
  for (let first = 0; first < orders; first += 100) {
    const batch: TransitionDoc[] = [];
    for (let order = first; order < Math.min(orders, first + 100); order++) {
      const placedAt = now - HOUR_MS + Math.floor((order * HOUR_MS) / orders) - STATES.length * 1_000;
      const orderId = `bench-${order.toString().padStart(8, '0')}`;
      STATES.forEach((to, i) => {
        const at = new Date(placedAt + i * 1_000 + (order % 7) * 100);
        batch.push({ _id: `ORDER:${orderId}:${i}`, elementType: 'ORDER', elementId: orderId, orderId, from: i ? STATES[i - 1]! : null, to, node: 'bench', at, detail: null, atHour: hourOf(at) });
      });
    }
    await store.transitions.insertMany(batch, { ordered: false });
    stored += batch.length;
  }
  return stored;
}

/** Wall time, this process's CPU, and the most heap it used above where it started, while `read` runs. */
async function measured(read: () => Promise<unknown>): Promise<{ ms: number; cpuMs: number; heapMb: number }> {
  global.gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await read();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  return { ms, cpuMs: (used.user + used.system) / 1000, heapMb: (peak - base) / 2 ** 20 };
}

async function main() {
  process.stdout.write(`${machineSpeed()}\n`);
  await withThrowAwayDatabase('waits-bench', async (database) => {
    const client = await new MongoClient(database.uri).connect();
    try {
      const store = new TrackingStore(client.db('tracking'), 'tracking_warehouse');
      await store.ensureIndexes();
      await store.fillHours();
      const now = Date.now();
      const seeding = performance.now();
      const stored = await seed(store, now);
      process.stdout.write(`stageWaits(minutes: 60): ${orders} orders, ${stored} transitions in the window (stored in ${((performance.now() - seeding) / 1000).toFixed(0)} s), ${database.handler} handler\n`);
      process.stdout.write('| read | wall ms | tracking CPU ms | heap MB at most |\n|---|---|---|---|\n');
      const from = new Date(now - HOUR_MS);
      const until = new Date(now + 24 * HOUR_MS);
      for (let round = 0; round < 2; round++) {
        const whole = await measured(async () => stageWaits(await store.since(from, until)));
        process.stdout.write(`| whole (since, then stageWaits) | ${whole.ms.toFixed(0)} | ${whole.cpuMs.toFixed(0)} | ${whole.heapMb.toFixed(0)} |\n`);
        const byHour = await measured(() => sharedStageWaits(store, 24 * HOUR_MS)(60));
        process.stdout.write(`| an hour at a time (sharedStageWaits) | ${byHour.ms.toFixed(0)} | ${byHour.cpuMs.toFixed(0)} | ${byHour.heapMb.toFixed(0)} |\n`);
      }
    } finally {
      await client.close();
    }
  });
}

runBenchmark(main);
