import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useBlankIdsRefused } from './blank-ids.ts';

const calls: string[] = [];
const yoga = createYoga({
  schema: createSchema({
    typeDefs: /* GraphQL */ `
      input Line { sku: String!, warehouseId: ID }
      input Order { customerId: ID!, lines: [Line!]! }
      type Query { thing(id: ID!): String, things(ids: [ID!]!): Int, named(label: String!): String }
      type Mutation { place(order: Order!): String }
    `,
    resolvers: {
      Query: {
        thing: (_: unknown, { id }: { id: string }) => (calls.push(`thing ${id}`), id),
        things: (_: unknown, { ids }: { ids: string[] }) => (calls.push('things'), ids.length),
        named: (_: unknown, { label }: { label: string }) => label,
      },
      Mutation: { place: (_: unknown, { order }: { order: { customerId: string } }) => (calls.push('place'), order.customerId) },
    },
  }),
  plugins: [useBlankIdsRefused()],
  logging: false,
});

async function run(query: string, variables?: Record<string, unknown>, operationName?: string) {
  const response = await yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return (await response.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

const refusal = (field: string) => ({ errors: [{ message: `${field} must not be empty`, extensions: { code: 'BAD_USER_INPUT', field } }] });

describe('an ID that shows nothing', () => {
  it('is refused before any resolver runs, literal or variable, and the field is named', async () => {
    calls.length = 0;
    for (const blank of ['', '   ', '\u200B', '\uFEFF ']) {
      expect(await run(`{ thing(id: ${JSON.stringify(blank)}) }`)).toMatchObject(refusal('id'));
      expect(await run('query($id: ID!) { thing(id: $id) }', { id: blank })).toMatchObject(refusal('id'));
    }
    // A variable left out takes its default: a blank one is refused as if it were sent.
    expect(await run('query($id: ID! = "") { thing(id: $id) }')).toMatchObject(refusal('id'));
    expect(await run('query($id: ID = " ") { thing(id: $id) }', {})).toMatchObject(refusal('id'));
    expect(calls).toEqual([]);
  });

  it('is refused inside lists and inputs, however deep', async () => {
    calls.length = 0;
    expect(await run('query($ids: [ID!]!) { things(ids: $ids) }', { ids: ['a', ''] })).toMatchObject(refusal('ids'));
    expect(await run('{ things(ids: ["a", "\\u200B"]) }')).toMatchObject(refusal('ids'));
    const order = { customerId: 'c1', lines: [{ sku: 'BOOK-001' }, { sku: 'MUG-001', warehouseId: ' ' }] };
    expect(await run('mutation($order: Order!) { place(order: $order) }', { order })).toMatchObject(refusal('warehouseId'));
    expect(await run('mutation { place(order: { customerId: "", lines: [] }) }')).toMatchObject(refusal('customerId'));
    expect(calls).toEqual([]);
  });

  it('longer than any id can be (1,000 bytes of UTF-8) is refused too, in arguments, inputs and references', async () => {
    calls.length = 0;
    const tooLong = { errors: [{ message: 'id must be at most 1000 bytes of UTF-8: no id is longer', extensions: { code: 'BAD_USER_INPUT', field: 'id' } }] };
    expect(await run('query($id: ID!) { thing(id: $id) }', { id: 'x'.repeat(1_001) })).toMatchObject(tooLong);
    // Counted in bytes: 334 three-byte characters are 1,002.
    expect(await run('query($id: ID!) { thing(id: $id) }', { id: '€'.repeat(334) })).toMatchObject(tooLong);
    expect(await run('query($ids: [ID!]!) { things(ids: $ids) }', { ids: ['a', 'x'.repeat(90_000)] })).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'ids' } }] });
    expect(await run('mutation($order: Order!) { place(order: $order) }', { order: { customerId: 'c'.repeat(5_000), lines: [] } })).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'customerId' } }] });
    expect(calls).toEqual([]);
    expect(await run('query($id: ID!) { thing(id: $id) }', { id: 'x'.repeat(1_000) })).toEqual({ data: { thing: 'x'.repeat(1_000) } });
  });

  it('leaves alone what names something, an ID left out, other text, and the operations that do not run', async () => {
    calls.length = 0;
    expect(await run('query($id: ID!) { thing(id: $id) }', { id: 'o-1' })).toEqual({ data: { thing: 'o-1' } });
    expect(await run('{ thing(id: 42) }')).toEqual({ data: { thing: '42' } });
    expect(await run('mutation { place(order: { customerId: "c1", lines: [{ sku: "BOOK-001" }] }) }')).toEqual({ data: { place: 'c1' } });
    expect(await run('{ named(label: "") }')).toEqual({ data: { named: '' } });
    expect(await run('query Blank { thing(id: "") } query Good { thing(id: "g") }', undefined, 'Good')).toEqual({ data: { thing: 'g' } });
    expect(calls).toEqual(['thing o-1', 'thing 42', 'place', 'thing g']);
  });

  it('is not refused where it would not run: a field or fragment skipped by @skip or @include, and refused where it would', async () => {
    calls.length = 0;
    const skipped = 'query($s: Boolean!) { good: thing(id: "g") blank: thing(id: "") @skip(if: $s) }';
    expect(await run(skipped, { s: true })).toEqual({ data: { good: 'g' } });
    expect(await run(skipped, { s: false })).toMatchObject(refusal('id'));
    expect(await run('{ thing(id: " ") @include(if: false) named(label: "n") }')).toEqual({ data: { named: 'n' } });
    const inline = 'query($i: Boolean!) { ... @include(if: $i) { thing(id: "\u200B") } named(label: "n") }';
    expect(await run(inline, { i: false })).toEqual({ data: { named: 'n' } });
    expect(await run(inline, { i: true })).toMatchObject(refusal('id'));
    // A fragment runs where it is spread and not skipped: once is enough.
    const fragment = 'fragment F on Query { thing(id: $id) } query($id: ID!, $s: Boolean!) { ...F @skip(if: $s) named(label: "n") }';
    expect(await run(fragment, { id: '', s: true })).toEqual({ data: { named: 'n' } });
    expect(await run(fragment, { id: '', s: false })).toMatchObject(refusal('id'));
    const twice = 'query($s: Boolean!) { ...F @skip(if: $s) ... @include(if: true) { ...F } } fragment F on Query { thing(id: "") }';
    expect(await run(twice, { s: true })).toMatchObject(refusal('id'));
    expect(calls).toEqual(['thing g']);
  });

  it('of the wrong type is left to GraphQL, which says so', async () => {
    const result = await run('query($id: ID!) { thing(id: $id) }', { id: { not: 'an id' } });
    expect(result.errors?.[0]?.message).toMatch(/ID cannot represent value/);
  });
});

