import { badInput } from '../kit/errors.ts';
import { distributionCentres } from './distribution-centres.ts';

const CODE = /^[A-Z0-9][A-Z0-9-]{0,39}$/;

export interface BinLocation {
  sku: string;
  distributionCenter: string;
  bin: string;
}

/** The most units one bin can hold: GraphQL's Int is 32-bit, so a larger count could not be read back. */
export const MAX_BIN_QUANTITY = 2_147_483_647;

/** A sku, a centre's or a bin's code as stored: trimmed, upper case. Reads look codes up as writes store them. */
export const asCode = (value: string): string => value.trim().toUpperCase();

/** A code as stored, or BAD_USER_INPUT naming `field` when it is not 1 to 40 letters, digits or dashes. */
function checkedCode(value: string, field: string): string {
  const code = asCode(value);
  if (!CODE.test(code)) throw badInput(`${field} must be 1 to 40 letters, digits or dashes, starting with a letter or digit`, field);
  return code;
}

/** A distribution centre's code, or BAD_USER_INPUT when no such centre exists. */
function knownCentre(code: string): string {
  if (!distributionCentres.has(code)) throw badInput(`no distribution centre ${code} (known: ${[...distributionCentres].join(', ')})`, 'distributionCenter');
  return code;
}

/**
 * A code a list is filtered by (a sku, a distribution centre), as stored; absent when not given.
 * An empty one, or a centre that does not exist, is a mistake, not a filter that matches nothing.
 */
export function codeFilter(value: string | null | undefined, field: 'sku' | 'distributionCenter'): string | undefined {
  if (value === null || value === undefined) return undefined;
  const code = checkedCode(value, field);
  return field === 'distributionCenter' ? knownCentre(code) : code;
}

/**
 * Normalises a sku in a bin of a distribution centre (trimmed, upper case), or answers
 * BAD_USER_INPUT naming the field; a distribution centre must be one that exists.
 */
export function binLocation(input: BinLocation): BinLocation {
  const location = {
    sku: checkedCode(input.sku, 'sku'),
    distributionCenter: checkedCode(input.distributionCenter, 'distributionCenter'),
    bin: checkedCode(input.bin, 'bin'),
  };
  knownCentre(location.distributionCenter);
  return location;
}
