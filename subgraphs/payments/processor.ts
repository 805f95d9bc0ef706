import { setTimeout as sleep } from 'node:timers/promises';
import { isDuplicateKeyError } from '../../kit/mongo.ts';
import type { CardDoc, ChargeDoc, MoneyDoc, PaymentsStore, RefundDoc } from './store.ts';

/**
 * A payment-processor simulation with the rules a real one has, so slow and failing
 * charges can be exercised. Like a real processor it is idempotent by key: charging
 * the same request twice returns the first charge.
 *
 * Test cards, by their last four digits (as the customers service stores them):
 * - 0002: always declined (card_declined)
 * - 9995: always declined (insufficient_funds)
 * - 0119: declined the first time it is charged (issuer_unavailable), approved after
 * - any expired card: declined (expired_card)
 *
 * Refunds, idempotent by refund id like charges, go back to the card charged:
 * - only an approved charge can be refunded, and never more than it charged in all (a refusal: permanent)
 * - 0341: each refund fails transiently (processor_timeout) its first REFUND_FAILURES_0341 attempts, then succeeds
 */
export interface ProcessorSettings {
  latencyMs: number;
  /** Share of calls that fail with a transient error (0..1): retried by the queue. */
  failureRate: number;
}

export class ProcessorUnavailable extends Error {
  override name = 'ProcessorUnavailable';
}

/** The processor will never make this refund (nothing approved to refund, or more than was charged). */
export class RefundRefused extends Error {
  override name = 'RefundRefused';
}

/** A refund on record, unless it is the void one of a refund given up: that one is never paid. */
function paidOrRefused(refund: RefundDoc): RefundDoc {
  if (refund.voided) throw new RefundRefused(`refund ${refund._id} was given up (cancelled from exceptions) before it was paid`);
  return refund;
}

/** The test card whose refunds fail transiently, and how many times each of its refunds fails first. */
export const FLAKY_REFUND_CARD = '0341';
export const REFUND_FAILURES_0341 = 2;

/** The test card declined the first time only: its earlier declines are counted; no other card's are. */
const SOFT_DECLINE_CARD = '0119';

export function declineReason(card: CardDoc, priorSoftDeclines: number, now = new Date()): string | null {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  if (card.expYear < year || (card.expYear === year && card.expMonth < month)) return 'expired_card';
  if (card.last4 === '0002') return 'card_declined';
  if (card.last4 === '9995') return 'insufficient_funds';
  if (card.last4 === SOFT_DECLINE_CARD && priorSoftDeclines === 0) return 'issuer_unavailable';
  return null;
}

export class PaymentProcessor {
  constructor(
    private readonly store: PaymentsStore,
    private readonly settings: ProcessorSettings,
  ) {}

  /** Synchronous authorisation: the same rules, nothing recorded. */
  async authorize(card: CardDoc): Promise<{ approved: boolean; declineReason: string | null }> {
    await this.delay();
    const reason = declineReason(card, await this.softDeclines(card));
    return { approved: reason === null, declineReason: reason };
  }

  /** Charges once per key; a repeated call returns the recorded charge. */
  async charge(key: string, orderId: string | null, card: CardDoc, amount: MoneyDoc): Promise<ChargeDoc> {
    const existing = await this.store.charges.findOne({ _id: key });
    if (existing) return existing;
    await this.delay();
    const reason = declineReason(card, await this.softDeclines(card));
    const charge: ChargeDoc = {
      _id: key,
      orderId,
      token: card.token,
      last4: card.last4,
      outcome: reason ? 'DECLINED' : 'APPROVED',
      declineReason: reason,
      amount,
      chargedAt: new Date(),
    };
    try {
      await this.store.charges.insertOne(charge);
      return charge;
    } catch (error) {
      if (isDuplicateKeyError(error)) return (await this.store.charges.findOne({ _id: key }))!;
      throw error;
    }
  }

  /** Refunds once per refund id; a repeated call returns the recorded refund. */
  async refund(refundId: string, chargeId: string, amount: MoneyDoc): Promise<RefundDoc> {
    const existing = await this.store.refunds.findOne({ _id: refundId });
    if (existing) return paidOrRefused(existing);
    const charge = await this.store.charges.findOne({ _id: chargeId });
    if (!charge || charge.outcome !== 'APPROVED') throw new RefundRefused(`charge ${chargeId} was not approved; there is nothing to refund`);
    if (amount.currency !== charge.amount.currency) throw new RefundRefused(`charge ${chargeId} was in ${charge.amount.currency}, not ${amount.currency}`);
    await this.delay();
    if (charge.last4 === FLAKY_REFUND_CARD && (await this.store.refundFailures.countDocuments({ refundId })) < REFUND_FAILURES_0341) {
      await this.store.refundFailures.insertOne({ refundId, at: new Date() });
      throw new ProcessorUnavailable(`refund ${refundId} failed: processor_timeout (test card ${FLAKY_REFUND_CARD}); will retry`);
    }
    // Checked and taken at once: refunds of one charge at the same moment never pay back more than it charged.
    const reservation = await this.store.reserveRefund(charge, refundId, amount.amount);
    if (!reservation.reserved) throw new RefundRefused(`charge ${chargeId} has ${reservation.left} left to refund, less than ${amount.amount}`);
    const refund: RefundDoc = { _id: refundId, chargeId, orderId: charge.orderId, amount, refundedAt: new Date() };
    try {
      await this.store.refunds.insertOne(refund);
      return refund;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const stored = (await this.store.refunds.findOne({ _id: refundId }))!;
      // Voided while this was under way: what it just took is given back too.
      if (stored.voided) await this.store.giveBackRefund(chargeId, refundId, amount.amount);
      return paidOrRefused(stored);
    }
  }

  /** A count of the card's charges, so asked only for the card whose rule reads it: every charge paid for it otherwise. */
  private async softDeclines(card: CardDoc): Promise<number> {
    if (card.last4 !== SOFT_DECLINE_CARD) return 0;
    return this.store.charges.countDocuments({ token: card.token, declineReason: 'issuer_unavailable' });
  }

  private async delay() {
    if (this.settings.latencyMs > 0) await sleep(this.settings.latencyMs * (0.75 + Math.random() / 2));
    if (Math.random() < this.settings.failureRate) throw new ProcessorUnavailable('payment processor timed out; will retry');
  }
}
