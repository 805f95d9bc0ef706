import type { GraphQLClient } from '../../kit/graphql-client.ts';

// A receipt names a product (catalog) and optionally the vendor who sent it (vendors):
// receiving asks those services, through their GraphQL interfaces, that both exist.

export interface ReceivingDirectory {
  productExists(sku: string): Promise<boolean>;
  vendorExists(id: string): Promise<boolean>;
}

const productQuery = /* GraphQL */ `query ReceiptProduct($sku: String!) { product(sku: $sku) { sku } }`;
const vendorQuery = /* GraphQL */ `query ReceiptVendor($id: ID!) { vendor(id: $id) { id } }`;

export function graphqlDirectory(catalog: GraphQLClient, vendors: GraphQLClient): ReceivingDirectory {
  return {
    productExists: async (sku) => !!(await catalog.request<{ product: unknown }>(productQuery, { sku })).product,
    vendorExists: async (id) => !!(await vendors.request<{ vendor: unknown }>(vendorQuery, { id })).vendor,
  };
}
