import type { GraphQLClient } from '../../kit/graphql-client.ts';
import type { BinLocation } from '../../pipeline/bin-location.ts';
import { productExists } from '../../pipeline/catalog-products.ts';
import { isUnavailable } from '../../kit/unavailable.ts';

// A receipt names a product (catalog), a bin with room for it (inventory) and optionally the vendor
// who sent it (vendors), or the customer return it brings back (orders): receiving asks those
// services, through their GraphQL interfaces, before it stocks anything.

/** A customer return as orders knows it. */
export interface ReturnView {
  sku: string;
  quantity: number;
  status: string;
}

export interface ReceivingDirectory {
  productExists(sku: string): Promise<boolean>;
  /** What a bin holds of `sku` as inventory counts it (0 units when it never held any), and the receipts counted in that; null while inventory cannot be reached. */
  binContents(location: BinLocation): Promise<BinContents | null>;
  vendorExists(id: string): Promise<boolean>;
  /** The return, or null when orders knows no such return. */
  customerReturn(returnId: string, orderId: string): Promise<ReturnView | null>;
}

const vendorQuery = /* GraphQL */ `query ReceiptVendor($id: ID!) { vendor(id: $id) { id } }`;

export interface BinContents {
  quantity: number;
  /** The latest receipts inventory counted into the bin: one still live here may be among them (stocked, not yet marked done). */
  stockedReceipts: string[];
}

const binQuery = /* GraphQL */ `query ReceiptBin($sku: String!, $distributionCenter: String!, $bin: String!) { binItem(sku: $sku, distributionCenter: $distributionCenter, bin: $bin) { quantity stockedReceipts } }`;

const returnQuery = /* GraphQL */ `query ReceiptReturn($id: ID!) { order(id: $id) { returns { id sku quantity status } } }`;

export function graphqlDirectory(catalog: GraphQLClient, vendors: GraphQLClient, orders: GraphQLClient, inventory: GraphQLClient): ReceivingDirectory {
  return {
    binContents: async (location) => {
      try {
        return (await inventory.request<{ binItem: BinContents | null }>(binQuery, { ...location })).binItem ?? { quantity: 0, stockedReceipts: [] };
      } catch (error) {
        // Receipts are taken while inventory is down (they wait in the queue for it); the worker's own refusal still guards the bin.
        if (isUnavailable(error)) return null;
        throw error;
      }
    },
    customerReturn: async (returnId, orderId) => {
      const { order } = await orders.request<{ order: { returns: (ReturnView & { id: string })[] } | null }>(returnQuery, { id: orderId });
      return order?.returns.find((candidate) => candidate.id === returnId) ?? null;
    },
    productExists: (sku) => productExists(catalog, sku),
    vendorExists: async (id) => !!(await vendors.request<{ vendor: unknown }>(vendorQuery, { id })).vendor,
  };
}
