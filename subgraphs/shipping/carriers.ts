import { createHash } from 'node:crypto';
import type { ShipmentPayload } from '../../pipeline/messages.ts';

/** Picks a carrier by shipping method and destination, as a rate shop would. */
export function carrierFor(shipment: Pick<ShipmentPayload, 'shippingMethod' | 'address'>): string {
  if (shipment.shippingMethod === 'EXPRESS') return 'DHL Express';
  if (shipment.address.country === 'GB') return 'Royal Mail';
  if (shipment.address.country === 'DE') return 'DHL Paket';
  return 'UPS';
}

/** Derived from the shipment id, so a retried label is the same label. */
export function trackingNumberFor(carrier: string, shipmentId: string): string {
  const prefix = carrier.replace(/[^A-Z]/g, '').slice(0, 2).padEnd(2, 'X');
  const digits = BigInt(`0x${createHash('sha256').update(shipmentId).digest('hex').slice(0, 15)}`).toString().padStart(18, '0').slice(0, 12);
  return `${prefix}${digits}`;
}
