import { badInput } from './errors.ts';

/** ISO 4217 codes, as the runtime knows them: no test or "no currency" codes (XTS, XXX). */
const currencies = new Set(Intl.supportedValuesOf('currency'));

/** The upper-case ISO 4217 code `code` names, or BAD_USER_INPUT naming `field`. */
export function checkedCurrency(code: string, field: string): string {
  const currency = code.trim().toUpperCase();
  if (!currencies.has(currency)) throw badInput(`${field} must be an ISO 4217 code such as GBP`, field);
  return currency;
}
