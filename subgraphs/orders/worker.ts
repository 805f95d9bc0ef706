import type { Logger } from '../../kit/logger.ts';
import { startLoop } from '../../kit/loop.ts';
import { startOutboxRelay } from '../../kit/relay.ts';
import { startWorker } from '../../kit/worker.ts';
import { countFromZero, ordersSettledByWorker } from '../../kit/metrics.ts';
import type { ServiceClients } from '../../pipeline/services.ts';
import { sweepUnpublished } from './address-changes.ts';
import { pullRefusedWhenRecorded } from './cancellations.ts';
import { createCoordinator } from './coordinator.ts';
import { sweepUnsentTransitions } from './order-transitions.ts';
import { sweepStalledJourneys } from './place-order.ts';
import type { OrderStore } from './store.ts';
import { DEFAULT_PAY_WITHIN_MS, DEFAULT_STOCK_WAIT_MS } from './env.ts';
import { claimUnpaidOrders, unpaidSweepEveryMs } from './unpaid.ts';
import { RESTOCK_CHECK_EVERY_MS, settleOrdersWaitingForStock } from './restocked.ts';

/** A noted change or cancellation younger than this may still be its request's to publish. */
const UNPUBLISHED_AFTER_MS = 2_000;
/** How often noted ones are looked for: a request dying between recording and publishing is rare, a note's read cheap. */
const UNPUBLISHED_SWEEP_EVERY_MS = 5_000;

/**
 * An orders worker process: coordinates journeys, works the charge-results queue the
 * service named to payments, delivers recorded hand-offs, restarts any order left
 * PLACED by a crash between storing it and handing it on, posts an order's moves a crash
 * left unsent, cancels declined orders nobody paid again in time (unpaid.ts), and retries orders
 * waiting for stock once it has come in, or cancels and refunds them after too long (restocked.ts).
 */
export function startOrdersWorker(
  store: OrderStore,
  clients: ServiceClients,
  logger: Logger,
  options: {
    concurrency?: number;
    payWithinMs?: number;
    /** How long an order short of stock waits for it before it is cancelled and refunded (restocked.ts). */
    stockWaitMs?: number;
    /** How often orders waiting for stock are looked at, to retry or cancel them (restocked.ts); null: never. */
    restockCheckEveryMs?: number | null;
  } = {},
) {
  const payWithinMs = options.payWithinMs ?? DEFAULT_PAY_WITHIN_MS;
  const inventory = clients.get('inventory')!;
  const stockWaitMs = options.stockWaitMs ?? DEFAULT_STOCK_WAIT_MS;
  const coordinator = createCoordinator(store, inventory, { payWithinMs, stockWaitMs });
  pullRefusedWhenRecorded(store);
  countFromZero(ordersSettledByWorker, [{ action: 'cancelled_unpaid' }, { action: 'restock_retried' }, { action: 'cancelled_out_of_stock' }]);
  const relay = startOutboxRelay({ queues: [store.coordination, store.chargeResults, store.reports], clients: (name) => clients.get(name), logger });
  const workers = [
    startWorker({ queue: store.coordination, handle: coordinator.handleStep, logger, concurrency: options.concurrency }),
    startWorker({ queue: store.chargeResults, handle: coordinator.handleChargeResult, logger, concurrency: options.concurrency }),
  ];
  const sweeper = setInterval(() => {
    void sweepStalledJourneys(store, new Date(Date.now() - 30_000))
      .then(() => sweepUnsentTransitions(store, new Date(Date.now() - 30_000)))
      .catch((error: unknown) => logger.warn('sweep for stalled orders and transitions failed', { error: String(error) }));
  }, 10_000);
  // Often: a cancellation or change whose request died before publishing it waits for this, and
  // the order's shipments leave meanwhile (a client that retries publishes it at once).
  const unpublished = startLoop(
    async () => {
      const now = Date.now();
      await sweepUnpublished(store, { recordedBefore: new Date(now - UNPUBLISHED_AFTER_MS), givenUpBefore: new Date(now - 30_000) });
    },
    { intervalMs: UNPUBLISHED_SWEEP_EVERY_MS, logger, what: 'publishing changes and cancellations whose request died' },
  );
  // Loops, not intervals: a pass never starts while the one before is still at work.
  const expiry = startLoop(
    async () => {
      await claimUnpaidOrders(store, payWithinMs, logger);
    },
    { intervalMs: unpaidSweepEveryMs(payWithinMs), logger, what: 'cancelling declined orders left unpaid' },
  );
  const restockEveryMs = options.restockCheckEveryMs === undefined ? RESTOCK_CHECK_EVERY_MS : options.restockCheckEveryMs;
  const restock =
    restockEveryMs === null
      ? undefined
      : startLoop(
          async () => {
            await settleOrdersWaitingForStock(store, inventory, logger, { stockWaitMs });
          },
          { intervalMs: restockEveryMs, logger, what: 'retrying or cancelling orders waiting for stock' },
        );
  return {
    async stop() {
      clearInterval(sweeper);
      await Promise.all([expiry.stop(), restock?.stop(), unpublished.stop()]);
      await Promise.all(workers.map((worker) => worker.stop()));
      await relay.stop();
    },
  };
}
