import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../gateway/server.ts';
import { subgraphNames } from '../gateway/subgraphs.ts';
import { composeSupergraph, loadSupergraph } from '../gateway/supergraph.ts';
import { demo } from '../subgraphs/demo-data.ts';
import { gql, serve, silentLogger, TestDatabases } from './harness.ts';
import { startSystem, type RunningSystem } from './system.ts';

const dbs = new TestDatabases();
let system: RunningSystem;
const dir = mkdtempSync(join(tmpdir(), 'supergraph-'));

beforeAll(async () => {
  system = await startSystem(dbs);
});
afterAll(async () => {
  await system.close();
  await dbs.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('gateway start-up', () => {
  it('serves a supergraph file written elsewhere (npm run compose), with subgraph URLs from its own environment', async () => {
    const path = join(dir, 'supergraph.graphql');
    writeFileSync(path, composeSupergraph(subgraphNames.map((name) => ({ name, url: `http://${name}.invalid:1/graphql` }))));
    const endpoints = Object.entries(system.apps).map(([name, app]) => ({ name, url: app.url }));
    const gateway = await buildGateway({ supergraphSdl: loadSupergraph(endpoints, path), endpoints, logger: silentLogger });
    const app = await serve(gateway.handler);
    try {
      const res = await gql(app.url, `query($id: ID!) { customer(id: $id) { name } product(sku: "MUG-001") { title vendor { name } stock { onHand } } }`, { id: demo.customers.ada });
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ customer: { name: 'Ada Lovelace' }, product: { title: 'Manifesto Mug', vendor: { name: 'Globex Homeware' }, stock: { onHand: 380 } } });
    } finally {
      await app.close();
      await gateway.stop();
    }
  });

  it('refuses to start from subgraph schemas that do not compose, naming the conflict', () => {
    expect(() => composeSupergraph([{ name: 'customers', url: 'http://x/graphql' }, { name: 'customers', url: 'http://y/graphql' }])).toThrow(/do not compose|customers/);
  });

  it('rejects malformed queries with a GraphQL error code, not a crash', async () => {
    const res = await gql(system.gatewayUrl, `{ order(id: "x") { nope } }`);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
