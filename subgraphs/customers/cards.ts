import { randomBytes } from 'node:crypto';
import { badInput } from '../../kit/errors.ts';
import type { CardBrandCode, PaymentMethodDoc } from './store.ts';

export interface CardInput {
  cardNumber: string;
  expMonth: number;
  expYear: number;
}

/**
 * Tokenises a card the way a processor's vault would. The full number lives only
 * in this function's arguments: the result holds a token, brand, last four and expiry.
 */
export function tokeniseCard(input: CardInput, now = new Date()): PaymentMethodDoc {
  const digits = input.cardNumber.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits) || !passesLuhn(digits)) {
    throw badInput('cardNumber is not a valid card number', 'cardNumber');
  }
  // Numbers that pass the check digit and no issuer gives out: a first digit 0 is no payment card
  // industry's (ISO/IEC 7812), and one digit over and over (0000 0000 0000 0000) is a test typed in.
  if (digits.startsWith('0') || /^(\d)\1+$/.test(digits)) throw badInput('cardNumber is not a card number any issuer gives out', 'cardNumber');
  if (!Number.isInteger(input.expMonth) || input.expMonth < 1 || input.expMonth > 12) {
    throw badInput('expMonth must be between 1 and 12', 'expMonth');
  }
  if (!Number.isInteger(input.expYear) || input.expYear < 2000 || input.expYear > 2100) {
    throw badInput('expYear must be a year from 2000 to 2100', 'expYear');
  }
  if (isExpired(input.expMonth, input.expYear, now)) {
    throw badInput(`the card expired at the end of ${input.expMonth}/${input.expYear}`, 'expYear');
  }
  return {
    id: randomBytes(12).toString('hex'),
    token: `tok_${randomBytes(16).toString('hex')}`,
    brand: brandOf(digits),
    last4: digits.slice(-4),
    expMonth: input.expMonth,
    expYear: input.expYear,
  };
}

/** A card is valid through the last day of its expiry month. */
export function isExpired(expMonth: number, expYear: number, now = new Date()): boolean {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  return expYear < year || (expYear === year && expMonth < month);
}

function brandOf(digits: string): CardBrandCode {
  if (digits.startsWith('4')) return 'VISA';
  if (/^3[47]/.test(digits)) return 'AMEX';
  const prefix = Number(digits.slice(0, 4));
  if (/^5[1-5]/.test(digits) || (prefix >= 2221 && prefix <= 2720)) return 'MASTERCARD';
  return 'OTHER';
}

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
