import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { fieldErrors, fieldPaths, MAX_FIELD_ERRORS } from './fetch-error-paths.ts';

const unavailable = new GraphQLError('The shipping service is unavailable; its fields are missing from this answer.', {
  extensions: { code: 'DEPENDENCY_UNAVAILABLE', serviceName: 'shipping' },
});

describe("a failed fetch's errors", () => {
  it('name each field of each entity it asked for, by alias where one is given, of the type each entity is', () => {
    const document = `query($representations: [_Any!]!) { _entities(representations: $representations) {
      ... on Order { __typename shipments { id } latest: history { to } }
      ... on Customer { orders { totalCount } } } }`;
    const representations = [
      { __typename: 'Order', id: 'a' },
      { __typename: 'Customer', id: 'c' },
      { __typename: 'Order', id: 'b' },
    ];
    expect(fieldPaths(document, { representations })).toEqual([
      ['_entities', 0, 'shipments'],
      ['_entities', 0, 'latest'],
      ['_entities', 1, 'orders'],
      ['_entities', 2, 'shipments'],
      ['_entities', 2, 'latest'],
    ]);
  });

  it('name each root field of a root fetch', () => {
    expect(fieldPaths('mutation { placed: placeOrder(input: {}) { id } __typename addAddress(input: {}) { id } }', {})).toEqual([['placed'], ['addAddress']]);
    expect(fieldPaths('not a document', {})).toEqual([]);
  });

  it('leave out the fields @skip and @include leave out, and name those of named fragments', () => {
    const root = `query($x: Boolean!, $id: ID!) { a: order(id: $id) { id } ... @include(if: $x) { b: order(id: $id) { id } }
      c: order(id: $id) @include(if: false) { id } d: order(id: $id) @skip(if: $x) { id } ...R } fragment R on Query { e: order(id: $id) { id } }`;
    expect(fieldPaths(root, { x: true, id: '1' })).toEqual([['a'], ['b'], ['e']]);
    expect(fieldPaths(root, { x: false, id: '1' })).toEqual([['a'], ['d'], ['e']]);
    // A variable left out has its default.
    expect(fieldPaths('query($x: Boolean = true) { a: order(id: 1) @skip(if: $x) { id } b: order(id: 2) { id } }', {})).toEqual([['b']]);
    const entities = `query($representations: [_Any!]!, $x: Boolean!) { _entities(representations: $representations) {
      ... on Order { ...O history @skip(if: $x) { to } cancellation { id } } } }
      fragment O on Order { stage updatedAt: stage ...O2 } fragment O2 on Order { stage ...O }`;
    expect(fieldPaths(entities, { representations: [{ __typename: 'Order', id: 'a' }], x: true })).toEqual([
      ['_entities', 0, 'stage'],
      ['_entities', 0, 'updatedAt'],
      ['_entities', 0, 'cancellation'],
    ]);
  });

  it('keep the message and extensions, count what is past the limit, and say it once when no field can be named', () => {
    const paths = Array.from({ length: MAX_FIELD_ERRORS + 7 }, (_, i) => ['_entities', i, 'shipments']);
    const errors = fieldErrors(unavailable, paths);
    expect(errors).toHaveLength(MAX_FIELD_ERRORS + 1);
    expect(errors[0]).toEqual({ message: unavailable.message, path: ['_entities', 0, 'shipments'], extensions: unavailable.extensions });
    expect(errors.at(-1)).toEqual({ message: expect.stringContaining('7 more fields are missing'), extensions: unavailable.extensions });
    expect(fieldErrors(unavailable, [])).toEqual([{ message: unavailable.message, extensions: unavailable.extensions }]);
    // What the request has left of its errors with a path: none, and the fetch's error comes once.
    expect(fieldErrors(unavailable, paths, 3)).toHaveLength(4);
    expect(fieldErrors(unavailable, paths, 0)).toEqual([{ message: unavailable.message, extensions: unavailable.extensions }]);
  });
});
