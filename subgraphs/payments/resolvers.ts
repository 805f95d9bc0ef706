import { assertCalledBy } from '../../kit/auth/ownership.ts';
import { checkedCurrency } from '../../kit/currency.ts';
import { badInput, clientError, ErrorCode, notFound, tryLater } from '../../kit/errors.ts';
import { sameRequestOrConflict } from '../../kit/idempotency.ts';
import { queueDepth, queueDepthResolvers, type NewMessage } from '../../kit/queue.ts';
import { clientKey, cutTo, readableText } from '../../kit/storable-text.ts';
import { closeOfParked, MAX_RESOLUTION } from '../../pipeline/exceptions.ts';
import { looksLikeOrderChargeId } from '../../pipeline/messages.ts';
import { isServiceName } from '../../pipeline/services.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import { ProcessorUnavailable } from './processor.ts';
import type { CardDoc, ChargeDoc, ChargeRequestPayload, PaymentsStore, RefundPayload } from './store.ts';
import { givenUpCharge, resultOfMadeCharge } from './charge-results.ts';
import { chargeTransition, priorTransitions } from './refund-transitions.ts';

/**
 * What a refund keeps of its reason. Orders send the cause and then the text a person gave (a
 * cancellation's or a stop's reason, up to 500 characters): `cancelled: <reason>`. Kept whole
 * within this; the cut only bounds what any caller can store.
 */
const MAX_REFUND_REASON = 1_000;

/**
 * A requester takes a charge's result as the answer to its own request: a result in its queue
 * moves an order on, and a request made under its id first makes its own a CONFLICT. So only a
 * service may name its own queue as `replyTo` (anyone else polls `chargeRequest` or gives a
 * `callbackUrl`), and only orders may use the ids it gives its charges. Otherwise a person could
 * charge a penny to a card of their choosing and have the order ship on it.
 */
function assertOwnRequest(context: unknown, requestId: string, replyTo: string | null): void {
  const replyService = replyTo?.split('.')[0];
  if (replyService) assertCalledBy(context, [replyService], `name its queue as replyTo (anyone else polls chargeRequest or gives a callbackUrl)`);
  if (looksLikeOrderChargeId(requestId)) assertCalledBy(context, ['orders'], 'use requestIds that start <order id>:charge:');
}

const statusOf = { READY: 'QUEUED', LEASED: 'PROCESSING', DONE: 'COMPLETED', FAILED: 'FAILED', CANCELLED: 'CANCELLED' } as const;
const refundStatusOf = { READY: 'QUEUED', LEASED: 'PROCESSING', DONE: 'REFUNDED', FAILED: 'FAILED', CANCELLED: 'CANCELLED' } as const;

/** A refund's `after`, kept only when given. */
const withPrior = (after: RefundPayload['after']) => (after ? { after } : {});
/** The outcome of the charge a refund pays back, when payments made it. */
const chargedOf = (charge: ChargeDoc | null) => (charge ? { charged: chargeTransition(charge.orderId, charge) } : {});
/** A refund request without what it follows: what a retry of it must repeat. */
const ownFields = ({ after: _after, charged: _charged, ...own }: RefundPayload) => own;

/** What giving up the charge request `id` sends (see givenUpCharge); nothing for one that is not here. */
async function givenUpChargeOf(store: PaymentsStore, id: string): Promise<NewMessage[]> {
  const request = await store.requests.get(id);
  return request ? givenUpCharge(store, request.payload, `charge ${id} cancelled from exceptions`) : [];
}

