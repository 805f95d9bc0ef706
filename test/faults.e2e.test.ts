import { mkdtempSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyGap, placeOrderOfMix, readOrder, restock, startRestartableDatabase, undeliveredMessages, waitForSettlement, type GraphQLCaller } from '../bench/faults.ts';
import { startLauncher } from '../bench/system.ts';
import { serviceNames } from '../pipeline/services.ts';
import { freePort } from '../scripts/ferretdb.ts';
import { workerNiceOffset } from '../scripts/priority.ts';
import { eventually } from './harness.ts';
import { threadNiceness } from './niceness.ts';

// The system as `npm start` runs it, on a database this test can stop: processes killed with
// SIGKILL come back and the orders still ship; a database restart is ridden out by every
// process without being restarted, and loses nothing.

const dataDir = mkdtempSync(join(tmpdir(), 'fulfilment-faults-'));
let database: Awaited<ReturnType<typeof startRestartableDatabase>>;
let launcher: Awaited<ReturnType<typeof startLauncher>>;
let caller: GraphQLCaller;
const run = `faults-${Date.now()}`;

beforeAll(async () => {
  database = await startRestartableDatabase(join(dataDir, 'db'));
  const ports: Record<string, string> = {};
  for (const name of serviceNames) ports[`${name.toUpperCase()}_PORT`] = String(await freePort());
  const gatewayPort = await freePort();
  launcher = await startLauncher(gatewayPort, {
    ...ports,
    MONGODB_URI: database.uri,
    // Errors only: a process that exits on its own says why, and a failing check prints it with the launcher's output.
    LOG_LEVEL: 'error',
    // Quick restarts, so the test does not wait on the default backoff.
    SUPERVISE_BACKOFF_MS: '200',
  });
  caller = { gatewayUrl: launcher.gatewayUrl, ada: launcher.authorization.ada, support: launcher.authorization.support, warehouse: launcher.authorization.warehouse };
  await restock(caller, 100, run);
}, 240_000);

