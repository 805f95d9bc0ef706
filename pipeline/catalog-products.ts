import type { GraphQLClient } from '../kit/graphql-client.ts';

// Services that stock a sku (receiving, inventory's adjustments) ask the catalog, which owns
// products, whether it knows that sku, through its GraphQL interface.

const productQuery = /* GraphQL */ `query ProductExists($sku: String!) { product(sku: $sku) { sku } }`;

/** Whether the catalog has a product with this sku. */
export async function productExists(catalog: GraphQLClient, sku: string): Promise<boolean> {
  return !!(await catalog.request<{ product: unknown }>(productQuery, { sku })).product;
}
