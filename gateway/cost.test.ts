import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { operationCost } from './cost.ts';

const schema = buildSchema(`
  type Query { items(first: Int): [Item!]! }
  type Item { id: ID! name: String }
`);
const cost = (query: string) => operationCost(schema, parse(query), undefined, {});

describe('what an operation costs', () => {
  it('counts each field once per item of the lists above it, a list as its first: argument', () => {
    expect(cost('{ items(first: 100) { id name } }')).toBe(1 + 100 * 2);
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
