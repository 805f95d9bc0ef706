// What the chaos run (bench/chaos.ts) and the fault tests (test/faults.e2e.test.ts) share: a
// database they can stop and bring back on the same port, a mix of orders placed through the
// gateway as a customer would (retrying with the same idempotency key when the gateway or a
// service is down), and the audit of how every order ended.
import { MongoClient } from 'mongodb';
import { demo } from '../subgraphs/demo-data.ts';
import { freePort, startFerretDb, type RunningDatabase } from '../scripts/ferretdb.ts';
import { readItem } from '../kit/queue.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** FerretDB (on its PostgreSQL) in `dataDir`, on a port that stays the same when it is stopped and started again. */
export async function startRestartableDatabase(dataDir: string) {
  const port = await freePort();
  let running: RunningDatabase | undefined = await startFerretDb({ dataDir, port });
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    port,
    /** Stops the database (FerretDB and its PostgreSQL), waits `ms`, and starts it again on the same port and data. */
    async outage(ms: number) {
      await running?.stop();
      running = undefined;
      await sleep(ms);
      running = await startFerretDb({ dataDir, port });
    },
    async stop() {
      await running?.stop();
      running = undefined;
    },
  };
}

export type OrderKind = 'single' | 'multi' | 'declined' | 'soft-decline';

/** The demo customer's cards: a good one, one always declined, one declined the first time (payments' test cards). */
const cards = { good: 'p00000000000000000000001', declined: 'p00000000000000000000004', softDecline: 'p00000000000000000000005' };

/** Order `i` of a run: mostly single- and multi-item orders on the good card, one in ten declined, one in twenty soft-declined. */
export function orderOfMix(i: number): { kind: OrderKind; input: Record<string, unknown> } {
  const kind: OrderKind = i % 10 === 3 ? 'declined' : i % 20 === 7 ? 'soft-decline' : i % 3 === 0 ? 'multi' : 'single';
  const lines =
    kind === 'multi' ? [{ sku: 'MUG-001', quantity: 1 }, { sku: 'BOOK-002', quantity: 1 }] : [{ sku: i % 2 ? 'BOOK-002' : 'MUG-001', quantity: 1 }];
  const paymentMethodId = kind === 'declined' ? cards.declined : kind === 'soft-decline' ? cards.softDecline : cards.good;
  return { kind, input: { customerId: demo.customers.ada, paymentMethodId, lines, shippingMethod: i % 4 === 0 ? 'EXPRESS' : 'STANDARD' } };
}

export interface GraphQLCaller {
  gatewayUrl: string;
  /** `Authorization` header values. */
  ada: string;
  support: string;
  warehouse: string;
}

