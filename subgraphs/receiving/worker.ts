import { hostname } from 'node:os';
import { RejectedByService, type GraphQLClient } from '../../kit/graphql-client.ts';
import type { Logger } from '../../kit/logger.ts';
import { ringKey } from '../../kit/doorbell.ts';
import { startLoop } from '../../kit/loop.ts';
import { startOutboxRelay } from '../../kit/relay.ts';
import { isUnavailable } from '../../kit/unavailable.ts';
import { operations } from '../../pipeline/messages.ts';
import type { ServiceClients } from '../../pipeline/services.ts';
import { track, transition } from '../../pipeline/tracking.ts';
import type { ReceivingStore } from './store.ts';

/**
 * Receiving is a sequential queue: only the oldest unfinished receipt may be worked
 * on, by whichever worker leases it; the next waits until it is done. A receipt that
 * fails is retried in place (nothing overtakes it); one parked in exceptions blocks
 * the queue until a person retries or cancels it, because order is the point.
 * Inventory counts each receipt once (by receipt id), so a retry cannot add twice.
 */
export async function processNext(store: ReceivingStore, inventory: GraphQLClient, owner: string): Promise<'processed' | 'idle' | 'blocked'> {
  const head = await store.head();
  if (!head) return 'idle';
  if (head.status === 'FAILED') return 'blocked';
  const lease = await store.receipts.leaseById(head._id, owner);
  if (!lease) return 'idle'; // another worker holds it, or it is backing off
  try {
    const { receiptId, sku, distributionCenter, bin, quantity, returnId } = lease.payload;
    await inventory.request(operations.receiveStock, { input: { receiptId, sku, distributionCenter, bin, quantity } });
    const stocked = transition({ elementType: 'RECEIPT', elementId: receiptId, from: 'QUEUED', to: 'STOCKED', node: 'receiving', detail: `${quantity} × ${sku} into ${distributionCenter}/${bin}` });
    // A customer's return is back on the shelf: orders has it refunded (idempotent by return id).
    const returned = returnId
      ? [{ id: `return-received:${receiptId}`, target: 'orders', operation: operations.recordReturnReceived, variables: { input: { returnId, receiptId, sku, quantity } } }]
      : [];
    await store.receipts.complete(lease, { result: { processedAt: new Date() }, messages: [track(stocked), ...returned] });
    return 'processed';
  } catch (error) {
    // Inventory refusing the receipt as such (a bin over its maximum) will refuse it again:
    // park it for a person at once rather than retry for ten minutes.
    await store.receipts.fail(lease, error instanceof Error ? error.message : String(error), {
      permanent: error instanceof RejectedByService,
      unavailable: isUnavailable(error),
    });
    return 'idle';
  }
}

export function startReceivingWorker(store: ReceivingStore, clients: ServiceClients, logger: Logger, pollMs = 50) {
  const owner = `${hostname()}:${process.pid}:receiving`;
  const inventory = clients.get('inventory')!;
  let warnedBlocked = false;
  const loop = startLoop(
    async () => {
      const outcome = await processNext(store, inventory, owner);
      if (outcome === 'blocked' && !warnedBlocked) logger.warn('receiving is blocked by a receipt waiting in exceptions');
      warnedBlocked = outcome === 'blocked';
      // The next receipt may go at once; with none waiting, poll less often, up to every 2 s
      // (a receipt stored at the receiving service rings at once).
      return outcome === 'processed' ? true : outcome === 'idle' ? 'idle' : false;
    },
    { intervalMs: pollMs, idleMaxMs: 2_000, logger, what: 'receiving pass', wakeOn: [ringKey(store.receipts.labels, 'work')] },
  );
  const relay = startOutboxRelay({ queues: [store.receipts], clients: (name) => clients.get(name), logger });
  return {
    async stop() {
      await loop.stop();
      await relay.stop();
    },
  };
}
