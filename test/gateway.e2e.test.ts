import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleQuery } from '../gateway/example-query.ts';
import { buildGateway } from '../gateway/server.ts';
import { subgraphNames } from '../gateway/subgraphs.ts';
import { composeSupergraph, loadSupergraph } from '../gateway/supergraph.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { gql, registerGateway, serve, silentLogger, testGatewayAuth, TestDatabases } from './harness.ts';
import { startSystem, type RunningSystem } from './system.ts';

const dbs = new TestDatabases();
let system: RunningSystem;
const dir = mkdtempSync(join(tmpdir(), 'supergraph-'));

beforeAll(async () => {
  system = await startSystem(dbs, { workers: [] });
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('gateway start-up', () => {
  it('opens GraphiQL with an example whose every operation is valid against the composed graph', () => {
    const { schema } = system.gateway.yoga.getEnveloped();
    const document = parse(exampleQuery);
    expect(validate(schema, document)).toEqual([]);
    expect(document.definitions.map((d) => ('operation' in d ? d.operation : d.kind))).toEqual(['mutation', 'query', 'mutation', 'mutation', 'query', 'subscription', 'query']);
  });

  it('serves a supergraph file written elsewhere (npm run compose), with subgraph URLs from its own environment', async () => {
    const path = join(dir, 'supergraph.graphql');
    writeFileSync(path, composeSupergraph(subgraphNames.map((name) => ({ name, url: `http://${name}.invalid:1/graphql` }))));
    const endpoints = Object.entries(system.apps).map(([name, app]) => ({ name, url: app.url }));
    const gateway = await buildGateway({ supergraphSdl: loadSupergraph(endpoints, path), endpoints, logger: silentLogger, auth: testGatewayAuth() });
    const app = await serve(gateway.handler);
    registerGateway(app.url);
    try {
      const res = await gql(app.url, `query($id: ID!) { customer(id: $id) { name } product(sku: "MUG-001") { title vendor { name } stock { onHand } } }`, { id: demo.customers.ada });
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ customer: { name: 'Ada Lovelace' }, product: { title: 'Manifesto Mug', vendor: { name: 'Globex Homeware' }, stock: { onHand: 380 } } });
    } finally {
      await app.close();
      await gateway.stop();
    }
  });

  it('composition rejects two subgraphs that both resolve the same non-shareable field, naming the field and both subgraphs', () => {
    // What composeSupergraph runs on the subgraphs' schema files, here on two small inline schemas.
    // Each subgraph has a query field of its own; both define Customer.email.
    const customerSdl = (subgraph: string, shareable: boolean) =>
      parse(`
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
        type Customer @key(fields: "id") { id: ID! email: String! ${shareable ? '@shareable' : ''} }
        type Query { ${subgraph}Customer(id: ID!): Customer }
      `);
    const compose = (shareable: boolean) =>
      composeServices(['accounts', 'billing'].map((name) => ({ name, url: `http://${name}.invalid/graphql`, typeDefs: customerSdl(name, shareable) })));

    const conflicting = compose(false);
    expect(conflicting.errors?.map((error) => error.extensions.code)).toEqual(['INVALID_FIELD_SHARING']);
    expect(conflicting.errors![0]!.message).toContain('Non-shareable field "Customer.email" is resolved from multiple subgraphs');
    expect(conflicting.errors![0]!.message).toContain('"accounts" and "billing"');

    // The same schemas compose once the field is declared shareable: the conflict was the only problem.
    expect(compose(true).errors).toBeUndefined();
  });

  it('rejects malformed queries with a GraphQL error code, not a crash', async () => {
    const res = await gql(system.gatewayUrl, `{ order(id: "x") { nope } }`);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