/** One GraphQL call through the gateway; throws on a transport failure or when there is no data. */
export async function call<T>(url: string, authorization: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json().catch(() => ({ errors: [{ message: `HTTP ${response.status}` }] }))) as { data?: T; errors?: { message: string }[] };
  if (!body.data || body.errors?.length) throw new Error(body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`);
  return body.data;
}

/** Calls until it answers (a service or the gateway may be restarting), up to `withinMs`. */
export async function callUntilAnswered<T>(attempt: () => Promise<T>, withinMs = 120_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}

/** Places order `i` of the mix; retried with the same idempotency key, so a retry never places it twice. */
export async function placeOrderOfMix(caller: GraphQLCaller, i: number, run: string, withinMs = 600_000): Promise<{ id: string; kind: OrderKind }> {
  const { kind, input } = orderOfMix(i);
  const placed = await callUntilAnswered(
    () =>
      call<{ placeOrder: { id: string } }>(caller.gatewayUrl, caller.ada, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
        input: { ...input, idempotencyKey: `${run}-${i}` },
      }),
    withinMs,
  );
  return { id: placed.placeOrder.id, kind };
}

/** Receives `quantity` of every SKU the mix orders into LHR1, as the warehouse, and waits until it is stocked. */
export async function restock(caller: GraphQLCaller, quantity: number, run: string) {
  const ids = await Promise.all(
    ['MUG-001', 'BOOK-002'].map(async (sku) => {
      const input = { receiptId: `${run}-${sku}`, sku, distributionCenter: 'LHR1', bin: `CHAOS-${sku}`, quantity };
      await callUntilAnswered(() => call(caller.gatewayUrl, caller.warehouse, `mutation($input: ReceiveItemsInput!) { receiveItems(input: $input) { id } }`, { input }));
      return input.receiptId;
    }),
  );
  await callUntilAnswered(async () => {
    const data = await call<Record<string, { status: string } | null>>(caller.gatewayUrl, caller.warehouse, `{ ${ids.map((id, i) => `r${i}: receipt(id: "${id}") { status }`).join(' ')} }`);
    if (!ids.every((_, i) => data[`r${i}`]?.status === 'DONE')) throw new Error('not stocked yet');
  });
}

interface Transition {
  elementType: string;
  elementId: string;
  from: string | null;
  to: string;
}

export interface OrderView {
  id: string;
  status: string;
  exceptions: { status: string; reason: string }[];
  history: Transition[];
}

const orderQuery = `query($id: ID!) { order(id: $id) { id status exceptions { status reason } history { elementType elementId from to } } }`;

export async function readOrder(caller: GraphQLCaller, id: string): Promise<OrderView> {
  return (await call<{ order: OrderView }>(caller.gatewayUrl, caller.support, orderQuery, { id })).order;
}

/** Shipped, or parked in exceptions with a reason: nothing more happens to it without a person. */
export function outcomeOf(order: OrderView): 'shipped' | 'exception' | 'in flight' {
  if (order.status === 'SHIPPED') return 'shipped';
  if (order.exceptions.some((e) => e.status === 'OPEN' && e.reason)) return 'exception';
  return 'in flight';
}

/**
 * Whether the tracking history misses a transition the order went through: its ORDER transitions
 * must chain (each from where the one before went), start at placement and end where the order
 * is; each shipment's likewise, and every shipment of a shipped order must have shipped.
 */
export function historyGap(order: OrderView): string | undefined {
  const chains = new Map<string, Transition[]>();
  for (const t of order.history) {
    if (t.elementType !== 'ORDER' && t.elementType !== 'SHIPMENT') continue;
    chains.set(`${t.elementType} ${t.elementId}`, [...(chains.get(`${t.elementType} ${t.elementId}`) ?? []), t]);
  }
  const own = chains.get(`ORDER ${order.id}`) ?? [];
  if (own.length === 0) return 'no transitions of the order';
  for (const [element, steps] of chains) {
    if (steps[0]!.from !== null) return `${element} starts at ${steps[0]!.from}, not at its creation`;
    for (let i = 1; i < steps.length; i++) {
      if (steps[i]!.from !== steps[i - 1]!.to) return `${element} goes ${steps[i - 1]!.to} then ${steps[i]!.from}>${steps[i]!.to}`;
    }
    if (element.startsWith('SHIPMENT') && order.status === 'SHIPPED' && steps.at(-1)!.to !== 'SHIPPED') return `${element} ends at ${steps.at(-1)!.to}`;
  }
  if (own.at(-1)!.to !== order.status) return `the order is ${order.status} but its history ends at ${own.at(-1)!.to}`;
  return undefined;
}

/** Orders with more than one approved charge, read from the payments database as an auditor would. */
export async function doubleCharged(mongoUri: string, orderIds: readonly string[], dbName = 'payments'): Promise<string[]> {
  const client = await new MongoClient(mongoUri).connect();
  try {
    const wanted = new Set(orderIds);
    const approved = new Map<string, number>();
    for await (const charge of client.db(dbName).collection<{ orderId: string | null }>('charges').find({ outcome: 'APPROVED' }, { projection: { orderId: 1 } })) {
      if (charge.orderId && wanted.has(charge.orderId)) approved.set(charge.orderId, (approved.get(charge.orderId) ?? 0) + 1);
    }
    return [...approved].filter(([, count]) => count > 1).map(([id]) => id);
  } finally {
    await client.close();
  }
}

export interface Settlement {
  shipped: string[];
  exceptions: string[];
  /** Neither shipped nor parked with a reason when the wait ended. */
  lost: string[];
  /** Settled orders whose history still had a gap when the wait ended, with what is missing. */
  gaps: Map<string, string>;
}

/**
 * Polls every order until each has settled (shipped or parked) and its history is complete, or
 * until `withinMs` has passed; tracking records transitions asynchronously, so a history may
 * trail its order for a moment.
 */
export async function waitForSettlement(caller: GraphQLCaller, ids: readonly string[], withinMs: number, concurrency = 6): Promise<Settlement> {
  const deadline = Date.now() + withinMs;
  const views = new Map<string, OrderView>();
  let pending = [...ids];
  for (;;) {
    const next: string[] = [];
    let cursor = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = cursor++; i < pending.length; i = cursor++) {
          const id = pending[i]!;
          try {
            const view = await readOrder(caller, id);
            views.set(id, view);
            if (outcomeOf(view) === 'in flight' || historyGap(view)) next.push(id);
          } catch {
            next.push(id); // the gateway or a service is restarting: ask again
          }
        }
      }),
    );
    pending = next;
    if (pending.length === 0 || Date.now() > deadline) break;
    await sleep(1_000);
  }
  const settlement: Settlement = { shipped: [], exceptions: [], lost: [], gaps: new Map() };
  for (const id of ids) {
    const view = views.get(id);
    const outcome = view ? outcomeOf(view) : 'in flight';
    if (outcome === 'shipped') settlement.shipped.push(id);
    else if (outcome === 'exception') settlement.exceptions.push(id);
    else settlement.lost.push(id);
    const gap = view && outcome !== 'in flight' ? historyGap(view) : undefined;
    if (gap) settlement.gaps.set(id, gap);
  }
  return settlement;
}

/**
 * Hand-offs not delivered yet (or given up), in every queue of the named databases: where a
 * chaos run looks first when orders are lost or histories have gaps.
 */
export async function undeliveredMessages(mongoUri: string, dbNames: readonly string[]): Promise<string[]> {
  const client = await new MongoClient(mongoUri).connect();
  try {
    const found = new Map<string, { count: number; error: string }>();
    for (const dbName of dbNames) {
      const db = client.db(dbName);
      for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
        if (!name.startsWith('queue_') || name.endsWith('_history')) continue;
        type Item = { status: string; outbox: { target: string; delivered: boolean; abandoned?: boolean; lastError?: string | null }[]; outboxJson?: string | null };
        for await (const stored of db.collection<Item>(name).find({})) {
          const item = readItem(stored as never) as Item;
          for (const message of item.outbox ?? []) {
            if (message.delivered) continue;
            const key = `${dbName}.${name} (${item.status}) → ${message.target}${message.abandoned ? ' given up' : ' pending'}`;
            const entry = found.get(key) ?? { count: 0, error: message.lastError ?? '' };
            entry.count++;
            found.set(key, entry);
          }
        }
      }
    }
    return [...found].map(([key, { count, error }]) => `${key}: ${count}${error ? ` (last error: ${error.slice(0, 160)})` : ''}`);
  } finally {
    await client.close();
  }
}
