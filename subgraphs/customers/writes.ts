import { ObjectId } from 'mongodb';
import { badInput, clientError, ErrorCode } from '../../kit/errors.ts';
import { asOneLine, checkedEmail, checkedLine, clientKey } from '../../kit/storable-text.ts';
import { idFromKey, parseId } from '../../kit/ids.ts';
import { sentTime } from '../../kit/iso-time.ts';
import { addressAsOneLine, checkedPostalAddress } from '../../pipeline/postal-address.ts';
import { MAX_ADDRESSES, MAX_PAYMENT_METHODS, type AddressDoc, type CustomerDoc, type PaymentMethodDoc, type RegionCode } from './store.ts';

// A write to the customer domain, as a command whose ids were all chosen where it was
// made. Home applies it once however often it arrives (by the ids), which is what lets a
// regional replica send it again until home confirms. Card numbers never travel: a card
// is tokenised in the region that receives it and the command carries only the token.

export type WriteKind = 'ADD_CUSTOMER' | 'ADD_ADDRESS' | 'ADD_PAYMENT_METHOD';

export interface NewCustomer {
  name: string;
  email: string;
  homeRegion: RegionCode;
  createdAt: Date;
  addresses: AddressDoc[];
}

export interface Write {
  writeId: string;
  /** Where it was made. */
  region: RegionCode;
  kind: WriteKind;
  /** Hex id of the customer it creates or changes. */
  customerId: string;
  at: Date;
  customer?: NewCustomer | null;
  address?: AddressDoc | null;
  paymentMethod?: PaymentMethodDoc | null;
}

export type WriteResult =
  | { writeId: string; status: 'APPLIED'; customer: CustomerDoc }
  | { writeId: string; status: 'REJECTED'; code: string; message: string; field?: string | null };

export const newWriteId = () => new ObjectId().toHexString();

/** The customer a write makes, or makes of `current` (null: a change to a customer that does not exist). */
export function applyWrite(current: CustomerDoc | null, write: Write): CustomerDoc | null {
  switch (write.kind) {
    case 'ADD_CUSTOMER':
      return current ?? { _id: new ObjectId(write.customerId), ...write.customer!, paymentMethods: [], version: 0 };
    case 'ADD_ADDRESS':
      if (!current) return null;
      if (current.addresses.some((a) => a.id === write.address!.id)) return current;
      return { ...current, addresses: [...current.addresses, write.address!] };
    case 'ADD_PAYMENT_METHOD':
      if (!current) return null;
      if (current.paymentMethods.some((m) => m.id === write.paymentMethod!.id)) return current;
      return { ...current, paymentMethods: [...current.paymentMethods, write.paymentMethod!] };
  }
}

// ---- A client's idempotency key ----

// A key names the id of the customer, address or card it adds: a retry's write carries the id
// the first attempt's did, and every copy applies a write once by that id. The key does not
// remember the request, so a write whose id is taken is compared with what the id holds: the
// same thing is the write made before (a retry, or a replica sending it again); anything else is
// the key used for something else, refused wherever it is found (repeatOf).

/**
 * The id an idempotency key gives a new customer (scoped to the caller) or a customer's new
 * address or card (scoped to the customer); null without a key (a fresh id each time).
 */
export function keyedId(key: string | null | undefined, scope: string, kind: 'customer' | 'address' | 'paymentMethod'): string | null {
  if (key == null) return null;
  // As JSON: no scope and key can be read as another scope and key (a subject may hold a `:`).
  return idFromKey(JSON.stringify([kind, scope, clientKey(key, 'idempotencyKey')])).toHexString();
}

/** The id of the address a customer is added with: from the customer's id, so a retry of addCustomer names the same one. */
export const creationAddressId = (customerId: string) => idFromKey(JSON.stringify(['customer-address', customerId])).toHexString();

/**
 * What a write is to the customer as a copy holds it: `new`, `same` (made before: applying it
 * again changes nothing), or `conflict` (its id holds something else: a key used twice).
 */
