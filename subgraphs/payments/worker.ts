import type { Logger } from '../../kit/logger.ts';
import type { Lease, NewMessage } from '../../kit/queue.ts';
import type { CallbackPolicy } from '../../kit/callbacks.ts';
import { startOutboxRelay } from '../../kit/relay.ts';
import { PermanentFailure, startWorker } from '../../kit/worker.ts';
import { operations, type ChargeResultPayload } from '../../pipeline/messages.ts';
import type { ServiceClients } from '../../pipeline/services.ts';
import { track } from '../../pipeline/tracking.ts';
import { chargeTransition, refundTransition, trackRefund } from './refund-transitions.ts';
import { RefundRefused, type PaymentProcessor } from './processor.ts';
import type { ChargeRequestPayload, PaymentsStore, RefundPayload } from './store.ts';
import { replyWith, resultOf } from './charge-results.ts';

/** Callbacks are the fragile style: after this many failed posts the result stays for polling only. */
export const CALLBACK_MAX_ATTEMPTS = 6;

/**
 * Charges a request (once, whatever the retries) and returns the result the way the
 * requester asked: always available by polling; also posted to its callback URL, or
 * published to the persistent queue it named (delivered by the outbox, so it
 * survives the requester being down).
 */
export async function chargeOne(processor: PaymentProcessor, lease: Lease<ChargeRequestPayload>) {
  const request = lease.payload;
  const charge = await processor.charge(request.requestId, request.orderId, request.card, request.amount);
  const result = resultOf(request, charge);
  const messages: NewMessage[] = [
    track(chargeTransition(request.orderId, charge)),
  ];
  if (request.callbackUrl) {
    messages.push({ id: `callback:${request.requestId}`, target: request.callbackUrl, operation: 'callback', variables: { ...result }, maxAttempts: CALLBACK_MAX_ATTEMPTS });
  }
  if (request.replyTo) messages.push(replyWith(request.replyTo, result));
  return { result, messages };
}

/**
 * Refunds a request, once whatever the retries (the processor is idempotent by refund id: a
 * worker killed after the processor paid back and before completing leaves the element to be
 * leased again, and the retry finds the refund made). Transient failures are retried with
 * backoff; a refund that keeps failing, or that the processor refuses, is parked in exceptions.
 */
export async function refundOne(processor: PaymentProcessor, lease: Lease<RefundPayload>, enqueuedAt: Date | null = null) {
  const request = lease.payload;
  let refund;
  try {
    refund = await processor.refund(request.refundId, request.chargeId, request.amount);
  } catch (error) {
    if (error instanceof RefundRefused) throw new PermanentFailure(error.message);
    throw error;
  }
  const paid = { ...request, amount: refund.amount };
  const messages: NewMessage[] = [
    trackRefund(
      paid,
      refundTransition(paid, null, 'REFUND_REQUESTED', { at: enqueuedAt ?? undefined }),
      refundTransition(paid, 'REFUND_REQUESTED', 'REFUNDED', { at: refund.refundedAt }),
    ),
  ];
  return { result: refund, messages };
}

export function startPaymentsWorker(
  store: PaymentsStore,
  processor: PaymentProcessor,
  clients: ServiceClients,
  logger: Logger,
  options: { concurrency?: number; callbacks?: CallbackPolicy } = {},
) {
  const relay = startOutboxRelay({ queues: [store.requests, store.refundRequests], clients: (name) => clients.get(name), logger, callbacks: options.callbacks });
  const worker = startWorker({ queue: store.requests, handle: (lease) => chargeOne(processor, lease), logger, concurrency: options.concurrency });
  const refunds = startWorker({
    queue: store.refundRequests,
    handle: async (lease) => refundOne(processor, lease, (await store.refundRequests.get(lease.id))?.enqueuedAt ?? null),
    logger,
    concurrency: options.concurrency,
  });
  return {
    async stop() {
      await Promise.all([worker.stop(), refunds.stop()]);
      await relay.stop();
    },
  };
}
