import { badInput } from '../kit/errors.ts';
import { distributionCentres } from './distribution-centres.ts';

const CODE = /^[A-Z0-9][A-Z0-9-]{0,39}$/;

export interface BinLocation {
  sku: string;
  distributionCenter: string;
  bin: string;
}

/**
 * Normalises a sku in a bin of a distribution centre (trimmed, upper case), or answers
 * BAD_USER_INPUT naming the field; a distribution centre must be one that exists.
 */
export function binLocation(input: BinLocation): BinLocation {
  const location = {
    sku: input.sku.trim().toUpperCase(),
    distributionCenter: input.distributionCenter.trim().toUpperCase(),
    bin: input.bin.trim().toUpperCase(),
  };
  for (const [field, value] of Object.entries(location)) {
    if (!CODE.test(value)) throw badInput(`${field} must be letters, digits or dashes`, field);
  }
  if (!distributionCentres.has(location.distributionCenter)) {
    throw badInput(`no distribution centre ${location.distributionCenter} (known: ${[...distributionCentres].join(', ')})`, 'distributionCenter');
  }
  return location;
}