export function repeatOf(current: CustomerDoc | null, write: Write): 'new' | 'same' | 'conflict' {
  if (!current) return 'new';
  switch (write.kind) {
    case 'ADD_CUSTOMER':
      if (current._id.toHexString() !== write.customerId) return 'new';
      return sameCustomer(current, write.customer!) ? 'same' : 'conflict';
    case 'ADD_ADDRESS': {
      const stored = current.addresses.find((a) => a.id === write.address!.id);
      if (!stored) return 'new';
      return sameAddressFields(stored, write.address!) ? 'same' : 'conflict';
    }
    case 'ADD_PAYMENT_METHOD': {
      const stored = current.paymentMethods.find((m) => m.id === write.paymentMethod!.id);
      if (!stored) return 'new';
      // As far as a token lets two cards be told apart: brand, last four, expiry.
      const fields = (m: PaymentMethodDoc) => [m.brand, m.last4, m.expMonth, m.expYear];
      return fields(stored).every((value, i) => value === fields(write.paymentMethod!)[i]) ? 'same' : 'conflict';
    }
  }
}

/** The same customer: name, email, home region, and the address it was added with (or none). Addresses added since do not count. */
function sameCustomer(made: CustomerDoc, asked: NewCustomer): boolean {
  if (made.name !== asked.name || made.email !== asked.email || made.homeRegion !== asked.homeRegion) return false;
  const creation = creationAddressId(made._id.toHexString());
  const madeWith = made.addresses.find((a) => a.id === creation);
  const askedWith = asked.addresses.find((a) => a.id === creation);
  if (!madeWith || !askedWith) return !madeWith && !askedWith;
  return sameAddressFields(madeWith, askedWith);
}

function sameAddressFields(a: AddressDoc, b: AddressDoc): boolean {
  const fields = (address: AddressDoc) => [address.line1, address.line2 ?? null, address.city, address.postalCode, address.country];
  return fields(a).every((value, i) => value === fields(b)[i]);
}

/** The refusal of a new address or card for a customer who has as many as a customer may; null when there is room (or it is there already). */
export function overLimit(current: CustomerDoc, write: Write): (WriteResult & { status: 'REJECTED' }) | null {
  if (write.kind === 'ADD_CUSTOMER') return null;
  const [held, max, id, things] =
    write.kind === 'ADD_ADDRESS'
      ? [current.addresses, MAX_ADDRESSES, write.address!.id, 'addresses']
      : [current.paymentMethods, MAX_PAYMENT_METHODS, write.paymentMethod!.id, 'payment methods'];
  if (held.length < max || held.some((item) => item.id === id)) return null;
  return { writeId: write.writeId, status: 'REJECTED', code: ErrorCode.CONFLICT, field: 'customerId', message: `customer ${write.customerId} has ${max} ${things}, the most a customer may have` };
}

const what: Record<WriteKind, string> = { ADD_CUSTOMER: 'customer', ADD_ADDRESS: 'address', ADD_PAYMENT_METHOD: 'payment method' };

/** A write whose id holds something else, as its mutation is refused. */
export const idReused = (kind: WriteKind): WriteResult & { status: 'REJECTED' } => ({
  writeId: '',
  status: 'REJECTED',
  code: ErrorCode.CONFLICT,
  field: 'idempotencyKey',
  message: `this idempotencyKey was already used for a different ${what[kind]}`,
});

/** A refused write as its mutation answers it. */
export const refusal = (outcome: WriteResult & { status: 'REJECTED' }) => clientError(outcome.code as ErrorCode, outcome.message, outcome.field ? { field: outcome.field } : {});

// ---- On the wire: the internal applyWrites mutation and the replication log ----

/** On the wire an address and a card have the fields they are stored with. */
export type AddressWire = AddressDoc;
export type PaymentMethodWire = PaymentMethodDoc;

export interface WriteWire {
  writeId: string;
  kind: WriteKind;
  customerId: string;
  at: string;
  customer?: { name: string; email: string; homeRegion: RegionCode; createdAt: string; addresses: AddressWire[] } | null;
  address?: AddressWire | null;
  paymentMethod?: PaymentMethodWire | null;
}

/** The customer as the replication log and applyWrites carry it (every field, the payment token included). */
export interface CustomerWire {
  id: string;
  name: string;
  email: string;
  homeRegion: RegionCode;
  createdAt: string;
  version: number;
  addresses: AddressWire[];
  paymentMethods: PaymentMethodWire[];
}

export const customerWireFields = `id name email homeRegion createdAt version
  addresses { id line1 line2 city postalCode country }
  paymentMethods { id token brand last4 expMonth expYear }`;

const address = (a: AddressWire): AddressDoc => ({
  id: a.id,
  line1: a.line1,
  line2: a.line2 ?? null,
  city: a.city,
  postalCode: a.postalCode,
  country: a.country,
});
const paymentMethod = (m: PaymentMethodWire): PaymentMethodDoc => ({
  id: m.id,
  token: m.token,
  brand: m.brand,
  last4: m.last4,
  expMonth: m.expMonth,
  expYear: m.expYear,
});

