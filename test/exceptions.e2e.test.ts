import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, gql, serviceToken, TestDatabases, userToken } from './harness.ts';
import { eventually, placeOrder, startSystem, type RunningSystem } from './system.ts';

const dbs = new TestDatabases();
let system: RunningSystem;
/** The payment processor's settings, read on every charge: a test makes it fail. */
const processor = { latencyMs: 5, failureRate: 0 };

beforeAll(async () => {
  // Two attempts, so that a charge the processor keeps failing is parked within a second or two.
  system = await startSystem(dbs, { workers: [], payments: processor, paymentsQueue: { maxAttempts: 2 } });
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

const receipt = async (id: string) => (await gql(system.urls.receiving, `query($id: ID!) { receipt(id: $id) { status } }`, { id })).data!.receipt as { status: string };
const exceptionFor = (elementId: string) =>
  eventually(
    async () => ((await gql(system.urls.exceptions, `{ exceptions(status: null, service: "receiving", first: 100) { edges { node { id elementId status } } } }`)).data!.exceptions.edges as { node: { id: string; elementId: string; status: string } }[]).map((edge) => edge.node).find((e) => e.elementId === elementId),
    (exception) => exception?.status === 'OPEN',
  ).then((exception) => exception!);

/**
 * A receipt inventory refuses (its bin would overflow) is parked at once; returns its open
 * exception. Receiving refuses such a receipt up front, so the bin is filled by hand after it is taken.
 */
async function parkReceipt(receiptId: string, bin: string) {
  const input = { sku: 'MUG-001', distributionCenter: 'LHR1', bin };
  const receiveItems = `mutation($input: ReceiveItemsInput!) { receiveItems(input: $input) { id } }`;
  expect((await gql(system.gatewayUrl, receiveItems, { input: { ...input, receiptId, quantity: 1000 } })).errors).toBeUndefined();
  const fill = `mutation($input: AdjustStockInput!) { adjustStock(input: $input) { quantity } }`;
  expect((await gql(system.gatewayUrl, fill, { input: { ...input, delta: 2_147_483_000 } })).errors).toBeUndefined();
  system.addWorker('receiving');
  try {
    return await exceptionFor(receiptId);
  } finally {
    await system.stopWorkers('receiving');
  }
}

/** Unblocks the sequential queue for the next test, whatever state the receipt is in. */
const clearReceipt = (receiptId: string) =>
  gql(system.urls.receiving, `mutation($id: ID!) { resolveReceivingException(queue: "receipts", elementId: $id, action: CANCEL) }`, { id: receiptId });

describe('exceptions: a person acts on a parked element', () => {
  it('runs exactly one of a cancel and a retry sent at the same moment; the other is told CONFLICT', async () => {
    for (let round = 1; round <= 3; round++) {
      const receiptId = `race-${round}`;
      const { id } = await parkReceipt(receiptId, `RACE-${round}`);
      const [retried, cancelled] = await Promise.all([
        gql(system.gatewayUrl, `mutation($id: ID!) { retryException(id: $id) { status } }`, { id }),
        gql(system.gatewayUrl, `mutation($id: ID!) { cancelException(id: $id) { status } }`, { id }),
      ]);
      const outcomes = [codes(retried), codes(cancelled)];
      expect(outcomes.filter((c) => c.length === 0), `round ${round}: ${JSON.stringify(outcomes)}`).toHaveLength(1);
      expect(outcomes.filter((c) => c[0] === 'CONFLICT')).toHaveLength(1);
      const winner = retried.errors ? 'CANCELLED' : 'RETRIED';
      expect(retried.data?.retryException?.status ?? cancelled.data?.cancelException?.status).toBe(winner);
      // What the exception says is what happened to the receipt.
      expect((await receipt(receiptId)).status).toBe(winner === 'CANCELLED' ? 'CANCELLED' : 'QUEUED');
      const stored = await gql(system.urls.exceptions, `query($id: ID!) { pipelineException(id: $id) { status } }`, { id });
      expect(stored.data!.pipelineException.status).toBe(winner);
      await clearReceipt(receiptId);
    }
  });

  it('records who acted and what they wrote; a note that is not readable text is refused before anything is claimed', async () => {
    const { id } = await parkReceipt('noted-1', 'NOTED-1');
    try {
      const cancel = (note: string, token?: string) =>
        gql(system.gatewayUrl, `mutation($id: ID!, $note: String) { cancelException(id: $id, note: $note) { status resolvedBy note } }`, { id, note }, { token });
      expect(codes(await cancel('refused\u0007'))).toEqual(['BAD_USER_INPUT']);
      expect(codes(await cancel('x'.repeat(501)))).toEqual(['BAD_USER_INPUT']);
      expect(await system.services.exceptions.store.get(id)).toMatchObject({ status: 'OPEN', resolvedBy: null, note: null });
      expect((await receipt('noted-1')).status).toBe('FAILED');

      const agent = await userToken({ role: 'support', sub: 'agent-grace' });
      const done = await cancel('bin NOTED-1 is full; the supplier takes the delivery back', agent);
      expect(done.data!.cancelException).toEqual({ status: 'CANCELLED', resolvedBy: 'agent-grace', note: 'bin NOTED-1 is full; the supplier takes the delivery back' });
      expect((await receipt('noted-1')).status).toBe('CANCELLED');
      // Kept with the exception for whoever looks at it later.
      const later = await gql(system.gatewayUrl, `query($id: ID!) { pipelineException(id: $id) { status resolvedBy note } }`, { id });
      expect(later.data!.pipelineException).toEqual(done.data!.cancelException);
    } finally {
      await clearReceipt('noted-1');
    }
  });

  it('carries out an action whose process died after claiming it, instead of leaving it claimed forever', async () => {
    const { id } = await parkReceipt('claimed-1', 'CLAIMED-1');
    // A process claimed the cancel and died before asking receiving to carry it out.
    const claim = await system.services.exceptions.store.claim(id, 'CANCEL', { subject: 'test-agent', note: null });
    expect(claim.outcome).toBe('claimed');
    expect((await receipt('claimed-1')).status).toBe('FAILED');
    expect(codes(await gql(system.gatewayUrl, `mutation($id: ID!) { retryException(id: $id) { status } }`, { id }))).toEqual(['CONFLICT']);

    expect(await system.services.exceptions.finishStaleClaims(0)).toBe(1);
    expect((await receipt('claimed-1')).status).toBe('CANCELLED');
    expect((await system.services.exceptions.store.get(id))).toMatchObject({ status: 'CANCELLED', pending: null });
    expect(await system.services.exceptions.finishStaleClaims(0)).toBe(0);
  });

  it('leaves the exception OPEN when the owning service is down, and lets the person try again', async () => {
    const { id } = await parkReceipt('down-1', 'DOWN-1');
    await system.stop('receiving');
    try {
      expect(codes(await gql(system.gatewayUrl, `mutation($id: ID!) { cancelException(id: $id) { status } }`, { id }))).toEqual(['DEPENDENCY_UNAVAILABLE']);
      // Nobody acted, as far as the exception says: the person's cancel was not carried out.
      expect((await system.services.exceptions.store.get(id))).toMatchObject({ status: 'OPEN', pending: null, resolvedBy: null, note: null });
    } finally {
      await system.restart('receiving');
    }
    expect((await gql(system.gatewayUrl, `mutation($id: ID!) { cancelException(id: $id) { status } }`, { id })).data!.cancelException).toEqual({ status: 'CANCELLED' });
    expect((await receipt('down-1')).status).toBe('CANCELLED');
  });

  it('keeps the action claimed when the owning service takes the request and does not answer, and completes it once the service answers', async () => {
    const { id } = await parkReceipt('hung-1', 'HUNG-1');
    const endHang = await system.hang('receiving');
    try {
      // The service may yet act on what it received: the exception must not say OPEN, nor invite a second action.
      const cancelled = await gql(system.gatewayUrl, `mutation($id: ID!) { cancelException(id: $id) { status } }`, { id });
      expect(codes(cancelled)).toEqual(['DEPENDENCY_UNAVAILABLE']);
      expect(cancelled.errors![0]!.message).toMatch(/receiving service did not answer in time; the cancel of .* stays claimed/);
      expect(cancelled.errors![0]!.extensions).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', pending: true });
      expect(await system.services.exceptions.store.get(id)).toMatchObject({ status: 'CANCELLED', pending: expect.objectContaining({ action: 'CANCEL' }) });
      expect(codes(await gql(system.gatewayUrl, `mutation($id: ID!) { retryException(id: $id) { status } }`, { id }))).toEqual(['CONFLICT']);
    } finally {
      await endHang();
      await system.restart('receiving');
    }
    // The sweep of claims sends the cancel again (every few seconds, for claims older than 30 s; here at once).
    expect(await system.services.exceptions.finishStaleClaims(0)).toBe(1);
    expect((await receipt('hung-1')).status).toBe('CANCELLED');
    expect(await system.services.exceptions.store.get(id)).toMatchObject({ status: 'CANCELLED', pending: null });
  });
});

describe('exceptions: a hand-off its receiver refused', () => {
  const visa = { token: 'tok_test_visa', last4: '4242', expMonth: 12, expYear: 2031 };
  const requestCharge = `mutation($input: ChargeRequestInput!) { requestCharge(input: $input) { id } }`;
  const deliveryToOrders = async (id: string) =>
    ((await gql(system.urls.payments, `query($id: ID!) { chargeRequest(id: $id) { status deliveries { target delivered abandoned } } }`, { id })).data!.chargeRequest as {
      status: string;
      deliveries: { target: string; delivered: boolean; abandoned: boolean }[];
    }).deliveries.find((d) => d.target === 'orders')!;
  const exceptionOf = (elementId: string, status: string) =>
    eventually(
      async () => ((await gql(system.gatewayUrl, `{ exceptions(status: null, service: "payments", first: 100) { edges { node { id elementId status reason occurrences } } } }`)).data!.exceptions.edges as { node: { id: string; elementId: string; status: string; reason: string; occurrences: number } }[]).map((edge) => edge.node).find((e) => e.elementId === elementId),
      (exception) => exception?.status === status,
    ).then((exception) => exception!);

  it('is raised for a person instead of being given up silently; a retry sends it again (refused again: raised again), a cancel gives it up', async () => {
    // A requester named orders' reply queue for a charge of no order: orders refuses the result.
    const requestId = `refused-reply-${Date.now()}`;
    const asOrders = { token: await serviceToken('orders') };
    expect((await gql(system.urls.payments, requestCharge, { input: { requestId, amount: { amount: 700, currency: 'GBP' }, card: visa, replyTo: 'orders.charge-results' } }, asOrders)).errors).toBeUndefined();
    system.addWorker('payments');
    try {
      const raised = await exceptionOf(requestId, 'OPEN');
      expect(raised.reason).toMatch(/^its hand-off to orders was refused: .*orderId is required/);
      expect(await deliveryToOrders(requestId)).toMatchObject({ delivered: false, abandoned: true });

      const retried = await gql(system.gatewayUrl, `mutation($id: ID!) { retryException(id: $id) { status } }`, { id: raised.id });
      expect(retried.data?.retryException).toEqual({ status: 'RETRIED' });
      // Sent again, refused again: open again, as a second occurrence.
      const again = await exceptionOf(requestId, 'OPEN');
      expect(again.occurrences).toBe(2);

      const cancelled = await gql(system.gatewayUrl, `mutation($id: ID!) { cancelException(id: $id) { status } }`, { id: raised.id });
      expect(cancelled.data?.cancelException).toEqual({ status: 'CANCELLED' });
      await eventually(() => system.services.payments.store.requests.get(requestId), (request) => !request!.outbox.some((message) => message.refused));
      expect(await deliveryToOrders(requestId)).toMatchObject({ delivered: false, abandoned: true });
      // Given up: nothing is left to act on.
      expect(codes(await gql(system.gatewayUrl, `mutation($id: ID!) { retryException(id: $id) { status } }`, { id: raised.id }))).toEqual(['CONFLICT']);
    } finally {
      await system.stopWorkers('payments');
    }
  });
});

describe('exceptions: a charge the processor keeps failing', () => {
  const orderOf = async (id: string) =>
    (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { status charge { id } refunds { status } } }`, { id })).data!.order as { status: string; charge: unknown; refunds: unknown[] };
  const openException = (elementId: string) =>
    eventually(
      async () => ((await gql(system.gatewayUrl, `{ exceptions(status: OPEN, service: "payments", first: 100) { edges { node { id elementId } } } }`)).data!.exceptions.edges as { node: { id: string; elementId: string } }[]).map((edge) => edge.node).find((e) => e.elementId === elementId),
      (exception) => exception !== undefined,
      20_000,
    ).then((exception) => exception!);

  /** An order whose charge the processor failed until it was parked: its id, the charge request's, and the open exception. */
  async function withParkedCharge(test: (parked: { orderId: string; requestId: string; exceptionId: string }) => Promise<void>) {
    processor.failureRate = 1;
    system.addWorker('orders');
    system.addWorker('payments');
    try {
      const orderId = await placeOrder(system.gatewayUrl, [{ sku: 'BOOK-001', quantity: 1 }]);
      const requestId = `${orderId}:charge:1`;
      const exception = await openException(requestId);
      processor.failureRate = 0;
      expect((await orderOf(orderId)).status).toBe('CHARGING');
      await test({ orderId, requestId, exceptionId: exception.id });
    } finally {
      processor.failureRate = 0;
      await system.stopWorkers('orders');
      await system.stopWorkers('payments');
    }
  }
  const cancelException = async (id: string) =>
    expect((await gql(system.gatewayUrl, `mutation($id: ID!) { cancelException(id: $id) { status } }`, { id })).data?.cancelException).toEqual({ status: 'CANCELLED' });

  it('cancelled by a person: its order is cancelled rather than left CHARGING, with nothing charged or refunded', async () => {
    await withParkedCharge(async ({ orderId, requestId, exceptionId }) => {
      await cancelException(exceptionId);
      const order = await eventually(() => orderOf(orderId), (o) => o.status === 'CANCELLED', 20_000);
      expect(order).toEqual({ status: 'CANCELLED', charge: null, refunds: [] });
      const request = (await gql(system.urls.payments, `query($id: ID!) { chargeRequest(id: $id) { status } }`, { id: requestId })).data!.chargeRequest;
      expect(request).toEqual({ status: 'CANCELLED' });
    });
  }, 60_000);

  it('cancelled after the processor charged the card all the same: the order is cancelled and the charge paid back', async () => {
    await withParkedCharge(async ({ orderId, requestId, exceptionId }) => {
      // What a worker that failed after the processor answered leaves: the charge made, the request parked.
      const { payload } = (await system.services.payments.store.requests.get(requestId))!;
      await system.services.payments.store.charges.insertOne({ _id: requestId, orderId, token: payload.card.token, last4: payload.card.last4, outcome: 'APPROVED', declineReason: null, amount: payload.amount, chargedAt: new Date() });
      await cancelException(exceptionId);
      const refunded = (o: { status: string; refunds: unknown[] }) => o.status === 'CANCELLED' && o.refunds.length > 0 && o.refunds.every((r) => (r as { status: string }).status === 'REFUNDED');
      expect(await eventually(() => orderOf(orderId), refunded, 20_000)).toEqual({ status: 'CANCELLED', charge: { id: requestId }, refunds: [{ status: 'REFUNDED' }] });
    });
  }, 60_000);
  it('its order cancelled by the customer while it is parked: the charge is withdrawn and its exception closed, so nobody can retry it', async () => {
    await withParkedCharge(async ({ orderId, requestId, exceptionId }) => {
      const cancelOrder = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { id } }`;
      expect((await gql(system.gatewayUrl, cancelOrder, { input: { orderId, reason: 'changed my mind', idempotencyKey: `cancel-${orderId}` } })).errors).toBeUndefined();
      const exception = async () => (await gql(system.gatewayUrl, `query($id: ID!) { pipelineException(id: $id) { status resolution } }`, { id: exceptionId })).data!.pipelineException as { status: string; resolution: string | null };
      const closed = await eventually(exception, (e) => e.status !== 'OPEN', 20_000);
      expect(closed).toEqual({ status: 'CANCELLED', resolution: expect.stringMatching(/^the order was cancelled/) });
      const request = (await gql(system.urls.payments, `query($id: ID!) { chargeRequest(id: $id) { status } }`, { id: requestId })).data!.chargeRequest;
      expect(request).toEqual({ status: 'CANCELLED' });
      expect(codes(await gql(system.gatewayUrl, `mutation($id: ID!) { retryException(id: $id) { status } }`, { id: exceptionId }))).toEqual(['CONFLICT']);
      expect(await orderOf(orderId)).toEqual({ status: 'CANCELLED', charge: null, refunds: [] });
    });
  }, 60_000);
  it('its order cancelled by the customer after the processor charged all the same: the charge is paid back; a reason the exceptions service would refuse is refused first', async () => {
    await withParkedCharge(async ({ orderId, requestId, exceptionId }) => {
      const withdraw = `mutation($requestId: ID!, $reason: String!) { withdrawCharge(requestId: $requestId, reason: $reason) }`;
      expect(codes(await gql(system.urls.payments, withdraw, { requestId, reason: 'x'.repeat(501) }))).toEqual(['BAD_USER_INPUT']);
      expect((await gql(system.urls.payments, `query($id: ID!) { chargeRequest(id: $id) { status } }`, { id: requestId })).data!.chargeRequest).toEqual({ status: 'FAILED' });
      const { payload } = (await system.services.payments.store.requests.get(requestId))!;
      await system.services.payments.store.charges.insertOne({ _id: requestId, orderId, token: payload.card.token, last4: payload.card.last4, outcome: 'APPROVED', declineReason: null, amount: payload.amount, chargedAt: new Date() });
      const cancelOrder = `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { id } }`;
      expect((await gql(system.gatewayUrl, cancelOrder, { input: { orderId, reason: 'changed my mind', idempotencyKey: `cancel-${orderId}` } })).errors).toBeUndefined();
      const refunded = (o: { status: string; refunds: unknown[] }) => o.refunds.length > 0 && o.refunds.every((r) => (r as { status: string }).status === 'REFUNDED');
      expect(await eventually(() => orderOf(orderId), refunded, 20_000)).toEqual({ status: 'CANCELLED', charge: { id: requestId }, refunds: [{ status: 'REFUNDED' }] });
      const exception = (await gql(system.gatewayUrl, `query($id: ID!) { pipelineException(id: $id) { status } }`, { id: exceptionId })).data!.pipelineException;
      expect(exception).toEqual({ status: 'CANCELLED' });
    });
  }, 60_000);
});
