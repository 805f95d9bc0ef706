import { ObjectId } from 'mongodb';
import { demo } from '../demo-data.ts';
import type { CustomerDoc, CustomerStore } from './store.ts';

const createdAt = new Date('2026-01-01T00:00:00Z');

const customers: CustomerDoc[] = [
  {
    _id: new ObjectId(demo.customers.ada),
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    homeRegion: 'UK',
    addresses: [{ id: 'a00000000000000000000001', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' }],
    paymentMethods: [
      { id: 'p00000000000000000000001', token: 'tok_demo_visa', brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2030 },
      { id: 'p00000000000000000000002', token: 'tok_demo_expired', brand: 'MASTERCARD', last4: '4444', expMonth: 1, expYear: 2024 },
      // Test cards of the payment-processor simulation: 0002 is always declined,
      // 0119 is declined the first time (issuer unavailable) and approved on retry;
      // 0341 is charged as usual, but each of its refunds fails twice (transiently) first.
      { id: 'p00000000000000000000004', token: 'tok_demo_declined', brand: 'VISA', last4: '0002', expMonth: 12, expYear: 2030 },
      { id: 'p00000000000000000000005', token: 'tok_demo_soft_decline', brand: 'VISA', last4: '0119', expMonth: 12, expYear: 2030 },
      { id: 'p00000000000000000000006', token: 'tok_demo_flaky_refunds', brand: 'VISA', last4: '0341', expMonth: 12, expYear: 2030 },
    ],
    createdAt,
    version: 0,
  },
  {
    _id: new ObjectId(demo.customers.grace),
    name: 'Grace Hopper',
    email: 'grace@example.com',
    homeRegion: 'US',
    addresses: [{ id: 'a00000000000000000000002', line1: '1 Navy Yard', city: 'Arlington', postalCode: '22202', country: 'US' }],
    paymentMethods: [{ id: 'p00000000000000000000003', token: 'tok_demo_amex', brand: 'AMEX', last4: '0005', expMonth: 6, expYear: 2031 }],
    createdAt,
    version: 0,
  },
];

/** Idempotent: a second run changes nothing. */
export async function seedCustomers(store: CustomerStore): Promise<void> {
  for (const customer of customers) await store.upsert(customer);
}
