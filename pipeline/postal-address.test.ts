import { describe, expect, it } from 'vitest';
import { checkedPostalAddress, parseShippingCountries, refuseUnserved } from './postal-address.ts';

// The one check behind every address a client or another copy sends (customers, regional
// replicas, changes to an order's address): what a parcel's label would print as a blank is refused.

const address = { line1: '12 St James Square', line2: null, city: 'London', postalCode: 'SW1Y 4JH', country: 'gb' };

const codeAndField = (check: () => unknown) => {
  try {
    check();
    return 'accepted';
  } catch (error) {
    const extensions = (error as { extensions?: { code?: string; field?: string } }).extensions;
    return `${extensions?.code} ${extensions?.field}`;
  }
};

describe('a postal address', () => {
  it('is stored trimmed, the country in upper case, an empty second line as none', () => {
    expect(checkedPostalAddress({ ...address, line1: ' 12 St James Square ', line2: '  ' })).toEqual({ ...address, country: 'GB' });
  });

  it('with a line that shows nothing, though it is not empty, is BAD_USER_INPUT naming that line', () => {
    for (const [field, blank] of [
      ['line1', '\u2800\u2800'],
      ['line2', '\u200D\u200D'],
      ['city', '\u0301'],
      ['postalCode', '\u2800'],
    ] as const) {
      expect(codeAndField(() => checkedPostalAddress({ ...address, [field]: blank }, 'address.')), `${field}: ${JSON.stringify(blank)}`).toBe(`BAD_USER_INPUT address.${field}`);
    }
  });
});
