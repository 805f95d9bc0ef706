import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { MAX_ADDRESSES, MAX_PAYMENT_METHODS } from '../subgraphs/customers/store.ts';
import { MAX_ADDRESS_CHANGES } from '../subgraphs/orders/address-changes.ts';
import { MAX_LINES } from '../subgraphs/orders/place-order.ts';
import { operationCost, readListSizes } from './cost.ts';
import { subgraphEndpoints } from './subgraphs.ts';
import { composeSupergraph } from './supergraph.ts';

const schema = buildSchema(`
  type Query { items(first: Int): [Item!]! }
  type Item { id: ID! name: String }
`);
const cost = (query: string) => operationCost(schema, parse(query), undefined, {});

describe('what an operation costs', () => {
  it('counts each field once per item of the lists above it, a list as its first: argument', () => {
    expect(cost('{ items(first: 100) { id name } }')).toBe(1 + 100 * 2);
  });

  it('counts a first: beyond the largest page any list serves as that page, which the list itself refuses', () => {
    expect(cost('{ items(first: 2147483647) { id } }')).toBe(1 + 500);
    expect(cost('{ items(first: 100000) { id name } }')).toBe(1 + 500 * 2);
  });

  it('counts a page without first:, or with first: null, as the largest page a list serves by default', () => {
    expect(cost('{ items { id } }')).toBe(1 + 50);
    expect(cost('{ items(first: null) { id } }')).toBe(1 + 50);
  });

  it('leaves out introspection and the __typename clients add, but counts each alias of __typename as the field it makes', () => {
    expect(cost('{ __schema { types { name } } items(first: 100) { __typename id } }')).toBe(1 + 100);
    expect(cost('{ items(first: 100) { id a: __typename b: __typename } }')).toBe(1 + 100 * 3);
  });
});

describe('lists whose size their schema declares', () => {
  const sdl = `
    type Query { order: Order }
    type Order { lines: [Line!]! @listSize(assumedSize: 50) notes: [String!]! }
    type Line { sku: String quantity: Int }
  `;
  const sized = buildSchema(`directive @listSize(assumedSize: Int) on FIELD_DEFINITION ${sdl}`);

  it('counts a list by the size its owner declares with @listSize, and any other list as 10', () => {
    const sizes = readListSizes(`directive @listSize(assumedSize: Int) on FIELD_DEFINITION ${sdl}`);
    expect(sizes.get('Order.lines')).toBe(50);
    expect(operationCost(sized, parse('{ order { lines { sku quantity } } }'), undefined, {}, Infinity, sizes)).toBe(1 + 1 + 50 * 2);
    expect(operationCost(sized, parse('{ order { notes } }'), undefined, {}, Infinity, sizes)).toBe(1 + 1);
  });

  it("declares in the composed graph the most each bounded list holds, as its service enforces it", () => {
    const sizes = readListSizes(composeSupergraph(subgraphEndpoints()));
    expect(Object.fromEntries(sizes)).toMatchObject({
      'Order.lines': MAX_LINES,
      'Order.addressChanges': MAX_ADDRESS_CHANGES,
      'Customer.addresses': MAX_ADDRESSES,
      'Customer.paymentMethods': MAX_PAYMENT_METHODS,
      'Reservation.missing': MAX_LINES,
    });
  });
});