export const resolvers: Resolvers = {
  QueueDepth: queueDepthResolvers,
  Query: {
    chargeRequest: (_, { id }, { store }) => store.requests.get(id),
    chargeQueue: (_, __, context) => queueDepth(context.store.requests as never, context),
  },
  Mutation: {
    authorize: async (_, { input }, { processor }) => {
      const card = checkCard(input.card);
      checkedAmount(input.amount);
      try {
        return await processor.authorize(card);
      } catch (error) {
        // Nothing retries a synchronous answer: the caller is told the processor's failure is
        // passing and to ask again, not an internal error (nothing is recorded either way).
        if (error instanceof ProcessorUnavailable) throw clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, 'the payment processor did not answer in time; nothing was authorised: ask again', { service: 'processor' });
        throw error;
      }
    },
    requestCharge: async (_, { input }, context) => {
      const { store, callbacks } = context;
      const card = checkCard(input.card);
      const amount = checkedAmount(input.amount);
      if (!input.requestId.trim() || input.requestId.length > 200) throw badInput('requestId must be 1 to 200 characters', 'requestId');
      // Stored as it is called back: the relay sends a message as a callback by its stored target.
      const callbackUrl = input.callbackUrl ? callbacks.check(input.callbackUrl) : null;
      // A service of this system's: the relay sends the result there, and labels its metrics with it.
      if (input.replyTo && !(/^[a-z]+\.[a-z][a-z-]{0,60}$/.test(input.replyTo) && isServiceName(input.replyTo.split('.')[0]!))) {
        throw badInput('replyTo names a queue of one of this system\'s services as "<service>.<queue>", for example orders.charge-results', 'replyTo');
      }
      assertOwnRequest(context, input.requestId, input.replyTo ?? null);
      const payload: ChargeRequestPayload = {
        requestId: input.requestId,
        orderId: input.orderId ?? null,
        amount,
        card,
        callbackUrl,
        replyTo: input.replyTo ?? null,
      };
      const { item, created } = await store.requests.enqueue(input.requestId, payload);
      if (!created) sameRequestOrConflict(item.payload, payload, `requestId ${input.requestId}`, 'requestId');
      return item;
    },
    retryChargeRequest: (_, { id }, { store }) => store.requests.retry(id),
    requestRefund: async (_, { input }, { store }) => {
      if (!input.refundId.trim() || input.refundId.length > 200) throw badInput('refundId must be 1 to 200 characters', 'refundId');
      if (input.orderId != null && input.orderId.length > 200) throw badInput('orderId must be at most 200 characters', 'orderId');
      const amount = checkedAmount(input.amount);
      const payload: RefundPayload = {
        refundId: input.refundId,
        orderId: input.orderId ?? null,
        chargeId: input.chargeId,
        amount,
        reason: cutTo(input.reason, MAX_REFUND_REASON),
        ...withPrior(priorTransitions(input.after, input.orderId ?? null)),
        ...chargedOf(await store.charges.findOne({ _id: input.chargeId })),
      };
      await store.noteRefundOrder(input.refundId, payload.orderId);
      const { item, created } = await store.refundRequests.enqueue(input.refundId, payload);
      // What it follows is not compared: told again, its moves carry the trace of the request that tells them.
      if (!created) sameRequestOrConflict(ownFields(item.payload), ownFields(payload), `refundId ${input.refundId}`, 'refundId');
      return item;
    },
    withdrawCharge: async (_, { requestId, reason }, { store }) => {
      // Checked as the exceptions service checks a resolution: refused there, the close would be given up.
      const resolution = readableText(reason, 'reason', MAX_RESOLUTION);
      // A request parked after the processor charged all the same (its worker died after): the
      // charge's result goes to orders too, which pays back a charge on a cancelled order.
      const charge = await store.charges.findOne({ _id: requestId });
      const outcome = await store.requests.cancelWaiting(requestId, (current) => {
        const close = closeOfParked(current.outbox, resolution);
        const result = resultOfMadeCharge(current.payload, charge);
        return [...(close ? [close] : []), ...(result ? [result] : [])];
      });
      if (outcome === 'working') throw tryLater(`charge ${requestId} is being made; ask again once it is done`);
      return true;
    },
    resolvePaymentsException: async (_, { queue, elementId, action }, { store }) => {
      const target = store.queue(queue);
      if (!target) throw notFound(`no queue named ${queue}`, { field: 'queue' });
      // A refund given up may have taken its amount of the charge before failing: it is voided and
      // the amount given back first, so that a repeated CANCEL (this one failing half-way) does it too.
      if (queue === 'refunds' && action === 'CANCEL') {
        const refund = await store.refundRequests.get(elementId);
        if (refund && refund.status !== 'DONE') await store.voidRefund(refund.payload);
      }
      // Done, but a service refused what it handed on (a charge's result): sent again, or given up.
      // Given up, the order is left as it is: a charge may have been taken, and only orders can
      // stop the order and pay back what it knows of.
      if (await target.resolveRefused(elementId, action)) return true;
      const item = action === 'RETRY' ? await target.retry(elementId) : await target.cancel(elementId, queue === 'charges' ? await givenUpChargeOf(store, elementId) : []);
      if (!item) throw notFound(`no parked element ${elementId} in ${queue}`, { field: 'elementId' });
      return true;
    },
  },
  ChargeRequest: {
    id: (item) => item._id,
    status: (item) => statusOf[item.status],
    charge: async (item, _, { store }) => (item.status === 'DONE' ? store.charges.findOne({ _id: item._id }) : null),
    callbackUrl: (item) => item.payload.callbackUrl,
    replyTo: (item) => item.payload.replyTo,
    deliveries: (item) => item.outbox,
  },
  ResultDelivery: {
    abandoned: (message) => message.abandoned ?? false,
    attempts: (message) => message.attempts,
  },
  Charge: {
    id: (charge) => charge._id,
    requestId: (charge) => charge._id,
    chargedAt: (charge) => charge.chargedAt.toISOString(),
  },
  Order: {
    __resolveReference: (ref) => ({ id: ref.id }),
    charge: (order, _, { chargeByOrder }) => chargeByOrder.load(order.id),
    refunds: (order, _, { refundsByOrder }) => refundsByOrder.load(order.id),
  },
  Refund: {
    id: (item) => item._id,
    status: (item) => refundStatusOf[item.status],
    amount: (item) => item.payload.amount,
    reason: (item) => item.payload.reason,
    chargeId: (item) => item.payload.chargeId,
    requestedAt: (item) => item.enqueuedAt.toISOString(),
    refundedAt: (item) => (item.status === 'DONE' && item.result ? new Date(item.result.refundedAt).toISOString() : null),
  },
};

function checkCard(card: CardDoc): CardDoc {
  clientKey(card.token, 'card.token', 200);
  if (!/^\d{4}$/.test(card.last4)) throw badInput('card.last4 must be four digits', 'card.last4');
  if (!Number.isInteger(card.expMonth) || card.expMonth < 1 || card.expMonth > 12) throw badInput('card.expMonth must be 1 to 12', 'card.expMonth');
  if (!Number.isInteger(card.expYear) || card.expYear < 2000 || card.expYear > 2100) throw badInput('card.expYear must be a year from 2000 to 2100', 'card.expYear');
  return { token: card.token, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear };
}

/** An amount to charge or refund: positive whole minor units of an upper-case ISO 4217 currency. */
function checkedAmount(amount: { amount: number; currency: string }): { amount: number; currency: string } {
  if (!Number.isInteger(amount.amount) || amount.amount <= 0) throw badInput('amount.amount must be a positive number of minor units', 'amount.amount');
  return { amount: amount.amount, currency: checkedCurrency(amount.currency, 'amount.currency') };
}
