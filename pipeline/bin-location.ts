import { badInput } from '../kit/errors.ts';
import { distributionCentres } from './distribution-centres.ts';

const CODE = /^[A-Z0-9][A-Z0-9-]{0,39}$/;

export interface BinLocation {
  sku: string;
  distributionCenter: string;
  bin: string;
}

/** A sku, a centre's or a bin's code as stored: trimmed, upper case. Reads look codes up as writes store them. */
export const asCode = (value: string): string => value.trim().toUpperCase();

/**
 * A code a list is filtered by (a sku, a distribution centre), as stored; absent when not given.
 * An empty one, or a centre that does not exist, is a mistake, not a filter that matches nothing.
 */
export function codeFilter(value: string | null | undefined, field: 'sku' | 'distributionCenter'): string | undefined {
  if (value === null || value === undefined) return undefined;
  const code = asCode(value);
  if (!CODE.test(code)) throw badInput(`${field} must be letters, digits or dashes`, field);
  if (field === 'distributionCenter' && !distributionCentres.has(code)) {
    throw badInput(`no distribution centre ${code} (known: ${[...distributionCentres].join(', ')})`, field);
  }
  return code;
}

/**
 * Normalises a sku in a bin of a distribution centre (trimmed, upper case), or answers
 * BAD_USER_INPUT naming the field; a distribution centre must be one that exists.
 */
export function binLocation(input: BinLocation): BinLocation {
  const location = {
    sku: asCode(input.sku),
    distributionCenter: asCode(input.distributionCenter),
    bin: asCode(input.bin),
  };
  for (const [field, value] of Object.entries(location)) {
    if (!CODE.test(value)) throw badInput(`${field} must be letters, digits or dashes`, field);
  }
  if (!distributionCentres.has(location.distributionCenter)) {
    throw badInput(`no distribution centre ${location.distributionCenter} (known: ${[...distributionCentres].join(', ')})`, 'distributionCenter');
  }
  return location;
}
