import type { Logger } from '../../kit/logger.ts';
import { startLoop } from '../../kit/loop.ts';
import type { TrackingStore } from './store.ts';

/**
 * Once an order is fulfilled (every shipment it started has shipped, or was pulled by a cancellation) and `delayMs` has
 * passed, its history moves from the tracking store to the warehouse. The move copies
 * first and deletes second, and the history query reads both, de-duplicated, so a
 * crash during the move neither loses nor doubles anything; the next pass finishes it.
 */
export async function archiveFulfilled(store: TrackingStore, delayMs: number, limit = 100): Promise<string[]> {
  const moved: string[] = [];
  for (const orderId of await store.shippedBefore(new Date(Date.now() - delayMs), limit)) {
    const history = await store.recent(orderId);
    const started = new Set(history.filter((t) => t.elementType === 'SHIPMENT' && t.from === null).map((t) => t.elementId));
    const shipped = new Set(history.filter((t) => t.elementType === 'SHIPMENT' && (t.to === 'SHIPPED' || t.to === 'CANCELLED')).map((t) => t.elementId));
    if (started.size === 0 || [...started].some((id) => !shipped.has(id))) continue; // still moving
    await store.moveToWarehouse(history);
    moved.push(orderId);
  }
  return moved;
}

/** Keeps the newest `retain` entries of the event log (whole segments go); histories are unaffected. */
export async function trimEventLog(store: TrackingStore, retain: number): Promise<number> {
  return store.dropEventsBefore((await store.headSeq()) - retain + 1);
}

export function startArchiver(store: TrackingStore, options: { delayMs: number; intervalMs: number; eventRetention: number }, logger: Logger) {
  const pass = async () => {
    const moved = await archiveFulfilled(store, options.delayMs);
    if (moved.length > 0) logger.info('histories moved to the warehouse', { orders: moved.length });
    const dropped = await trimEventLog(store, options.eventRetention);
    if (dropped > 0) logger.info('old event log segments dropped', { segments: dropped });
  };
  return startLoop(pass, { intervalMs: options.intervalMs, logger, what: 'archiving' });
}
