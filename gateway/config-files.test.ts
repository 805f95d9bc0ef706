import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTrustedDocuments, readSupergraphFile } from './config-files.ts';
import { defaultLimits, trustedDocumentCheck } from './limits.ts';
import { clientSchemaOf, composeSupergraph } from './supergraph.ts';
import { subgraphEndpoints } from './subgraphs.ts';

// What the gateway and the launcher (before it starts anything) accept of the files that
// GATEWAY_TRUSTED_DOCUMENTS and SUPERGRAPH_PATH name, and what they say of the rest.

const dir = mkdtempSync(join(tmpdir(), 'gateway-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('trusted documents', () => {
  it('reads both manifest shapes, also after a byte-order mark', () => {
    const plain = file('plain.json', '\uFEFF' + JSON.stringify({ title: '{ product(sku: "MUG-001") { title } }' }));
    expect([...loadTrustedDocuments(plain)]).toEqual([['title', '{ product(sku: "MUG-001") { title } }']]);
    const apollo = file('apollo.json', JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'a1', name: 'A', type: 'query', body: '{ __typename }' }] }));
    expect([...loadTrustedDocuments(apollo)]).toEqual([['a1', '{ __typename }']]);
  });

  it('refuses a missing file, a file that is not a manifest, and a document that is not GraphQL, saying which', () => {
    expect(() => loadTrustedDocuments(join(dir, 'missing.json'))).toThrow(`GATEWAY_TRUSTED_DOCUMENTS: cannot read ${join(dir, 'missing.json')} (no such file)`);
    expect(() => loadTrustedDocuments(dir)).toThrow('(a directory, not a file)');
    for (const text of ['null', '[]', '42', '{}', '{"operations": []}', '{"a": 1}', '{"operations": [null]}']) {
      expect(() => loadTrustedDocuments(file('bad.json', text)), text).toThrow('is not a manifest of trusted documents');
    }
    expect(() => loadTrustedDocuments(file('broken.json', '{"a": '))).toThrow('is not JSON');
    expect(() => loadTrustedDocuments(file('garbled.json', JSON.stringify({ good: '{ __typename }', bad: 'query { product(' })))).toThrow('the document "bad" is not GraphQL');
  });
});

describe('trusted documents against the graph and the limits', () => {
  const schema = clientSchemaOf(composeSupergraph(subgraphEndpoints()));
  const check = trustedDocumentCheck(defaultLimits, schema);

  it('accepts documents that fit the graph clients see, subscriptions included', () => {
    const manifest = file('fits.json', JSON.stringify({
      title: 'query Title($sku: String!) { product(sku: $sku) { title price { amount currency } } }',
      watch: 'subscription Watch($id: ID!) { orderTransitions(orderId: $id) { cursor order { status } } }',
    }));
    expect([...loadTrustedDocuments(manifest, check).keys()]).toEqual(['title', 'watch']);
  });

  it('refuses a manifest written for another version of the graph, naming each document and what does not fit', () => {
    const manifest = file('stale.json', JSON.stringify({
      good: '{ product(sku: "MUG-001") { title } }',
      renamed: '{ product(sku: "MUG-001") { name } }',
      hidden: 'mutation { requestRefund(input: { refundId: "r", chargeId: "c", amount: 1 }) { id } }',
      untyped: 'query Q($sku: Int!) { product(sku: $sku) { title } }',
    }));
    const refusal = () => loadTrustedDocuments(manifest, check);
    expect(refusal).toThrow(`GATEWAY_TRUSTED_DOCUMENTS: ${manifest}: 3 of its documents would be refused (written for another version of the graph, or beyond the gateway's limits?):`);
    expect(refusal).toThrow('"renamed": Cannot query field "name" on type "Product".');
    // @inaccessible fields are not part of the graph clients see.
    expect(refusal).toThrow('"hidden": Cannot query field "requestRefund" on type "Mutation".');
    expect(refusal).toThrow('"untyped": Variable "$sku" of type "Int!" used in position expecting type "String!".');
    // Without a schema (the shape alone), the same manifest reads.
    expect(loadTrustedDocuments(manifest).size).toBe(4);
  });

  it('names three and counts the rest', () => {
    const stale = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`d${i}`, `{ gone${i} }`]));
    expect(() => loadTrustedDocuments(file('many.json', JSON.stringify(stale)), check)).toThrow(/"d2": Cannot query field "gone2" on type "Query"\.\n {2}and 2 more$/);
  });

  it("refuses a document the gateway's limits would refuse at every use, saying which limit", () => {
    const strict = trustedDocumentCheck({ ...defaultLimits, maxTokens: 300, maxDepth: 4 }, schema);
    const tokens = file('tokens.json', JSON.stringify({ big: `{ product(sku: "MUG-001") { ${Array.from({ length: 400 }, () => 'sku').join(' ')} } }` }));
    expect(() => loadTrustedDocuments(tokens, strict)).toThrow(/1 of its documents would be refused .*\n {2}"big": Token limit of 300 exceeded/);
    const deep = file('deep.json', JSON.stringify({ deep: '{ vendors { edges { node { products { edges { node { vendor { name } } } } } } } }' }));
    expect(() => loadTrustedDocuments(deep, strict)).toThrow(/"deep": Query depth limit of 4 exceeded/);
    const repeated = file('repeated.json', JSON.stringify({ rep: `{ ${Array.from({ length: 1_000 }, () => '__typename').join(' ')} }` }));
    expect(() => loadTrustedDocuments(repeated, check)).toThrow('"rep": This document takes more work to validate than allowed');
    // Under the default limits the first two run.
    expect(loadTrustedDocuments(tokens, check).size).toBe(1);
    expect(loadTrustedDocuments(deep, check).size).toBe(1);
  });
});

describe('supergraph file', () => {
  it('reads what npm run compose writes', () => {
    const sdl = composeSupergraph(subgraphEndpoints());
    expect(readSupergraphFile(file('supergraph.graphql', sdl))).toBe(sdl);
  });

  it('refuses a missing file, and a schema that is not a supergraph', () => {
    expect(() => readSupergraphFile(join(dir, 'missing.graphql'))).toThrow(`SUPERGRAPH_PATH: cannot read ${join(dir, 'missing.graphql')} (no such file)`);
    expect(() => readSupergraphFile(file('subgraph.graphql', 'type Query { hello: String }'))).toThrow('is not a supergraph');
    expect(() => readSupergraphFile(file('binary.graphql', '\u0000\u0001{{'))).toThrow('is not a GraphQL schema');
  });
});
