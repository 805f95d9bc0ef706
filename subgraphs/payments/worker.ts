import type { Logger } from '../../kit/logger.ts';
import type { Lease, NewMessage } from '../../kit/queue.ts';
import type { CallbackPolicy } from '../../kit/callbacks.ts';
import { startOutboxRelay } from '../../kit/relay.ts';
import { startWorker } from '../../kit/worker.ts';
import { operations, type ChargeResultPayload } from '../../pipeline/messages.ts';
import type { ServiceClients } from '../../pipeline/services.ts';
import { track, transition } from '../../pipeline/tracking.ts';
import type { PaymentProcessor } from './processor.ts';
import type { ChargeRequestPayload, PaymentsStore } from './store.ts';

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
  const result: ChargeResultPayload = {
    requestId: request.requestId,
    orderId: request.orderId,
    outcome: charge.outcome,
    declineReason: charge.declineReason,
    chargeId: charge._id,
    amount: charge.amount,
  };
  const messages: NewMessage[] = [
    track(
      transition({
        elementType: 'CHARGE',
        elementId: request.requestId,
        orderId: request.orderId,
        from: 'QUEUED',
        to: charge.outcome,
        node: 'payments',
        detail: charge.declineReason,
      }),
    ),
  ];
  if (request.callbackUrl) {
    messages.push({ id: `callback:${request.requestId}`, target: request.callbackUrl, operation: 'callback', variables: { ...result }, maxAttempts: CALLBACK_MAX_ATTEMPTS });
  }
  if (request.replyTo) {
    const [service, queue] = request.replyTo.split('.') as [string, string];
    messages.push({ id: `reply:${request.requestId}`, target: service, operation: operations.receiveChargeResult, variables: { queue, result } });
  }
  return { result, messages };
}

export function startPaymentsWorker(
  store: PaymentsStore,
  processor: PaymentProcessor,
  clients: ServiceClients,
  logger: Logger,
  options: { concurrency?: number; callbacks?: CallbackPolicy } = {},
) {
  const relay = startOutboxRelay({ queues: [store.requests], clients: (name) => clients.get(name), logger, callbacks: options.callbacks });
  const worker = startWorker({ queue: store.requests, handle: (lease) => chargeOne(processor, lease), logger, concurrency: options.concurrency, onHandOff: relay.nudge });
  return {
    async stop() {
      await worker.stop();
      await relay.stop();
    },
  };
}
