import { clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import type { GraphQLClient } from '../../kit/graphql-client.ts';
import type { OrderPaymentDoc } from './store.ts';

// The orders service reads customers and products only through those services'
// GraphQL interfaces. These are the shapes it asks for.

export interface CustomerView {
  id: string;
  name: string;
  email: string;
  addresses: { id: string; line1: string; line2?: string | null; city: string; postalCode: string; country: string }[];
  paymentMethods: { id: string; token: string; brand: string; last4: string; expMonth: number; expYear: number; expired: boolean }[];
}

export interface ProductView {
  sku: string;
  title: string;
  weightGrams: number;
  price: { amount: number; currency: string };
}

/** One of the customer's cards as an order stores it, or NOT_FOUND (not theirs) / PAYMENT_METHOD_EXPIRED naming paymentMethodId. */
export function usablePaymentMethod(customer: CustomerView, paymentMethodId: string): OrderPaymentDoc {
  const payment = customer.paymentMethods.find((method) => method.id === paymentMethodId);
  if (!payment) throw notFound(`customer ${customer.id} has no payment method ${paymentMethodId}`, { field: 'paymentMethodId' });
  if (payment.expired) {
    throw clientError(ErrorCode.PAYMENT_METHOD_EXPIRED, `the ${payment.brand} card ending ${payment.last4} expired ${payment.expMonth}/${payment.expYear}`, {
      field: 'paymentMethodId',
    });
  }
  return { id: payment.id, token: payment.token, brand: payment.brand, last4: payment.last4, expMonth: payment.expMonth, expYear: payment.expYear };
}

export interface Directory {
  customer(id: string): Promise<CustomerView | null>;
  products(skus: string[]): Promise<ProductView[]>;
}

const customerQuery = /* GraphQL */ `
  query OrderCustomer($id: ID!) {
    customer(id: $id) {
      id name email
      addresses { id line1 line2 city postalCode country }
      paymentMethods { id token brand last4 expMonth expYear expired }
    }
  }
`;

const productsQuery = /* GraphQL */ `
  query OrderProducts($skus: [String!]!, $first: Int!) {
    products(skus: $skus, first: $first) { edges { node { sku title weightGrams price { amount currency } } } }
  }
`;

export function graphqlDirectory(customers: GraphQLClient, catalog: GraphQLClient): Directory {
  return {
    customer: async (id) => (await customers.request<{ customer: CustomerView | null }>(customerQuery, { id })).customer,
    // An order has at most MAX_LINES lines, fewer than a page holds: one page is every product asked for.
    products: async (skus) =>
      (await catalog.request<{ products: { edges: { node: ProductView }[] } }>(productsQuery, { skus, first: Math.max(1, Math.min(skus.length, 100)) })).products.edges.map(
        (edge) => edge.node,
      ),
  };
}
