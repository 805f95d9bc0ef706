import { ObjectId } from 'mongodb';
import { demo } from '../demo-data.ts';
import type { VendorDoc, VendorStore } from './store.ts';

const vendors: VendorDoc[] = [
  { _id: new ObjectId(demo.vendors.acme), name: demo.vendorNames.acme, country: 'US', contactEmail: 'orders@acme.example', leadTimeDays: 5 },
  { _id: new ObjectId(demo.vendors.globex), name: demo.vendorNames.globex, country: 'DE', contactEmail: 'supply@globex.example', leadTimeDays: 9 },
];

/** Idempotent: a second run changes nothing. */
export async function seedVendors(store: VendorStore): Promise<void> {
  for (const vendor of vendors) await store.upsert(vendor);
}
