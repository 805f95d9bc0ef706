import { ObjectId } from 'mongodb';
import { demo } from '../demo-data.ts';
import type { ProductDoc, ProductStore } from './store.ts';

const acme = new ObjectId(demo.vendors.acme);
const globex = new ObjectId(demo.vendors.globex);

const products: ProductDoc[] = [
  { _id: 'BOOK-001', title: 'Distributed Systems, 3rd ed.', description: 'Hardback.', price: { amount: 4599, currency: 'GBP' }, weightGrams: 1100, vendorId: acme, vendorName: demo.vendorNames.acme },
  { _id: 'BOOK-002', title: 'The Art of Fulfilment', description: 'Paperback.', price: { amount: 1999, currency: 'GBP' }, weightGrams: 450, vendorId: acme, vendorName: demo.vendorNames.acme },
  { _id: 'MUG-001', title: 'Manifesto Mug', description: 'Stoneware, 350 ml.', price: { amount: 1250, currency: 'GBP' }, weightGrams: 380, vendorId: globex, vendorName: demo.vendorNames.globex },
  { _id: 'LAMP-001', title: 'Desk Lamp', description: 'LED, warm white.', price: { amount: 3900, currency: 'GBP' }, weightGrams: 1600, vendorId: globex, vendorName: demo.vendorNames.globex },
];

/** Idempotent: a second run changes nothing. */
export async function seedProducts(store: ProductStore): Promise<void> {
  for (const product of products) await store.upsert(product);
}
