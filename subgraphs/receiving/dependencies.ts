import type { GraphQLClient } from '../../kit/graphql-client.ts';
import { productExists } from '../../pipeline/catalog-products.ts';

// A receipt names a product (catalog) and optionally the vendor who sent it (vendors), or the
// customer return it brings back (orders): receiving asks those services, through their GraphQL
// interfaces, before it stocks anything.

/** A customer return as orders knows it. */
export interface ReturnView {
  sku: string;
  quantity: number;
  status: string;
}

export interface ReceivingDirectory {
  productExists(sku: string): Promise<boolean>;
  vendorExists(id: string): Promise<boolean>;
  /** The return, or null when orders knows no such return. */
  customerReturn(returnId: string, orderId: string): Promise<ReturnView | null>;
}

const vendorQuery = /* GraphQL */ `query ReceiptVendor($id: ID!) { vendor(id: $id) { id } }`;

const returnQuery = /* GraphQL */ `query ReceiptReturn($id: ID!) { order(id: $id) { returns { id sku quantity status } } }`;

export function graphqlDirectory(catalog: GraphQLClient, vendors: GraphQLClient, orders: GraphQLClient): ReceivingDirectory {
  return {
    customerReturn: async (returnId, orderId) => {
      const { order } = await orders.request<{ order: { returns: (ReturnView & { id: string })[] } | null }>(returnQuery, { id: orderId });
      return order?.returns.find((candidate) => candidate.id === returnId) ?? null;
    },
    productExists: (sku) => productExists(catalog, sku),
    vendorExists: async (id) => !!(await vendors.request<{ vendor: unknown }>(vendorQuery, { id })).vendor,
  };
}
