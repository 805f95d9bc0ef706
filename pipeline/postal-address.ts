import { badInput } from '../kit/errors.ts';
import { asOneLine, longerThan, refuseBlank, refuseHiddenInLine } from '../kit/storable-text.ts';

/**
 * Every officially assigned ISO 3166-1 alpha-2 code. A carrier cannot deliver to "XX",
 * and a country nobody checked travels through every stage to fail at the last one.
 */
const ISO_3166_ALPHA_2 = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
    'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
    'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
    'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
    'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

/** The longest a line of an address may be; a postal code is much shorter everywhere. */
export const MAX_ADDRESS_LINE = 200;
export const MAX_POSTAL_CODE = 20;

export interface PostalAddress {
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  country: string;
}

/** A country as stored: an existing ISO 3166-1 alpha-2 code in upper case; BAD_USER_INPUT otherwise. */
export function checkedCountry(input: string, field = 'country'): string {
  const country = input.trim().toUpperCase();
  if (!ISO_3166_ALPHA_2.has(country)) throw badInput(`country must be an ISO 3166-1 alpha-2 code, for example GB (got "${input.slice(0, 10)}")`, field);
  return country;
}

/** The countries orders ship to (SHIPPING_COUNTRIES, read by the orders service); null: every one. */
export type ShippingCountries = ReadonlySet<string> | null;

/** SHIPPING_COUNTRIES as set: ISO 3166-1 alpha-2 codes separated by commas; unset or empty, every country. */
export function parseShippingCountries(value: string | undefined): ShippingCountries {
  const codes = (value ?? '').split(',').map((code) => code.trim()).filter(Boolean);
  if (codes.length === 0) return null;
  const unknown = codes.filter((code) => !ISO_3166_ALPHA_2.has(code.toUpperCase()));
  if (unknown.length > 0) throw new Error(`${unknown.map((code) => `"${code}"`).join(', ')} is not an ISO 3166-1 alpha-2 code; list the countries orders ship to like GB,DE,FR, or leave it unset for every country`);
  return new Set(codes.map((code) => code.toUpperCase()));
}

/** BAD_USER_INPUT naming `field` when orders do not ship to `country`. */
export function refuseUnserved(country: string, served: ShippingCountries, field: string): void {
  if (served && !served.has(country)) throw badInput(`orders do not ship to ${country}; they ship to ${[...served].join(', ')}`, field);
}

/**
 * An address as every service stores it (trimmed, country in upper case), or BAD_USER_INPUT
 * naming the field (`prefix` + name). The one check behind every address a client or another
 * copy sends: customers, regional replicas, and in-flight changes to an order's address.
 */
export function checkedPostalAddress(input: PostalAddress, prefix = ''): Required<PostalAddress> {
  const address = {
    line1: input.line1.trim(),
    line2: input.line2?.trim() || null,
    city: input.city.trim(),
    postalCode: input.postalCode.trim(),
  };
  for (const field of ['line1', 'city', 'postalCode'] as const) {
    if (!address[field]) throw badInput(`${field} must not be empty`, `${prefix}${field}`);
  }
  // A second line is left out by leaving it empty; one that only looks empty is refused, as the others are.
  for (const field of ['line1', 'line2', 'city', 'postalCode'] as const) if (address[field]) refuseBlank(address[field]!, `${prefix}${field}`);
  for (const field of ['line1', 'line2', 'city'] as const) {
    if (longerThan(address[field] ?? '', MAX_ADDRESS_LINE)) throw badInput(`${field} is longer than ${MAX_ADDRESS_LINE} characters`, `${prefix}${field}`);
  }
  if (longerThan(address.postalCode, MAX_POSTAL_CODE)) throw badInput(`postalCode is longer than ${MAX_POSTAL_CODE} characters`, `${prefix}postalCode`);
  for (const field of ['line1', 'line2', 'city', 'postalCode'] as const) refuseHiddenInLine(address[field] ?? '', `${prefix}${field}`);
  return { ...address, country: checkedCountry(input.country, `${prefix}country`) };
}

/**
 * An address stored before its lines were checked for hidden characters, each line made one
 * printable line (kit/storable-text.ts asOneLine); a second line left empty becomes null. For
 * addresses copied where they are printed, or passed on after a client was told they were kept.
 */
export function addressAsOneLine<A extends PostalAddress>(address: A): A {
  return {
    ...address,
    line1: asOneLine(address.line1),
    line2: address.line2 ? asOneLine(address.line2) || null : address.line2,
    city: asOneLine(address.city),
    postalCode: asOneLine(address.postalCode),
  };
}
