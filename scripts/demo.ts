// `npm run demo [-- count]`: places a stream of orders through the gateway of a
// running system (npm start) and shows them moving through the pipeline.
import { demo } from '../subgraphs/demo-data.ts';
import { clientSigning, devToken, readDevSecrets } from './dev-secrets.ts';

const gatewayUrl = process.env.GATEWAY_URL ?? `http://localhost:${process.env.GATEWAY_PORT ?? 4000}/graphql`;
const count = Number(process.argv[2] ?? 12);
const finalStatuses = new Set(['SHIPPED', 'PAYMENT_DECLINED', 'OUT_OF_STOCK', 'CANCELLED']);

// Ada places and watches her orders and cancels one; a support agent changes an address. Their tokens come from
// AUTH_JWT_SECRET where exported, else npm start's generated secret, or DEMO_CUSTOMER_TOKEN / DEMO_SUPPORT_TOKEN.
const tokens = { ada: process.env.DEMO_CUSTOMER_TOKEN ?? '', support: process.env.DEMO_SUPPORT_TOKEN ?? '' };

async function gql<T>(query: string, variables: Record<string, unknown> = {}, as: keyof typeof tokens = 'ada'): Promise<T> {
  const response = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[as]}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (!body.data) throw new Error(body.errors?.map((e) => e.message).join('; ') ?? 'no data');
  return body.data;
}

// A mix that shows every path: single- and multi-item shipments, two distribution
// centres, express shipping, a card that is always declined and one declined once.
const cards = ['p00000000000000000000001', 'p00000000000000000000001', 'p00000000000000000000001', 'p00000000000000000000004', 'p00000000000000000000005'];
const baskets = [
  [{ sku: 'BOOK-002', quantity: 1 }],
  [{ sku: 'MUG-001', quantity: 2 }],
  [{ sku: 'BOOK-001', quantity: 1 }, { sku: 'LAMP-001', quantity: 1 }],
  [{ sku: 'MUG-001', quantity: 1 }, { sku: 'BOOK-002', quantity: 1 }],
];

