import type { Logger } from '../../kit/logger.ts';
import { startLoop } from '../../kit/loop.ts';
import type { TrackingStore } from './store.ts';

/** How long an order found finished but still moving (a shipment's last move not yet recorded) is left before it is looked at again. */
const RECHECK_MOVING_MS = 10 * 60_000;
/** Orders remembered as still moving, at most: beyond, the oldest are looked at again sooner. */
const MOVING_KEPT = 10_000;
/** Orders moved in one pass at most; a full pass is followed by another at once. */
const ORDERS_A_PASS = 200;

/**
 * Once an order is finished (it moved to SHIPPED, or to CANCELLED with every shipment pulled),
 * every shipment it started has its last move recorded, and `delayMs` has passed, its history
 * moves from the tracking store to the warehouse, oldest first, at most `limit` orders a pass. The
 * move copies first and deletes second, and the history query reads both, de-duplicated, so a
 * crash during the move neither loses nor doubles anything; the next pass finishes it. An order
 * still moving is remembered in `moving` and passed over until it is due to be looked at again,
 * so that a few of them never hold up the rest.
 */
export async function archiveFulfilled(store: TrackingStore, delayMs: number, limit = ORDERS_A_PASS, moving = new Map<string, number>()): Promise<string[]> {
  const moved: string[] = [];
  const now = Date.now();
  for (const [orderId, recheckAt] of moving) if (recheckAt <= now) moving.delete(orderId);
  for (const orderId of await store.finishedBefore(new Date(now - delayMs))) {
    if (moved.length >= limit) break;
    if (moving.has(orderId)) continue;
    const history = await store.recent(orderId);
    const started = new Set(history.filter((t) => t.elementType === 'SHIPMENT' && t.from === null).map((t) => t.elementId));
    const ended = new Set(history.filter((t) => t.elementType === 'SHIPMENT' && (t.to === 'SHIPPED' || t.to === 'CANCELLED')).map((t) => t.elementId));
    if ([...started].some((id) => !ended.has(id))) {
      moving.set(orderId, now + RECHECK_MOVING_MS);
      if (moving.size > MOVING_KEPT) moving.delete(moving.keys().next().value!);
      continue;
    }
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
  const moving = new Map<string, number>();
  const pass = async () => {
    const moved = await archiveFulfilled(store, options.delayMs, ORDERS_A_PASS, moving);
    if (moved.length > 0) logger.info('histories moved to the warehouse', { orders: moved.length });
    const dropped = await trimEventLog(store, options.eventRetention);
    if (dropped > 0) logger.info('old event log segments dropped', { segments: dropped });
    // A full pass: more may be waiting, at once rather than after the interval (a busy shop
    // finishes more orders in 30 s than one pass moves).
    return moved.length >= ORDERS_A_PASS;
  };
  return startLoop(pass, { intervalMs: options.intervalMs, logger, what: 'archiving' });
}
