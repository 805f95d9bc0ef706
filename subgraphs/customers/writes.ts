import { ObjectId } from 'mongodb';
import { badInput } from '../../kit/errors.ts';
import { parseId } from '../../kit/ids.ts';
import type { AddressDoc, CardBrandCode, CustomerDoc, PaymentMethodDoc, RegionCode } from './store.ts';

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
  | { writeId: string; status: 'REJECTED'; code: string; message: string };

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

// ---- On the wire: the internal applyWrites mutation and the replication log ----

export interface AddressWire {
  id: string;
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  country: string;
}

export interface PaymentMethodWire {
  id: string;
  token: string;
  brand: CardBrandCode;
  last4: string;
  expMonth: number;
  expYear: number;
}

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

/** Checks a write another copy sent; BAD_USER_INPUT names what is wrong, before anything is applied. */
export function fromWire(wire: WriteWire, region: RegionCode): Write {
  parseId(wire.customerId, 'customerId');
  parseId(wire.writeId, 'writeId');
  const at = date(wire.at, 'at');
  const payload = { ADD_CUSTOMER: wire.customer, ADD_ADDRESS: wire.address, ADD_PAYMENT_METHOD: wire.paymentMethod }[wire.kind];
  if (!payload) throw badInput(`a ${wire.kind} write needs its ${wire.kind === 'ADD_CUSTOMER' ? 'customer' : wire.kind === 'ADD_ADDRESS' ? 'address' : 'paymentMethod'}`, 'writes');
  const write: Write = { writeId: wire.writeId, region, kind: wire.kind, customerId: wire.customerId, at };
  if (wire.kind === 'ADD_CUSTOMER') {
    const c = wire.customer!;
    write.customer = { name: c.name, email: c.email, homeRegion: c.homeRegion, createdAt: date(c.createdAt, 'createdAt'), addresses: c.addresses.map(address) };
  }
  if (wire.kind === 'ADD_ADDRESS') write.address = address(wire.address!);
  if (wire.kind === 'ADD_PAYMENT_METHOD') write.paymentMethod = paymentMethod(wire.paymentMethod!);
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

function date(value: string, field: string): Date {
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw badInput(`${field} is not a date`, field);
  return parsed;
}