async function main() {
  if (!tokens.ada || !tokens.support) {
    const signing = clientSigning(process.env, () => readDevSecrets().users);
    tokens.ada ||= await devToken(signing, { role: 'customer', customerId: demo.customers.ada });
    tokens.support ||= await devToken(signing, { role: 'support' });
  }
  process.stdout.write(`placing ${count} orders through ${gatewayUrl}\n`);
  const ids: string[] = [];
  const links: string[] = [];
  for (let i = 0; i < count; i++) {
    const { placeOrder } = await gql<{ placeOrder: { id: string; trackingToken: string } }>(
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id trackingToken } }`,
      { input: { customerId: demo.customers.ada, paymentMethodId: cards[i % cards.length], lines: baskets[i % baskets.length], shippingMethod: i % 3 === 0 ? 'EXPRESS' : 'STANDARD' } },
    );
    ids.push(placeOrder.id);
    links.push(`${gatewayUrl.replace(/\/graphql$/, '')}/track?order=${placeOrder.id}&token=${placeOrder.trackingToken}`);
  }
  // Tracking links, like a carrier's: each follows its one order and nothing else.
  process.stdout.write(`watch one live: ${links[0]}\n`);
  for (const link of links.slice(1, 4)) process.stdout.write(`           or: ${link}\n`);
  // A support agent changes one order's address once it is in the distribution centre.
  const changing = ids[1] ?? ids[0]!;
  let change: string | null = null;
  // Ada cancels another once it is in the distribution centre; payments refunds it.
  const cancelling = ids[2] ?? ids[0]!;
  let cancellation: string | null = null;
  const started = Date.now();
  type Row = { id: string; status: string; stage: string | null; shipments: { carrier: string; trackingNumber: string }[] | null; exceptions: { reason: string }[] | null };
  let rows: Row[] = [];
  while (Date.now() - started < 120_000) {
    rows = await Promise.all(
      ids.map(async (id) => (await gql<{ order: Row }>(`query($id: ID!) { order(id: $id) { id status stage shipments { carrier trackingNumber } exceptions { reason } } }`, { id })).order),
    );
    const target = rows.find((row) => row.id === changing);
    if (!change && target && ['PICKING', 'REBIN', 'SHIPPING'].includes(target.status)) change = await changeAddressInFlight(changing, target.status);
    const toCancel = rows.find((row) => row.id === cancelling);
    if (!cancellation && cancelling !== changing && toCancel && ['PICKING', 'REBIN', 'SHIPPING'].includes(toCancel.status)) cancellation = await cancelInFlight(cancelling, toCancel.status);
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
    const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
    process.stdout.write(`${seconds}s  ${[...counts].map(([status, n]) => `${status} ${n}`).join('  ')}\n`);
    if (rows.every((row) => finalStatuses.has(row.status)) && (!cancellation || (await refundSettled(cancelling)))) break;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  process.stdout.write('\n');
  for (const row of rows) {
    const detail = row.shipments?.map((s) => `${s.carrier} ${s.trackingNumber}`).join(', ') || row.exceptions?.map((e) => e.reason).join('; ') || row.stage || '';
    process.stdout.write(`${row.id}  ${row.status.padEnd(16)} ${detail}\n`);
  }
  if (change) await reportChange(change);
  if (cancellation) await reportCancellation(cancellation);
  process.stdout.write('\nDeclined orders wait in exceptions: retry one with mutation { retryException(id: "...") { status } } (see query { exceptions { edges { node { id reason } } pageInfo { hasNextPage endCursor } } }).\n');
}

/** A support agent's change of address while the order is in flight (published to the stages that hold it). */
async function changeAddressInFlight(orderId: string, status: string): Promise<string | null> {
  try {
    const { changeShippingAddress } = await gql<{ changeShippingAddress: { id: string; status: string } }>(
      `mutation($input: ChangeShippingAddressInput!) { changeShippingAddress(input: $input) { id status } }`,
      {
        input: {
          orderId,
          mode: 'ASYNCHRONOUS',
          address: { name: 'Ada Lovelace', line1: '1 Piccadilly', city: 'Manchester', postalCode: 'M1 1AE', country: 'GB' },
        },
      },
      'support',
    );
    process.stdout.write(`changed the address of ${orderId} while ${status}: change ${changeShippingAddress.id} ${changeShippingAddress.status}\n`);
    return changeShippingAddress.id;
  } catch (error) {
    process.stdout.write(`could not change the address of ${orderId}: ${error instanceof Error ? error.message : String(error)}\n`);
    return null;
  }
}

/** Ada cancels one of her orders while it is in the distribution centre (published to the stages, like an address change). */
async function cancelInFlight(orderId: string, status: string): Promise<string | null> {
  try {
    const { cancelOrder } = await gql<{ cancelOrder: { id: string; status: string } }>(
      `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { id status } }`,
      { input: { orderId, reason: 'ordered the wrong one', idempotencyKey: `demo-cancel-${orderId}` } },
    );
    process.stdout.write(`Ada cancelled ${orderId} while ${status}: cancellation ${cancelOrder.id} ${cancelOrder.status}\n`);
    return cancelOrder.id;
  } catch (error) {
    process.stdout.write(`could not cancel ${orderId}: ${error instanceof Error ? error.message : String(error)}\n`);
    return null;
  }
}

/** Whether the cancellation has its outcome and any refund it asked for is settled (refunded or parked). */
async function refundSettled(orderId: string): Promise<boolean> {
  const { order } = await gql<{ order: { cancellation: { status: string; refundAmount: { amount: number } | null } | null; refunds: { status: string }[] } }>(
    `query($id: ID!) { order(id: $id) { cancellation { status refundAmount { amount } } refunds { status } } }`,
    { id: orderId },
  );
  if (!order.cancellation || order.cancellation.status === 'PENDING') return false;
  if (!order.cancellation.refundAmount) return true;
  return order.refunds.length > 0 && order.refunds.every((refund) => ['REFUNDED', 'FAILED'].includes(refund.status));
}

async function reportCancellation(id: string) {
  const { cancellation } = await gql<{
    cancellation: { status: string; outcomes: { node: string; result: string; detail: string | null }[]; order: { status: string; refunds: { status: string; amount: { amount: number; currency: string } }[] } };
  }>(`query($id: ID!) { cancellation(id: $id) { status outcomes { node result detail } order { status refunds { status amount { amount currency } } } } }`, { id });
  process.stdout.write(`\ncancellation ${id}: ${cancellation.status} (order ${cancellation.order.status})\n`);
  for (const outcome of cancellation.outcomes) process.stdout.write(`  ${outcome.node}: ${outcome.result} (${outcome.detail ?? ''})\n`);
  for (const refund of cancellation.order.refunds) process.stdout.write(`  refund ${refund.amount.amount} ${refund.amount.currency}: ${refund.status}\n`);
}

async function reportChange(id: string) {
  const { addressChange } = await gql<{ addressChange: { status: string; order: { shipments: { address: { line1: string; city: string } }[] }; outcomes: { node: string; result: string; detail: string | null }[] } }>(
    `query($id: ID!) { addressChange(id: $id) { status outcomes { node result detail } order { shipments { address { line1 city } } } } }`,
    { id },
  );
  process.stdout.write(`\naddress change ${id}: ${addressChange.status}\n`);
  for (const outcome of addressChange.outcomes) process.stdout.write(`  ${outcome.node}: ${outcome.result} (${outcome.detail ?? ''})\n`);
  for (const shipment of addressChange.order.shipments) process.stdout.write(`  shipped to ${shipment.address.line1}, ${shipment.address.city}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\nIs the system running? Start it with npm start.\n`);
  process.exit(1);
});
