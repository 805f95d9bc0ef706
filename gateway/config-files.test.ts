import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTrustedDocuments, readSupergraphFile } from './config-files.ts';
import { composeSupergraph } from './supergraph.ts';
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
