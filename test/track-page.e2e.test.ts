import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, TestDatabases, testTokens } from './harness.ts';
import { placeOrder, startSystem, type RunningSystem } from './system.ts';

// The live tracking page in a real headless browser: Debian's chromium, driven by playwright-core.
// `.ci/run` installs chromium; elsewhere set CHROMIUM_PATH or `apt-get install chromium`.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const dbs = new TestDatabases();
let system: RunningSystem;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(executablePath)) throw new Error(`No browser at ${executablePath}: install chromium (apt-get install chromium) or set CHROMIUM_PATH.`);
  browser = await chromium.launch({ executablePath, args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  system = await startSystem(dbs);
});
afterAll(async () => {
  await browser?.close();
  await system?.close();
  await dbs.cleanup();
});

describe('the /track page', () => {
  it('shows an order with its history and follows it live to SHIPPED', async () => {
    await system.stopWorkers('shipping'); // hold the order before it ships, to watch it ship live
    const id = await placeOrder(system.gatewayUrl, [{ sku: 'LAMP-001', quantity: 1 }]);
    const page = await browser.newPage();
    try {
      // A tracking link, as the customer (here: the test's operator) reads it off the order.
      const token = (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { trackingToken } }`, { id })).data!.order.trackingToken as string;
      await page.goto(system.gatewayUrl.replace('/graphql', `/track?order=${id}&token=${token}`));
      await page.getByText('Live: transitions appear as they happen.').waitFor({ timeout: 10_000 });
      await page.locator('#history tr', { hasText: 'NEW → PLACED' }).first().waitFor();
      await page.locator('#history tr', { hasText: 'PICKING → SHIPPING' }).first().waitFor({ timeout: 15_000 });
      expect(await page.locator('#history tr', { hasText: /→ SHIPPED/ }).count()).toBe(0);

      system.addWorker('shipping');
      const shippedRow = page.locator('#history tr', { hasText: 'SHIPPING → SHIPPED' }).first();
      await shippedRow.waitFor({ timeout: 15_000 });
      expect(await shippedRow.getAttribute('class')).toBe('new'); // arrived live, not from the first read
      await expect.poll(() => page.locator('#shipments').textContent(), { timeout: 10_000 }).toMatch(/\w+ \w{6,}/);
      // The order's own SHIPPED, recorded by the orders service once its last shipment left.
      await expect.poll(() => page.locator('#where').textContent()).toBe('SHIPPED at orders');
      await page.locator('#history tr', { hasText: /order .*SHIPPING → SHIPPED/ }).first().waitFor({ timeout: 10_000 });

      if (process.env.TRACK_SCREENSHOT) await page.screenshot({ path: process.env.TRACK_SCREENSHOT, fullPage: true });
      // Nodes' outboxes deliver independently, so the last transitions may arrive after SHIPPED.
      const history = (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { history { id } } }`, { id })).data!.order.history;
      await expect.poll(() => page.locator('#history tr').count(), { timeout: 10_000 }).toBe(history.length);
      // In the order they happened, as the history query has them, whatever order they arrived in live.
      const rowIds = await page.locator('#history tr').evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.id));
      expect(rowIds).toEqual(history.map((t: { id: string }) => t.id));
    } finally {
      await page.close();
    }
  });

  it('puts a transition that arrives late where it happened, and leaves "where" at the newest', async () => {
    const id = await placeOrder(system.gatewayUrl, [{ sku: 'LAMP-001', quantity: 1 }]);
    const page = await browser.newPage();
    try {
      const token = (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { trackingToken } }`, { id })).data!.order.trackingToken as string;
      await page.goto(system.gatewayUrl.replace('/graphql', `/track?order=${id}&token=${token}`));
      await expect.poll(() => page.locator('#where').textContent(), { timeout: 20_000 }).toBe('SHIPPED at orders');
      const history = (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { history { id at } } }`, { id })).data!.order.history;
      await expect.poll(() => page.locator('#history tr').count(), { timeout: 10_000 }).toBe(history.length);
      // Nodes report to tracking through their own outboxes: an order's SHIPPING can reach tracking
      // after its shipment's SHIPPED. Such a report, recorded now with the time it happened:
      // (Just after its placement's moves, PLACED and PLACED → CHARGING, made at the same moment.)
      const at = new Date(Date.parse(history[1].at) + 1).toISOString();
      const late = { id: `late-${id}`, elementType: 'ORDER', elementId: id, orderId: id, from: 'PICKING', to: 'SHIPPING', node: 'orders', at };
      const recorded = await gql(system.urls.tracking, `mutation($input: [TransitionInput!]!) { recordTransitions(input: $input) }`, { input: [late] });
      expect(recorded.errors).toBeUndefined();
      const row = page.locator(`#history tr[data-id="late-${id}"]`);
      await row.waitFor({ timeout: 10_000 });
      expect(await row.getAttribute('class')).toBe('new'); // arrived live
      expect(await page.locator('#history tr').nth(2).getAttribute('data-id')).toBe(`late-${id}`);
      expect(await page.locator('#where').textContent()).toBe('SHIPPED at orders');
    } finally {
      await page.close();
    }
  });

  it('shows a cancellation and its refund live', async () => {
    await system.stopWorkers('shipping'); // hold the order at shipping, where the cancellation pulls it
    try {
      const id = await placeOrder(system.gatewayUrl, [{ sku: 'MUG-001', quantity: 1 }]);
      const page = await browser.newPage();
      try {
        const token = (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { trackingToken } }`, { id })).data!.order.trackingToken as string;
        await page.goto(system.gatewayUrl.replace('/graphql', `/track?order=${id}&token=${token}`));
        await page.getByText('Live: transitions appear as they happen.').waitFor({ timeout: 10_000 });
        await page.locator('#history tr', { hasText: 'PICKING → SHIPPING' }).first().waitFor({ timeout: 15_000 });

        const res = await gql(system.gatewayUrl, `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { id } }`, {
          input: { orderId: id, reason: 'my private reason', idempotencyKey: `track-${id}` },
        });
        expect(res.errors).toBeUndefined();
        // Pulled by shipping (its workers are stopped; its relay, which runs with them, then reports).
        await expect.poll(async () => (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { shipmentProgress { shipmentId } } }`, { id })).data!.order.shipmentProgress.length).toBe(1);
        const shipmentId = (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { shipmentProgress { shipmentId } } }`, { id })).data!.order.shipmentProgress[0].shipmentId;
        await expect.poll(async () => (await gql(system.gatewayUrl, `query($id: ID!) { shippingShipment(id: $id) { status } }`, { id: shipmentId })).data!.shippingShipment?.status, { timeout: 15_000 }).toBe('CANCELLED');
        system.addWorker('shipping');

        for (const text of ['new → CANCEL_REQUESTED', 'CANCEL_REQUESTED → CANCEL_APPLIED', 'SHIPPING → CANCELLED', 'REFUND_REQUESTED → REFUNDED']) {
          const row = page.locator('#history tr', { hasText: text }).first();
          await row.waitFor({ timeout: 15_000 });
          expect(await row.getAttribute('class')).toBe('new'); // arrived live
        }
        // The reason is the customer's own words: not on a page anyone with the link can read.
        expect(await page.locator('body').textContent()).not.toContain('my private reason');
      } finally {
        await page.close();
      }
    } finally {
      await system.stopWorkers('shipping');
      system.addWorker('shipping');
    }
  });

  it('waits out orders being down, shows what orders holds while tracking is down, and the history once it is back', async () => {
    const id = await placeOrder(system.gatewayUrl, [{ sku: 'BOOK-002', quantity: 1 }]);
    const token = (await gql(system.gatewayUrl, `query($id: ID!) { order(id: $id) { trackingToken } }`, { id })).data!.order.trackingToken as string;
    const page = await browser.newPage();
    const down = new Set(['orders', 'tracking'] as const);
    for (const name of down) await system.stop(name);
    const restart = async (name: 'orders' | 'tracking') => {
      down.delete(name);
      await system.restart(name);
    };
    try {
      await page.goto(system.gatewayUrl.replace('/graphql', `/track?order=${id}&token=${token}`));
      await page.getByText('This order cannot be read just now; trying again shortly.').waitFor({ timeout: 10_000 });
      await restart('orders');
      await page.getByText('Part of this order cannot be shown just now (from tracking); trying again shortly.').waitFor({ timeout: 15_000 });
      expect(await page.locator('#status').textContent()).toMatch(/^[A-Z_]+$/);
      await restart('tracking');
      await page.getByText('Live: transitions appear as they happen.').waitFor({ timeout: 15_000 });
      await page.locator('#history tr', { hasText: 'NEW → PLACED' }).first().waitFor({ timeout: 10_000 });
    } finally {
      for (const name of down) await system.restart(name);
      await page.close();
    }
  });

  it('shows nothing without a tracking link, nor with the link of another order', async () => {
    const id = await placeOrder(system.gatewayUrl, [{ sku: 'BOOK-002', quantity: 1 }]);
    const other = await testTokens.signTracking('64b0000000000000000000fe');
    const page = await browser.newPage();
    try {
      await page.goto(system.gatewayUrl.replace('/graphql', `/track?order=${id}`));
      await page.getByText(/Sign in to use Query.order/).waitFor({ timeout: 10_000 });
      expect(await page.locator('#tracking').isHidden()).toBe(true);
      await page.goto(system.gatewayUrl.replace('/graphql', `/track?order=${id}&token=${other}`));
      // Another order's link reads as an id that is no order: it tells nothing of this order.
      await page.getByText(/This link shows no order/).waitFor({ timeout: 10_000 });
      expect(await page.locator('#tracking').isHidden()).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('says when its link expired, and stops trying: a link that no longer works is not asked again and again', async () => {
    const id = await placeOrder(system.gatewayUrl, [{ sku: 'BOOK-002', quantity: 1 }]);
    const token = await testTokens.signTracking(id, 4);
    const page = await browser.newPage();
    const sockets: number[] = [];
    page.on('websocket', () => sockets.push(Date.now()));
    try {
      await page.goto(system.gatewayUrl.replace('/graphql', `/track?order=${id}&token=${token}`));
      await page.getByText('Live: transitions appear as they happen.').waitFor({ timeout: 10_000 });
      await page.getByText(/this link has expired or no longer gives access to this order/).waitFor({ timeout: 15_000 });
      const opened = sockets.length;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(sockets.length).toBe(opened);
      expect(await page.locator('#connection').getAttribute('data-state')).toBe('ended');
    } finally {
      await page.close();
    }
  });

  it('says so when no order has the id', async () => {
    const page = await browser.newPage();
    const token = await testTokens.signTracking('64b0000000000000000000ff');
    try {
      await page.goto(system.gatewayUrl.replace('/graphql', `/track?order=64b0000000000000000000ff&token=${token}`));
      await page.getByText(/This link shows no order/).waitFor({ timeout: 10_000 });
      expect(await page.locator('#tracking').isHidden()).toBe(true);
    } finally {
      await page.close();
    }
  });
});
