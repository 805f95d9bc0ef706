// `npm run chaos [-- N]`: the whole system under a storm of faults. Starts its own database (so
// it can stop it) and the launcher on it, places N orders (default 500: single-item, multi-item,
// declined-card and soft-decline) through the gateway as the demo customer, and meanwhile
// SIGKILLs a random worker or subgraph every few seconds and stops the database once for 10 s.
// Then it waits for every order to settle and audits them. Its last line:
//   chaos: placed N, shipped N, exceptions N, lost N, double-charged N, history-gaps N, drained in S s
// lost: neither shipped nor parked in exceptions with a reason; double-charged: more than one
// approved charge; history-gaps: the tracking history misses a transition the order went through;
// drained: from the last order placed until every order had settled.
// Not a test: figures for docs/benchmarks.md. Settings: CHAOS_ORDERS (or the first argument),
// CHAOS_KILL_EVERY_MS (4000), CHAOS_OUTAGE_MS (10000), CHAOS_PLACERS (4), CHAOS_BASE_PORT (4400:
// the gateway, the subgraphs on the ports after it), CHAOS_DRAIN_MS (1800000, a safety net: 500
// orders take minutes to drain at the pipeline's rate), CHAOS_SEED.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceNames, stagesWithWorkers } from '../pipeline/services.ts';
import { doubleCharged, readOrder, undeliveredMessages, placeOrderOfMix, restock, startRestartableDatabase, waitForSettlement, type GraphQLCaller, type OrderKind } from './faults.ts';
import { startLauncher } from './system.ts';

const env = process.env;
const count = Number(process.argv[2] ?? env.CHAOS_ORDERS ?? 500);
const killEveryMs = Number(env.CHAOS_KILL_EVERY_MS ?? 4_000);
const outageMs = Number(env.CHAOS_OUTAGE_MS ?? 10_000);
const placers = Number(env.CHAOS_PLACERS ?? 4);
const basePort = Number(env.CHAOS_BASE_PORT ?? 4400);
const drainWithinMs = Number(env.CHAOS_DRAIN_MS ?? 1_800_000);

// A seeded choice of victims, so that a run that finds something can be repeated.
let seed = Number(env.CHAOS_SEED ?? Date.now() % 1_000_000);
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

const say = (message: string) => process.stdout.write(`${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => (ms / 1000).toFixed(1);

async function main() {
  if (!Number.isInteger(count) || count < 1) throw new Error(`CHAOS_ORDERS=${count}: a whole number of orders, 1 or more`);
  const started = Date.now();
  const at = () => `${seconds(Date.now() - started).padStart(6)}s`;
  say(`chaos: ${count} orders, a process killed every ${seconds(killEveryMs)} s, the database stopped once for ${seconds(outageMs)} s (seed ${seed})`);
  const dataDir = mkdtempSync(join(tmpdir(), 'fulfilment-chaos-'));
  const database = await startRestartableDatabase(join(dataDir, 'db'));
  let launcher: Awaited<ReturnType<typeof startLauncher>> | undefined;
  try {
    // The launcher's supervision lines, as they happen; the services log only errors.
    launcher = await startLauncher(basePort, { MONGODB_URI: database.uri, LOG_LEVEL: 'error' }, {
      onLine: (line) => {
        if (/exited unexpectedly|running again|giving up/.test(line)) say(`${at()} ${line}`);
      },
    });
    const caller: GraphQLCaller = { gatewayUrl: launcher.gatewayUrl, ada: launcher.authorization.ada, support: launcher.authorization.support, warehouse: launcher.authorization.warehouse };
    const run = `chaos-${Date.now()}`;
    await restock(caller, count * 2, run);
    say(`${at()} system up on ${launcher.gatewayUrl}, stock received; placing orders`);

    const victims = [...serviceNames, ...stagesWithWorkers.map((stage) => `${stage}-worker-1`)];
    const placed: { id: string; kind: OrderKind }[] = [];
    let placing = true;
    let kills = 0;
    let outage: Promise<void> | undefined;
    const chaos = (async () => {
      while (placing || !outage) {
        await sleep(killEveryMs * (0.5 + random()));
        // The database goes down once, a third of the way through.
        if (!outage && placed.length >= count / 3) {
          say(`${at()} stopping the database for ${seconds(outageMs)} s`);
          outage = database.outage(outageMs).then(() => void say(`${at()} the database is back on port ${database.port}`));
        }
        const name = victims[Math.floor(random() * victims.length)]!;
        const pid = launcher!.pidOf(name);
        if (!pid || launcher!.output().includes(`giving up on ${name}:`)) continue;
        try {
          process.kill(pid, 'SIGKILL');
          kills++;
          say(`${at()} killed ${name} (pid ${pid})`);
        } catch {
          // it is being restarted already
        }
      }
      await outage;
    })();

    let next = 0;
    await Promise.all(
      Array.from({ length: placers }, async () => {
        for (let i = next++; i < count; i = next++) placed.push(await placeOrderOfMix(caller, i, run));
      }),
    );
    const lastPlacedAt = Date.now();
    placing = false;
    say(`${at()} placed ${placed.length} orders; waiting for the storm to end and every order to settle`);
    await chaos;
    const ids = placed.map((order) => order.id);
    const settlement = await waitForSettlement(caller, ids, drainWithinMs);
    const drained = Date.now() - lastPlacedAt;
    const doubles = await doubleCharged(database.uri, ids);

    const restarts = launcher.restarts();
    say(`${at()} killed ${kills} processes; the launcher restarted ${restarts.length} (gave up on ${(launcher.output().match(/giving up on/g) ?? []).length})`);
    const outcome = new Map<string, string>([...settlement.shipped.map((id) => [id, 'shipped'] as const), ...settlement.exceptions.map((id) => [id, 'exception'] as const), ...settlement.lost.map((id) => [id, 'lost'] as const)]);
    for (const kind of ['single', 'multi', 'declined', 'soft-decline'] as const) {
      const ofKind = placed.filter((order) => order.kind === kind);
      const tally = (what: string) => ofKind.filter((order) => outcome.get(order.id) === what).length;
      say(`  ${kind.padEnd(12)} ${String(ofKind.length).padStart(4)} placed: ${tally('shipped')} shipped, ${tally('exception')} in exceptions, ${tally('lost')} lost`);
    }
    for (const id of settlement.lost.slice(0, 5)) {
      const view = await readOrder(caller, id).catch(() => undefined);
      say(`  lost: ${id} (${view ? `${view.status}, last recorded ${view.history.filter((t) => t.elementType !== 'CHANGE').map((t) => `${t.elementType} ${t.to}`).at(-1)}` : 'unreadable'})`);
    }
    if (settlement.lost.length || settlement.gaps.size) {
      for (const line of await undeliveredMessages(database.uri, serviceNames)) say(`  undelivered: ${line}`);
    }
    for (const [id, gap] of [...settlement.gaps].slice(0, 5)) say(`  history gap: ${id}: ${gap}`);
    for (const id of doubles.slice(0, 5)) say(`  double-charged: ${id}`);
    say(
      `chaos: placed ${placed.length}, shipped ${settlement.shipped.length}, exceptions ${settlement.exceptions.length}, lost ${settlement.lost.length}, ` +
        `double-charged ${doubles.length}, history-gaps ${settlement.gaps.size}, drained in ${seconds(drained)} s`,
    );
    // CHAOS_HOLD_MS: keep the system up this long after the report, to look inside it.
    await sleep(Number(env.CHAOS_HOLD_MS ?? 0));
  } finally {
    await launcher?.stop();
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