export function toWire(write: Write): WriteWire {
  return {
    writeId: write.writeId,
    kind: write.kind,
    customerId: write.customerId,
    at: write.at.toISOString(),
    customer: write.customer ? { ...write.customer, createdAt: write.customer.createdAt.toISOString(), addresses: write.customer.addresses.map(address) } : null,
    address: write.address ? address(write.address) : null,
    paymentMethod: write.paymentMethod ? paymentMethod(write.paymentMethod) : null,
  };
}

/** A new customer's name and email as they are stored (trimmed, the email in lower case); BAD_USER_INPUT when unusable. */
export function checkedCustomer(input: { name: string; email: string }): { name: string; email: string } {
  // The name is copied into each order's shipping address, and printed on its labels.
  const name = checkedLine(input.name, 'name', 200);
  const email = checkedEmail(input.email, 'email').toLowerCase();
  return { name, email };
}

/** An address as it is stored (trimmed, the country in upper case); BAD_USER_INPUT when unusable. */
export function checkedAddress(input: AddressDoc): AddressDoc {
  const address = checkedPostalAddress(input);
  parseId(input.id, 'address.id');
  return { id: input.id, ...address };
}

/** A tokenised card as another copy sent it; BAD_USER_INPUT when it cannot be one. */
function checkedCard(card: PaymentMethodDoc): PaymentMethodDoc {
  parseId(card.id, 'paymentMethod.id');
  if (!card.token.trim()) throw badInput('token must not be empty', 'paymentMethod.token');
  if (!/^\d{4}$/.test(card.last4)) throw badInput('last4 must be four digits', 'paymentMethod.last4');
  if (!Number.isInteger(card.expMonth) || card.expMonth < 1 || card.expMonth > 12) throw badInput('expMonth must be 1 to 12', 'paymentMethod.expMonth');
  if (!Number.isInteger(card.expYear) || card.expYear < 2000 || card.expYear > 2100) throw badInput('expYear is not a year', 'paymentMethod.expYear');
  return card;
}

/**
 * Checks a write another copy sent, as the mutations check their input; BAD_USER_INPUT names what
 * is wrong, before anything is applied. A copy may have accepted a write, and answered its
 * client, before its home copy checked names and address lines for hidden characters, and send
 * it on later: such text is made one line rather than refused, or the write would be set aside
 * after its client was told it was made.
 */
export function fromWire(wire: WriteWire, region: RegionCode): Write {
  const customerId = parseId(wire.customerId, 'customerId').toHexString();
  parseId(wire.writeId, 'writeId');
  const at = sentTime(wire.at, 'at');
  const payload = { ADD_CUSTOMER: wire.customer, ADD_ADDRESS: wire.address, ADD_PAYMENT_METHOD: wire.paymentMethod }[wire.kind];
  if (!payload) throw badInput(`a ${wire.kind} write needs its ${wire.kind === 'ADD_CUSTOMER' ? 'customer' : wire.kind === 'ADD_ADDRESS' ? 'address' : 'paymentMethod'}`, 'writes');
  const write: Write = { writeId: wire.writeId, region, kind: wire.kind, customerId, at };
  if (wire.kind === 'ADD_CUSTOMER') {
    const c = wire.customer!;
    const { name, email } = checkedCustomer({ ...c, name: asOneLine(c.name) });
    write.customer = { name, email, homeRegion: c.homeRegion, createdAt: sentTime(c.createdAt, 'createdAt'), addresses: c.addresses.map((a) => checkedAddress(addressAsOneLine(address(a)))) };
  }
  if (wire.kind === 'ADD_ADDRESS') write.address = checkedAddress(addressAsOneLine(address(wire.address!)));
  if (wire.kind === 'ADD_PAYMENT_METHOD') write.paymentMethod = checkedCard(paymentMethod(wire.paymentMethod!));
  return write;
}

export function fromCustomerWire(wire: CustomerWire): CustomerDoc {
  return {
    _id: new ObjectId(wire.id),
    name: wire.name,
    email: wire.email,
    homeRegion: wire.homeRegion,
    addresses: wire.addresses.map(address),
    paymentMethods: wire.paymentMethods.map(paymentMethod),
    createdAt: new Date(wire.createdAt),
    version: wire.version,
  };
}