afterAll(async () => {
  await launcher?.stop();
  await database?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const kill = (name: string) => {
  const pid = launcher.pidOf(name);
  expect(pid, `${name}'s pid in the launcher's output`).toBeDefined();
  process.kill(pid!, 'SIGKILL');
  return pid!;
};

async function runningAgain(name: string, oldPid: number) {
  const deadline = Date.now() + 60_000;
  while (launcher.pidOf(name) === oldPid || launcher.pidOf(name) === undefined) {
    if (Date.now() > deadline) throw new Error(`${name} was not restarted:\n${launcher.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('faults under npm start', () => {
  it('starts a killed worker and a killed subgraph again, keeps everything else running, and the orders still ship', async () => {
    const others = ['gateway', 'tracking', 'picking-worker-1', 'inventory'].map((name) => [name, launcher.pidOf(name)] as const);
    const worker = kill('payments-worker-1');
    const subgraph = kill('orders');
    await runningAgain('payments-worker-1', worker);
    await runningAgain('orders', subgraph);
    expect(launcher.output()).toMatch(/payments-worker-1 \(pid \d+\) exited unexpectedly \(SIGKILL\); restarting it in 0\.2 s \(restart 1\)/);
    expect(launcher.output()).toMatch(/orders is running again \(pid \d+, restarts: 1\)/);
    // Said to be running again once it works (it says where its metrics are), not as it is spawned.
    const sinceExit = () => launcher.output().slice(launcher.output().search(/payments-worker-1 \(pid \d+\) exited unexpectedly/));
    const restarted = await eventually(async () => sinceExit(), (output) => output.includes('payments-worker-1 metrics: ') && output.includes('payments-worker-1 is running again'), 30_000);
    expect(restarted.indexOf('payments-worker-1 is running again')).toBeGreaterThan(restarted.indexOf('payments-worker-1 metrics: '));
    // The restarted worker yields the cores to the services as the first one did (scripts/priority.ts).
    expect(new Set(threadNiceness(launcher.pidOf('payments-worker-1')!))).toEqual(new Set([Math.min(19, getPriority() + workerNiceOffset(process.env))]));
    // Nothing else was stopped or restarted.
    for (const [name, pid] of others) expect(launcher.pidOf(name), name).toBe(pid);
    expect(launcher.restarts().sort(), launcher.output()).toEqual(['orders', 'payments-worker-1']);

    // Single-item, multi-item and a declined card, through the restarted processes.
    const placed = await Promise.all([1, 3, 6, 2].map((i) => placeOrderOfMix(caller, i, run)));
    const settled = await waitForSettlement(caller, placed.map((order) => order.id), 240_000);
    expect(settled.lost).toEqual([]);
    expect(settled.shipped.length).toBe(3);
    expect(settled.exceptions).toEqual([placed[1]!.id]);
    expect([...settled.gaps]).toEqual([]);
  }, 420_000);

  it('rides out a 10 s database outage: no process is restarted, and no order placed before, during or after it is lost', async () => {
    const restartsBefore = launcher.restarts().length;
    const before = await Promise.all([10, 11, 12].map((i) => placeOrderOfMix(caller, i, run)));
    const outage = database.outage(10_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // Placed while the database is down: the gateway refuses, the customer's retry with the same key goes through once it is back.
    const during = await Promise.all([14, 15].map((i) => placeOrderOfMix(caller, i, run)));
    await outage;
    const after = await Promise.all([16, 17].map((i) => placeOrderOfMix(caller, i, run)));

    const ids = [...before, ...during, ...after].map((order) => order.id);
    expect(new Set(ids).size).toBe(ids.length);
    const settled = await waitForSettlement(caller, ids, 300_000);
    expect(settled.lost, await whereTheyAre(settled.lost)).toEqual([]);
    // Each ships, except the one declined card (order 13 is not in the mix here). An order parked
    // because a service was unavailable while the database restarted would be a failure: such
    // failures do not use up attempts (kit/unavailable.ts).
    expect(settled.exceptions, await whereTheyAre(settled.exceptions)).toEqual([]);
    expect(settled.shipped.sort()).toEqual([...ids].sort());
    expect([...settled.gaps]).toEqual([]);
    expect(launcher.restarts().length, launcher.output()).toBe(restartsBefore);
    expect(launcher.output()).not.toMatch(/giving up/);
  }, 480_000);
});

/** For a failure message: where each order is, its last transitions, and the hand-offs still undelivered. */
async function whereTheyAre(ids: readonly string[]): Promise<string> {
  if (ids.length === 0) return '';
  const orders = await Promise.all(
    ids.map(async (id) => {
      const view = await readOrder(caller, id).catch(() => undefined);
      if (!view) return `${id}: unreadable`;
      const last = view.history.slice(-3).map((t) => `${t.elementType} ${t.from ?? '∅'}>${t.to}`);
      return `${id}: ${view.status}, exceptions ${JSON.stringify(view.exceptions)}, last ${last.join(', ')}`;
    }),
  );
  const undelivered = await undeliveredMessages(database.uri, serviceNames).catch((error: unknown) => [`(could not read: ${String(error)})`]);
  return [...orders, ...undelivered.map((line) => `undelivered: ${line}`), launcher.output().split('\n').slice(-30).join('\n')].join('\n');
}

describe('historyGap', () => {
  const order = (status: string, steps: [string | null, string][]) => ({
    id: 'o1',
    status,
    exceptions: [],
    history: steps.map(([from, to]) => ({ elementType: 'ORDER', elementId: 'o1', from, to })),
  });
  it('finds a missing transition, and none in a complete history', () => {
    expect(historyGap(order('RESERVING', [[null, 'PLACED'], ['PLACED', 'CHARGING'], ['CHARGING', 'RESERVING']]))).toBeUndefined();
    expect(historyGap(order('RESERVING', [[null, 'PLACED'], ['CHARGING', 'RESERVING']]))).toBe('ORDER o1 goes PLACED then CHARGING>RESERVING');
    expect(historyGap(order('PICKING', [[null, 'PLACED'], ['PLACED', 'CHARGING']]))).toBe('the order is PICKING but its history ends at CHARGING');
  });
});
