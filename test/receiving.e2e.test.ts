import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, gql, TestDatabases } from './harness.ts';
import { eventually, startSystem, type RunningSystem } from './system.ts';

const dbs = new TestDatabases();
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem(dbs, { workers: [] });
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

const receive = (receiptId: string, quantity: number, bin = 'R-01') =>
  gql(system.gatewayUrl, `mutation($input: ReceiveItemsInput!) { receiveItems(input: $input) { id status } }`, {
    input: { receiptId, sku: 'MUG-001', distributionCenter: 'LHR1', bin, quantity },
  });

type ReceiptRow = { id: string; status: string; processedAt: string | null };
const receipts = async () =>
  ((await gql(system.urls.receiving, `{ receipts(first: 100) { edges { node { id status processedAt receivedAt } } } }`)).data!.receipts.edges as { node: ReceiptRow }[]).map((edge) => edge.node);
const binQuantity = async (bin: string) =>
  ((await gql(system.urls.inventory, `{ binItems(sku: "MUG-001", distributionCenter: "LHR1", first: 500) { edges { node { bin quantity } } } }`)).data!.binItems.edges as { node: { bin: string; quantity: number } }[]).find(
    (edge) => edge.node.bin === bin,
  )?.node.quantity ?? 0;

describe('receiving: a sequential queue', () => {
  it('processes received items strictly in arrival order, also with two workers, and adds each to inventory once', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 6; i++) {
      ids.push(`asn-1-line-${i}`);
      expect((await receive(`asn-1-line-${i}`, i)).data!.receiveItems.status).toBe('QUEUED');
    }
    expect((await receive('asn-1-line-3', 3)).data!.receiveItems.status).toBe('QUEUED'); // a duplicate is stored once
    system.addWorker('receiving');
    system.addWorker('receiving');
    try {
      const done = await eventually(receipts, (list) => list.filter((r) => ids.includes(r.id) && r.status === 'DONE').length === ids.length);
      const processed = done.filter((r) => ids.includes(r.id)).sort((a, b) => a.processedAt!.localeCompare(b.processedAt!)).map((r) => r.id);
      expect(processed).toEqual(ids);
      expect(await binQuantity('R-01')).toBe(1 + 2 + 3 + 4 + 5 + 6);
    } finally {
      await system.stopWorkers('receiving');
    }
  });

  it('waits for inventory when it is down, overtaking nothing, and processes the receipts in order once it is back', async () => {
    await system.stop('inventory');
    const ids = ['asn-2-line-1', 'asn-2-line-2', 'asn-2-line-3'];
    try {
      for (const id of ids) await receive(id, 10, 'R-02');
      system.addWorker('receiving');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const waiting = (await receipts()).filter((r) => ids.includes(r.id));
      expect(waiting.every((r) => r.status !== 'DONE')).toBe(true);
    } finally {
      await system.restart('inventory');
    }
    try {
      await eventually(receipts, (list) => list.filter((r) => ids.includes(r.id)).every((r) => r.status === 'DONE'), 30_000);
      const done = (await receipts()).filter((r) => ids.includes(r.id)).sort((a, b) => a.processedAt!.localeCompare(b.processedAt!));
      expect(done.map((r) => r.id)).toEqual(ids);
      expect(await binQuantity('R-02')).toBe(30);
    } finally {
      await system.stopWorkers('receiving');
    }
  }, 40_000);

  it('counts a receipt once even when inventory already applied it before the worker died', async () => {
    await receive('asn-3-line-1', 7, 'R-03');
    // The worker called inventory, and died before recording the receipt as done:
    await gql(system.urls.inventory, `mutation { receiveStock(input: { receiptId: "asn-3-line-1", sku: "MUG-001", distributionCenter: "LHR1", bin: "R-03", quantity: 7 }) { quantity } }`);
    system.addWorker('receiving');
    try {
      await eventually(receipts, (list) => list.find((r) => r.id === 'asn-3-line-1')?.status === 'DONE');
      expect(await binQuantity('R-03')).toBe(7);
    } finally {
      await system.stopWorkers('receiving');
    }
  });

  it('lists receipts most recently arrived first, a page at a time, holding its place while more arrive', async () => {
    const page = async (after: string | null) => {
      const res = await gql(system.gatewayUrl, `query($after: String) { receipts(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { after });
      expect(res.errors).toBeUndefined();
      return { ids: res.data!.receipts.edges.map((edge: { node: { id: string } }) => edge.node.id) as string[], pageInfo: res.data!.receipts.pageInfo };
    };
    const everything = async () => {
      const ids: string[] = [];
      for (let after: string | null = null, more = true; more; ) {
        const next = await page(after);
        ids.push(...next.ids);
        [after, more] = [next.pageInfo.endCursor, next.pageInfo.hasNextPage];
      }
      return ids;
    };
    const before = await everything();
    const first = await page(null);
    expect(first.ids).toEqual(before.slice(0, 2));
    await receive('asn-4-line-1', 1, 'R-04'); // arrives while the list is being read
    const rest: string[] = [];
    for (let after = first.pageInfo.endCursor, more = first.pageInfo.hasNextPage; more; ) {
      const next = await page(after);
      rest.push(...next.ids);
      [after, more] = [next.pageInfo.endCursor, next.pageInfo.hasNextPage];
    }
    expect([...first.ids, ...rest]).toEqual(before);
    expect((await page(null)).ids[0]).toBe('asn-4-line-1');
    expect(before.length).toBeGreaterThan(4);
    const bad = await gql(system.gatewayUrl, `{ receipts(after: "x") { edges { cursor } } }`);
    expect(bad.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('receiving: what inventory refuses is not a success', () => {
  it('parks a receipt that would take its bin over the maximum when it comes up, instead of calling it DONE', async () => {
    expect((await receive('asn-9-line-2', 1000, 'Q-01')).errors).toBeUndefined();
    // The bin filled by hand after the receipt was taken (it had room then).
    const filled = await gql(system.gatewayUrl, `mutation { adjustStock(input: { sku: "MUG-001", distributionCenter: "LHR1", bin: "Q-01", delta: 2147483000 }) { quantity } }`);
    expect(filled.errors).toBeUndefined();
    system.addWorker('receiving');
    try {
      await eventually(receipts, (list) => list.find((r) => r.id === 'asn-9-line-2')?.status === 'FAILED');
      expect(await binQuantity('Q-01')).toBe(2_147_483_000);
      const receipt = await gql(system.urls.receiving, `{ receipt(id: "asn-9-line-2") { status lastError } }`);
      expect(receipt.data!.receipt.lastError).toMatch(/over the maximum/);
      const exceptions = await eventually(
        async () => ((await gql(system.urls.exceptions, `{ exceptions(service: "receiving") { edges { node { elementId status } } } }`)).data!.exceptions.edges as { node: { elementId: string; status: string } }[]).map((edge) => edge.node),
        (list) => list.some((e) => e.elementId === 'asn-9-line-2'),
      );
      expect(exceptions.find((e) => e.elementId === 'asn-9-line-2')?.status).toBe('OPEN');
      // Cancel it so the sequential queue moves on for the tests that follow.
      const id = (await gql(system.urls.exceptions, `{ exceptions(service: "receiving") { edges { node { id elementId } } } }`)).data!.exceptions.edges.map((edge: { node: { id: string; elementId: string } }) => edge.node).find((e: { elementId: string }) => e.elementId === 'asn-9-line-2').id;
      expect(codes(await gql(system.gatewayUrl, `mutation($id: ID!) { cancelException(id: $id) { status } }`, { id }))).toEqual([]);
    } finally {
      await system.stopWorkers('receiving');
    }
  });
  it('refuses, up front, a receipt that would take its bin over the maximum: parked, it would hold up every receipt behind it', async () => {
    // Bin Q-01 holds 2,147,483,000 units (the test above).
    const over = await receive('asn-10-line-1', 1000, 'Q-01');
    expect(codes(over)).toEqual(['BAD_USER_INPUT']);
    expect(over.errors![0]!.extensions!.field).toBe('quantity');
    expect(over.errors![0]!.message).toContain('2147483000');
    expect((await receipts()).map((r) => r.id)).not.toContain('asn-10-line-1');
    // What fits is taken, counting receipts taken before it and not stocked yet: of 20 sent at
    // once for the 647 units of room left, 6 of 100 are taken, and every one taken is stocked.
    const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => receive(`asn-10-many-${i}`, 100, i % 2 ? 'q-01' : ' Q-01')));
    const taken = sent.filter((res) => res.errors === undefined);
    expect(taken).toHaveLength(6);
    for (const res of sent) if (res.errors) expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(codes(await receive('asn-10-line-3', 48, 'Q-01'))).toEqual(['BAD_USER_INPUT']);
    expect((await receive('asn-10-line-4', 47, 'Q-01')).data!.receiveItems.status).toBe('QUEUED');
    system.addWorker('receiving');
    try {
      const done = await eventually(receipts, (list) => list.filter((r) => r.id.startsWith('asn-10-')).every((r) => r.status === 'DONE'));
      expect(done.filter((r) => r.id.startsWith('asn-10-'))).toHaveLength(7);
      expect(await binQuantity('Q-01')).toBe(2_147_483_647);
    } finally {
      await system.stopWorkers('receiving');
    }
  });
});

describe('receiving: room in the bin, counted once', () => {
  it('counts a receipt inventory has stocked, but receiving has not yet marked done, once', async () => {
    expect((await receive('asn-11-line-1', 1_100_000_000, 'W-01')).errors).toBeUndefined();
    // What the worker does first: inventory counts the receipt (the worker dies before marking it done, say).
    const stocked = await gql(system.urls.inventory, `mutation($input: ReceiveStockInput!) { receiveStock(input: $input) { quantity } }`, {
      input: { receiptId: 'asn-11-line-1', sku: 'MUG-001', distributionCenter: 'LHR1', bin: 'W-01', quantity: 1_100_000_000 },
    });
    expect(stocked.data!.receiveStock.quantity).toBe(1_100_000_000);
    // 2.1 billion fits under the maximum: taken, not refused as if the first were there twice.
    expect((await receive('asn-11-line-2', 1_000_000_000, 'W-01')).data!.receiveItems.status).toBe('QUEUED');
    expect(codes(await receive('asn-11-line-3', 47_483_648, 'W-01'))).toEqual(['BAD_USER_INPUT']);
    // Which receipts a bin counted is receiving's to ask, not a client's: the gateway does not show it.
    const asked = await gql(system.gatewayUrl, `{ binItem(sku: "MUG-001", distributionCenter: "LHR1", bin: "W-01") { stockedReceipts } }`);
    expect(codes(asked)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('answers the same receipt sent twice at once as taken, both times', async () => {
    const twice = await Promise.all([receive('asn-12-line-1', 1_200_000_000, 'W-02'), receive('asn-12-line-1', 1_200_000_000, 'w-02 ')]);
    for (const res of twice) expect(res.data!.receiveItems).toEqual({ id: 'asn-12-line-1', status: 'QUEUED' });
  });
});

describe('receiving: what a receipt refers to, and what its id stands for', () => {
  const receiveRaw = (input: Record<string, unknown>) =>
    gql(system.gatewayUrl, `mutation($input: ReceiveItemsInput!) { receiveItems(input: $input) { id quantity status } }`, {
      input: { sku: 'MUG-001', distributionCenter: 'LHR1', bin: 'R-09', quantity: 1, ...input },
    });

  it('refuses an unknown sku, distribution centre or vendor, and queues nothing', async () => {
    expect(codes(await receiveRaw({ receiptId: 'asn-5-nope', sku: 'NOPE-1' }))).toEqual(['NOT_FOUND']);
    expect(codes(await receiveRaw({ receiptId: 'asn-5-xxx9', distributionCenter: 'XXX9' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await receiveRaw({ receiptId: 'asn-5-vendor', vendorId: 'v_nope' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await receiveRaw({ receiptId: 'asn-5-vendor', vendorId: '0123456789abcdef01234567' }))).toEqual(['NOT_FOUND']);
    // The id is also what lists and their cursors carry: a 10,000-character one would make a cursor no list takes back.
    expect(codes(await receiveRaw({ receiptId: `asn-5-${'x'.repeat(10_000)}` }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await receiveRaw({ receiptId: 'asn-5-\nline' }))).toEqual(['BAD_USER_INPUT']);
    // A bin's code too long: said so, not that its characters are wrong.
    const longBin = await receiveRaw({ receiptId: 'asn-5-bin', bin: 'B'.repeat(41) });
    expect(codes(longBin)).toEqual(['BAD_USER_INPUT']);
    expect(longBin.errors![0]!.message).toContain('bin must be 1 to 40 letters, digits or dashes');
    const ids = (await receipts()).map((r) => r.id);
    expect(ids).not.toContain('asn-5-nope');
    expect(ids).not.toContain('asn-5-xxx9');
    expect(ids).not.toContain('asn-5-vendor');
    expect(ids).not.toContain('asn-5-bin');
  });

  it('answers CONFLICT when a receipt id is reused for other content, and the original for a true retry', async () => {
    const first = await receiveRaw({ receiptId: 'asn-6-line-1', quantity: 5 });
    expect(first.errors).toBeUndefined();
    expect((await receiveRaw({ receiptId: 'asn-6-line-1', quantity: 5 })).data!.receiveItems).toMatchObject({ id: 'asn-6-line-1', quantity: 5 });
    expect(codes(await receiveRaw({ receiptId: 'asn-6-line-1', quantity: 6 }))).toEqual(['CONFLICT']);
    expect(codes(await receiveRaw({ receiptId: 'asn-6-line-1', quantity: 5, bin: 'R-10' }))).toEqual(['CONFLICT']);
  });
});
