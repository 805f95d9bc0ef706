// `npm run bench:resume`: what a subscriber resuming from an old cursor costs tracking, on the
// embedded database. BENCH_RESUME_ORDERS orders (default 2,000) with 10 transitions each are
// recorded (20,000 log entries), then a tracking process starts afresh (as after a restart: it holds
// none of them in memory) and resumes, one after the other:
//   - a follower of one order from the oldest cursor, from the middle of the log, and after the
//     order's own first event, until it has the order's entries: requests and milliseconds;
//   - a follower of every order from the oldest cursor, until it has read the whole log.
// Not a test: it prints figures to record in docs/benchmarks.md.
import { MongoClient } from 'mongodb';
import { createLogger } from '../kit/logger.ts';
import { onMongoCommand } from '../kit/mongo-command-hooks.ts';
import { EventLog } from '../subgraphs/tracking/event-log.ts';
import { TrackingStore, type EventDoc, type TransitionDoc } from '../subgraphs/tracking/store.ts';
import { runBenchmark, withThrowAwayDatabase } from './throw-away-database.ts';

const orders = Number(process.env.BENCH_RESUME_ORDERS ?? 2_000);
const perOrder = 10;
const logger = createLogger('bench', { level: 'silent' });
const options = { pollIntervalMs: 50, capacity: 20_000, takeOverAfterMs: 10_000, logger };

let requests = 0;
onMongoCommand(() => {
  requests++;
  return undefined;
});

const orderId = (n: number) => `o${String(n).padStart(6, '0')}`;
const transitionOf = (n: number, step: number): TransitionDoc => ({
  _id: `ORDER:${orderId(n)}:${step}`,
  elementType: 'ORDER',
  elementId: orderId(n),
  orderId: orderId(n),
  from: step === 0 ? null : `S${step - 1}`,
  to: `S${step}`,
  node: 'orders',
  at: new Date(),
  detail: null,
});

/** Takes `count` events from a follower; the requests and milliseconds it took. */
async function resume(log: EventLog, after: number, count: number, order?: string) {
  const follower = order ? log.follow(after, (event) => event.orderId === order, order) : log.follow(after, () => true);
  const before = requests;
  const started = performance.now();
  const seen: EventDoc[] = [];
  while (seen.length < count) seen.push((await follower.next()).value as EventDoc);
  const ms = performance.now() - started;
  await follower.return!();
  return { ms, requests: requests - before, first: seen[0]!.seq, last: seen.at(-1)!.seq };
}

async function main() {
  await withThrowAwayDatabase('resume-bench', async (database) => {
    const client = await new MongoClient(database.uri).connect();
    try {
      const db = client.db('resume_bench');
      const store = new TrackingStore(db, 'resume_bench_warehouse');
      await store.ensureIndexes();
      const writer = new EventLog(store, options);
      await writer.start();
      // Interleaved as a busy system records them: 20 orders move at once, a step of each a delivery.
      const window = 20;
      for (let first = 0; first < orders; first += window) {
        for (let step = 0; step < perOrder; step++) {
          await writer.record(Array.from({ length: Math.min(window, orders - first) }, (_, i) => transitionOf(first + i, step)));
        }
      }
      await writer.stop();
      const entries = await store.lastEventSeq();

      // A tracking process started afresh: nothing of the log in memory.
      const log = new EventLog(store, options);
      await log.start();
      const middle = orderId(Math.floor(orders / 2));
      // Its first entry, as the recording above lays the log out (one writer, one delivery at a time).
      const firstOfMiddle = Math.floor(orders / 2 / window) * window * perOrder + ((orders / 2) % window) + 1;
      process.stdout.write(`resuming from a cursor: ${entries} log entries (${orders} orders × ${perOrder} transitions), none in the tracking process's memory (${database.handler} handler)\n`);
      process.stdout.write('| follower | from entry | events taken | requests | ms |\n|---|---|---|---|---|\n');
      const rows: [string, number, number, string?][] = [
        ['one order (the middle one)', 0, perOrder, middle],
        ['one order (the middle one)', Math.floor(entries / 2) - window * perOrder, perOrder, middle],
        ['one order (the middle one), after its first event', firstOfMiddle, perOrder - 1, middle],
        ['every order', 0, entries],
      ];
      for (const [name, after, count, order] of rows) {
        const result = await resume(log, after, count, order);
        process.stdout.write(`| ${name} | ${after + 1} | ${count} (entries ${result.first}-${result.last}) | ${result.requests} | ${result.ms.toFixed(0)} |\n`);
      }
      await log.stop();
    } finally {
      await client.close();
    }
  });
}

runBenchmark(main);