describe('an entity reference that names nothing', () => {
  const resolved: string[] = [];
  const subgraph = createYoga({
    schema: buildSubgraphSchema({
      typeDefs: parse(/* GraphQL */ `
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
        type Product @key(fields: "id") @key(fields: "sku") { id: ID!, sku: String!, title: String }
        type Query { product(id: ID!): Product }
      `),
      resolvers: {
        Product: { __resolveReference: (reference: { id?: string; sku?: string }) => (resolved.push(reference.id ?? reference.sku!), { ...reference, title: 'a book' }) },
      } as never,
    }),
    plugins: [useBlankIdsRefused()],
    logging: false,
  });
  const entities = async (representations: unknown) => {
    const response = await subgraph.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { title } } }', variables: { r: representations } }),
    });
    return (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  };

  it('is resolved by either of its keys, and refused, naming the place, when it gives neither', async () => {
    resolved.length = 0;
    expect(await entities([{ __typename: 'Product', id: 'p1' }, { __typename: 'Product', sku: 'BOOK-001' }])).toEqual({ data: { _entities: [{ title: 'a book' }, { title: 'a book' }] } });
    const refused = async (representations: unknown) => (await entities(representations)).errors?.map((error) => [error.message, error.extensions?.code]);
    expect(await refused([{ __typename: 'Product', id: 'p1' }, { __typename: 'Product', sku: 7 }])).toEqual([['representations[1].id must be a string', 'BAD_USER_INPUT']]);
    expect(await refused([{ __typename: 'Product', sku: '\u3000' }])).toEqual([['representations[0].sku must not be empty', 'BAD_USER_INPUT']]);
    expect(await refused([{ __typename: 'Product', id: 'p'.repeat(1_001) }])).toEqual([['representations[0].id must be at most 1000 bytes of UTF-8: no id is longer', 'BAD_USER_INPUT']]);
    expect(await refused(['p1'])).toEqual([['representations[0] must be an object', 'BAD_USER_INPUT']]);
    expect(await refused([{ __typename: 'Query', id: 'p1' }])).toEqual([['representations[0].__typename names no entity of this service', 'BAD_USER_INPUT']]);
    expect(resolved).toEqual(['p1', 'BOOK-001']);
  });
});
